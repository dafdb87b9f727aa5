"""A local fake of Zalo (OA messages, ZNS, OAuth) that holds every request to the documented contract.

A request that breaks the contract is answered with an error and recorded in `.violations`; tests assert
that list stays empty. Tokens are random so a test can look for them in logs and error messages.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs

OA_PATHS = ("/v3.0/oa/message/cs", "/v3.0/oa/message/transaction")
ZNS_PATH = "/message/template"
OAUTH_PATH = "/v4/oa/access_token"
TEXT_MAX = 2000


class Violation(Exception):
    """A request that breaks Zalo's documented contract."""


class FakeZalo:
    """`with FakeZalo() as zalo:` … `zalo.url` serves OA, ZNS and OAuth on 127.0.0.1."""

    def __init__(self, *, app_id: str = "3141592653589793", app_secret: str | None = None):
        self.app_id = app_id
        self.app_secret = app_secret or f"appsecret{secrets.token_hex(8)}"
        self.messages: list[dict] = []
        self.refresh_calls: list[dict] = []
        self.violations: list[str] = []
        self.issued: list[str] = []  # every token handed out, for leak checks
        self._lock = threading.Lock()
        self._expired: set[str] = set()
        self._codes: list[int] = []
        self._statuses: list[int] = []
        self._refused: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self.access_token, self.refresh_token = self._new_pair()

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name="fake-zalo", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeZalo is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- programming failures -------------------------------------------------------------------------

    def expire_token(self) -> None:
        """The current access token is refused from now on (−216 for OA, −124 for ZNS)."""
        with self._lock:
            self._expired.add(self.access_token)

    def fail_next(self, code: int, times: int = 1) -> None:
        """The next `times` messages are answered with Zalo error `code` (HTTP 200)."""
        with self._lock:
            self._codes += [code] * times

    def fail_http(self, status: int, times: int = 1) -> None:
        """The next `times` messages are answered with HTTP `status` and no JSON."""
        with self._lock:
            self._statuses += [status] * times

    def refuse_user(self, user_id: str, code: int) -> None:
        """Messages to this OA follower are answered with Zalo error `code` (e.g. −217: they blocked the OA)."""
        with self._lock:
            self._refused[user_id] = code

    def clear_failures(self) -> None:
        """The failures programmed with fail_next and fail_http end now (an outage is over)."""
        with self._lock:
            self._codes.clear()
            self._statuses.clear()

    # --- the endpoints --------------------------------------------------------------------------------

    def _new_pair(self) -> tuple[str, str]:
        n = len(self.issued) // 2
        pair = (f"AT{n}x{secrets.token_hex(12)}", f"RT{n}x{secrets.token_hex(12)}")
        self.issued += pair
        return pair

    def handle(self, request: BaseHTTPRequestHandler) -> tuple[int, dict | str, dict]:
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        try:
            if request.command != "POST":
                raise Violation(f"{request.command} {request.path}: Zalo takes POST only")
            if request.path == OAUTH_PATH:
                return self._oauth(request.headers, raw)
            if request.path in OA_PATHS or request.path == ZNS_PATH:
                return self._message(request.path, request.headers, raw)
            raise Violation(f"unknown path {request.path}")
        except Violation as violation:
            with self._lock:
                self.violations.append(str(violation))
            return 400, {"error": -201, "message": f"fake Zalo: {violation}"}, {}

    def _message(self, path: str, headers, raw: bytes) -> tuple[int, dict | str, dict]:
        zns = path == ZNS_PATH
        _content_type(headers, "application/json")
        body = _json(raw)
        if zns:
            _check_zns(body)
        else:
            _check_oa(body)
        token = headers.get("access_token")
        if not token:
            raise Violation("no access_token header")
        with self._lock:
            if self._statuses:
                status = self._statuses.pop(0)
                return status, "fake failure", {"Retry-After": "7"} if status == 429 else {}
            if self._codes:
                return 200, {"error": self._codes.pop(0), "message": "fake failure"}, {}
            if token not in self.issued[::2]:
                raise Violation("access_token header holds a token Zalo never issued")
            if token != self.access_token or token in self._expired:
                return 200, {"error": -124 if zns else -216, "message": "Access token is invalid"}, {}
            refused = None if zns else self._refused.get(body["recipient"]["user_id"])
            if refused is not None:
                return 200, {"error": refused, "message": "fake refusal"}, {}
            self.messages.append({"path": path, "body": body, "headers": dict(headers), "at": time.monotonic()})
            n = len(self.messages)
        data = {"msg_id": f"z{n}", "sent_time": "1760927400000"} if zns else {"message_id": f"m{n}"}
        return 200, {"error": 0, "message": "Success", "data": data}, {}

    def _oauth(self, headers, raw: bytes) -> tuple[int, dict | str, dict]:
        _content_type(headers, "application/x-www-form-urlencoded")
        secret = headers.get("secret_key")
        if not secret:
            raise Violation("no secret_key header")
        try:
            form = parse_qs(raw.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Violation(f"form body unreadable: {exc}") from None
        if set(form) != {"app_id", "grant_type", "refresh_token"} or any(len(v) != 1 for v in form.values()):
            raise Violation(f"form fields {sorted(form)} != app_id, grant_type, refresh_token")
        form = {k: v[0] for k, v in form.items()}
        if form["grant_type"] != "refresh_token":
            raise Violation(f"grant_type={form['grant_type']!r}")
        with self._lock:
            self.refresh_calls.append(dict(form))
            if secret != self.app_secret or form["app_id"] != self.app_id:
                return 200, {"error": -14002, "error_name": "Invalid app id or secret key"}, {}
            if form["refresh_token"] != self.refresh_token:
                return 200, {"error": -14014, "error_name": "Invalid refresh token",
                             "error_reason": "Refresh token is invalid or has been used"}, {}
            self.access_token, self.refresh_token = self._new_pair()
            return 200, {"access_token": self.access_token, "refresh_token": self.refresh_token,
                         "expires_in": "90000"}, {}


def _handler(fake: FakeZalo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            status, answer, headers = fake.handle(self)
            body = (json.dumps(answer) if isinstance(answer, dict) else answer).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if isinstance(answer, dict) else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET = do_PUT = do_DELETE = _serve

        def log_message(self, *args) -> None:  # quiet: pytest shows what matters
            pass

    return Handler


def _content_type(headers, expected: str) -> None:
    if headers.get("Content-Type") != expected:
        raise Violation(f"Content-Type {headers.get('Content-Type')!r} != {expected!r}")


def _json(raw: bytes):
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Violation(f"body is not JSON: {exc}") from None


def _keys(value, keys: set[str], where: str) -> None:
    if not isinstance(value, dict) or set(value) != keys:
        raise Violation(f"{where} must have exactly the keys {sorted(keys)}: {value!r}")


def _check_oa(body) -> None:
    _keys(body, {"recipient", "message"}, "body")
    _keys(body["recipient"], {"user_id"}, "recipient")
    _keys(body["message"], {"text"}, "message")
    user_id, text = body["recipient"]["user_id"], body["message"]["text"]
    if not isinstance(user_id, str) or not user_id:
        raise Violation(f"recipient.user_id must be a non-empty string: {user_id!r}")
    if not isinstance(text, str) or not 0 < len(text) <= TEXT_MAX:
        raise Violation(f"message.text must be a string of 1–{TEXT_MAX} characters")


def _check_zns(body) -> None:
    _keys(body, {"phone", "template_id", "template_data", "tracking_id"}, "body")
    if not isinstance(body["phone"], str) or not re.fullmatch(r"84\d{8,10}", body["phone"]):
        raise Violation("phone must be a string 84…")
    if not isinstance(body["template_id"], str) or not body["template_id"]:
        raise Violation(f"template_id must be a non-empty string: {body['template_id']!r}")
    data = body["template_data"]
    if not isinstance(data, dict) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in data.values()):
        raise Violation(f"template_data must map names to strings or numbers: {data!r}")
    if not isinstance(body["tracking_id"], str) or not re.fullmatch(r"[A-Za-z0-9]{1,48}", body["tracking_id"]):
        raise Violation(f"tracking_id must be 1–48 letters or digits: {body['tracking_id']!r}")
