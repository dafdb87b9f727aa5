"""Connection reuse for Apprise's email and JSON webhook plugins, one pool per sending thread.

Apprise opens a new SMTP session (and builds a new SSL context, reading every CA certificate) for each email,
and a new HTTP connection for each webhook call. A digest run sends hundreds of messages to the same mail
server and webhooks: these shims, installed in the two plugin modules only, keep each thread's connections
open between messages, and an email goes to a server that offers PIPELINING in fewer round trips (one with
CHUNKING) than smtplib's one command at a time. The plugins' own logic (what they send, how they report) is
unchanged.
"""

from __future__ import annotations

import base64
import http.client
import re
import smtplib
import ssl
import threading
import time
from contextlib import contextmanager, suppress
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
from apprise.plugins import custom_json
from apprise.plugins.email import base as email_base

from notifiers import keepalive

_local = threading.local()


def last_failure() -> tuple[bool, str | None]:
    """What this thread's last message met on the way, which Apprise only logs at debug level: whether the
    server was unreachable (connection refused or dropped, no answer in time), and a refusal worth naming;
    asking forgets it."""
    found = getattr(_local, "unreachable", False), getattr(_local, "why", None)
    _local.unreachable, _local.why = False, None
    return found


@contextmanager
def _on_the_wire(*errors: type[BaseException]):
    try:
        yield
    except errors:
        _local.unreachable = True
        raise


class _Requests:
    """`requests` for the JSON plugin: its `request()` goes through a kept connection (keep-alive).

    The plain case — no proxy, verification on or off — goes straight to urllib3 (what requests itself uses
    underneath, without its per-call preparation, about half of the cost of a webhook call); anything else
    goes through this thread's requests Session.
    """

    def __getattr__(self, name):
        return getattr(requests, name)

    @staticmethod
    def request(method, url, *, proxies=None, verify=True, timeout=None, allow_redirects=True, **kwargs):
        parts = urlsplit(url)
        proxies = proxies or _proxies(f"{parts.scheme}://{parts.netloc}")
        if proxies or not isinstance(verify, bool) or set(kwargs) - {"data", "params", "headers", "auth"}:
            with _on_the_wire(requests.ConnectionError, requests.Timeout):
                return _session().request(method, url, proxies=proxies, verify=verify, timeout=timeout,
                                          allow_redirects=allow_redirects, **kwargs)
        return _direct(method, url, verify=verify, timeout=timeout, allow_redirects=allow_redirects, **kwargs)


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        # requests would read every proxy variable of the environment (and ~/.netrc) for each call
        session.trust_env = False
    return session


_POOLS = {verify: urllib3.PoolManager(num_pools=256, maxsize=64, cert_reqs="CERT_REQUIRED" if verify else "CERT_NONE")
          for verify in (True, False)}


def _direct(method, url, *, verify, timeout, allow_redirects, data=None, params=None, headers=None, auth=None):
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    headers = dict(headers or {})
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    body = data.encode("utf-8") if isinstance(data, str) else data
    try:
        answer = keepalive.request(method, url, body=body, headers=headers, verify=verify, connect_timeout=connect,
                                   read_timeout=read)
    except TimeoutError as exc:
        _local.unreachable = True
        raise requests.exceptions.Timeout(str(exc) or "timed out") from None
    except (OSError, http.client.HTTPException) as exc:
        _local.unreachable = True
        raise requests.exceptions.ConnectionError(str(exc) or type(exc).__name__) from None
    if allow_redirects and answer.status_code in keepalive.REDIRECTS:
        return _followed(method, url, verify=verify, connect=connect, read=read, body=body, headers=headers)
    return answer


def _followed(method, url, *, verify, connect, read, body, headers):
    """A redirected call, through urllib3 (which follows redirects as requests would)."""
    try:
        answer = _POOLS[verify].request(method, url, body=body, headers=headers,
                                        timeout=urllib3.Timeout(connect=connect, read=read),
                                        retries=urllib3.Retry(total=None, connect=0, read=0, status=0, other=0,
                                                              redirect=5, raise_on_redirect=False))
    except urllib3.exceptions.TimeoutError as exc:
        _local.unreachable = True
        raise requests.exceptions.Timeout(str(exc)) from None
    except urllib3.exceptions.HTTPError as exc:
        _local.unreachable = True
        raise requests.exceptions.ConnectionError(str(exc)) from None
    return keepalive.Answer(answer.status, answer.reason, dict(answer.headers), answer.data)


