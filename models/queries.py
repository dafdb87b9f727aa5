"""Read-side queries behind `dondoc status` and the artifacts: directives with their statuses on a day."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlmodel import Session, func, select

from domain.errors import InputError
from domain.policy import TZ
from domain.status import LABELS, assignment_status, roll_up
from domain.workdays import WorkCalendar
from models.crud import find_directive
from models.directives import Assignment, Directive, Task
from models.reporting import Extension, Report
from models.units import Person, Unit


def directive_overview(*, session: Session, as_of: date, calendar: WorkCalendar) -> list[dict]:
    """Every directive with its task and assignment counts and the statuses of its assignments."""
    # Grouped in SQL: a directive to every commune has hundreds of thousands of assignments but few distinct facts.
    extended = _extended()
    groups = session.exec(
        select(Task.directive_id, Task.deadline_kind, Assignment.status, Assignment.due, Assignment.closed_at, extended,
               func.count())
        .join(Assignment, Assignment.task_id == Task.id)
        .group_by(Task.directive_id, Task.deadline_kind, Assignment.status, Assignment.due, Assignment.closed_at, extended)
    ).all()
    per_directive: dict = {}
    for directive_id, kind, status, due, closed_at, was_extended, count in groups:
        key = assignment_status(status=status, due=due, deadline_kind=kind, closed_on=local_day(closed_at),
                                extended=bool(was_extended), as_of=as_of, calendar=calendar)
        per_directive.setdefault(directive_id, Counter())[key] += count
    task_counts = dict(session.exec(select(Task.directive_id, func.count()).group_by(Task.directive_id)).all())
    out = []
    for d in session.exec(select(Directive).order_by(Directive.created_at)).all():
        counts = per_directive.get(d.id, Counter())
        out.append({
            **_directive_json(d), "tasks": task_counts.get(d.id, 0), "assignments": sum(counts.values()),
            "statuses": {LABELS[k]: counts[k] for k in LABELS if counts[k]},
        })
    return out


def directive_detail(*, session: Session, directive: Directive, as_of: date, calendar: WorkCalendar) -> dict:
    """One directive, its tasks, and every assignment with its status on `as_of`."""
    units = {u.id: u for u in session.exec(select(Unit)).all()}
    unit_by_ref = {u.ref: u for u in units.values()}
    people = {p.id: p for p in session.exec(select(Person)).all()}
    tasks = session.exec(select(Task).where(Task.directive_id == directive.id).order_by(Task.position)).all()
    assignments: dict = {}
    for a, was_extended in session.exec(select(Assignment, _extended()).join(Task)
                                        .where(Task.directive_id == directive.id)).all():
        assignments.setdefault(a.task_id, []).append((a, bool(was_extended)))
    progress = _latest_progress(session, directive.id)
    task_rows = []
    status_of = lru_cache(maxsize=None)(
        lambda status, due, kind, closed_on, extended: assignment_status(
            status=status, due=due, deadline_kind=kind, closed_on=closed_on, extended=extended, as_of=as_of,
            calendar=calendar))
    for t in tasks:
        items = []
        for a, was_extended in sorted(assignments.get(t.id, []), key=lambda p: (p[0].role != "lead",
                                                                                 units[p[0].unit_id].name)):
            key = status_of(a.status, a.due, t.deadline_kind, local_day(a.closed_at), was_extended)
            items.append({"unit": units[a.unit_id].name, "unit_ref": units[a.unit_id].ref, "role": a.role,
                          "due": _iso(a.due), "status": LABELS[key], "status_key": key,
                          "pending_review": a.status == "pending_review", "progress": progress.get(a.id)})
        task_rows.append({
            "ref": t.ref, "section": t.section, "content": t.content, "output": t.output,
            "leader_in_charge": people[t.leader_in_charge_id].name if t.leader_in_charge_id else None,
            "deadline": {"written": t.deadline_written, "kind": t.deadline_kind, "due": _iso(t.due),
                         "effective_due": _iso(t.effective_due), "period": t.period},
            "lead_written": t.lead_written, "coordinating_written": t.coordinating_written,
            "lead_units": [unit_by_ref[r].name for r in t.lead_units],
            "coordinating_units": [unit_by_ref[r].name for r in t.coordinating_units],
            "held_reason": t.held_reason,
            "statuses": {LABELS[k]: v for k, v in roll_up([i["status_key"] for i in items]).items()},
            "assignments": items,
        })
    leader = people.get(directive.leader_in_charge_id)
    return {**_directive_json(directive), "leader_in_charge": leader.name if leader else None, "tasks": task_rows}


def _extended():
    """Whether an assignment's deadline was moved by a granted extension (a column expression)."""
    return (select(func.count()).select_from(Extension)
            .where(Extension.assignment_id == Assignment.id, Extension.status == "granted")
            .correlate(Assignment).scalar_subquery() > 0).label("extended")


