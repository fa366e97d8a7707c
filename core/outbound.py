# mypy: disable-error-code="attr-defined,no-untyped-def"
# (this module hooks private internals of http.client and urllib that typeshed does not describe)
"""Outbound HTTP that cannot be turned against the platform's own network (SSRF; API Security Top
10 API7, ASVS V12.6).

The address is checked when the connection is made, not only when the URL was registered: the host
name is resolved once, every address it resolves to must be public (``is_global``), and the socket
connects to the checked address — so a name that resolved to a public address yesterday and to
127.0.0.1 now (DNS rebinding) is refused at the connection. Redirects are never followed: a public
URL answering 302 to 169.254.169.254 gets its 302 recorded, and the internal address is never
called. TLS still verifies the certificate against the host name (SNI unchanged).

``allow_private`` (the ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` development switch, refused with DEBUG
off) lets tests and development call local receivers; redirects stay refused even then.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.request
from typing import Any

from django.utils.translation import gettext as _


class RefusedAddress(OSError):
    """The target resolves to an address the platform must not call."""


def public_address(host: str, port: int, allow_private: bool) -> tuple[Any, ...]:
    """The first resolved address of ``host`` (``getaddrinfo`` tuple) once every one is checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedAddress(_("The host name does not resolve.")) from exc
    if not infos:
        raise RefusedAddress(_("The host name does not resolve."))
    if not allow_private:
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not ip.is_global:
                # The message names no address: the delivery log is shown to the agency.
                raise RefusedAddress(_("The URL points to a private or reserved address; it is not called."))
    return infos[0]


def _connector(allow_private: bool):
    def create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **kwargs):  # noqa: SLF001
        host, port = address
        family, kind, proto, _name, sockaddr = public_address(host, port, allow_private)
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # noqa: SLF001
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except BaseException:
            sock.close()
            raise
        return sock

    return create_connection


class _CheckedHTTP(urllib.request.HTTPHandler):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def http_open(self, req):
        def connection(host, **kwargs):
            conn = http.client.HTTPConnection(host, **kwargs)
            conn._create_connection = _connector(self.allow_private)  # noqa: SLF001
            return conn

        return self.do_open(connection, req)


class _CheckedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, allow_private: bool) -> None:
        super().__init__(context=ssl.create_default_context())
        self.allow_private = allow_private

    def https_open(self, req):
        def connection(host, **kwargs):
            conn = http.client.HTTPSConnection(host, **kwargs)
            conn._create_connection = _connector(self.allow_private)  # noqa: SLF001
            return conn

        return self.do_open(connection, req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the answer (urllib raises it as an HTTPError), never a second request."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener(*, allow_private: bool) -> urllib.request.OpenerDirector:
    """A urllib opener whose every connection is checked and which never follows a redirect."""
    # No proxy from the environment either: the check must see the address really connected to.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _CheckedHTTP(allow_private),
        _CheckedHTTPS(allow_private),
        _NoRedirect,
    )
