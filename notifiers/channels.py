"""Contacts are Apprise URLs: which channel a URL is, how it is shown masked, and one delivery through it."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

import apprise
from apprise import NotifyFormat
from apprise.plugins import url_to_dict

from notifiers import email_mime, email_text, pooling, zalo
from notifiers.delivery import SENT, Outcome, SendContext

CHANNELS = {"mailto": "email", "mailtos": "email", "json": "webhook", "jsons": "webhook", "zalo": "zalo",
            "zns": "zns"}
KEY_HEADER = "X-Dondoc-Idempotency-Key"

zalo.register()
pooling.install()
email_text.install()
email_mime.install()


@dataclass(frozen=True)
class Address:
    url: str
    channel: str
    display: str  # Apprise's privacy form: passwords and tokens masked
    problem: str | None = None


def instantiate(url: str):
    """A fresh Apprise plugin for a contact URL, or None; Apprise's complaints (which quote the URL) stay quiet.

    Apprise parses the URL (and formats it for its debug log) on every instantiation: a dispatch sends
    hundreds of messages to the same addresses, so the parse is done once per URL and only the plugin is new.
    """
    recipe = _recipe(url)
    if recipe is None:
        return None
    plugin_class, results = recipe
    with _captured():
        try:
            plugin = plugin_class(**{k: v.copy() if isinstance(v, (dict, list, set)) else v for k, v in results.items()})
        except Exception:  # noqa: BLE001  (Apprise's own instantiate treats any failure as an unusable URL)
            return None
    return plugin if plugin.enabled else None


@lru_cache(maxsize=4096)
def _recipe(url: str):
    with _captured():
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            return None
        results = url_to_dict(url, secure_logging=True)
    results.update(tag=set(), asset=plugin.asset)
    return type(plugin), results


@lru_cache(maxsize=4096)
def address(url: str) -> Address:
    """What a contact URL is; an unusable one says why, without echoing its secrets."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    channel = CHANNELS.get(scheme, "other")
    plugin = instantiate(url)
    if plugin is None:
        return Address(url, channel, f"{scheme or '?'}://…", "địa chỉ liên hệ không hợp lệ (Apprise không đọc được)")
    return Address(url, channel, plugin.url(privacy=True).split("?", 1)[0][:300])  # options say nothing to people


@lru_cache(maxsize=4096)
def destination(url: str, channel: str) -> str:
    """The server a contact's messages go to: in one run, a server that proved unreachable is not tried again,
    and one that hangs holds only its share of the senders (see the dispatcher)."""
    if channel in ("zalo", "zns"):  # Zalo's API, whatever the OA or the recipient
        return channel
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parse_qs(parts.query).get("smtp") or [parts.hostname])[0]  # Apprise's ?smtp= names the mail server
    return f"{channel}:{host}:{port or ''}"


def deliver(url: str, channel: str, payload: dict, *, key: str, context: SendContext) -> tuple[Outcome, dict | None]:
    """One attempt at one message; returns the outcome and, when it got partway, the payload to resume from."""
    outcome, partial = _attempt(url, channel, payload, key=key, context=context)
    if outcome.error:  # whatever a channel said, the address's own secrets never reach the database or a log
        outcome = replace(outcome, error=scrub(outcome.error, url))
    return outcome, partial


def scrub(text: str, url: str) -> str:
    """The text with the URL's user name and password masked."""
    parts = urlsplit(url)
    for secret in (parts.password, parts.username):
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***").replace(unquote(secret), "***")
    return text


def _attempt(url: str, channel: str, payload: dict, *, key: str, context: SendContext) -> tuple[Outcome, dict | None]:
    plugin = instantiate(url)
    if plugin is None:
        return Outcome("permanent", "địa chỉ liên hệ không hợp lệ"), None
    with _captured() as log:
        if channel in ("zalo", "zns"):
            return _deliver_zalo(plugin, channel, payload, context)
        pooling.last_failure()  # forget what an earlier message of this thread left
        if channel == "email":
            plugin.headers[KEY_HEADER] = key
            with email_text.plain_part(payload["html"], payload.get("text")), email_mime.dated(context.sent_at):
                ok = plugin.notify(body=payload["html"], title=payload["title"], body_format=NotifyFormat.HTML)
        elif channel == "webhook":
            plugin.headers[KEY_HEADER] = key
            plugin.payload_extras.update({"idempotency_key": key, "dondoc": payload["data"]})
            ok = plugin.notify(body=payload["text"], title=payload["title"], body_format=NotifyFormat.TEXT)
        else:
            ok = plugin.notify(body=payload["text"], title=payload["title"], body_format=NotifyFormat.TEXT)
    # Apprise says only yes or no; what it logged says why (`deliver` masks the address's secrets in it).
    down, why = pooling.last_failure()
    if ok:
        return SENT, None
    return Outcome("retry", why or _reason(log) or "kênh gửi từ chối tin nhắn", destination_down=down), None


def _deliver_zalo(plugin, channel: str, payload: dict, context: SendContext) -> tuple[Outcome, dict | None]:
    plugin.dondoc = context
    if channel == "zns":
        context.template_data = payload["template_data"]
        plugin.notify(body=payload.get("title") or "ZNS", title="")
        return context.outcome or Outcome("retry", "không rõ kết quả gửi ZNS"), None
    parts, done = payload["parts"], payload.get("parts_sent", 0)
    for index in range(done, len(parts)):
        context.outcome = None
        plugin.notify(body=parts[index], title="")
        outcome = context.outcome or Outcome("retry", "không rõ kết quả gửi Zalo")
        if outcome.status != "sent":  # resume from this part next time: the earlier ones arrived
            return outcome, ({**payload, "parts_sent": index} if index > done else None)
    return SENT, None


# Apprise logs through one logger for every thread, and may quote a contact URL as written (secrets and all).
# While a thread talks to Apprise, its records go to that thread's buffer (then, scrubbed, to the outbox row)
# instead of the console and Prefect's logs.
_local = threading.local()


class _ToThreadBuffer(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        buffer = getattr(_local, "buffer", None)
        if buffer is None:
            return True
        if record.levelno >= logging.WARNING:
            buffer.append(record.getMessage())
        return False


logging.getLogger("apprise").addFilter(_ToThreadBuffer())


class _captured:
    def __enter__(self) -> list[str]:
        _local.buffer = []
        return _local.buffer

    def __exit__(self, *exc) -> None:
        _local.buffer = None


def _reason(lines: list[str]) -> str:
    text = "; ".join(dict.fromkeys(line.strip() for line in lines if line.strip()))
    return re.sub(r"://[^@/\s]+@", "://***@", text)[:500]
