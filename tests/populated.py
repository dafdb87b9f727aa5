"""A database with real work in it, for the data-safety tests: the examples imported and issued, two chases,
a completion report accepted and an extension requested; and every table's rows, read as stored."""

from __future__ import annotations

import pendulum
from sqlalchemy import inspect
from sqlmodel import select

from conftest import EXAMPLES, TZ, issue_example, write_contacts
from domain.report_form import validate_extension, validate_report
from intake.service import import_directive, load_plan
from models.chase import plan_chase
from models.db import make_engine, session_scope
from models.directives import Assignment, Task
from models.env import planning_of, prepare
from models.reports import find_work, request_extension, review_report, submit_report
from models.units import Unit
from notifiers.zalo_tokens import save_zalo_token

SKHCN, STC = "Sở Khoa học và Công nghệ", "Sở Tài chính"
CONTACTS = {"units": {SKHCN: ["json://127.0.0.1:9/skhcn"], STC: ["json://127.0.0.1:9/stc"]},
            "people": {"Hoàng Minh Cường": ["json://127.0.0.1:9/pct"]}}


def at(day: int, month: int, hour: int = 8) -> pendulum.DateTime:
    return pendulum.datetime(2025, month, day, hour, tz=TZ)


def populate(settings):
    """Every kind of row dondoc writes, through the same code the CLI and the flows run; returns the Env."""
    settings = write_contacts(settings, CONTACTS)
    env = issue_example(settings)  # 9395/VP-VX, a draft issued on 27/9/2025
    for name in ("003-ke-hoach-01-KH-BCD.xlsx", "004-chuong-trinh-2026.xlsx"):
        env = prepare(now=at(29, 9, 9), actor="test", settings=settings)
        plan, source = load_plan(env=env, path=EXAMPLES / name)
        import_directive(env=env, plan=plan, source=source, actor="test", now=at(29, 9, 9))
    for moment in (at(29, 9), at(1, 10)):
        with session_scope(env.url) as session:
            plan_chase(session=session, as_of=moment, planning=planning_of(env), actor="test")
    with session_scope(env.url) as session:
        claim = submit_report(session=session, work=_work(session, SKHCN, "1"), source="office", submitted_by="test",
                              form=validate_report({"progress": 100, "done_text": "Đã rà soát đủ 114 xã, phường",
                                                    "claims_completion": True}), evidence=[], now=at(30, 9, 15))
        review_report(session=session, planning=planning_of(env), report_id=claim.id, accept=True, reason=None,
                      reviewer="vp", now=at(1, 10, 10))
        work = _work(session, STC, "2")
        form = validate_extension({"requested_due": "2025-12-31", "reason": "Chờ số liệu của các xã"},
                                  current_due=work.assignment.due)
        request_extension(session=session, work=work, form=form, source="office", requested_by="test",
                          now=at(2, 10, 9))
        save_zalo_token(session=session, oa_id="1234567890", app_id="42", access_token="truy-cap",
                        refresh_token="lam-moi", expires_at=at(3, 10), now=at(2, 10, 9))
    return env


def _work(session, unit: str, task: str):
    assignment = session.exec(select(Assignment).join(Task).join(Unit).where(
        Unit.name == unit, Task.ref == task, Assignment.role == "lead")).first()
    return find_work(session=session, assignment_id=assignment.id)


def table_rows(url: str, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:
    """Each table's rows as the driver returns them (no type processing), sorted; only `columns` when given."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            found = {}
            for table in names:
                cols = (columns or {}).get(table) or [c["name"] for c in inspect(conn).get_columns(table)]
                listed = ", ".join(f'"{c}"' for c in cols)
                found[table] = sorted((tuple(r) for r in conn.exec_driver_sql(f'SELECT {listed} FROM "{table}"')),
                                      key=repr)
            return found
    finally:
        engine.dispose()


def table_columns(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            return {t: [c["name"] for c in found.get_columns(t)] for t in found.get_table_names()}
    finally:
        engine.dispose()
