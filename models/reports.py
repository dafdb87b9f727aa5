"""Reports, reviews, extensions and cancellations: each one transaction with its audit event and the message
that tells the unit, so that a decision and its notice are stored together or not at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import pendulum
from sqlmodel import Session, select

from domain.deadlines import period_end
from domain.errors import ConflictError, NotFoundError, Problem, ValidationError
from domain.policy import TZ
from domain.report_form import ExtensionForm, ReportForm
from domain.text import nfc, refuse_controls, vn_date
from models.closure import Closure, close_if_complete
from models.crud import create_event
from models.directives import Assignment, AssignmentStatus, Directive, Task
from models.env import Planning
from models.links import ensure_links
from models.notices import send_notice
from models.reporting import Extension, ExtensionStatus, Report, ReviewStatus
from models.units import Unit

OPEN_STATES = (AssignmentStatus.OPEN, AssignmentStatus.PENDING_REVIEW)


@dataclass(frozen=True)
class Work:
    """An assignment with what the messages about it name."""

    assignment: Assignment
    task: Task
    directive: Directive
    unit: Unit


def find_work(*, session: Session, assignment_id: uuid.UUID) -> Work:
    row = session.exec(select(Assignment, Task, Directive, Unit).join(Task, Assignment.task_id == Task.id)
                       .join(Directive, Task.directive_id == Directive.id).join(Unit, Assignment.unit_id == Unit.id)
                       .where(Assignment.id == assignment_id)).first()
    if row is None:
        raise NotFoundError(f"không có lượt giao nhiệm vụ mã “{assignment_id}”")
    return Work(*row)


def submit_report(*, session: Session, work: Work, form: ReportForm, evidence: list[dict], source: str,
                  submitted_by: str, now: datetime) -> Report:
    """Record a unit's report; a completion claim stops the reminders until the office decides."""
    a, task = work.assignment, work.task
    _must_be_lead(work, "báo cáo")
    if a.status == AssignmentStatus.PENDING_REVIEW:
        raise ConflictError("báo cáo hoàn thành trước đó đang chờ Văn phòng duyệt: chưa gửi thêm báo cáo được")
    if a.status not in OPEN_STATES:
        raise ConflictError("nhiệm vụ này đã đóng (đã hoàn thành hoặc đã hủy): không nhận thêm báo cáo")
    periodic = task.deadline_kind in ("ongoing", "recurring") and task.period
    report = Report(
        assignment_id=a.id, submitted_at=now, progress=form.progress, done_text=form.done_text,
        difficulties=form.difficulties, proposals=form.proposals, claims_completion=form.claims_completion,
        evidence=evidence + [{"kind": "link", "url": url} for url in form.links], source=source,
        submitted_by=submitted_by[:200],
        period_end=period_end(_local_day(now), task.period) if periodic else None,
    )
    session.add(report)
    if form.claims_completion:
        a.status = AssignmentStatus.PENDING_REVIEW
        session.add(a)
    session.flush()
    create_event(session=session, at=now, actor=submitted_by, action="report.submitted", entity="assignment",
                 entity_id=a.id, data={"report": str(report.id), "progress": form.progress, "source": source,
                                       "completion": form.claims_completion, "files": len(evidence)})
    return report


@dataclass(frozen=True)
class Decision:
    what: str  # report_accepted | report_returned | extension_granted | extension_refused | assignment_cancelled
    work: Work
    closure: Closure | None = None


