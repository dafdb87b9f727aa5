"""The chase's database work: what is due, and its decisions written with their messages in one transaction.

Planning takes the `chase` lock first, so two runs at the same moment plan one after the other: the second
finds every watermark moved and nothing left to send. The unique step and message keys guard the same thing
a second time.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import pendulum
from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from domain.chase import Decision, Digest, ItemFacts, Tracked, decide, digests
from domain.reminders import KINDS, Step, ref_order
from domain.errors import InputError
from domain.policy import ICT, TZ, ReminderPolicy, send_window
from domain.reminders import Item
from models.crud import create_event
from models.directives import Assignment, AssignmentStatus, Directive, DirectiveStatus, Task
from models.messaging import Lock, ReminderStep
from models.reporting import Report, ReviewStatus
from models.env import Planning
from models.links import with_links
from models.outbox import insert_ignoring_duplicates, insert_outbox
from models.recipients import addresses
from models.types import TZDateTime, utc
from models.units import Person, Unit
from notifiers.outbox import digest_rows, notice_rows
from notifiers.render import render_digest

A, T, D, U = Assignment.__table__, Task.__table__, Directive.__table__, Unit.__table__


@dataclass
class ChaseResult:
    """What one planning run decided, for artifacts and the CLI."""

    as_of: datetime
    looked_at: int = 0  # assignments whose next action had come
    items: Counter = field(default_factory=Counter)  # steps by kind
    messages: list[dict] = field(default_factory=list)  # one per outbox row written
    duplicates: int = 0  # rows another run had written already

    def by_channel(self) -> dict[str, Counter]:
        out: dict[str, Counter] = {}
        for m in self.messages:
            out.setdefault(m["channel"], Counter())[m["status"]] += 1
        return out


def plan_chase(*, session: Session, as_of: datetime, planning: Planning, actor: str,
               directive_id: uuid.UUID | None = None, unnotified_only: bool = False) -> ChaseResult:
    """Decide every step due at `as_of` and write the steps, their messages and the new watermarks."""
    take_lock(session=session, name="chase", holder=actor, now=as_of)
    tracked, facts = due_assignments(session=session, as_of=as_of, policies=planning.policies,
                                     directive_id=directive_id, unnotified_only=unnotified_only)
    decisions = [decide(t, as_of=as_of, calendar=planning.calendar) for t in tracked]
    result = ChaseResult(as_of, looked_at=len(tracked))
    rows = _messages(session, decisions, planning, facts, as_of)
    _record_steps(session, decisions, as_of)
    written = insert_outbox(session=session, rows=rows)
    _move_watermarks(session, decisions, as_of)
    result.items.update(s.kind for d in decisions for s in d.all_steps)
    result.messages = [{"recipient": r["recipient_name"], "channel": r["channel"], "address": r["target_display"],
                        "status": r["status"], "items": len(r["payload"]["items"]), "key": r["idempotency_key"]}
                       for r in rows]
    result.duplicates = len(rows) - written
    if decisions:
        create_event(session=session, at=as_of, actor=actor, action="chase.planned", entity="outbox",
                     entity_id=directive_id, data={"as_of": as_of.isoformat(), "assignments": len(tracked),
                                                   "items": dict(result.items), "messages": written})
    return result


def take_lock(*, session: Session, name: str, holder: str, now: datetime) -> None:
    """Hold the named lock until this transaction ends (a row lock on PostgreSQL, the write lock on SQLite)."""
    table = Lock.__table__
    stmt = update(table).where(table.c.name == name).values(holder=holder[:100], taken_at=utc(now))
    if session.execute(stmt).rowcount == 0:
        insert_ignoring_duplicates(session=session, table=table, keys=["name"],
                                   rows=[{"name": name, "holder": holder[:100], "taken_at": utc(now)}])
        session.execute(stmt)


def due_assignments(*, session: Session, as_of: datetime, policies: dict[str, ReminderPolicy],
                    directive_id: uuid.UUID | None = None, unnotified_only: bool = False,
                    assignment_ids: list[uuid.UUID] | None = None) -> tuple[list[Tracked], dict[str, ItemFacts]]:
    """Open assignments of issued directives whose next action has come (or those named), with what their
    messages say."""
    # recurring tasks: the last period a (not returned) report covers; looked up per due row through the
    # report's assignment index (a grouped subquery would read every report the city ever received)
    R = Report.__table__
    reported = (select(func.max(R.c.period_end))
                .where(R.c.assignment_id == A.c.id, R.c.period_end.is_not(None),
                       R.c.review_status != ReviewStatus.RETURNED)
                .correlate(A).scalar_subquery())
    query = (
        select(A.c.id, A.c.role, A.c.due, A.c.planned_until, T.c.ref, T.c.content, T.c.deadline_written,
               T.c.deadline_kind, T.c.due.label("written_due"), T.c.period, T.c.leader_in_charge_id,
               D.c.id.label("directive_id"), D.c.number, D.c.issuer, D.c.issued_at, D.c.reminder_policy,
               D.c.leader_in_charge_id.label("directive_leader"), D.c.status.label("directive_status"),
               U.c.ref.label("unit_ref"), U.c.name.label("unit"), reported.label("reported_until"))
        .select_from(A.join(T, A.c.task_id == T.c.id).join(D, T.c.directive_id == D.c.id).join(U, A.c.unit_id == U.c.id))
        .where(A.c.status == AssignmentStatus.OPEN)
    )
    if assignment_ids is None:
        query = query.where(A.c.next_action_at <= utc(as_of))
    else:
        query = query.where(A.c.id.in_(assignment_ids))
    if directive_id is not None:
        query = query.where(D.c.id == directive_id)
    if unnotified_only:
        query = query.where(A.c.notified_at.is_(None))
    people = dict(session.execute(select(Person.id, Person.name)).all())
    tracked, facts, issued = [], {}, {}
    for r in session.execute(query):
        # checked here, not in SQL: a directive-status predicate leads the planner to scan every open assignment
        if r.directive_status != DirectiveStatus.ISSUED:
            continue
        key = str(r.id)
        periodic = r.deadline_kind in ("ongoing", "recurring")
        item = Item(key=key, task=r.ref, unit=r.unit, role=r.role, due=r.due, period=r.period if periodic else None,
                    leader=people.get(r.leader_in_charge_id or r.directive_leader), office=r.issuer,
                    reported_until=r.reported_until)
        policy = policies.get(r.reminder_policy)
        if policy is None:
            raise InputError(f"văn bản {r.number} dùng chính sách nhắc việc “{r.reminder_policy}” không còn trong cấu hình")
        if r.directive_id not in issued:  # the same for every assignment of a directive: converted once
            issued[r.directive_id] = r.issued_at.astimezone(ICT)
        tracked.append(Tracked(item, issued[r.directive_id], r.planned_until, policy))
        facts[key] = ItemFacts(str(r.directive_id), r.number, r.ref, r.content, r.deadline_written, r.written_due,
                               r.unit_ref, r.unit)
    return tracked, facts


def _messages(session: Session, decisions: list[Decision], planning: Planning, facts: dict[str, ItemFacts],
              as_of: datetime) -> list[dict]:
    """Render each recipient's digest once and address it to every contact of the recipient."""
    policy_of = {d.tracked.item.key: d.tracked.policy for d in decisions}
    run_day = pendulum.instance(as_of).in_timezone(TZ).date()
    found = _with_backlogs(session, digests(decisions), run_day)
    contacts = addresses(session=session, planning=planning, recipients=[(d.kind, d.name) for d in found])
    facts = with_links(session=session, facts=facts, keys={s.item.key for d in found if d.kind == "unit" for s in d.steps},
                       planning=planning, now=as_of)
    rows = []
    for digest in found:
        policies = [policy_of[s.item.key] for s in digest.steps]
        quiet = all(p.quiet_hours for p in policies)
        send_at = send_window(as_of, calendar=planning.calendar, policy=policies[0]) if quiet else as_of
        rendered = render_digest(digest, facts=facts, as_of=as_of, calendar=planning.calendar,
                                 public_url=planning.public_url)
        rows += digest_rows(digest, rendered, contacts.get(digest.recipient, []), run_day=run_day, as_of=as_of,
                            send_at=send_at, quiet=quiet)
    return rows


