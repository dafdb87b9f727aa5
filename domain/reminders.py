"""Reminder planning as pure functions: which notices, reminders and escalations a policy implies, and when.

Nothing here reads the clock or the database: items, the issuance moment, the calendar and the policy come in;
steps and messages come out. The chase and `dondoc timeline` both use it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.deadlines import period_end
from domain.policy import ICT, ReminderPolicy, notice_at
from domain.workdays import WorkCalendar

KINDS = ("notice", "before", "due", "overdue", "escalation")
STEP_LABELS = {"notice": "giao nhiệm vụ", "before": "sắp đến hạn", "due": "đến hạn", "overdue": "quá hạn",
               "escalation": "báo lãnh đạo (quá hạn)"}


@dataclass(frozen=True)
class Item:
    """One assignment as planning sees it."""

    key: str  # the assignment's id
    task: str  # the task's ref
    unit: str  # the unit's name (the recipient of its reminders)
    role: str  # lead | coordinating
    due: date | None  # effective deadline
    period: str | None = None  # for recurring/ongoing tasks
    leader: str | None = None  # who overdue work escalates to
    office: str | None = None  # the issuing office, which overdue work also escalates to
    reported_until: date | None = None  # recurring tasks: the end of the last period a report covers


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str
    item: Item


@dataclass(frozen=True)
class Message:
    """What one recipient gets in one run: every item of that run, whatever its kind."""

    to: str
    at: datetime
    items: tuple[tuple[str, str], ...]  # (task ref, kind)

    def as_json(self) -> dict:
        return {"to": self.to, "at": self.at.isoformat(), "items": [{"task": t, "kind": k} for t, k in self.items]}


def step_moment(day: date, policy: ReminderPolicy) -> datetime:
    """The policy's step time on `day`, in Hai Phong."""
    return datetime(day.year, day.month, day.day, policy.step_time.hour, policy.step_time.minute, tzinfo=ICT)


def unit_steps(item: Item, *, issued_at: datetime, until: date, calendar: WorkCalendar,
               policy: ReminderPolicy) -> Iterator[Step]:
    """The steps addressed to the unit itself, in time order, up to the end of `until`."""
    notice = notice_at(issued_at, calendar=calendar, policy=policy)
    if notice.date() <= until:
        yield Step(notice, "notice", item)
    if item.role != "lead":
        return  # coordinating units get the assignment notice only
    for day, kind in _deadline_days(item, issued_at.date(), until, calendar, policy):
        at = step_moment(day, policy)
        if at > issued_at:  # steps that fall before issuance are skipped, never back-dated
            yield Step(at, kind, item)


def escalation_steps(item: Item, *, issued_at: datetime, until: date, calendar: WorkCalendar,
                     policy: ReminderPolicy) -> Iterator[Step]:
    """Escalations of an overdue lead assignment: D+first, then every `escalation_every` working days."""
    if item.role != "lead" or item.due is None or item.period:
        return
    day = calendar.add_working_days(item.due, policy.escalation_first)
    while day <= until:
        if step_moment(day, policy) > issued_at:
            yield Step(step_moment(day, policy), "escalation", item)
        day = calendar.add_working_days(day, policy.escalation_every)


def _deadline_days(item: Item, issued_on: date, until: date, calendar: WorkCalendar, policy: ReminderPolicy):
    if item.period:
        yield from _period_days(item, issued_on, until, calendar)
        return
    if item.due is None:
        return  # unresolved: nothing to chase until an operator sets a date
    for n in sorted(policy.before_days, reverse=True):
        yield calendar.add_working_days(item.due, -n), "before"
    if policy.on_due:
        yield item.due, "due"
    day = calendar.add_working_days(item.due, policy.overdue_first)
    while day <= until:
        yield day, "overdue"
        day = calendar.add_working_days(day, policy.overdue_every)


def _period_days(item: Item, issued_on: date, until: date, calendar: WorkCalendar):
    """A recurring report is due on each period's last working day; a missing one is reminded at the next run
    (daily reports excepted: the next run asks for the next day's anyway). A reported period asks nothing."""
    day = issued_on
    while day <= until:
        end = period_end(day, item.period)
        due = calendar.on_or_before(end)
        if issued_on <= due <= until and not (item.reported_until and end <= item.reported_until):
            yield due, "due"
            late = calendar.on_or_after(due + timedelta(days=1))
            if item.period != "daily" and late <= until:
                yield late, "overdue"
        day = end + timedelta(days=1)


def digest(steps: Iterable[Step], recipient) -> list[Message]:
    """Group steps into one message per recipient per moment, items in task order."""
    grouped: dict[tuple[str, datetime], dict[tuple[str, str], None]] = defaultdict(dict)
    for step in steps:
        for to in recipient(step):
            grouped[(to, step.at)][(step.item.task, step.kind)] = None
    return [Message(to, at, tuple(sorted(items, key=lambda i: (ref_order(i[0]), KINDS.index(i[1])))))
            for (to, at), items in sorted(grouped.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


def escalation_recipients(step: Step) -> list[str]:
    """Overdue work climbs to the leader in charge and to the issuing office."""
    return [name for name in dict.fromkeys((step.item.leader, step.item.office)) if name]


def timeline(items: list[Item], *, issued_at: datetime, until: date, calendar: WorkCalendar,
             policy: ReminderPolicy) -> list[Message]:
    """Every message the policy implies from issuance to `until`, assuming no report ever arrives."""
    kw = dict(issued_at=issued_at, until=until, calendar=calendar, policy=policy)
    to_units = digest((s for i in items for s in unit_steps(i, **kw)), lambda s: [s.item.unit])
    to_leaders = digest((s for i in items for s in escalation_steps(i, **kw)), escalation_recipients)
    return sorted(to_units + to_leaders, key=lambda m: (m.at, m.to))


def latest_due(steps: Iterable[Step], *, after: datetime | None, as_of: datetime) -> Step | None:
    """After downtime only the latest step that has come due is sent, never a burst of stale ones."""
    due = [s for s in steps if (after is None or s.at > after) and s.at <= as_of]
    return max(due, key=lambda s: s.at, default=None)


def ref_order(ref: str):
    """Sort key of task refs: "2" before "10", "2.1" after "2"."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in ref.replace(".", " ").split())
