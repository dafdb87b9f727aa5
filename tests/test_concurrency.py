"""Runs that overlap, in processes of their own: two chases and two dispatchers at once (SQLite and PostgreSQL),
and SQLite's single writer lock held by someone else for longer than a statement waits."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import Counter

import pendulum
import pytest
from sqlmodel import func, select

from config.settings import Settings, get_settings
from conftest import EXAMPLES, TZ, commune_mailboxes, issue_example, make_cli, write_contacts
from domain.errors import DatabaseBusyError
from models.chase import plan_chase
from models.db import session_scope, transaction
from models.directives import Directive
from models.env import planning_of, prepare
from models.messaging import OutboxMessage, ReminderStep
from notifiers.dispatcher import dispatch_due
from soak.jobs import result, spawn

SKHCN = "Sở Khoa học và Công nghệ"
AS_OF = pendulum.datetime(2025, 9, 29, 8, tz=TZ)  # the first chase of seed 002: 114 communes, 346 items


def test_two_chase_processes_and_two_dispatcher_processes_at_once_send_each_message_once(settings, smtp_sink,
                                                                                          tmp_path):
    env = issue_example(write_contacts(settings, {"units": commune_mailboxes(smtp_sink, settings)}))
    workers = env.settings.model_copy(update={"dispatch_batch": 10})  # small claims: the senders share the work
    go = tmp_path / "go"  # every process imported and connected, then all four start at once
    chases = [spawn("chase", {"as_of": AS_OF, "worker": f"chase-{i}", "go": str(go)}, settings=workers)
              for i in range(2)]
    dispatchers = [spawn("dispatch", {"as_of": AS_OF, "worker": f"dispatcher-{i}", "go": str(go), "first": 15,
                                      "idle": 0.5}, settings=workers) for i in range(2)]
    go.touch()
    chased = [result(p) for p in chases]
    sent = [result(p)["sent"] for p in dispatchers]
    planned = sorted(r["planned"] for r in chased)

    assert planned == [0, 116]  # one email per commune, two recipients without contact; the second found nothing
    keys = Counter(m.key for m in smtp_sink.mails)
    assert len(keys) == 114 and set(keys.values()) == {1}
    with session_scope(env.url) as session:
        rows = session.exec(select(OutboxMessage)).all()
        steps = session.exec(select(ReminderStep)).all()
    assert Counter((r.channel, r.status) for r in rows) == {("email", "sent"): 114, ("none", "no_contact"): 2}
    assert {r.idempotency_key for r in rows if r.channel == "email"} == set(keys)
    assert len(steps) == len({(s.assignment_id, s.kind, s.step_at) for s in steps}) == 346
    assert sum(sent) <= 114 and sum(sent) + sum(result["sent"] for result in chased) == 114


# --- SQLite's write lock held elsewhere -----------------------------------------------------------------------

@pytest.fixture
def impatient(monkeypatch, tmp_path):
    """Settings whose SQLite statements wait 0.1 s for a lock (the engine reads them from the environment)."""
    def make(limit: float) -> Settings:
        monkeypatch.setenv("DONDOC_SQLITE_BUSY_TIMEOUT_MS", "100")
        monkeypatch.setenv("DONDOC_SQLITE_LOCK_LIMIT_SECONDS", str(limit))
        get_settings.cache_clear()
        return Settings(state_dir=tmp_path / "state")

    yield make
    get_settings.cache_clear()


class WriteLock:
    """Another connection holding SQLite's write lock for `seconds` at most, or until released."""

    def __init__(self, db, seconds: float):
        taken, self._released = threading.Event(), threading.Event()

        def hold():
            other = sqlite3.connect(db, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            taken.set()
            self._released.wait(seconds)
            other.execute("ROLLBACK")
            other.close()

        self._thread = threading.Thread(target=hold)
        self._thread.start()
        taken.wait()

    def release(self) -> None:
        self._released.set()
        self._thread.join()


def test_a_chase_and_a_dispatch_wait_out_a_lock_held_longer_than_busy_timeout(impatient, smtp_sink, caplog):
    contacts = {"units": {SKHCN: [smtp_sink.url("skhcn@haiphong.gov.vn")]}}
    env = issue_example(write_contacts(impatient(limit=30), contacts))
    db, planning = env.settings.state_dir / "dondoc.db", planning_of(env)
    caplog.set_level(logging.INFO, logger="dondoc.db")

    holder, started = WriteLock(db, 1.5), time.monotonic()
    plan = transaction(env.url, lambda session: plan_chase(session=session, as_of=AS_OF, planning=planning,
                                                           actor="test"))
    assert time.monotonic() - started >= 1.4 and [m["channel"] for m in plan.messages].count("email") == 1
    holder.release()
    holder, started = WriteLock(db, 1.5), time.monotonic()
    sent = dispatch_due(url=env.url, now=AS_OF, settings=env.settings, calendar=env.calendar,
                        policy=env.policies["default"], worker="test")
    assert time.monotonic() - started >= 1.4
    holder.release()

    assert sent.count("sent") == 1 and len(smtp_sink.mails) == 1
    retries = [r.getMessage() for r in caplog.records if r.name == "dondoc.db"]
    assert len(retries) >= 4 and all(m.startswith("cơ sở dữ liệu đang bị khóa ghi; thử lại sau") for m in retries)


def test_a_lock_held_past_the_limit_is_one_clear_error_and_nothing_is_written(impatient):
    env = issue_example(impatient(limit=0.5))
    planning = planning_of(env)
    holder = WriteLock(env.settings.state_dir / "dondoc.db", 30)
    with pytest.raises(DatabaseBusyError, match=r"giữ quyền ghi suốt 0\.\d giây \(chờ tối đa 0\.5 giây\); chưa ghi gì"):
        transaction(env.url, lambda session: plan_chase(session=session, as_of=AS_OF, planning=planning, actor="t"))
    holder.release()
    with session_scope(env.url) as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def test_the_cli_says_the_database_is_busy_in_one_line_never_a_traceback(impatient):
    settings = impatient(limit=0.5)
    prepare(now=AS_OF, actor="test", settings=settings)  # migrated and synced: the command only has its import
    cli = make_cli(settings.state_dir, DONDOC_SQLITE_BUSY_TIMEOUT_MS="100", DONDOC_SQLITE_LOCK_LIMIT_SECONDS="0.5")
    holder = WriteLock(cli.db, 60)
    done = cli("import", str(EXAMPLES / "002-cong-van-du-thao.yaml"))
    holder.release()
    assert done.returncode == 1
    assert done.stderr.startswith("Lỗi: cơ sở dữ liệu bị một tiến trình khác giữ quyền ghi suốt 0.")
    assert "(chờ tối đa 0.5 giây); chưa ghi gì, hãy thử lại sau" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    with session_scope(settings.db_url) as session:
        assert session.exec(select(func.count()).select_from(Directive)).one() == 0
