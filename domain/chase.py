"""The chase as pure functions: what each tracked assignment needs at `as_of`, and one digest per recipient.

The chase keeps one watermark per assignment (`planned_until`): every step up to it has been decided, sent
or skipped. A run at `as_of` looks at the steps in (planned_until, as_of]: the assignment notice is always
sent (a unit must learn what it was given), and of the other steps only the latest, so that a run after
downtime sends one current reminder, never a burst of stale ones.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from domain.policy import ReminderPolicy
from domain.reminders import (
    KINDS,
    Item,
    Step,
    escalation_recipients,
    escalation_steps,
    ref_order,
    unit_steps,
)
from domain.workdays import WorkCalendar

FOREVER = date(9999, 1, 1)  # the step generators are lazy: the scan stops at the first step after as_of


@dataclass(frozen=True)
class Tracked:
    """An open assignment as the chase finds it."""

    item: Item
    issued_at: datetime
    planned_until: datetime | None
    policy: ReminderPolicy


@dataclass(frozen=True)
class ItemFacts:
    """What a message says about one assignment besides its step."""

    directive_id: str
    directive_number: str
    task_ref: str
    content: str
    deadline_written: str
    due_written: date | None  # the day as the directive writes it
    unit_ref: str
    unit_name: str
    report_link: str = ""  # the unit's signed link for this directive


@dataclass(frozen=True)
class Decision:
    tracked: Tracked
    steps: tuple[Step, ...]  # to the unit: the notice and/or the latest reminder
    escalation: Step | None  # to the leader in charge and the issuing office
    next_at: datetime | None  # when the chase must look at this assignment again

    @property
    def all_steps(self) -> tuple[Step, ...]:
        return self.steps + ((self.escalation,) if self.escalation else ())


@dataclass(frozen=True)
class Digest:
    """One message's worth for one recipient in one run."""

    kind: str  # unit | person | office
    name: str
    steps: tuple[Step, ...]
    # for a leader or an office: the other overdue items of its scope, reported before, counted per unit
    backlog: tuple[tuple[str, int], ...] = ()

    @property
    def recipient(self) -> str:
        return f"{self.kind}:{self.name}"


def decide(tracked: Tracked, *, as_of: datetime, calendar: WorkCalendar) -> Decision:
    """The steps of one assignment that are due at `as_of`, and when its next step falls."""
    after = tracked.planned_until
    kw = dict(issued_at=tracked.issued_at, until=FOREVER, calendar=calendar, policy=tracked.policy)
    notice = latest = next_unit = None
    for step in unit_steps(tracked.item, **kw):
        if after is not None and step.at <= after:
            continue  # decided by an earlier run (a replay of an earlier moment decides nothing again)
        if step.at > as_of:
            next_unit = step.at
            break
        if step.kind == "notice":
            notice = step
        else:
            latest = step  # steps come in time order: a later one replaces a stale one
    escalation = next_escalation = None
    for step in escalation_steps(tracked.item, **kw):
        if after is not None and step.at <= after:
            continue
        if step.at > as_of:
            next_escalation = step.at
            break
        escalation = step
    upcoming = [at for at in (next_unit, next_escalation) if at is not None]
    return Decision(tracked, tuple(s for s in (notice, latest) if s), escalation, min(upcoming, default=None))


def digests(decisions: Iterable[Decision]) -> list[Digest]:
    """One digest per unit with all its items of the run; one per leader and office with the overdue items."""
    grouped: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for decision in decisions:
        for step in decision.steps:
            grouped[("unit", step.item.unit)].append(step)
        if decision.escalation:
            step = decision.escalation
            for name in escalation_recipients(step):
                kind = "person" if name == step.item.leader else "office"
                grouped[(kind, name)].append(step)
    return [Digest(kind, name, tuple(sorted(steps, key=_step_order)))
            for (kind, name), steps in sorted(grouped.items(), key=lambda kv: (_KIND_ORDER[kv[0][0]], kv[0][1]))]


_KIND_ORDER = {"unit": 0, "person": 1, "office": 2}


def _step_order(step: Step):
    return (step.item.unit, ref_order(step.item.task), KINDS.index(step.kind), step.item.key)


def message_key(*, recipient: str, address: str, run_day: date, steps: Iterable[Step]) -> str:
    """The idempotency key of a digest: the same recipient, address, day and items give the same key."""
    return key_for(recipient=recipient, address=address, run_day=run_day,
                   parts=[f"{s.item.key}:{s.kind}:{int(s.at.timestamp())}" for s in steps])


def key_for(*, recipient: str, address: str, run_day: date, parts: Iterable[str]) -> str:
    """An idempotency key: letters and digits only, 36 characters, so that it also fits Zalo's ZNS tracking_id
    (≤ 48 alphanumerics); `parts` say what the message is about, in any order."""
    digest = hashlib.sha256("\n".join([recipient, address, run_day.isoformat(), *sorted(parts)]).encode()).hexdigest()
    return f"dd{run_day:%Y%m%d}{digest[:26]}"