@lru_cache(maxsize=1024)
def _proxies(origin: str) -> dict:
    """The proxies the environment names for a server (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), as requests reads them."""
    return requests.utils.get_environ_proxies(origin + "/")


class _Ssl:
    """`ssl` for the email plugin: one client context per thread, reset to the safe defaults each time
    (the plugin relaxes verification on it when a URL says so; the next message starts from the defaults)."""

    def __getattr__(self, name):
        return getattr(ssl, name)

    @staticmethod
    def create_default_context(*args, **kwargs):
        if args or kwargs:
            return ssl.create_default_context(*args, **kwargs)
        context = getattr(_local, "ssl_context", None)
        if context is None:
            context = _local.ssl_context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = True, ssl.CERT_REQUIRED
        return context


class _PooledSession:
    """An SMTP session the plugin believes is new: `quit()` keeps it for the thread's next message to the same
    server and account, and greeting, STARTTLS and login are not repeated on a session that has them."""

    def __init__(self, key: tuple, make):
        self._key, self._make = key, make
        with _on_the_wire(OSError):
            self._smtp = make()
        self._user, self._tls = None, None
        self.clean_since: float | None = None  # when its last transaction ended well (no RSET needed)

    def starttls(self, **kwargs):
        if self._tls is None:
            with _on_the_wire(OSError, smtplib.SMTPServerDisconnected):
                self._smtp.starttls(**kwargs)
            self._tls = kwargs

    def login(self, user, password):
        # the same account only: a contact with a wrong password must fail, not ride on another's session
        if self._user == (user, password):
            return
        if self._user is not None:  # another account on the same server: a fresh session for it
            self._smtp.quit()
            self._smtp, self._user = self._make(), None
            if self._tls is not None:
                self._smtp.starttls(**self._tls)
        try:
            self._smtp.login(user, password)
        except smtplib.SMTPAuthenticationError as exc:  # the code only: the server's words may quote the account
            _local.why = f"máy chủ thư từ chối đăng nhập (SMTP {exc.smtp_code}): kiểm tra tài khoản, mật khẩu"
            raise
        self._user = (user, password)

    def sendmail(self, sender, recipients, msg, mail_options=(), rcpt_options=()):
        self.clean_since = None
        try:
            with _on_the_wire(OSError, smtplib.SMTPServerDisconnected):
                if mail_options or rcpt_options or not _offers_pipelining(self._smtp):
                    refused = self._smtp.sendmail(sender, recipients, msg, mail_options, rcpt_options)
                else:
                    refused = _pipelined(self._smtp, sender, recipients, msg)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise  # the server said no to this message: every reply was read, the session was reset
        except BaseException:
            # cut off mid-transaction (the server closed it meanwhile, a timeout): the plugin reports a failure,
            # the outbox retries, and the session, out of step with the server, is never used again
            smtp, self._smtp = self._smtp, None
            with suppress(Exception):
                smtp.close()
            raise
        self.clean_since = time.monotonic()
        return refused

    def quit(self):
        if self._smtp is not None:
            _pool().setdefault(self._key, []).append(self)

    def __getattr__(self, name):
        return getattr(self._smtp, name)


_FRESH_SECONDS = 5.0
_LINE_ENDS, _LEADING_DOT = re.compile(r"\r\n|\n|\r(?!\n)"), re.compile(rb"(?m)^\.")


def _offers_pipelining(smtp: smtplib.SMTP) -> bool:
    smtp.ehlo_or_helo_if_needed()
    return smtp.has_extn("pipelining")


