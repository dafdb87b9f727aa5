"""A message becomes one outbox row per address of its recipient, each carrying only what its channel sends."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable
from datetime import date, datetime

from domain.chase import Digest, key_for, message_key
from models.messaging import OutboxStatus
from models.types import utc
from notifiers.channels import address
from notifiers.render import Rendered


def digest_rows(digest: Digest, rendered: Rendered, urls: list[str], *, run_day: date, as_of: datetime,
                send_at: datetime, quiet: bool) -> list[dict]:
    """A run's digest for one recipient."""
    items = [{"task": s.item.task, "kind": s.kind, "assignment_id": s.item.key} for s in digest.steps]
    key = lambda url: message_key(recipient=digest.recipient, address=url, run_day=run_day,  # noqa: E731
                                  steps=digest.steps)
    return _rows(digest.recipient, digest.name, rendered, urls, items, key, run_day=run_day, as_of=as_of,
                 send_at=send_at, quiet=quiet)


def notice_rows(*, recipient: str, name: str, rendered: Rendered, urls: list[str], basis: str, items: list[dict],
                run_day: date, as_of: datetime, send_at: datetime, quiet: bool = True) -> list[dict]:
    """A one-off message (a review decision, a closure summary): `basis` names what it is about, once."""
    key = lambda url: key_for(recipient=recipient, address=url, run_day=run_day, parts=[basis])  # noqa: E731
    return _rows(recipient, name, rendered, urls, items, key, run_day=run_day, as_of=as_of, send_at=send_at,
                 quiet=quiet)


def _rows(recipient: str, name: str, rendered: Rendered, urls: list[str], items: list[dict],
          key: Callable[[str], str], *, run_day: date, as_of: datetime, send_at: datetime, quiet: bool) -> list[dict]:
    """Rows ready for a bulk insert; a recipient without an address gets one `no_contact` row, never silence."""
    rows = []
    for url in dict.fromkeys(urls) or [None]:
        where = address(url) if url else None
        channel = where.channel if where else "none"
        status, error = OutboxStatus.PENDING, None
        if where is None:
            status, error = OutboxStatus.NO_CONTACT, "chưa có địa chỉ liên hệ (contacts.yaml)"
        elif where.problem:
            status, error = OutboxStatus.DEAD, where.problem
        rows.append({
            "id": uuid.uuid4(), "idempotency_key": key(url or ""), "channel": channel, "recipient": recipient,
            "recipient_name": name, "target": url, "target_display": where.display if where else "",
            "run_day": run_day, "respect_quiet_hours": quiet, "shard": shard_of(recipient),
            "payload": {"items": items, **_content(channel, rendered)},
            "status": status, "attempts": 0, "next_attempt_at": utc(send_at), "last_error": error,
            "created_at": utc(as_of),
        })
    return rows


SHARDS = 1024


def shard_of(recipient: str) -> int:
    """A stable number for a recipient: the dispatchers of several workers split the outbox by it."""
    return zlib.crc32(recipient.encode()) % SHARDS


def _content(channel: str, r: Rendered) -> dict:
    if channel == "email":
        return {"title": r.title, "html": r.html, "text": r.text}
    if channel == "webhook":
        return {"title": r.title, "text": r.text, "data": r.data}
    if channel == "zalo":
        return {"parts": list(r.zalo_parts)}
    if channel == "zns":
        return {"title": r.title, "template_data": r.zns_data}
    return {"title": r.title, "text": r.text}
