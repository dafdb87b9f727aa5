"""The soak's proof: what the outbox planned against what the sinks received, and the database's own shape.

- every planned message (an outbox row with an address) is `sent` and its key arrived: none lost;
- nothing arrived under a key the outbox does not have;
- a key arrived more than once only as often as a killed process held its claim (the re-send after the lease),
  never otherwise: no duplicate effect from overlapping runs, retries or cut connections;
- no step of one assignment was told twice to one address on one day (two chases at once planned it once);
- every directive is whole: an issued one has an assignment per unit of each task, a draft none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from domain.reminders import KINDS
from models.db import session_scope
from models.directives import Assignment, Directive, Task
from models.messaging import OutboxMessage as Outbox
from models.reporting import Report


@dataclass
class Verdict:
    lines: list[str] = field(default_factory=list)
    ok: bool = True

    def line(self, text: str, ok: bool = True) -> None:
        self.lines.append(f"  {text}" if ok else f"  FAIL {text}")
        self.ok = self.ok and ok


def verify(url: str, arrived: Counter, tally) -> Verdict:
    verdict = Verdict()
    with session_scope(url) as session:
        rows = session.execute(select(Outbox.idempotency_key, Outbox.status, Outbox.target, Outbox.run_day,
                                      Outbox.payload["items"])).all()
        directives = _directives(session)
        accepted = session.execute(select(func.count()).select_from(Report).where(
            Report.review_status == "accepted")).scalar()
    planned = {r[0]: r[1] for r in rows if r[1] != "no_contact"}
    not_sent = Counter(status for status in planned.values() if status != "sent")
    lost = set(planned) - set(arrived)
    unknown = set(arrived) - {r[0] for r in rows}
    again = {k: n - 1 for k, n in arrived.items() if n > 1}
    unexplained = {k: n for k, n in again.items() if n > tally.in_flight[k]}
    told = Counter((target, day, item.get("assignment_id"), item.get("kind"))
                   for _, status, target, day, items in rows if status != "no_contact"
                   for item in items or [] if item.get("kind") in KINDS)
    twice = sum(1 for n in told.values() if n > 1)

    verdict.line(f"messages planned: {len(planned):,} (and {len(rows) - len(planned)} to recipients without an "
                 f"address); delivered: {len(set(planned) & set(arrived)):,}; lost: {len(lost)}", not lost)
    verdict.line(f"outbox after the drain: {dict(Counter(planned.values()))}", not not_sent)
    verdict.line(f"arrivals: {sum(arrived.values()):,} = {len(arrived):,} keys + {sum(again.values())} re-sends; "
                 f"keys in a killed process's claim: {len(tally.in_flight)}; re-sends beyond them: "
                 f"{sum(unexplained.values())}; unknown keys: {len(unknown)}", not unexplained and not unknown)
    verdict.line(f"duplicate effects: {twice} step(s) told twice to one address on one day; distinct keys "
                 f"{len(arrived):,} = planned {len(planned):,}", not twice and len(arrived) == len(planned))
    broken = [d for d in directives if not d[2]]
    verdict.line(f"directives: {len(directives)}, whole: {len(directives) - len(broken)}; reports accepted: "
                 f"{accepted:,}", not broken)
    for failure in tally.failures[:10]:
        verdict.line(f"a job failed by itself: {failure}", False)
    verdict.lines.append("  result: OK" if verdict.ok else "  result: FAILED")
    return verdict


def _directives(session) -> list[tuple[str, str, bool]]:
    """(number, status, whole) of each directive: assignments = units named by its tasks, when issued."""
    expected: Counter = Counter()
    for directive_id, lead, coordinating in session.execute(
            select(Task.directive_id, Task.lead_units, Task.coordinating_units)):
        expected[directive_id] += len(lead or []) + len(coordinating or [])
    stored = dict(session.execute(select(Task.directive_id, func.count(Assignment.id))
                                  .join(Assignment, Assignment.task_id == Task.id).group_by(Task.directive_id)).all())
    return [(number, status, stored.get(did, 0) == (expected[did] if status != "draft" else 0))
            for did, number, status in session.execute(select(Directive.id, Directive.number, Directive.status))]