def review_report(*, session: Session, planning: Planning, report_id: uuid.UUID, accept: bool, reason: str | None,
                  reviewer: str, now: datetime) -> Decision:
    """Accept a completion report (the assignment is done, on time or late) or return it (the reminders resume)."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFoundError(f"không có báo cáo mã “{report_id}”")
    if not report.claims_completion:
        raise ConflictError("đây là báo cáo tiến độ, không phải báo cáo hoàn thành: không cần duyệt")
    if report.review_status != ReviewStatus.SUBMITTED:
        raise ConflictError(f"báo cáo này đã được duyệt trước đó ({report.review_status})")
    work = find_work(session=session, assignment_id=report.assignment_id)
    a, reason = work.assignment, _reason(reason, required=not accept, what="trả lại báo cáo")
    report.review_status = ReviewStatus.ACCEPTED if accept else ReviewStatus.RETURNED
    report.reviewed_at, report.reviewer, report.review_reason = now, reviewer[:200], reason
    if accept:
        a.status, a.closed_at, a.next_action_at = AssignmentStatus.DONE, report.submitted_at, None
    else:
        a.status, a.next_action_at = AssignmentStatus.OPEN, now  # the next chase sends the step that is due
    session.add_all([report, a])
    session.flush()
    what = "report_accepted" if accept else "report_returned"
    closed_on = _local_day(report.submitted_at)
    _tell_unit(session, planning, what, work, now, reason=reason,
               on_time=a.due is None or closed_on <= a.due, with_link=not accept)
    create_event(session=session, at=now, actor=reviewer, action=f"report.{'accepted' if accept else 'returned'}",
                 entity="assignment", entity_id=a.id, reason=reason, data={"report": str(report.id)})
    closure = close_if_complete(session=session, planning=planning, task_ids=[work.task.id], now=now,
                                actor=reviewer) if accept else None
    return Decision(what, work, closure)


def request_extension(*, session: Session, work: Work, form: ExtensionForm, source: str, requested_by: str,
                      now: datetime) -> Extension:
    """A unit asks for a later deadline; the office decides."""
    a = work.assignment
    _must_be_lead(work, "đề nghị gia hạn")
    if a.status not in OPEN_STATES:
        raise ConflictError("nhiệm vụ này đã đóng: không gia hạn được")
    pending = session.exec(select(Extension).where(Extension.assignment_id == a.id,
                                                   Extension.status == ExtensionStatus.REQUESTED)).first()
    if pending is not None:
        raise ConflictError(f"đã có đề nghị gia hạn đến {vn_date(pending.requested_due)} đang chờ Văn phòng quyết định")
    extension = Extension(assignment_id=a.id, requested_at=now, requested_due=form.requested_due, reason=form.reason,
                          source=source)
    session.add(extension)
    session.flush()
    create_event(session=session, at=now, actor=requested_by, action="extension.requested", entity="assignment",
                 entity_id=a.id, reason=form.reason, data={"extension": str(extension.id),
                                                           "requested_due": form.requested_due.isoformat()})
    return extension


def decide_extension(*, session: Session, planning: Planning, extension_id: uuid.UUID, grant: bool,
                     new_due: date | None, reason: str | None, by: str, now: datetime) -> Decision:
    """Grant (the deadline and every reminder not yet sent move) or refuse (with a reason) an extension."""
    extension = session.get(Extension, extension_id)
    if extension is None:
        raise NotFoundError(f"không có đề nghị gia hạn mã “{extension_id}”")
    if extension.status != ExtensionStatus.REQUESTED:
        raise ConflictError(f"đề nghị gia hạn này đã được quyết định ({extension.status})")
    work = find_work(session=session, assignment_id=extension.assignment_id)
    a, reason = work.assignment, _reason(reason, required=not grant, what="không đồng ý gia hạn")
    if grant:
        new_due = new_due or extension.requested_due
        if a.due is not None and new_due <= a.due:
            raise ValidationError("gia hạn", [Problem("new_due", f"hạn mới phải sau hạn hiện tại ({vn_date(a.due)})")])
        a.due, a.next_action_at = new_due, now  # the chase re-plans from the new deadline at its next run
        extension.new_due = new_due
    extension.status = ExtensionStatus.GRANTED if grant else ExtensionStatus.REFUSED
    extension.decided_at, extension.decided_by, extension.decision_reason = now, by[:200], reason
    session.add_all([extension, a])
    session.flush()
    what = "extension_granted" if grant else "extension_refused"
    _tell_unit(session, planning, what, work, now, reason=reason, new_due=new_due, with_link=True)
    create_event(session=session, at=now, actor=by, action=f"extension.{'granted' if grant else 'refused'}",
                 entity="assignment", entity_id=a.id, reason=reason,
                 data={"extension": str(extension.id), "new_due": new_due.isoformat() if grant else None})
    return Decision(what, work)


def cancel_assignment(*, session: Session, planning: Planning, work: Work, reason: str | None, by: str,
                      now: datetime) -> Decision:
    """Take a task away from a unit (an error of assignment, a merged unit); it counts neither way."""
    a = work.assignment
    if a.status not in OPEN_STATES:
        raise ConflictError("nhiệm vụ này đã đóng (đã hoàn thành hoặc đã hủy)")
    reason = _reason(reason, required=True, what="hủy nhiệm vụ")
    a.status, a.closed_at, a.next_action_at = AssignmentStatus.CANCELLED, now, None
    session.add(a)
    session.flush()
    _tell_unit(session, planning, "assignment_cancelled", work, now, reason=reason)
    create_event(session=session, at=now, actor=by, action="assignment.cancelled", entity="assignment",
                 entity_id=a.id, reason=reason)
    closure = close_if_complete(session=session, planning=planning, task_ids=[work.task.id], now=now, actor=by)
    return Decision("assignment_cancelled", work, closure)


_TITLES = {
    "report_accepted": "Đã chấp nhận báo cáo hoàn thành",
    "report_returned": "Báo cáo hoàn thành bị trả lại",
    "extension_granted": "Đồng ý gia hạn",
    "extension_refused": "Không đồng ý gia hạn",
    "assignment_cancelled": "Hủy nhiệm vụ",
}


def _tell_unit(session: Session, planning: Planning, what: str, work: Work, now: datetime, *,
               reason: str | None = None, new_due: date | None = None, on_time: bool = True,
               with_link: bool = False) -> None:
    d, t, u = work.directive, work.task, work.unit
    link = None
    if with_link:
        link = ensure_links(session=session, pairs={(u.ref, str(d.id))}, planning=planning, now=now)[(u.ref, str(d.id))]
    title = f"[Đôn đốc] {_TITLES[what]} — văn bản {d.number}, mục {t.ref}"
    send_notice(session=session, planning=planning, kind="unit", name=u.name, template="decision", title=title,
                context={"kind": what, "directive": d.number, "task": t.ref, "content": t.content, "reason": reason,
                         "new_due": new_due, "on_time": on_time, "link": link},
                basis=f"{what}:{work.assignment.id}:{int(now.timestamp())}",
                items=[{"task": t.ref, "kind": what, "assignment_id": str(work.assignment.id)}], now=now)


def _must_be_lead(work: Work, what: str) -> None:
    if work.assignment.role != "lead":
        raise ConflictError(f"{work.unit.name} là đơn vị phối hợp của mục {work.task.ref}: {what} do đơn vị chủ trì "
                            "thực hiện")


def _reason(reason: str | None, *, required: bool, what: str) -> str | None:
    text = nfc(reason or "")
    if required and not text:
        raise ValidationError(what, [Problem("reason", "cần ghi lý do (đơn vị sẽ nhận được lý do này)")])
    if len(text) > 2000:
        raise ValidationError(what, [Problem("reason", "lý do quá dài (tối đa 2000 ký tự)")])
    try:
        return refuse_controls(text) or None
    except ValueError as exc:
        raise ValidationError(what, [Problem("reason", str(exc))]) from None


def _local_day(moment: datetime) -> date:
    return pendulum.instance(moment).in_timezone(TZ).date()


def find_by_id(*, session: Session, model, ref: str, what: str):
    """A row by its id, or by the first 8+ characters of it (as the CLI and the artifacts show ids)."""
    ref = (ref or "").strip().lower()
    try:
        row = session.get(model, uuid.UUID(ref))
    except ValueError:
        row = None
        if len(ref) >= 8:
            rows = [r for r in session.exec(select(model)).all() if str(r.id).startswith(ref)]
            if len(rows) > 1:
                raise NotFoundError(f"mã “{ref}” khớp nhiều {what}: hãy gõ thêm ký tự") from None
            row = rows[0] if rows else None
    if row is None:
        raise NotFoundError(f"không có {what} mã “{ref}”")
    return row


def find_work_by(*, session: Session, directive: Directive, unit: Unit, task_ref: str) -> Work:
    """A unit's assignment on a directive's task, named as people name them."""
    row = session.exec(select(Assignment, Task).join(Task, Assignment.task_id == Task.id).where(
        Task.directive_id == directive.id, Task.ref == nfc(task_ref), Assignment.unit_id == unit.id)).first()
    if row is None:
        raise NotFoundError(f"{unit.name} không được giao mục {task_ref} của văn bản {directive.number}")
    return Work(row[0], row[1], directive, unit)


def waiting_decisions(*, session: Session, directive_id: uuid.UUID | None = None) -> dict[str, list[dict]]:
    """Completion reports and extension requests that wait for the office, oldest first."""
    reports = select(Report, Assignment, Task, Directive, Unit).join(Assignment, Report.assignment_id == Assignment.id)
    extensions = select(Extension, Assignment, Task, Directive, Unit).join(Assignment,
                                                                          Extension.assignment_id == Assignment.id)
    out = {}
    for name, query, where in (("reports", reports, (Report.claims_completion, Report.review_status == ReviewStatus.SUBMITTED)),
                               ("extensions", extensions, (Extension.status == ExtensionStatus.REQUESTED,))):
        query = (query.join(Task, Assignment.task_id == Task.id).join(Directive, Task.directive_id == Directive.id)
                 .join(Unit, Assignment.unit_id == Unit.id).where(*where))
        if directive_id is not None:
            query = query.where(Directive.id == directive_id)
        rows = session.exec(query).all()
        out[name] = [{"id": str(row.id), "directive": d.number, "task": t.ref, "unit": u.name,
                      "at": (row.submitted_at if name == "reports" else row.requested_at).isoformat(),
                      "due": a.due.isoformat() if a.due else None,
                      **({"progress": row.progress, "done": row.done_text} if name == "reports"
                         else {"requested_due": row.requested_due.isoformat(), "reason": row.reason})}
                     for row, a, t, d, u in sorted(rows, key=lambda r: r[0].submitted_at if name == "reports"
                                                   else r[0].requested_at)]
    return out