def _with_backlogs(session: Session, found: list[Digest], run_day: date) -> list[Digest]:
    """A leader or an office is told of every overdue item of its scope: the ones escalated in this run in
    full, and the others (escalated before, still open) counted per unit."""
    if all(d.kind == "unit" for d in found):
        return found
    P = Person.__table__
    leader = func.coalesce(T.c.leader_in_charge_id, D.c.leader_in_charge_id)
    counts = session.execute(
        select(U.c.name, P.c.name.label("leader"), D.c.issuer, func.count())
        .select_from(A.join(T, A.c.task_id == T.c.id).join(D, T.c.directive_id == D.c.id)
                     .join(U, A.c.unit_id == U.c.id).outerjoin(P, P.c.id == leader))
        .where(A.c.status == AssignmentStatus.OPEN, A.c.role == "lead", D.c.status == DirectiveStatus.ISSUED,
               T.c.deadline_kind == "date", A.c.due < run_day)
        .group_by(U.c.name, P.c.name, D.c.issuer)
    ).all()
    out = []
    for digest in found:
        if digest.kind == "unit":
            out.append(digest)
            continue
        field = 1 if digest.kind == "person" else 2
        scope = Counter()
        for row in counts:
            if row[field] == digest.name:
                scope[row[0]] += row[3]
        scope.subtract(Counter(s.item.unit for s in digest.steps))
        backlog = tuple(sorted(((unit, n) for unit, n in scope.items() if n > 0), key=lambda un: (-un[1], un[0])))
        out.append(replace(digest, backlog=backlog))
    return out


