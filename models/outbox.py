"""The outbox's database work: insert once, claim without overlap, settle after an attempt, count.

Claiming is one UPDATE … WHERE id IN (SELECT …) statement: SQLite runs it under its single writer lock and
PostgreSQL skips rows another dispatcher has locked, so two dispatchers never hold the same row.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.messaging import OutboxMessage, OutboxStatus
from models.types import utc

OUTBOX = OutboxMessage.__table__


def insert_ignoring_duplicates(*, session: Session, table, rows: list[dict], keys: list[str]) -> int:
    """Insert rows, skipping those whose unique `keys` exist already; returns how many were new."""
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=keys).returning(table.c[keys[0]])
    return len(session.execute(stmt, rows).all())


def insert_outbox(*, session: Session, rows: list[dict]) -> int:
    return insert_ignoring_duplicates(session=session, table=OUTBOX, rows=rows, keys=["idempotency_key"])


def claim_outbox(*, session: Session, now: datetime, limit: int, lease: timedelta, in_office_hours: bool,
                 worker: str, shard: tuple[int, int] = (0, 1), wall: datetime | None = None
                 ) -> tuple[str, list[uuid.UUID]]:
    """Take up to `limit` rows due at `now` for this worker (their ids); a claim whose lease ran out at `wall`
    (default `now`) is taken back.

    Leases are reckoned on `wall`, the moment the dispatchers live in, not on `now`, the moment a replay acts
    as: otherwise a dispatcher on today's clock would take back, and send again, a replay's claims still being
    sent (its `now` long past), and a run that outlasts its lease would see its own last claims expired.

    `shard` (index, count) keeps to the recipients of one share of the outbox, when workers split it. The rows
    are read with `claimed_outbox`, after the commit: SQLite's write lock is then held only to mark them.
    """
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    claimable = claimable_outbox(now=now, wall=wall, in_office_hours=in_office_hours)
    index, count = shard
    if count > 1:
        claimable = and_(claimable, OUTBOX.c.shard % count == index)
    pick = select(OUTBOX.c.id).where(claimable).order_by(OUTBOX.c.next_attempt_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(OUTBOX).where(OUTBOX.c.id.in_(pick.scalar_subquery()), claimable)
        .values(status=OutboxStatus.SENDING, claimed_by=token, claimed_until=utc(wall or now) + lease,
                attempts=OUTBOX.c.attempts + 1)
        .returning(OUTBOX.c.id)
    )
    return token, list(claimed.scalars().all())


def claimable_outbox(*, now: datetime, wall: datetime | None = None, in_office_hours: bool = True):
    """The rows a dispatcher at `now` may take (a WHERE clause): due and unsent (those that keep quiet hours
    only inside office hours), or held by a claim whose lease ran out at `wall` (default `now`)."""
    due = and_(OUTBOX.c.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]), OUTBOX.c.next_attempt_at <= utc(now))
    if not in_office_hours:
        due = and_(due, OUTBOX.c.respect_quiet_hours.is_(False))
    return or_(due, and_(OUTBOX.c.status == OutboxStatus.SENDING, OUTBOX.c.claimed_until < utc(wall or now)))


CLAIMED = (OUTBOX.c.id, OUTBOX.c.idempotency_key, OUTBOX.c.channel, OUTBOX.c.recipient_name, OUTBOX.c.target,
           OUTBOX.c.target_display, OUTBOX.c.respect_quiet_hours, OUTBOX.c.payload, OUTBOX.c.attempts)


def claimed_outbox(*, session: Session, ids: list[uuid.UUID]) -> list[Row]:
    """The rows of a claim, by key (`claimed_by` has no index, and the outbox keeps every message ever sent), with
    what sending needs (CLAIMED), as plain rows: ORM objects cost more than the rest of a claim."""
    return list(session.execute(select(*CLAIMED).where(OUTBOX.c.id.in_(ids))).all()) if ids else []


@dataclass(frozen=True)
class Settled:
    """What one attempt came to, as the outbox records it."""

    id: uuid.UUID
    status: str  # sent | failed | dead
    error: str | None = None
    next_attempt_at: datetime | None = None
    payload: dict | None = None  # when the attempt got partway (parts of a long Zalo message)


def settle_outbox(*, session: Session, token: str, results: list[Settled], now: datetime) -> None:
    """Record attempts; a row whose claim was taken back meanwhile is left to its new owner."""
    sent = [r.id for r in results if r.status == OutboxStatus.SENT]
    mine = OUTBOX.c.claimed_by == token
    if sent:  # one statement for the common case
        session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(sent), mine).values(
            status=OutboxStatus.SENT, sent_at=utc(now), last_error=None, claimed_by=None, claimed_until=None))
    for r in results:
        if r.status == OutboxStatus.SENT:
            continue
        values = {"status": r.status, "last_error": r.error, "claimed_by": None, "claimed_until": None,
                  "next_attempt_at": utc(r.next_attempt_at) if r.next_attempt_at else None}
        if r.payload is not None:
            values["payload"] = r.payload
        session.execute(update(OUTBOX).where(OUTBOX.c.id == r.id, mine).values(**values))


def outbox_counts(*, session: Session, keys: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Messages per channel and status (of the given idempotency keys only, when given)."""
    counts: dict[str, Counter] = {}
    query = select(OUTBOX.c.channel, OUTBOX.c.status, func.count()).group_by(OUTBOX.c.channel, OUTBOX.c.status)
    if keys is not None:
        query = query.where(OUTBOX.c.idempotency_key.in_(keys))
    for channel, status, n in session.execute(query).all():
        counts.setdefault(channel, Counter())[status] = n
    return {channel: dict(c) for channel, c in sorted(counts.items())}


def undelivered(*, session: Session, statuses: tuple[str, ...] = (OutboxStatus.DEAD,), limit: int = 50) -> list[dict]:
    """Messages that will not go out by themselves, newest first, with addresses masked."""
    rows = session.execute(
        select(OUTBOX.c.recipient_name, OUTBOX.c.channel, OUTBOX.c.target_display, OUTBOX.c.status,
               OUTBOX.c.attempts, OUTBOX.c.last_error, OUTBOX.c.run_day, OUTBOX.c.idempotency_key)
        .where(OUTBOX.c.status.in_(statuses)).order_by(OUTBOX.c.created_at.desc()).limit(limit)
    ).all()
    return [{"recipient": r.recipient_name, "channel": r.channel, "address": r.target_display, "status": r.status,
             "attempts": r.attempts, "error": r.last_error, "run_day": r.run_day.isoformat() if r.run_day else None,
             "key": r.idempotency_key} for r in rows]
