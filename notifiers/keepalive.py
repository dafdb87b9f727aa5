"""Kept-alive HTTP/1.1 connections for webhook calls, one per sending thread and server.

urllib3 (under requests) costs about three times the CPU of the standard library's http.client per call on a
kept connection (its pool manager, URL parsing, retry and response layers), and http.client itself spent most
of its time parsing each answer's headers with the email package: at thousands of webhook calls a run, these
were the largest share of a dispatcher's CPU. This sends the request in one write (headers and body together)
and reads one answer with a small parser; anything unusual (a redirect) goes back to the caller's general path.
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
    connection = _connection(parts.scheme, parts.hostname, parts.port, verify)
    try:
        if connection.sock is None:
            connection.connect(connect_timeout)
        connection.sock.settimeout(read_timeout)
        connection.send(method, path, body, headers)
        answer, keep = connection.answer(method)
    except BaseException:
        connection.close()  # the next request on this thread opens a new one
        raise
    if not keep:
        connection.close()
    return answer


class _Connection:
    """One HTTP/1.1 connection: a request goes out in one write, its answer is read by a small parser.

    http.client parsed each answer's headers with the email package (FeedParser), a sixth of a dispatcher's CPU
    per webhook call, and wrote a request header by header. Answers are read as RFC 9112 says: status line,
    interim 1xx skipped, then a body by chunks, by Content-Length, or to the end of the connection."""

    def __init__(self, scheme: str, host: str, port: int | None, verify: bool):
        self.scheme, self.host, self.verify = scheme, host, verify
        self.port = port or (443 if scheme == "https" else 80)
        default = (scheme == "https" and self.port == 443) or (scheme == "http" and self.port == 80)
        shown = f"[{host}]" if ":" in host else host  # an IPv6 address in brackets
        self.host_header = shown if default else f"{shown}:{self.port}"
        self.sock: socket.socket | None = None
        self.reader = None

    def connect(self, timeout: float | None) -> None:
        sock = socket.create_connection((self.host, self.port), timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.scheme == "https":
            sock = _ssl_context(self.verify).wrap_socket(sock, server_hostname=self.host)
        self.sock, self.reader = sock, sock.makefile("rb")

    def send(self, method: str, path: str, body: bytes | None, headers: dict) -> None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host_header}"]
        given = {name.lower() for name in headers}
        if "accept-encoding" not in given:
            lines.append("Accept-Encoding: identity")  # the body is read as it comes: nothing to decompress
        if body is not None and "content-length" not in given:
            lines.append(f"Content-Length: {len(body)}")
        for name, value in headers.items():
            value = str(value)
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"invalid header {name!r}")  # as http.client refuses one
            lines.append(f"{name}: {value}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.sock.sendall(head + body if body else head)

    def answer(self, method: str) -> tuple[Answer, bool]:
        """(the answer, whether the connection may be used again)."""
        while True:
            version, status, reason = self._status_line()
            headers = self._headers()
            if not 100 <= status < 200 or status == 101:
                break  # an interim answer (100 Continue) is followed by the real one
        lowered = {name.lower(): value for name, value in headers.items()}
        connection = lowered.get("connection", "").lower()
        keep = ("close" not in connection) if version == "HTTP/1.1" else ("keep-alive" in connection)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            content = b""
        elif "chunked" in lowered.get("transfer-encoding", "").lower():
            content = self._chunked()
        elif (length := lowered.get("content-length")) is not None:
            content = self._exactly(_length(length))
        else:
            content, keep = self.reader.read(), False  # the body ends with the connection
        return Answer(status, reason, headers, content), keep

    def _status_line(self) -> tuple[str, int, str]:
        line = self.reader.readline(_MAX_LINE + 1)
        if not line:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("status line")
        version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
            raise http.client.BadStatusLine(line.decode("latin-1"))
        return version, int(code), reason.strip()

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        name = None
        for _ in range(_MAX_HEADERS + 1):
            line = self.reader.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                raise http.client.LineTooLong("header line")
            if line in (b"\r\n", b"\n", b""):
                return headers
            text = line.decode("latin-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and name is not None:  # an obsolete folded line continues the last header
                headers[name] += " " + text.strip()
                continue
            name, _, value = text.partition(":")
            name, value = name.strip(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")

    def _chunked(self) -> bytes:
        parts = []
        while True:
            line = self.reader.readline(_MAX_LINE + 1)
            size = line.split(b";", 1)[0].strip()
            try:
                size = int(size, 16)
            except ValueError:
                raise http.client.IncompleteRead(b"".join(parts)) from None
            if size == 0:
                self._headers()  # trailers, up to the blank line
                return b"".join(parts)
            parts.append(self._exactly(size))
            self._exactly(2)  # the CRLF after a chunk

    def _exactly(self, size: int) -> bytes:
        data = self.reader.read(size)
        if len(data) < size:
            raise http.client.IncompleteRead(data, size - len(data))
        return data

    def close(self) -> None:
        for part in (self.reader, self.sock):
            if part is not None:
                part.close()
        self.sock = self.reader = None


_MAX_LINE, _MAX_HEADERS = 65536, 100  # http.client's limits


def _length(value: str) -> int:
    if not value.strip().isdigit():
        raise http.client.HTTPException(f"invalid Content-Length {value!r}")
    return int(value)


def _connection(scheme: str, host: str, port: int | None, verify: bool) -> _Connection:
    connections = getattr(_local, "connections", None)
    if connections is None:
        connections = _local.connections = {}
    key = (scheme, host, port, verify)
    connection = connections.get(key)
    if connection is not None and connection.sock is not None and _dropped(connection.sock):
        connection.close()  # the server closed it while idle: a new one, before anything is sent on it
    if connection is None:
        connection = connections[key] = _Connection(scheme, host, port, verify)
    return connection


def _dropped(sock: socket.socket) -> bool:
    """An idle kept connection is readable only when the server closed it (or sent something unasked)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


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
