"""Issuance against a real database (SQLite file and throwaway PostgreSQL): import, drafts, issue, expansion."""

from __future__ import annotations

import pendulum
import pytest
from sqlmodel import func, select

from conftest import EXAMPLES
from domain.errors import ConflictError, ValidationError
from intake.service import import_directive, issue_draft, load_plan
from models.env import prepare
from models import Assignment, Directive, Event, Task, Unit
from models.db import session_scope

ACTOR = "test"


def _import(settings, path, now, **kw):
    env = prepare(now=now, actor=ACTOR, settings=settings)
    plan, source = load_plan(env=env, path=path)
    return env, import_directive(env=env, plan=plan, source=source, actor=ACTOR, now=now, **kw)


def _count(env, model, *where):
    with session_scope(env.url) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def test_units_registry_is_seeded(settings, now):
    env = prepare(now=now, actor=ACTOR, settings=settings)
    assert _count(env, Unit, Unit.kind == "commune") == 114


def test_draft_is_stored_and_starts_no_clock(settings, now):
    env, result = _import(settings, EXAMPLES / "002-cong-van-du-thao.yaml", now)
    assert result.status == "draft"
    assert _count(env, Task) == 3
    assert _count(env, Assignment) == 0


def test_issuing_a_draft_expands_groups_to_every_commune(settings, now):
    env, result = _import(settings, EXAMPLES / "002-cong-van-du-thao.yaml", now)
    _, count = issue_draft(env=env, ref=result.directive_id[:8], number="9395/VP-VX",
                           issued_on=now.date(), actor=ACTOR, now=now)
    assert count == 1 + 114 + 1 + 1 + 114
    with session_scope(env.url) as s:
        task3 = s.exec(select(Task).where(Task.ref == "3")).one()
        leads = s.exec(select(Assignment).where(Assignment.task_id == task3.id, Assignment.role == "lead")).all()
        assert len(leads) == 114  # one assignment per commune
        assert len({a.unit_id for a in leads}) == 114
        assert all(a.next_action_at == now for a in leads)  # inside office hours: notice at once
        directive = s.exec(select(Directive)).one()
        assert (directive.status, directive.number) == ("issued", "9395/VP-VX")
        actions = [e.action for e in s.exec(select(Event).order_by(Event.at)).all()]
        assert "directive.registered" in actions and "directive.issued" in actions


def test_issued_outside_office_hours_is_noticed_next_working_morning(settings):
    friday_evening = pendulum.datetime(2025, 10, 17, 18, 0, tz="Asia/Ho_Chi_Minh")
    env, result = _import(settings, EXAMPLES / "002-cong-van-du-thao.yaml", friday_evening)
    issue_draft(env=env, ref=result.directive_id, number="9395/VP-VX", issued_on=friday_evening.date(),
                actor=ACTOR, now=friday_evening)
    with session_scope(env.url) as s:
        moments = set(s.exec(select(Assignment.next_action_at)).all())
    assert moments == {pendulum.datetime(2025, 10, 20, 8, 0, tz="Asia/Ho_Chi_Minh")}


def test_programme_2026_gives_40_tasks_with_units_and_deadlines(settings, now):
    env, result = _import(settings, EXAMPLES / "004-chuong-trinh-2026.xlsx", now)
    plan = result.plan
    assert len(plan.tasks) == 40
    assert all(t.lead for t in plan.tasks) and all(t.deadline.written for t in plan.tasks)
    kinds = {t.deadline.kind for t in plan.tasks}
    assert {"date", "ongoing"} <= kinds
    assert _count(env, Task) == 40


def test_plan_01_is_issued_and_its_unresolved_deadline_held_for_an_operator(settings, now):
    env, result = _import(settings, EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx", now)
    assert result.status == "issued" and result.assignments > 0
    assert any("thời hạn lấy từ văn bản khác" in why for _, why in result.held)
    with session_scope(env.url) as s:
        held = s.exec(select(Task).where(Task.deadline_kind == "unresolved")).all()
        assert held and all(t.held_reason for t in held) and all(t.due is None for t in held)


def test_same_directive_twice_is_refused_and_number_must_be_unique(settings, now, tmp_path):
    env, first = _import(settings, EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx", now)
    with pytest.raises(ConflictError, match="đã được đăng ký"):
        _import(settings, EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx", now)
    _, skipped = _import(settings, EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx", now, skip_existing=True)
    assert skipped.status == "skipped"
    _, draft = _import(settings, EXAMPLES / "002-cong-van-du-thao.yaml", now)
    issue_draft(env=env, ref=draft.directive_id, number="9395/VP-VX", issued_on=now.date(), actor=ACTOR, now=now)
    text = (EXAMPLES / "002-cong-van-du-thao.yaml").read_text(encoding="utf-8")
    other = tmp_path / "other.yaml"
    other.write_text(text.replace("V/v đôn đốc", "V/v tiếp tục đôn đốc"), encoding="utf-8")
    _, second = _import(settings, other, now)
    before = _count(env, Assignment)
    with pytest.raises(ConflictError, match="9395/VP-VX"):  # numbers are unique per issuer
        issue_draft(env=env, ref=second.directive_id, number="9395/VP-VX", issued_on=now.date(), actor=ACTOR, now=now)
    assert _count(env, Assignment) == before  # the failed issue wrote nothing
    # another issuer may use the same number
    third = tmp_path / "third.yaml"
    third.write_text(text.replace("issuer: Văn phòng UBND thành phố Hải Phòng", "issuer: Sở Tài chính"), encoding="utf-8")
    _, mine = _import(settings, third, now)
    issue_draft(env=env, ref=mine.directive_id, number="9395/VP-VX", issued_on=now.date(), actor=ACTOR, now=now)


def test_dry_run_writes_nothing(settings, now):
    env, result = _import(settings, EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx", now, dry_run=True)
    assert result.status == "validated" and result.assignments > 0
    assert _count(env, Directive) == 0


def test_every_problem_is_reported_at_once(settings, now, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "kind: cong_van\nissuer: Văn phòng UBND thành phố\nsubject: Thử\nnumber: 1/VP\nissued_on: 2025-10-01\n"
        "tasks:\n  - {ref: '1', content: A, lead: [Sở Giao thông vận tải], deadline: 31/4/2026}\n"
        "  - {ref: '1', content: B, lead: [Sở Tài chính], deadline: Quý I/2026, colour: red}\n",
        encoding="utf-8",
    )
    env = prepare(now=now, actor=ACTOR, settings=settings)
    with pytest.raises(ValidationError) as info:
        load_plan(env=env, path=bad)
    assert len(info.value.problems) == 1  # schema errors stop before units and dates are checked
    assert "colour" in str(info.value)
    bad.write_text(bad.read_text(encoding="utf-8").replace(", colour: red", ""), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_plan(env=env, path=bad)
    text = str(info.value)
    assert len(info.value.problems) == 3
    assert "Sở Giao thông vận tải" in text and "31/4/2026" in text and "trùng" in text
