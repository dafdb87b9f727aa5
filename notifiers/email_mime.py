"""The MIME text of an email, as Apprise's email plugin composes it, without the cost of the `email` package.

Apprise builds each email with `email.mime` objects and flattens them with the compat32 generator: quoted-
printable in pure Python, every header folded through `email.header.Header`, a regular expression compiled
for each boundary — about 0.8 ms of CPU per email, most of a dispatcher's work. This shim replaces the
plugin's `prepare_emails` for the case dondoc sends (no attachment, no PGP, no Cc/Bcc/Reply-To) with the same
message — same structure (multipart/alternative text + HTML, or text alone), same headers in the same order,
utf-8 quoted-printable as Apprise sets it — written from strings: quoted-printable by `binascii` (C), the
boundary check skipped (quoted-printable never yields "==="), non-ASCII header values encoded by the `email`
package, and cached. Any other case, or an email given no moment to be dated (`dated`), goes to Apprise's own
code.
"""

from __future__ import annotations

import binascii
import random
import sys
import threading
from contextlib import contextmanager
from datetime import datetime
from email import policy
from email.header import Header
from email.utils import format_datetime, formataddr, make_msgid
from functools import lru_cache

from apprise import NotifyFormat
from apprise.plugins.email import base as email_base
from apprise.plugins.email.common import EmailMessage

from domain.policy import ICT

_original = email_base.NotifyEmail.prepare_emails
_PART = 'Content-Type: text/{}; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n'
_BOUNDARY_WIDTH = len(repr(sys.maxsize - 1))  # as email.generator makes them
_UNFOLDED = policy.compat32.clone(max_line_length=0)  # Message.as_string() flattens with maxheaderlen=0

_local = threading.local()


@contextmanager
def dated(moment: datetime | None):
    """While inside, an email composed on this thread is dated `moment`: when it leaves, as the sender decided
    (the dispatcher's `now`), never a clock read here. Without one, Apprise composes (and dates) it itself."""
    _local.moment = moment
    try:
        yield
    finally:
        _local.moment = None


def _prepare_emails(subject, body, from_addr, to, cc=None, bcc=None, reply_to=None, smtp_host=None,
                    notify_format=NotifyFormat.HTML, attach=None, headers=None, names=None, pgp=None,
                    pgp_mode=email_base.PGP_MODE_DEFAULT, inline=False, tzinfo=None):
    """Apprise's `NotifyEmail.prepare_emails` (same arguments, same messages)."""
    pgp_applies = pgp and pgp_mode in (email_base.PGPMode.SIGN, email_base.PGPMode.ENCRYPT)
    moment = getattr(_local, "moment", None)
    if not to or attach or pgp_applies or cc or bcc or reply_to or moment is None:
        yield from _original(subject, body, from_addr, to, cc=cc, bcc=bcc, reply_to=reply_to, smtp_host=smtp_host,
                             notify_format=notify_format, attach=attach, headers=headers, names=names, pgp=pgp,
                             pgp_mode=pgp_mode, inline=inline, tzinfo=tzinfo)
        return
    smtp_host = smtp_host or from_addr[1].split("@")[1]
    tzinfo = tzinfo or ICT
    if notify_format == NotifyFormat.HTML:
        # looked up at each call: notifiers/email_text.py puts our own text rendering there
        text = email_base.convert_between(NotifyFormat.HTML, NotifyFormat.TEXT, body)
        boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{_BOUNDARY_WIDTH}d}" + "=="
        top = f'Content-Type: multipart/alternative; boundary="{boundary}"\nMIME-Version: 1.0\n'
        content = (f"--{boundary}\n{_PART.format('plain')}\n{_qp(text)}\n--{boundary}\n{_PART.format('html')}\n"
                   f"{_qp(body)}\n--{boundary}--\n")
    else:
        top, content = _PART.format("plain"), _qp(body)
    common = [top, *(_header(k, v, True) for k, v in (headers or {}).items()), _header("Subject", subject, True),
              _header("From", formataddr(from_addr, charset="utf-8"))]
    for to_name, to_addr in to:
        lines = [*common, _header("To", formataddr((to_name, to_addr), charset="utf-8")),
                 _header("Message-ID", make_msgid(domain=smtp_host)),
                 _header("Date", format_datetime(moment.astimezone(tzinfo))), "\n", content]
        yield EmailMessage(recipient=to_addr, to_addrs=[to_addr], body="".join(lines))


def _qp(text: str) -> str:
    """Quoted-printable of the utf-8 text, lines ending in "\\n" as email.quoprimime writes them."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")


def _header(name: str, value: str, as_header: bool = False) -> str:
    """One header line as `Message.as_string()` writes it (`as_header`: Apprise wraps the value in a Header)."""
    if value.isascii() and value.isprintable():
        return f"{name}: {value}\n"  # what the generator writes for it: as_string() does not fold
    return _encoded(name, value, as_header)


@lru_cache(maxsize=4096)
def _encoded(name: str, value: str, as_header: bool) -> str:
    if as_header:
        return _UNFOLDED.fold(name, Header(value, email_base.NotifyEmail._get_charset(value)))
    return _UNFOLDED.fold(name, value)


def install() -> None:
    """Put the composer in Apprise's email plugin (idempotent)."""
    email_base.NotifyEmail.prepare_emails = staticmethod(_prepare_emails)
