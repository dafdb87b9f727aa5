"""Set-based issuance (SQLite file and throwaway PostgreSQL): an appendix to every commune, drafts issued later."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import EXAMPLES
from sqlmodel import func, select

from bench.appendix import write_appendix
from intake.service import import_directive, issue_draft, load_plan
from models import Assignment, Task, Unit
from models.bulk import insert_plain
from models.db import session_scope
from models.env import prepare

ACTOR = "test"


def _import(settings, path, now):
    env = prepare(now=now, actor=ACTOR, settings=settings)
    plan, source = load_plan(env=env, path=path)
    return env, import_directive(env=env, plan=plan, source=source, actor=ACTOR, now=now)


def test_appendix_to_every_commune_gives_each_commune_each_task_with_its_deadline(settings, now, tmp_path):
    env, result = _import(settings, write_appendix(tmp_path, 30), now)
    assert (result.status, result.assignments) == ("issued", 30 * 115)
    with session_scope(env.url) as s:
        communes = set(s.exec(select(Unit.id).where(Unit.kind == "commune")).all())
        tasks = {t.id: t for t in s.exec(select(Task)).all()}
        assignments = s.exec(select(Assignment)).all()
    assert len(assignments) == 30 * 115 and len({a.id for a in assignments}) == len(assignments)
    for task_id, task in tasks.items():
        mine = [a for a in assignments if a.task_id == task_id]
        assert {a.unit_id for a in mine if a.role == "lead"} == communes
        assert [a.role for a in mine].count("coordinating") == 1
        assert all(a.due == task.effective_due and a.status == "open" for a in mine)
    moments = {a.next_action_at for a in assignments}
    assert len(moments) == 1 and next(iter(moments)).utcoffset() is not None


def test_issuing_a_draft_stores_the_first_due_date_its_recurring_task_gets(settings, now):
    env, result = _import(settings, EXAMPLES / "002-cong-van-du-thao.yaml", now)
    with session_scope(env.url) as s:
        daily = s.exec(select(Task).where(Task.ref == "3")).one()
        assert (daily.deadline_kind, daily.period, daily.due) == ("recurring", "daily", None)
    issue_draft(env=env, ref=result.directive_id, number="9395/VP-VX", issued_on=now.date(), actor=ACTOR, now=now)
    with session_scope(env.url) as s:
        daily = s.exec(select(Task).where(Task.ref == "3")).one()
        assert (daily.due, daily.effective_due) == (now.date(), now.date())
        dues = set(s.exec(select(Assignment.due).where(Assignment.task_id == daily.id)).all())
        assert dues == {now.date()}
        dated = s.exec(select(Task).where(Task.ref == "1")).one()
        assert dated.effective_due == date(2025, 9, 30)  # read the same way with or without the date: kept


def test_plain_insert_refuses_rows_that_leave_out_a_column_with_a_default(sqlite_settings, now):
    env = prepare(now=now, actor=ACTOR, settings=sqlite_settings)
    with pytest.raises(ValueError, match="give every column"), session_scope(env.url) as s:
        insert_plain(session=s, table=Assignment.__table__, columns=["task_id", "unit_id", "role", "due",
                                                                     "next_action_at", "created_at"],
                     rows=[(None, None, "lead", None, None, now)])
    with session_scope(env.url) as s:
        assert s.exec(select(func.count()).select_from(Assignment)).one() == 0
