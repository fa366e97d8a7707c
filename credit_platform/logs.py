"""Log lines that a logged value cannot forge: CR, LF and other control characters in a message
(a username typed at the login form, a path, a header) are escaped, so one event is one line."""

from __future__ import annotations

import logging

_ESCAPES = {
    ord("\r"): "\\r",
    ord("\n"): "\\n",
    **{c: f"\\x{c:02x}" for c in range(32) if c not in (9, 10, 13)},
}


def escape(value: object) -> str:
    return str(value).translate(_ESCAPES)


class EscapingFormatter(logging.Formatter):
    """Escapes control characters in the message; a traceback keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape(record.message)
        return super().formatMessage(record)
