"""Closure: a task closes when its lead assignments have, a directive when all its tasks have; the issuer then
gets a final summary."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import pendulum
from sqlmodel import Session, col, select

from domain.errors import ConflictError
from domain.policy import TZ
from models.crud import create_event
from models.directives import Assignment, AssignmentStatus, Directive, DirectiveStatus, Task
from models.env import Planning
from models.notices import send_notice
from models.units import Unit

CLOSED = (AssignmentStatus.DONE, AssignmentStatus.CANCELLED)


@dataclass
class Closure:
    tasks: list[str] = field(default_factory=list)  # refs of the tasks that closed now
    directive: str | None = None  # its number, when the directive closed now
    summary: dict | None = None  # what the issuer was told (for the run's artifact)


def close_if_complete(*, session: Session, planning: Planning, task_ids: list[uuid.UUID], now: datetime,
                      actor: str) -> Closure:
    """Close what the last decision completed: tasks, then their directive."""
    closure = Closure()
    directives = set()
    for task in session.exec(select(Task).where(col(Task.id).in_(task_ids))).all():
        assignments = session.exec(select(Assignment).where(Assignment.task_id == task.id)).all()
        leads = [a for a in assignments if a.role == "lead"]
        directives.add(task.directive_id)
        if task.closed_at is not None or not leads or any(a.status not in CLOSED for a in leads):
            continue
        task.closed_at = now
        for a in assignments:  # the coordinating units' part ends with the task
            if a.role != "lead" and a.status not in CLOSED:
                a.status, a.closed_at, a.next_action_at = AssignmentStatus.DONE, now, None
                session.add(a)
        session.add(task)
        closure.tasks.append(task.ref)
        create_event(session=session, at=now, actor=actor, action="task.closed", entity="task", entity_id=task.id)
    session.flush()
    for directive_id in directives:
        directive = session.get(Directive, directive_id)
        open_tasks = session.exec(select(Task.id).where(Task.directive_id == directive_id,
                                                        col(Task.closed_at).is_(None))).first()
        if directive.status == DirectiveStatus.ISSUED and open_tasks is None:
            closure.directive, closure.summary = directive.number, _close(session, planning, directive, now, actor)
    return closure


def _close(session: Session, planning: Planning, directive: Directive, now: datetime, actor: str) -> dict:
    directive.status, directive.closed_at, directive.updated_at = DirectiveStatus.CLOSED, now, now
    session.add(directive)
    summary = directive_summary(session=session, directive=directive, now=now)
    send_notice(session=session, planning=planning, kind="office", name=directive.issuer, template="closure",
                title=f"[Đôn đốc] Văn bản {directive.number} đã hoàn thành: tỷ lệ đúng hạn {summary['on_time_rate']}",
                context=summary, basis=f"closure:{directive.id}", now=now,
                items=[{"task": t["ref"], "kind": "closure", "assignment_id": ""} for t in summary["tasks"]])
    create_event(session=session, at=now, actor=actor, action="directive.closed", entity="directive",
                 entity_id=directive.id, data={"counts": summary["counts"]})
    return summary


def directive_summary(*, session: Session, directive: Directive, now: datetime) -> dict:
    """Every task with the outcome of each lead unit: what a final summary and its artifact say."""
    rows = session.exec(select(Task, Assignment, Unit).join(Assignment, Assignment.task_id == Task.id)
                        .join(Unit, Assignment.unit_id == Unit.id)
                        .where(Task.directive_id == directive.id, Assignment.role == "lead")
                        .order_by(Task.position, Unit.name)).all()
    tasks: dict[uuid.UUID, dict] = {}
    counts = Counter({"done_on_time": 0, "done_late": 0, "cancelled": 0})
    for task, a, unit in rows:
        key = outcome(a)
        counts[key] += 1
        tasks.setdefault(task.id, {"ref": task.ref, "content": task.content, "assignments": []})["assignments"].append(
            {"unit": unit.name, "outcome": key, "label": _LABELS[key],
             "closed_on": _day(a.closed_at) if a.closed_at else None})
    finished = counts["done_on_time"] + counts["done_late"]
    rate = f"{round(100 * counts['done_on_time'] / finished)} %" if finished else "—"
    return {"directive": directive.number, "subject": directive.subject, "tasks": list(tasks.values()),
            "counts": dict(counts), "on_time_rate": rate}


_LABELS = {"done_on_time": "hoàn thành đúng hạn", "done_late": "hoàn thành quá hạn", "cancelled": "đã hủy",
           "open": "chưa hoàn thành"}


def outcome(a: Assignment) -> str:
    """How a closed lead assignment ended: on time when its work was done by its (extended) deadline."""
    if a.status == AssignmentStatus.CANCELLED:
        return "cancelled"
    if a.status != AssignmentStatus.DONE:
        return "open"
    return "done_late" if a.due and a.closed_at and _day(a.closed_at) > a.due else "done_on_time"


def _day(moment: datetime) -> date:
    return pendulum.instance(moment).in_timezone(TZ).date()


def close_directive(*, session: Session, planning: Planning, directive: Directive, reason: str, by: str,
                    now: datetime) -> Closure:
    """Close a directive by decision: whatever is still open is cancelled (each unit is told), then it closes."""
    from models.reports import cancel_assignment, find_work  # the cancellation closes the tasks it completes

    if directive.status != DirectiveStatus.ISSUED:
        raise ConflictError(f"văn bản {directive.number or 'dự thảo'} không ở trạng thái đang thực hiện")
    open_leads = session.exec(select(Assignment).join(Task).where(
        Task.directive_id == directive.id, Assignment.role == "lead",
        col(Assignment.status).in_([AssignmentStatus.OPEN, AssignmentStatus.PENDING_REVIEW]))).all()
    closure = Closure()
    for a in open_leads:
        decision = cancel_assignment(session=session, planning=planning, work=find_work(session=session,
                                     assignment_id=a.id), reason=reason, by=by, now=now)
        closure.tasks += decision.closure.tasks if decision.closure else []
    # tasks an operator never gave a unit (held) close with the directive
    for task in session.exec(select(Task).where(Task.directive_id == directive.id, col(Task.closed_at).is_(None))).all():
        task.closed_at = now
        session.add(task)
    session.flush()
    if directive.status == DirectiveStatus.ISSUED:
        closure.directive, closure.summary = directive.number, _close(session, planning, directive, now, by)
    else:
        closure.directive = directive.number
        closure.summary = directive_summary(session=session, directive=directive, now=now)
    return closure
