"""A year of a city's directives, reproducible from a seed: realistic shapes, written with bulk inserts.

Directives of 3–60 tasks; a task goes to one department, a few units, or all 114 communes (coordinating units
sometimes); deadlines spread over the year and moved off holidays by the real calendar; a share of the work
already closed (a fifth of it late). The chase state is set as a daily chase would have left it on the eve of
`as_of`, and exactly `due` assignments, in whole tasks as deadlines fall, have their next action at or before
`as_of` (the rest later), so that a benchmark controls what is open and what is due independently.

Units report as real ones do: each has its own diligence, most open work has an update this month (more so
near or past its deadline), some also an earlier one, a few were returned; closed work ends with an accepted
completion report. Reports come from their own random stream: the directives, tasks and assignments of a
seed are the same with or without them.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import pendulum
from sqlalchemy import insert
from sqlmodel import select

from config.loaders import load_calendar, load_registry
from config.settings import get_settings
from domain.policy import TZ
from domain.text import name_key
from models.db import engine_for, session_scope
from models.directives import Assignment, Directive, Task
from models.env import prepare
from models.reporting import Report
from models.units import Person, Unit

GENERATION = 2  # bump when what a seed makes changes: it names the data folder, so stale data is never reused

CONTENTS = [
    "Rà soát, cập nhật số liệu chuyển đổi số của đơn vị và báo cáo kết quả về Sở Khoa học và Công nghệ.",
    "Triển khai cấp chứng thư số công vụ cho cán bộ, công chức, viên chức; bảo đảm hạ tầng mạng.",
    "Hoàn thiện cơ sở dữ liệu chuyên ngành, kết nối với nền tảng tích hợp, chia sẻ dữ liệu của thành phố.",
    "Tổ chức tuyên truyền, phổ biến Nghị quyết số 57-NQ/TW đến cán bộ, đảng viên và Nhân dân trên địa bàn.",
    "Đề xuất danh mục nhiệm vụ khoa học và công nghệ, đổi mới sáng tạo năm 2026, gửi Sở Tài chính thẩm định.",
]
LEADERS = ["Hoàng Minh Cường", "Nguyễn Quang Phúc", "Lê Trí Vũ", "Trần Văn Quân"]
ISSUERS = ["Văn phòng UBND thành phố Hải Phòng", "Ban Chỉ đạo phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số thành phố"]


@dataclass(frozen=True)
class Shape:
    open: int  # open assignments wanted (closed ones come on top)
    due: int  # of which due at as_of
    seed: int = 2026
    as_of: datetime = pendulum.datetime(2026, 6, 15, 8, tz=TZ)  # a Monday


def generate(url: str, shape: Shape) -> dict:
    """Fill an empty database at `url`; returns what was made."""
    prepare(now=shape.as_of, actor="bench", settings=get_settings().model_copy(update={"database_url": url}))
    rng = random.Random(shape.seed)
    calendar, registry = load_calendar(), load_registry()
    with session_scope(url) as session:
        units = dict(session.exec(select(Unit.ref, Unit.id)).all())
        people = [_person(session, name) for name in LEADERS]
    communes = [u.ref for u in registry.units.values() if u.kind == "commune"]
    departments = [u.ref for u in registry.units.values() if u.kind == "department"]
    made = {"directives": 0, "tasks": 0, "open": 0, "due": 0, "closed": 0, "reports": 0}
    reporting = random.Random(f"{shape.seed}-reports")
    diligence = {ref: reporting.uniform(0.55, 1.0) for ref in sorted(units)}
    engine = engine_for(url)
    due_left, open_left = shape.due, shape.open
    while open_left > 0:
        directive, tasks, assignments = _directive(rng, shape, made["directives"], units, communes, departments,
                                                   people, calendar)
        # deadlines fall on a task, for all its units at once: what is due on a day comes in whole tasks
        task_due, by_id = {}, {t["id"]: t for t in tasks}
        for row in assignments:
            if row["status"] != "open":
                made["closed"] += 1
                continue
            if row["task_id"] not in task_due:
                task_due[row["task_id"]] = _due_today(by_id[row["task_id"]], shape, rng, due_left, open_left)
            is_due = task_due[row["task_id"]] and due_left > 0
            _chase_state(row, shape, is_due, by_id[row["task_id"]]["due"], rng)
            due_left -= is_due
            open_left -= 1
            made["open"] += 1
            made["due"] += is_due
        refs = {uid: ref for ref, uid in units.items()}
        reports = [r for a in assignments for r in _reports(a, directive["issued_on"], shape, reporting,
                                                           diligence[refs[a["unit_id"]]])]
        with engine.begin() as connection:
            connection.execute(insert(Directive.__table__), [directive])
            connection.execute(insert(Task.__table__), tasks)
            connection.execute(insert(Assignment.__table__), assignments)
            if reports:
                connection.execute(insert(Report.__table__), reports)
        made["reports"] += len(reports)
        made["directives"] += 1
        made["tasks"] += len(tasks)
    return made


def _person(session, name: str) -> uuid.UUID:
    person = session.exec(select(Person).where(Person.key == name_key(name))).first()
    if person is None:
        person = Person(key=name_key(name), name=name, title="Phó Chủ tịch UBND thành phố")
        session.add(person)
        session.flush()
    return person.id


def _directive(rng, shape: Shape, n: int, units: dict, communes: list, departments: list, people: list,
               calendar) -> tuple[dict, list[dict], list[dict]]:
    issued_on = (shape.as_of - timedelta(days=rng.randint(5, 300))).date()
    issued_on = calendar.on_or_after(issued_on)
    did = uuid.uuid4()
    at = _utc(datetime.combine(issued_on, time(9, 0)))
    directive = {"id": did, "number": f"{1000 + n}/UBND-BENCH", "kind": "ke_hoach", "issued_on": issued_on,
                 "issuer": rng.choice(ISSUERS), "issuer_key": name_key(rng.choice(ISSUERS)), "signer": None,
                 "subject": f"Kế hoạch thực hiện nhiệm vụ chuyển đổi số số {n}", "reminder_policy": "default",
                 "status": "issued", "implements": [], "leader_in_charge_id": rng.choice(people), "issued_at": at,
                 "source_name": "bench", "source_sha256": uuid.uuid4().hex, "created_at": at, "updated_at": at,
                 "closed_at": None}
    tasks, assignments = [], []
    for position in range(rng.randint(3, 60)):
        due = calendar.on_or_after(issued_on + timedelta(days=rng.randint(10, 330)))
        lead = _leads(rng, communes, departments)
        tid = uuid.uuid4()
        tasks.append({"id": tid, "directive_id": did, "ref": str(position + 1), "position": position, "section": None,
                      "content": rng.choice(CONTENTS), "output": "Báo cáo", "report_to": None,
                      "deadline_written": f"trước ngày {due.day}/{due.month}/{due.year}", "deadline_kind": "date",
                      "due": due, "effective_due": due, "period": None, "leader_in_charge_id": None,
                      "lead_written": "", "coordinating_written": "", "lead_units": lead, "coordinating_units": [],
                      "held_reason": None, "closed_at": None})
        for ref in lead:
            closed = due < shape.as_of.date() and rng.random() < 0.5
            assignments.append({"id": uuid.uuid4(), "task_id": tid, "unit_id": units[ref], "role": "lead",
                                "status": "done" if closed else "open", "due": due, "next_action_at": None,
                                "notified_at": at, "planned_until": None, "created_at": at,
                                "closed_at": _utc(datetime.combine(due, time(10))) if closed else None})
    return directive, tasks, assignments


def _leads(rng, communes: list, departments: list) -> list[str]:
    roll = rng.random()
    if roll < 0.35:
        return list(communes)  # "UBND các xã, phường, đặc khu"
    if roll < 0.5:
        return rng.sample(departments, 3)
    return [rng.choice(departments)]


def _due_today(task: dict, shape: Shape, rng, due_left: int, open_left: int) -> bool:
    """Whether the task has a step today; if so its deadline moves to one that makes a step today."""
    if due_left <= 0 or rng.random() >= due_left / max(open_left, 1):
        return False
    # before, on or after the deadline
    due = shape.as_of.date() + timedelta(days=rng.choice([3, 1, 0, -1, -3, -7, -15]))
    task.update(due=due, effective_due=due, deadline_written=f"trước ngày {due.day}/{due.month}/{due.year}")
    return True


def _chase_state(row: dict, shape: Shape, is_due: bool, due, rng) -> None:
    """As a daily chase leaves it: everything decided up to the eve; the next action today (due) or later."""
    eve = shape.as_of - timedelta(days=1)
    row["planned_until"] = _utc(eve)
    row["due"] = due
    if is_due:
        row["next_action_at"] = _utc(shape.as_of - timedelta(minutes=rng.randint(0, 60)))
    else:
        row["next_action_at"] = _utc(shape.as_of + timedelta(days=rng.randint(1, 120)))


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = pendulum.instance(moment, tz=TZ)
    return datetime.fromtimestamp(moment.timestamp(), tz=timezone.utc)


def _reports(row: dict, issued_on, shape: Shape, rng, diligence: float) -> list[dict]:
    """What a unit of this `diligence` has sent on one assignment by the eve of `as_of` (closing it late, sometimes)."""
    today = shape.as_of.date()
    month = today.replace(day=1)
    reports = []
    if row["status"] == "done":
        if rng.random() < 0.2:  # finished late: closed some days after the deadline, before today
            late = min(row["due"] + timedelta(days=rng.randint(1, 20)), today - timedelta(days=1))
            row["closed_at"] = _utc(datetime.combine(late, time(10)))
        closed_on = pendulum.instance(row["closed_at"]).in_timezone(TZ).date()
        if rng.random() < 0.5 and (closed_on - issued_on).days > 6:
            reports.append(_report(row, _day_between(rng, issued_on, closed_on), rng.randint(20, 80), "accepted"))
        reports.append(_report(row, closed_on, 100, "accepted", done=True))
        return reports
    if rng.random() < 0.35 * diligence and (month - issued_on).days > 6:
        reports.append(_report(row, _day_between(rng, issued_on, month - timedelta(days=1)), rng.randint(10, 60),
                               "accepted"))
    near = row["due"] <= today + timedelta(days=30)
    if rng.random() < diligence * (1.0 if near else 0.85) and today > max(month, issued_on):
        review = rng.choices(["submitted", "accepted", "returned"], [60, 37, 3])[0]
        reports.append(_report(row, _day_between(rng, max(month, issued_on), today - timedelta(days=1)),
                               rng.randint(20, 95), review))
    return reports


def _day_between(rng, first, last):
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _report(row: dict, day, progress: int, review: str, done: bool = False) -> dict:
    at = _utc(datetime.combine(day, time(15, 30)))
    return {"id": uuid.uuid4(), "assignment_id": row["id"], "submitted_at": at, "progress": progress,
            "done_text": "Đã hoàn thành nhiệm vụ." if done else "Đang triển khai theo kế hoạch.", "difficulties": "",
            "proposals": "", "evidence": [], "claims_completion": done, "review_status": review,
            "reviewed_at": at + timedelta(hours=18) if review != "submitted" else None,
            "reviewer": "Văn phòng" if review != "submitted" else None, "review_reason": None, "source": "web",
            "period_end": None, "submitted_by": ""}
