"""Kept-alive HTTP/1.1 connections for webhook calls, one per sending thread and server.

urllib3 (under requests) costs about three times the CPU of the standard library's http.client per call on a
kept connection (its pool manager, URL parsing, retry and response layers): at thousands of webhook calls a
run, that was the largest share of a dispatcher's CPU. This sends the request in one write (headers and body
together) and reads one response; anything unusual (a redirect) goes back to the caller's general path.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from functools import lru_cache
from urllib.parse import urlsplit

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_local = threading.local()


class Answer:
    """What the webhook plugin reads of a response (the shape of a requests.Response it uses)."""

    def __init__(self, status: int, reason: str, headers: dict, content: bytes):
        self.status_code, self.reason, self.headers, self.content = status, reason, headers, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def request(method: str, url: str, *, body: bytes | None, headers: dict, verify: bool, connect_timeout: float | None,
            read_timeout: float | None) -> Answer:
    """One request on this thread's kept connection to the server (opened when there is none or it was closed)."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _connection(parts.scheme, parts.hostname, parts.port, verify, connect_timeout)
    try:
        if connection.sock is None:
            connection.connect()
        connection.sock.settimeout(read_timeout)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
    except BaseException:
        _forget(connection)
        raise
    if response.will_close:
        _forget(connection)
    return Answer(response.status, response.reason, dict(response.getheaders()), content)


def _connection(scheme: str, host: str, port: int | None, verify: bool,
                timeout: float | None) -> http.client.HTTPConnection:
    connections = getattr(_local, "connections", None)
    if connections is None:
        connections = _local.connections = {}
    key = (scheme, host, port, verify)
    connection = connections.get(key)
    if connection is not None and connection.sock is not None and _dropped(connection.sock):
        connection.close()  # the server closed it while idle: a new one, before anything is sent on it
    if connection is None:
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=_ssl_context(verify))
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connections[key] = connection
    connection.timeout = timeout  # used when it (re)connects
    return connection


def _dropped(sock: socket.socket) -> bool:
    """An idle kept connection is readable only when the server closed it (or sent something unasked)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _forget(connection: http.client.HTTPConnection) -> None:
    connection.close()  # the next request on this thread opens a new one


@lru_cache(maxsize=2)
def _ssl_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


def close_connections() -> None:
    """Close this thread's kept connections (at the end of a dispatch)."""
    for connection in (getattr(_local, "connections", None) or {}).values():
        connection.close()
    _local.connections = {}
