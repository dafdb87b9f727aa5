"""The dispatcher: claim due outbox rows, send them with bounded concurrency, record every attempt.

A row is claimed (committed) before it is sent and settled after, so a crash between the two leaves it
claimed: once the lease runs out another dispatcher sends it again, under the same idempotency key. Claim and
settle wait out another writer's SQLite lock (models/db.transaction); a settle that still cannot be written
leaves its batch claimed, to be sent again after the lease like a crash's.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Row

from config.settings import Settings
from domain.policy import ReminderPolicy, in_office_hours, send_window
from domain.workdays import WorkCalendar
from models.crud import create_event
from models.db import transaction
from models.messaging import OutboxStatus
from models.outbox import Settled, claim_outbox, claimed_outbox, settle_outbox
from notifiers import pooling
from notifiers.channels import deliver, destination
from notifiers.delivery import Outcome, SendContext
from notifiers.zalo_tokens import ZaloTokens

MAX_BACKOFF = timedelta(hours=6)
FIRST_BATCH = 50
# A row not tried because its destination failed earlier in the run; its own words, not another row's error
# (which may name that row's address).
UNREACHABLE = Outcome("retry", "chưa gửi trong lượt này: nơi nhận vừa lỗi với tin trước (không kết nối được, quá "
                               "thời gian chờ hoặc yêu cầu gửi chậm lại)", destination_down=True)


@dataclass
class DispatchResult:
    attempted: int = 0
    outcomes: dict[str, Counter] = field(default_factory=dict)  # channel → sent/failed/dead counts
    statuses: dict[str, str] = field(default_factory=dict)  # idempotency key → status after the attempt
    problems: list[dict] = field(default_factory=list)  # rows that did not go out, for the operator

    def count(self, status: str) -> int:
        return sum(c[status] for c in self.outcomes.values())


def dispatch_due(*, url: str, now: datetime, settings: Settings, calendar: WorkCalendar, policy: ReminderPolicy,
                 worker: str, limit: int | None = None, shard: tuple[int, int] = (0, 1),
                 clock: Callable[[], datetime] | None = None) -> DispatchResult:
    """Send every row due at `now` (quiet hours respected), batch after batch, until none is left; with a
    `shard` (index, count), only the rows of that share of the recipients.

    `clock` tells the real moment at each claim, for leases (see `claim_outbox`); without it a run lives at
    `now`, as in a simulated world where every dispatcher does.
    """
    result = DispatchResult()
    secret = settings.zalo_app_secret.get_secret_value() if settings.zalo_app_secret else None
    tokens = ZaloTokens(url, now=now, oauth_url=settings.zalo_oauth_url, app_secret=secret)
    open_now = in_office_hours(now, calendar=calendar, policy=policy)
    lease = timedelta(seconds=settings.dispatch_lease_seconds)
    with ThreadPoolExecutor(max_workers=settings.dispatch_concurrency, thread_name_prefix="dondoc-send") as senders:
        try:
            _dispatch_batches(result, url=url, now=now, settings=settings, calendar=calendar, policy=policy,
                              worker=worker, limit=limit, shard=shard, tokens=tokens, open_now=open_now, lease=lease,
                              senders=senders, clock=clock or (lambda: now))
        finally:
            _close_connections(senders, settings.dispatch_concurrency)
    return result


def _dispatch_batches(result: DispatchResult, *, url, now, settings, calendar, policy, worker, limit, shard, tokens,
                      open_now, lease, senders, clock) -> None:
    """Claim, send, settle; batch after batch. The senders' threads (and their open connections) last the run.

    The next batch is claimed while one is sent, and goes out while that one is recorded: the senders do not
    wait for the database's commits. (A crash leaves two batches claimed instead of one; their leases run out
    alike, and what was not started is not sent.)
    """
    claimed = 0

    def claim() -> tuple[str, list[Row]] | None:
        nonlocal claimed
        if limit is not None and claimed >= limit:
            return None
        # the first claim is small, so that the senders start while the next, whole one is read
        batch = min(settings.dispatch_batch, FIRST_BATCH) if not claimed else settings.dispatch_batch
        batch = batch if limit is None else min(batch, limit - claimed)
        token, ids = transaction(url, lambda session: claim_outbox(
            session=session, now=now, limit=batch, lease=lease, in_office_hours=open_now, worker=worker, shard=shard,
            wall=clock()))
        if not ids:
            return None
        claimed += len(ids)
        return token, transaction(url, lambda session: claimed_outbox(session=session, ids=ids))

    stop = threading.Event()  # set on a failure: the batch under way starts no further message
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dondoc-batch") as batches:

        def send(rows: list[Row]) -> Future:
            return batches.submit(_send_all, rows, tokens, settings, senders, stop, now)

        current = claim()
        sending = send(current[1]) if current else None
        try:
            while current:
                token, rows = current
                upcoming = claim()
                outcomes = sending.result()
                sending = send(upcoming[1]) if upcoming else None
                settled = [_settle(row, outcome, partial, now=now, settings=settings, calendar=calendar,
                                   policy=policy) for row, (outcome, partial) in zip(rows, outcomes, strict=True)]

                def record(session, token=token, settled=settled):
                    settle_outbox(session=session, token=token, results=settled, now=now)
                    create_event(session=session, at=now, actor=worker, action="outbox.dispatched", entity="outbox",
                                 data=dict(Counter(s.status for s in settled)))

                transaction(url, record)
                _tally(result, rows, settled)
                current = upcoming
        except BaseException:
            stop.set()
            raise


def _send_all(rows: list[Row], tokens: ZaloTokens, settings: Settings, senders: ThreadPoolExecutor,
              stop: threading.Event, now: datetime) -> list:
    """Every row of a batch, at most `dispatch_concurrency` in flight (Apprise's calls block), sent as of `now`
    (an email's Date): each sender thread takes the next row until none is left.

    The senders are shared among destinations (see `channels.destination`): a sender takes a row of the
    destination with the fewest messages in flight, so one that hangs holds only its share of them; and once a
    destination proved unreachable, its rows not yet started wait for the next run instead of each waiting out
    its own timeout. (Plain threads and one lock: an event loop handing each message to a thread cost a fifth of
    the dispatcher's CPU.)
    """
    queues: dict[str, deque[int]] = {}
    for index, row in enumerate(rows):
        queues.setdefault(destination(row.target or "", row.channel), deque()).append(index)
    in_flight: Counter = Counter()
    down: set[str] = set()
    results: list = [None] * len(rows)
    lock = threading.Lock()

    def next_row() -> tuple[str, int] | None:
        with lock:
            while (waiting := [d for d, queue in queues.items() if queue]) and not stop.is_set():
                where = min(waiting, key=in_flight.__getitem__)
                index = queues[where].popleft()
                if where in down:
                    results[index] = UNREACHABLE, None
                    continue
                in_flight[where] += 1
                return where, index
            return None

    def sender() -> None:
        while (taken := next_row()) is not None:
            where, index = taken
            row = rows[index]
            context = SendContext(row.idempotency_key, tokens=tokens, zalo_api_url=settings.zalo_api_url,
                                  zns_api_url=settings.zns_api_url, sent_at=now)
            try:
                result = deliver(row.target, row.channel, row.payload, key=row.idempotency_key, context=context)
            except Exception as exc:  # a bug or an odd answer in one channel must not stop the others
                result = Outcome("retry", f"lỗi khi gửi: {type(exc).__name__}"), None
            with lock:
                results[index] = result
                in_flight[where] -= 1
                if result[0].destination_down:
                    down.add(where)

    for running in [senders.submit(sender) for _ in range(min(settings.dispatch_concurrency, len(rows)))]:
        running.result()
    return results


def _settle(row: Row, outcome: Outcome, partial: dict | None, *, now: datetime, settings: Settings,
            calendar: WorkCalendar, policy: ReminderPolicy) -> Settled:
    """Sent; or failed with its next attempt backed off exponentially; or dead when it never will go."""
    if outcome.status == "sent":
        return Settled(row.id, OutboxStatus.SENT)
    if outcome.status == "permanent" or row.attempts >= settings.dispatch_max_attempts:
        why = outcome.error or "không gửi được"
        if outcome.status != "permanent":
            why = f"{why} (đã thử {row.attempts} lần)"
        return Settled(row.id, OutboxStatus.DEAD, why, payload=partial)
    delay = min(timedelta(seconds=settings.dispatch_backoff_seconds * 2 ** (row.attempts - 1)), MAX_BACKOFF)
    if outcome.retry_after:
        delay = max(delay, timedelta(seconds=outcome.retry_after))
    retry_at = now + delay
    if row.respect_quiet_hours:
        retry_at = send_window(retry_at, calendar=calendar, policy=policy)
    return Settled(row.id, OutboxStatus.FAILED, outcome.error, retry_at, payload=partial)


def _tally(result: DispatchResult, rows: list[Row], settled: list[Settled]) -> None:
    result.attempted += len(rows)
    for row, s in zip(rows, settled, strict=True):
        result.outcomes.setdefault(row.channel, Counter())[s.status] += 1
        result.statuses[row.idempotency_key] = s.status
        if s.status != OutboxStatus.SENT:
            result.problems.append({"recipient": row.recipient_name, "channel": row.channel,
                                    "address": row.target_display, "status": s.status, "attempts": row.attempts,
                                    "error": s.error, "next_attempt_at": s.next_attempt_at})


def _close_connections(senders: ThreadPoolExecutor, threads: int) -> None:
    """Each sending thread closes its own kept connections: a barrier makes every thread take exactly one."""
    barrier = threading.Barrier(threads, timeout=10)

    def close(_):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:  # fewer threads were ever started: the others had nothing open
            pass
        pooling.close_connections()

    list(senders.map(close, range(threads)))