def _latest_progress(session: Session, directive_id) -> dict:
    """Each assignment's progress as its latest report says."""
    rows = session.exec(select(Report.assignment_id, Report.progress, Report.submitted_at).join(
        Assignment, Assignment.id == Report.assignment_id).join(Task).where(Task.directive_id == directive_id)
        .order_by(Report.submitted_at)).all()
    return {assignment_id: progress for assignment_id, progress, _ in rows}


def local_day(moment: datetime | None) -> date | None:
    """The day in Hai Phong of a stored (UTC) moment."""
    return moment.astimezone(TZ).date() if moment else None


def _directive_json(d: Directive) -> dict:
    return {
        "id": str(d.id), "number": d.number, "kind": d.kind, "status": d.status, "issued_on": _iso(d.issued_on),
        "closed_on": _iso(local_day(d.closed_at)),
        "issuer": d.issuer, "signer": d.signer, "subject": d.subject, "implements": d.implements,
        "reminder_policy": d.reminder_policy,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def planning_items(*, session: Session, directive: Directive) -> list:
    """The directive's open assignments as reminder planning sees them (domain.reminders.Item)."""
    from domain.reminders import Item

    people = {p.id: p.name for p in session.exec(select(Person)).all()}
    default_leader = people.get(directive.leader_in_charge_id)
    rows = session.exec(
        select(Assignment, Task, Unit).join(Task, Assignment.task_id == Task.id).join(Unit, Assignment.unit_id == Unit.id)
        .where(Task.directive_id == directive.id, Assignment.status == "open").order_by(Task.position, Unit.name)
    ).all()
    return [Item(key=str(a.id), task=t.ref, unit=u.name, role=a.role, due=a.due,
                 period=t.period if t.deadline_kind in ("ongoing", "recurring") else None,
                 leader=people.get(t.leader_in_charge_id) or default_leader, office=directive.issuer)
            for a, t, u in rows]


def directive_timeline(*, session: Session, ref: str, until: date | None, calendar: WorkCalendar,
                       policies: dict) -> tuple[Directive, date, list]:
    """The messages the directive's policy implies from issuance to `until` (default: 30 days after its last
    deadline), assuming no report ever arrives."""
    from domain.reminders import timeline

    found = find_directive(session=session, ref=ref)
    if found.issued_at is None:
        raise InputError(f"{found.number or 'bản dự thảo'} chưa ban hành: chưa có lịch nhắc việc")
    items = planning_items(session=session, directive=found)
    end = until or max((i.due for i in items if i.due), default=found.issued_on) + timedelta(days=30)
    messages = timeline(items, issued_at=found.issued_at, until=end, calendar=calendar,
                        policy=policies[found.reminder_policy])
    return found, end, messages


def first_notice_at(*, session: Session, directive_id) -> datetime | None:
    """When the notices of a just-issued directive are due (its earliest next action)."""
    import uuid

    return session.exec(select(func.min(Assignment.next_action_at)).join(Task)
                        .where(Task.directive_id == uuid.UUID(str(directive_id)))).one()
