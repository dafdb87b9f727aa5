"""Real local sinks on 127.0.0.1: an SMTP server and an HTTP server that keep what they receive.

`dondoc simulate` sends a replayed window's messages here instead of to the units, and the tests check
delivery against them: real sockets, real protocols, nothing leaves the machine.
"""

from __future__ import annotations

import email
import json
import logging
import socket
import threading
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

KEY_HEADER = "X-Dondoc-Idempotency-Key"

# aiosmtpd logs a warning about its own use of a deprecated attribute each time a login is accepted.
logging.getLogger("mail.log").addFilter(lambda record: "login_data is deprecated" not in record.getMessage())


@dataclass
class Mail:
    to: list[str]
    subject: str
    key: str | None
    text: str
    html: str
    raw: str


class SmtpSink:
    """An SMTP server that accepts every message, and any login (so that URLs with passwords work) unless
    `logins` names the only user → password pairs it accepts.

    It can be stopped and started again on the same port, as a mail server that was down comes back. It offers
    PIPELINING, as mail servers do (aiosmtpd reads the commands in order from its buffer, but does not say so
    by itself); `pipelining=False` makes it a server that does not.
    """

    def __init__(self, *, logins: dict[str, str] | None = None, pipelining: bool = True) -> None:
        if pipelining:
            self.handle_EHLO = self._ehlo_with_pipelining  # aiosmtpd calls the hooks the handler has
        self.mails: list[Mail] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self._logins = logins
        self._controller: Controller | None = None

    def url(self, to: str, *, user: str = "", password: str = "") -> str:
        """A mailto:// contact that delivers here."""
        auth = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
        return f"mailto://{auth}127.0.0.1:{self.port}?from=dondoc@localhost&to={quote(to)}&mode=insecure"

    async def _ehlo_with_pipelining(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # what aiosmtpd does itself when the handler has no EHLO hook
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content)
        parts = {p.get_content_type(): p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
                 for p in message.walk() if not p.is_multipart()}
        mail = Mail(list(envelope.rcpt_tos), str(make_header(decode_header(message.get("Subject", "")))),
                    message.get(KEY_HEADER), parts.get("text/plain", ""), parts.get("text/html", ""),
                    envelope.content.decode("utf-8", "replace"))
        with self._lock:
            self.mails.append(mail)
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if self._logins is None:
            return AuthResult(success=True)
        user, password = (getattr(auth_data, name, b"").decode() for name in ("login", "password"))
        return AuthResult(success=self._logins.get(user) == password, handled=False)

    def start(self) -> SmtpSink:
        # a new controller each time: a stopped one has closed its event loop
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, auth_require_tls=False,
                                      authenticator=self._authenticate)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: dispatchers opening their eight connections each at once
    # overflowed it, and a dropped connection attempt is retried by the kernel only after a second
    request_queue_size = 128


@dataclass
class HttpSink:
    """An HTTP server that stores every JSON body posted to it; `fail_with` makes it answer an error instead."""

    received: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    fail_with: int | None = None
    refused: int = 0

    def __post_init__(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real webhook server: a sender may reuse its connection
            disable_nagle_algorithm = True  # else the body waits for the ACK of the headers (40 ms a request)

            def do_POST(self):  # noqa: N802 (http.server's hook name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender hung up mid-request (killed): a real server drops it too
                    self.close_connection = True
                    return
                if sink.fail_with:
                    sink.refused += 1
                    self._answer(sink.fail_with, b"")
                    return
                with sink._lock:
                    sink.received.append(json.loads(body or b"{}"))
                    sink.headers.append(dict(self.headers))
                self._answer(200, b'{"ok": true}')

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # keep test and CLI output clean
                pass

        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]

    def url(self, path: str = "hook") -> str:
        """A json:// contact that posts here."""
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def start(self) -> HttpSink:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HttpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port() -> int:
    """A port of 127.0.0.1 free at this moment (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
