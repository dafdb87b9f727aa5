"""Read-side queries behind the units' report page and the public pages; the day (`as_of`) is always given."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import pendulum
from sqlalchemy import case
from sqlmodel import Session, col, select

from domain.policy import TZ
from domain.status import LABELS, assignment_status
from domain.workdays import WorkCalendar
from models.directives import Assignment, AssignmentStatus, Directive, DirectiveStatus, Task
from models.reporting import Extension, ExtensionStatus, Report, ReportLink, ReviewStatus
from models.units import Unit

PUBLIC_STATES = (DirectiveStatus.ISSUED, DirectiveStatus.CLOSED)
MEASURED = ("done_on_time", "done_late", "overdue")  # what the on-time rate is taken over
LATEST_REPORTS = 5
# Departments first, then communes, then other bodies: the order the city's documents list them in.
_UNIT_RANK = case({"department": 0, "commune": 1}, value=Unit.kind, else_=2)


def local_day(moment: datetime | None) -> date | None:
    """The day a stored (UTC) moment falls on in Hai Phong."""
    return pendulum.instance(moment).in_timezone(TZ).date() if moment else None


@dataclass(frozen=True)
class Clock:
    """What deciding a status needs: the day and the working calendar."""

    as_of: date
    calendar: WorkCalendar

    def status(self, a: Assignment, task: Task, extended: bool) -> str:
        return assignment_status(status=a.status, due=a.due, deadline_kind=task.deadline_kind,
                                 closed_on=local_day(a.closed_at), extended=extended, as_of=self.as_of,
                                 calendar=self.calendar)


@dataclass
class Tally:
    """Counts of lead assignments per status key, and the two rates people look at."""

    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts["done_on_time"] + self.counts["done_late"]

    @property
    def share_done(self) -> float | None:
        counted = self.total - self.counts["cancelled"]
        return 100 * self.done / counted if counted else None

    @property
    def on_time_rate(self) -> float | None:
        measured = sum(self.counts[k] for k in MEASURED)
        return 100 * self.counts["done_on_time"] / measured if measured else None

    def labelled(self) -> list[tuple[str, str, int]]:
        """(key, label, count) in the order of LABELS, zeros left out."""
        return [(k, LABELS[k], self.counts[k]) for k in LABELS if self.counts[k]]


@dataclass(frozen=True)
class Row:
    """One assignment as a page shows it."""

    assignment: Assignment
    task: Task
    directive: Directive
    unit_id: uuid.UUID
    unit_ref: str
    unit_name: str
    status: str
    progress: int | None  # the latest report's, 100 once done; None when nothing was reported

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def lead(self) -> bool:
        return self.assignment.role == "lead"


def _joined(statement, *conditions):
    """`statement` over assignments with their task, directive and unit, restricted by `conditions`."""
    return (statement.join(Task, Assignment.task_id == Task.id).join(Directive, Task.directive_id == Directive.id)
            .join(Unit, Assignment.unit_id == Unit.id).where(*conditions))


def _rows(session: Session, clock: Clock, *conditions) -> list[Row]:
    """Assignments matching `conditions` with their status and latest progress; units by columns only (never
    their contacts). Reports and extensions are joined by the same conditions, never listed by id: a directive
    to every commune has more assignments than a query may carry parameters."""
    found = session.exec(_joined(select(Assignment, Task, Directive, Unit.id, Unit.ref, Unit.name), *conditions)
                         .order_by(col(Directive.issued_on).desc(), Directive.number, Task.position,
                                   col(Assignment.role).desc(), _UNIT_RANK, Unit.name)).all()
    extended = set(session.exec(_joined(select(Extension.assignment_id).join(
        Assignment, Extension.assignment_id == Assignment.id), Extension.status == ExtensionStatus.GRANTED,
        *conditions)).all())
    # ordered by time, so that the latest report of each assignment is the one the dict keeps
    progress = dict(session.exec(_joined(select(Report.assignment_id, Report.progress).join(
        Assignment, Report.assignment_id == Assignment.id), Report.review_status != ReviewStatus.RETURNED,
        *conditions).order_by(Report.submitted_at)).all())
    return [Row(a, t, d, uid, ref, name, clock.status(a, t, a.id in extended),
                100 if a.status == AssignmentStatus.DONE else progress.get(a.id))
            for a, t, d, uid, ref, name in found]


def tally(rows: list[Row]) -> Tally:
    """Counts of the lead rows (coordinating units are neither chased nor measured)."""
    return Tally(Counter(r.status for r in rows if r.lead))


# --- the unit's report page --------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitItem:
    row: Row
    reports: list[Report]  # latest first
    pending_extension: Extension | None
    lead_names: list[str]  # who leads the task (for a coordinating unit)

    @property
    def takes_reports(self) -> bool:
        return self.row.lead and self.row.assignment.status == AssignmentStatus.OPEN


@dataclass(frozen=True)
class UnitPage:
    unit: Unit
    directive: Directive
    link: ReportLink
    lead: list[UnitItem]
    coordinating: list[UnitItem]


def unit_page(session: Session, link: ReportLink, clock: Clock) -> UnitPage:
    """A unit's assignments in the link's directive, with their latest reports and pending extension."""
    rows = _rows(session, clock, Assignment.unit_id == link.unit_id, Task.directive_id == link.directive_id)
    ids = [r.assignment.id for r in rows]
    reports: dict[uuid.UUID, list[Report]] = {}
    for report in session.exec(select(Report).where(col(Report.assignment_id).in_(ids))
                               .order_by(col(Report.submitted_at).desc())).all():
        reports.setdefault(report.assignment_id, []).append(report)
    pending = {e.assignment_id: e for e in session.exec(select(Extension).where(
        col(Extension.assignment_id).in_(ids), Extension.status == ExtensionStatus.REQUESTED)).all()}
    names = unit_names(session, {ref for r in rows for ref in r.task.lead_units})
    items = [UnitItem(r, reports.get(r.assignment.id, [])[:LATEST_REPORTS], pending.get(r.assignment.id),
                      [names.get(ref, ref) for ref in r.task.lead_units]) for r in rows]
    return UnitPage(session.get(Unit, link.unit_id), session.get(Directive, link.directive_id), link,
                    [i for i in items if i.row.lead], [i for i in items if not i.row.lead])


def unit_names(session: Session, refs: set[str]) -> dict[str, str]:
    if not refs:
        return {}
    return dict(session.exec(select(Unit.ref, Unit.name).where(col(Unit.ref).in_(refs))).all())


def unit_evidence(session: Session, link: ReportLink, sha256: str) -> dict | None:
    """The description of an evidence file of this unit's own reports in the link's directive, if there is one."""
    reports = session.exec(select(Report).join(Assignment, Report.assignment_id == Assignment.id)
                           .join(Task, Assignment.task_id == Task.id)
                           .where(Assignment.unit_id == link.unit_id, Task.directive_id == link.directive_id)).all()
    return next((e for r in reports for e in r.evidence if e.get("kind") == "file" and e.get("sha256") == sha256),
                None)


# --- the public pages (Ba công khai) -----------------------------------------------------------------------

@dataclass(frozen=True)
class DirectiveSummary:
    directive: Directive
    tally: Tally


def public_directives(session: Session, clock: Clock) -> list[DirectiveSummary]:
    """Every issued or closed directive with the tally of its lead assignments."""
    rows = _rows(session, clock, col(Directive.status).in_(PUBLIC_STATES), Assignment.role == "lead")
    tallies: dict[uuid.UUID, Tally] = {}
    for r in rows:
        tallies.setdefault(r.directive.id, Tally()).counts[r.status] += 1
    directives = session.exec(select(Directive).where(col(Directive.status).in_(PUBLIC_STATES))
                              .order_by(col(Directive.issued_on).desc(), Directive.number)).all()
    return [DirectiveSummary(d, tallies.get(d.id, Tally())) for d in directives]


@dataclass(frozen=True)
class UnitFigures:
    ref: str
    name: str
    tally: Tally
    progress: float | None  # mean over its lead assignments (cancelled left out); None when it leads nothing


def per_unit(rows: list[Row]) -> list[UnitFigures]:
    """Figures per unit over its lead rows, in the order the rows come."""
    groups: dict[str, list[Row]] = {}
    for r in rows:
        if r.lead:
            groups.setdefault(r.unit_ref, []).append(r)
    out = []
    for ref, group in groups.items():
        counted = [r.progress or 0 for r in group if r.status != "cancelled"]
        out.append(UnitFigures(ref, group[0].unit_name, tally(group),
                               sum(counted) / len(counted) if counted else None))
    return out


@dataclass(frozen=True)
class DirectiveDetail:
    directive: Directive
    tally: Tally
    tasks: list[tuple[Task, list[Row], list[Row]]]  # task, lead rows, coordinating rows
    units: list[UnitFigures]


def public_directive(session: Session, directive_id: uuid.UUID, clock: Clock) -> DirectiveDetail | None:
    directive = session.get(Directive, directive_id)
    if directive is None or directive.status not in PUBLIC_STATES:
        return None
    rows = _rows(session, clock, Task.directive_id == directive.id)
    tasks = session.exec(select(Task).where(Task.directive_id == directive.id).order_by(Task.position)).all()
    by_task = {t.id: ([], []) for t in tasks}
    for r in rows:
        by_task[r.task.id][0 if r.lead else 1].append(r)
    return DirectiveDetail(directive, tally(rows), [(t, *by_task[t.id]) for t in tasks], per_unit(rows))


@dataclass(frozen=True)
class UnitDetail:
    ref: str
    name: str
    tally: Tally
    rows: list[Row]


def public_unit(session: Session, unit_ref: str, clock: Clock) -> UnitDetail | None:
    found = session.exec(select(Unit.id, Unit.name).where(Unit.ref == unit_ref)).first()
    if found is None:
        return None
    rows = _rows(session, clock, Assignment.unit_id == found[0], col(Directive.status).in_(PUBLIC_STATES))
    return UnitDetail(unit_ref, found[1], tally(rows), rows)
