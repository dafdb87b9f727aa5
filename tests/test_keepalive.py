"""The webhook client's own HTTP/1.1 reading (notifiers/keepalive.py), against a real socket server on 127.0.0.1
that answers each request with bytes written out by the test: bodies by length, by chunks and to the end of the
connection, interim answers, connections kept, dropped while idle, or cut mid-answer."""

from __future__ import annotations

import http.client
import socket
import threading

import pytest

from notifiers import keepalive


class ScriptedServer:
    """Answers the n-th request with the n-th scripted reply (bytes; None closes the connection instead)."""

    def __init__(self, replies: list[bytes | None], *, close_after: set[int] = frozenset()) -> None:
        self.replies, self.close_after = list(replies), close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        _STARTED.append(self)  # closed after the test (fresh_connections)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + rest[:length])
                buffer = rest[length:]
                n = len(self.requests) - 1
                reply = self.replies[n] if n < len(self.replies) else b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                if reply is None:
                    return
                conn.sendall(reply)
                if n in self.close_after:
                    return

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._socket.close()


_STARTED: list[ScriptedServer] = []


@pytest.fixture(autouse=True)
def fresh_connections():
    keepalive.close_connections()
    yield
    keepalive.close_connections()
    while _STARTED:
        _STARTED.pop().close()


def post(server: ScriptedServer, body: bytes = b'{"a": 1}', headers: dict | None = None, method: str = "POST"):
    return keepalive.request(method, server.url(), body=body, headers=headers or {"Content-Type": "application/json"},
                             verify=True, connect_timeout=5, read_timeout=5)


def test_a_request_goes_out_whole_and_the_connection_is_kept():
    server = ScriptedServer([b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
                             b'{"ok":true}', b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nhi"])
    first = post(server, "{\"n\": \"Sở Y tế\"}".encode(), {"Content-Type": "application/json", "X-Key": "k-1"})
    second = post(server, b"{}")
    assert (first.status_code, first.reason, first.content, first.text) == (200, "OK", b'{"ok":true}', '{"ok":true}')
    assert first.headers["Content-Type"] == "application/json"
    assert (second.status_code, second.reason, second.content) == (201, "Created", b"hi")
    assert server.connections == 1
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /hook HTTP/1.1"
    assert f"Host: 127.0.0.1:{server.port}".encode() in lines
    assert b"Content-Length: %d" % len(body) in lines and b"X-Key: k-1" in lines
    assert body.decode() == '{"n": "Sở Y tế"}'


def test_a_chunked_answer_with_extensions_and_trailers():
    server = ScriptedServer([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n"])
    assert post(server).content == b"Wikipedia in\r\n\r\nchunks."
    assert post(server).status_code == 200 and server.connections == 1  # read to its end: the connection is reusable


def test_an_answer_without_length_ends_with_the_connection():
    server = ScriptedServer([b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"], close_after={0})
    assert post(server).content == b"all of it"
    assert post(server).status_code == 200
    assert server.connections == 2


def test_interim_answers_are_skipped_and_bodiless_ones_read_no_body():
    server = ScriptedServer([b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
                             b"HTTP/1.1 204 No Content\r\n\r\n",
                             # a HEAD's answer names a length it does not send
                             b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                             b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    assert post(server).status_code == 202
    assert (post(server).status_code, post(server, method="HEAD").content) == (204, b"")
    assert post(server).content == b"ok" and server.connections == 1


def test_connection_close_headers_and_folded_or_repeated_headers():
    server = ScriptedServer([b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nX-A: one\r\n two\r\nVia: a\r\n"
                             b"Via: b\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"])
    answer = post(server)
    assert (answer.status_code, answer.headers["Retry-After"], answer.headers["X-A"], answer.headers["Via"]) == (
        429, "30", "one two", "a, b")
    post(server)
    assert server.connections == 2  # the server said it would close


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending():
    server = ScriptedServer([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"], close_after={0})
    post(server)
    threading.Event().wait(0.1)  # the server's close reaches us
    assert post(server).status_code == 200
    assert server.connections == 2 and len(server.requests) == 2


@pytest.mark.parametrize("reply", [
    None,  # closed without an answer
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # cut mid-body
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  # cut mid-chunk
    b"garbage\r\n\r\n",  # not HTTP
])
def test_a_broken_answer_raises_and_the_next_request_gets_a_new_connection(reply):
    server = ScriptedServer([reply], close_after={0})
    with pytest.raises((http.client.HTTPException, OSError)):
        post(server)
    assert post(server).status_code == 200
    assert server.connections == 2


def test_a_header_with_a_line_break_is_refused_before_anything_is_sent():
    server = ScriptedServer([])
    with pytest.raises(ValueError):
        post(server, headers={"X-Evil": "a\r\nInjected: 1"})
    assert server.requests == []
