"""REST API v1 for third-party credit agencies and other platforms (``/api/v1/``)."""