def _record_steps(session: Session, decisions: list[Decision], as_of: datetime) -> None:
    planned = utc(as_of)
    rows = [{"id": uuid.uuid4(), "assignment_id": uuid.UUID(s.item.key), "kind": s.kind, "step_at": utc(s.at),
             "planned_at": planned} for d in decisions for s in d.all_steps]
    insert_ignoring_duplicates(session=session, table=ReminderStep.__table__, rows=rows,
                               keys=["assignment_id", "kind", "step_at"])


def _move_watermarks(session: Session, decisions: list[Decision], as_of: datetime) -> None:
    """Everything up to as_of is decided; the assignment is looked at again when its next step comes."""
    if not decisions:
        return
    moment = utc(as_of)
    stmt = (update(A).where(A.c.id == bindparam("b_id")).values(
        planned_until=func.coalesce(bindparam("b_until", type_=TZDateTime()), A.c.planned_until),
        next_action_at=bindparam("b_next", type_=TZDateTime()),
        notified_at=func.coalesce(A.c.notified_at, bindparam("b_notified", type_=TZDateTime())),
    ))
    session.connection().execute(stmt, [{
        "b_id": uuid.UUID(d.tracked.item.key),
        # a replay of an earlier moment never moves a watermark backwards
        "b_until": moment if d.tracked.planned_until is None or d.tracked.planned_until < as_of else None,
        "b_next": utc(d.next_at) if d.next_at else None,
        "b_notified": moment if any(s.kind == "notice" for s in d.steps) else None,
    } for d in decisions])


def resend_latest(*, session: Session, planning: Planning, unit: Unit, now: datetime, actor: str,
                  directive_id: uuid.UUID | None = None) -> list[dict]:
    """The unit's latest digest (the steps of its latest run), rendered anew and queued to its current
    addresses: for a unit that says it got nothing, or whose address was wrong. Returns the new rows."""
    S = ReminderStep.__table__
    mine = select(A.c.id).join(T, A.c.task_id == T.c.id).where(A.c.unit_id == unit.id, A.c.status == AssignmentStatus.OPEN)
    if directive_id is not None:
        mine = mine.where(T.c.directive_id == directive_id)
    latest = session.execute(select(func.max(S.c.planned_at)).where(S.c.assignment_id.in_(mine),
                                                                     S.c.kind != "escalation")).scalar()
    if latest is None:
        raise InputError(f"{unit.name} chưa có tin nhắn nào để gửi lại (hoặc mọi nhiệm vụ đã đóng)")
    steps = session.execute(select(S.c.assignment_id, S.c.kind, S.c.step_at).where(
        S.c.assignment_id.in_(mine), S.c.planned_at == latest, S.c.kind != "escalation")).all()
    tracked, facts = due_assignments(session=session, as_of=now, policies=planning.policies,
                                     assignment_ids=list({a for a, _, _ in steps}))
    items = {t.item.key: t.item for t in tracked}
    digest = Digest("unit", unit.name, tuple(sorted(
        (Step(pendulum.instance(at).in_timezone(TZ), kind, items[str(a)]) for a, kind, at in steps if str(a) in items),
        key=lambda s: (ref_order(s.item.task), KINDS.index(s.kind)))))
    facts = with_links(session=session, facts=facts, keys=set(items), planning=planning, now=now)
    rendered = render_digest(digest, facts=facts, as_of=now, calendar=planning.calendar, public_url=planning.public_url)
    urls = addresses(session=session, planning=planning, recipients=[("unit", unit.name)])[f"unit:{unit.name}"]
    rows = notice_rows(recipient=digest.recipient, name=unit.name, rendered=rendered, urls=urls,
                       basis=f"resend:{latest.isoformat()}:{int(now.timestamp())}", run_day=_day(now), as_of=now,
                       send_at=send_window(now, calendar=planning.calendar, policy=planning.default_policy),
                       items=[{"task": s.item.task, "kind": s.kind, "assignment_id": s.item.key} for s in digest.steps])
    insert_outbox(session=session, rows=rows)
    create_event(session=session, at=now, actor=actor, action="digest.resent", entity="unit", entity_id=unit.id,
                 data={"of_run": latest.isoformat(), "messages": len(rows)})
    return rows


def _day(moment: datetime):
    return pendulum.instance(moment).in_timezone(TZ).date()
