"""Issuance: store a validated directive, and issue it (number, date, tasks expanded to assignments)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

import pendulum
from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, select

from domain.deadlines import parse_deadline
from domain.directive_file import DirectivePlan
from domain.errors import AlreadyRegisteredError, ConflictError, DeadlineError, Problem, ValidationError
from domain.policy import TZ, ReminderPolicy, notice_at
from domain.text import name_key, nfc, quoted, refuse_controls
from domain.workdays import WorkCalendar
from models.bulk import insert_plain
from models.crud import create_event, get_or_create_person
from models.directives import Assignment, AssignmentStatus, Directive, DirectiveStatus, Task
from models.types import utc
from models.units import Unit

T = Task.__table__
ASSIGNMENT_COLUMNS = ("id", "task_id", "unit_id", "role", "status", "due", "next_action_at", "created_at")


@dataclass(frozen=True)
class Registered:
    directive: Directive
    tasks: int
    assignments: int
    held: list[tuple[str, str]]  # (task ref, reason)


def register_directive(*, session: Session, plan: DirectivePlan, calendar: WorkCalendar,
                       policy: ReminderPolicy, actor: str, now: datetime, source_name: str) -> Registered:
    """Store a validated directive; one with number and date is issued in the same transaction."""
    spec = plan.spec
    same = session.exec(select(Directive).where(Directive.source_sha256 == plan.sha256)).first()
    if same is not None:
        raise AlreadyRegisteredError(f"văn bản này đã được đăng ký ({_label(same)}, mã {str(same.id)[:8]})")
    if spec.number:
        _check_number_free(session=session, issuer=spec.issuer, number=spec.number)

    people: dict[str, uuid.UUID] = {}  # a leader is named on many rows: looked up once

    def person_id(written: str | None) -> uuid.UUID | None:
        if written and written not in people:
            people[written] = get_or_create_person(session=session, written=written).id
        return people.get(written) if written else None

    directive = Directive(
        number=None, kind=spec.kind, issued_on=None, issuer=spec.issuer, issuer_key=name_key(spec.issuer),
        signer=spec.signer, subject=spec.subject, reminder_policy=spec.reminder_policy,
        implements=list(spec.implements), source_name=source_name, source_sha256=plan.sha256,
        leader_in_charge_id=person_id(spec.leader_in_charge), created_at=now, updated_at=now,
    )
    session.add(directive)
    session.flush()
    # plain rows, not ORM objects: the plan is validated already, and an appendix has thousands of rows
    tasks = [{
        "id": uuid.uuid4(), "directive_id": directive.id, "ref": t.ref, "position": t.position, "section": t.section,
        "content": t.content, "output": t.output, "report_to": t.report_to, "deadline_written": t.deadline.written,
        "deadline_kind": t.deadline.kind, "due": t.deadline.due, "effective_due": t.deadline.effective_due,
        "period": t.deadline.period, "leader_in_charge_id": person_id(t.leader_in_charge),
        "lead_written": "; ".join(r.written for r in t.lead),
        "coordinating_written": "; ".join(r.written for r in t.coordinating),
        "lead_units": list(t.lead_units), "coordinating_units": list(t.coordinating_units),
        "held_reason": "; ".join(t.held) or None, "closed_at": None,
    } for t in plan.tasks]
    if tasks:
        session.execute(insert(T), tasks)
    create_event(session=session, at=now, actor=actor, action="directive.registered", entity="directive",
                 entity_id=directive.id, data={"source": source_name, "tasks": len(plan.tasks), "draft": plan.is_draft})
    assignments = 0
    if not plan.is_draft:
        assignments = issue_directive(session=session, directive=directive, number=spec.number,
                                      issued_on=spec.issued_on, calendar=calendar, policy=policy, actor=actor, now=now)
    held = [(t.ref, reason) for t in plan.tasks for reason in t.held]
    return Registered(directive, len(plan.tasks), assignments, held)


def issue_directive(*, session: Session, directive: Directive, number: str, issued_on: date,
                    calendar: WorkCalendar, policy: ReminderPolicy, actor: str, now: datetime) -> int:
    """Turn a draft into an issued directive and expand its tasks to assignments; returns how many."""
    if directive.status != DirectiveStatus.DRAFT:
        raise ConflictError(f"{_label(directive)} đã ban hành, không ban hành lại")
    number = nfc(number)
    try:
        refuse_controls(number)
    except ValueError as exc:
        raise ValidationError("ban hành", [Problem("number", str(exc))]) from None
    if not number or number.startswith("/") or len(number) > 300:
        too_long = " (dài quá 300 ký tự)" if len(number) > 300 else ""
        raise ValidationError("ban hành", [Problem("number", f"số văn bản {quoted(number)} không hợp lệ{too_long}")])
    _check_number_free(session=session, issuer=directive.issuer, number=number)

    tasks = session.execute(select(T.c.id, T.c.ref, T.c.deadline_written, T.c.deadline_kind, T.c.due, T.c.effective_due,
                                   T.c.period, T.c.lead_units, T.c.coordinating_units)
                            .where(T.c.directive_id == directive.id).order_by(T.c.position)).all()
    dues = _reparse_deadlines(session, tasks, issued_on, calendar)
    directive.number, directive.issued_on, directive.status = number, issued_on, DirectiveStatus.ISSUED
    directive.issued_at = _issued_at(issued_on, now)
    directive.updated_at = now
    first_notice = notice_at(max(directive.issued_at, now), calendar=calendar, policy=policy)

    unit_ids = dict(session.exec(select(Unit.ref, Unit.id)).all())
    notice_utc, now_utc = utc(first_notice), utc(now)
    # one executemany of plain tuples: a directive to every commune is a hundred thousand rows or more
    count = insert_plain(session=session, table=Assignment.__table__, columns=ASSIGNMENT_COLUMNS, rows=[
        (uuid.uuid4(), task.id, unit_ids[ref], role, AssignmentStatus.OPEN, dues[task.id], notice_utc, now_utc)
        for task in tasks
        for role, refs in (("lead", task.lead_units), ("coordinating", task.coordinating_units))
        for ref in refs
    ])
    create_event(session=session, at=now, actor=actor, action="directive.issued", entity="directive",
                 entity_id=directive.id, data={"number": number, "issued_on": issued_on.isoformat(),
                                               "tasks": len(tasks), "assignments": count,
                                               "first_notice_at": first_notice.isoformat()})
    return count


def _reparse_deadlines(session: Session, tasks: list, issued_on: date, calendar: WorkCalendar) -> dict[uuid.UUID, date | None]:
    """Deadlines like 'hằng tháng' or '30/9' only get a first due date once the issuance date is known.

    Stores the tasks whose reading changed (none when the plan was validated with this date); returns each
    task's effective due date.
    """
    problems, changed, dues = [], [], {}
    for task in tasks:
        try:
            d = parse_deadline(task.deadline_written, calendar=calendar, issued_on=issued_on)
        except DeadlineError as exc:
            problems.append(Problem(f"mục {task.ref}", str(exc)))
            continue
        dues[task.id] = d.effective_due
        if (d.kind, d.due, d.effective_due, d.period) != (task.deadline_kind, task.due, task.effective_due, task.period):
            changed.append({"task": task.id, "kind": d.kind, "due": d.due, "effective_due": d.effective_due,
                            "period": d.period})
    if problems:
        raise ValidationError("ban hành", problems)
    if changed:
        session.execute(update(T).where(T.c.id == bindparam("task")).values(
            deadline_kind=bindparam("kind"), due=bindparam("due"), effective_due=bindparam("effective_due"),
            period=bindparam("period")), changed)
    return dues


def _issued_at(issued_on: date, now: datetime) -> datetime:
    """The moment of issuance: now when issued today, else the start of the working day it names."""
    local_now = pendulum.instance(now).in_timezone(TZ)
    if local_now.date() == issued_on:
        return local_now
    return pendulum.instance(datetime.combine(issued_on, time(8, 0)), tz=TZ)


def _check_number_free(*, session: Session, issuer: str, number: str) -> None:
    taken = session.exec(select(Directive).where(Directive.issuer_key == name_key(issuer), Directive.number == number)).first()
    if taken is not None:
        raise ConflictError(f"số {number} của {issuer} đã có (mã {str(taken.id)[:8]}); số văn bản không được trùng")


def _label(directive: Directive) -> str:
    return f"văn bản số {directive.number}" if directive.number else "bản dự thảo"