def _pipelined(smtp: smtplib.SMTP, sender: str, recipients, msg) -> dict:
    """smtplib's `sendmail` for a server that offers PIPELINING (RFC 2920): MAIL, RCPT and DATA go at once, then
    the content — two round trips a message instead of four; one when the server offers CHUNKING too (RFC 3030),
    the content going along with them as one BDAT. The same message arrives; the same checks and errors."""
    if isinstance(msg, str):  # line ends made CRLF, as smtplib does (a plain replace when there is no CR)
        msg = (_LINE_ENDS.sub("\r\n", msg) if "\r" in msg else msg.replace("\n", "\r\n")).encode("ascii")
    msg = msg if msg.endswith(b"\r\n") else msg + b"\r\n"  # as DATA ends it
    recipients = [recipients] if isinstance(recipients, str) else list(recipients)
    chunking = smtp.has_extn("chunking")
    size = f" size={len(msg)}" if smtp.has_extn("size") else ""
    commands = [f"mail FROM:{_quoted(sender)}{size}", *(f"rcpt TO:{_quoted(r)}" for r in recipients),
                f"bdat {len(msg)} last" if chunking else "data"]
    if any("\r" in c or "\n" in c for c in commands):
        raise ValueError("command and arguments contain prohibited newline characters")
    smtp.send("".join(f"{c}\r\n" for c in commands).encode("ascii") + (msg if chunking else b""))
    mail = _reply(smtp)
    refused = {}
    for recipient in recipients:
        code, answer = _reply(smtp)
        if code not in (250, 251):
            refused[recipient] = (code, answer)
    last = _reply(smtp)
    if mail[0] != 250 or len(refused) == len(recipients) or last[0] != (250 if chunking else 354):
        if last[0] == 354:  # a server that took DATA anyway gets an empty message to end it (RFC 2920, 3.1)
            smtp.send(b".\r\n")
            _reply(smtp)
        smtp.rset()
        if mail[0] != 250:
            raise smtplib.SMTPSenderRefused(*mail, sender)
        if len(refused) == len(recipients):
            raise smtplib.SMTPRecipientsRefused(refused)
        raise smtplib.SMTPDataError(*last)
    if not chunking:
        smtp.send((_LEADING_DOT.sub(b"..", msg) if msg.startswith(b".") or b"\n." in msg else msg) + b".\r\n")
        code, answer = _reply(smtp)
        if code != 250:
            smtp.rset()
            raise smtplib.SMTPDataError(code, answer)
    return refused


@lru_cache(maxsize=4096)
def _quoted(address: str) -> str:
    return smtplib.quoteaddr(address)


def _reply(smtp: smtplib.SMTP) -> tuple[int, bytes]:
    """The next reply; a server closing the session (421) ends it here."""
    code, answer = smtp.getreply()
    if code == 421:
        smtp.close()
        raise smtplib.SMTPServerDisconnected(f"{code} {answer.decode('ascii', 'replace')}")
    return code, answer


class _Smtplib:
    """`smtplib` for the email plugin: SMTP and SMTP_SSL hand out this thread's idle session to the same server."""

    def __getattr__(self, name):
        return getattr(smtplib, name)

    def SMTP(self, host, port, local_hostname=None, **kwargs):
        return self._session(smtplib.SMTP, "plain", host, port, local_hostname, kwargs)

    def SMTP_SSL(self, host, port, local_hostname=None, **kwargs):
        return self._session(smtplib.SMTP_SSL, "ssl", host, port, local_hostname, kwargs)

    @staticmethod
    def _session(make, mode, host, port, local_hostname, kwargs):
        key = (mode, host, port)
        idle = _pool().get(key) or []
        while idle:
            session = idle.pop()
            # a session that just finished a transaction well is ready as it is: servers keep an idle session
            # for minutes (RFC 5321 asks 5), so two round trips per message are saved on a busy run
            if session.clean_since is not None and time.monotonic() - session.clean_since < _FRESH_SECONDS:
                return session
            try:
                if session.noop()[0] == 250 and session.rset()[0] == 250:
                    return session
            except (smtplib.SMTPException, OSError):
                pass
        return _PooledSession(key, lambda: make(host, port, local_hostname, **kwargs))


def _pool() -> dict:
    pool = getattr(_local, "smtp", None)
    if pool is None:
        pool = _local.smtp = {}
    return pool


def close_connections() -> None:
    """Close this thread's idle SMTP sessions and HTTP connections (at the end of a dispatch)."""
    for sessions in _pool().values():
        for session in sessions:
            try:
                session._smtp.quit()
            except (smtplib.SMTPException, OSError, AttributeError):
                pass
    _pool().clear()
    session = getattr(_local, "session", None)
    if session is not None:
        session.close()
        _local.session = None
    keepalive.close_connections()


def install() -> None:
    """Put the shims in Apprise's email and JSON plugin modules (idempotent)."""
    custom_json.requests = _Requests()
    email_base.ssl = _Ssl()
    email_base.smtplib = _Smtplib()
