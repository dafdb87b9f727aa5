"""Processes killed with SIGKILL at the worst moment (no cleanup, no rollback of their own): a dispatcher in the
middle of 5,000 messages, an import and an issuance in the middle of their transaction. Real processes, the
sinks in a process of their own, a real SQLite file."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pendulum
import yaml
from sqlalchemy import func, select

from bench.messages import fill_outbox
from conftest import ROOT, TZ
from intake.service import import_directive, issue_draft, load_plan
from models.db import session_scope
from models.directives import Assignment, Directive, Task
from models.env import prepare
from models.messaging import OutboxMessage
from notifiers.dispatcher import dispatch_due
from soak.jobs import environ, result, spawn
from soak.sinks import SinkProcess

AS_OF = pendulum.datetime(2025, 10, 20, 9, 0, tz=TZ)  # a Monday, office hours


def _statuses(env) -> dict[str, str]:
    with session_scope(env.url) as session:
        return dict(session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status)).all())


def test_a_dispatcher_killed_mid_send_loses_nothing_and_resends_only_its_claim_under_the_same_keys(sqlite_settings):
    settings = sqlite_settings
    env = prepare(now=AS_OF, actor="test", settings=settings)
    rng = random.Random(2025)
    with SinkProcess(seed=1) as sinks:
        # 50 webhooks and 10 mailboxes (Apprise parses each address once): 4,500 webhook calls, 500 emails
        urls = [sinks.http_url(f"don-vi-{n % 50}", faults=False) for n in range(4500)]
        urls += [sinks.smtp_url(f"don-vi-{n % 10}@haiphong.gov.vn", faults=False) for n in range(500)]
        rng.shuffle(urls)
        keys = fill_outbox(env, AS_OF, urls, basis="crash")
        assert len(keys) == 5000

        doomed = spawn("dispatch", {"as_of": AS_OF, "worker": "doomed"}, settings=settings)
        kill_at = rng.randint(500, 4000)  # arrivals
        while sinks.arrivals() < kill_at:
            assert doomed.poll() is None, "the dispatcher finished before it could be killed"
            time.sleep(0.01)
        doomed.send_signal(signal.SIGKILL)
        assert doomed.wait() == -signal.SIGKILL
        statuses = _statuses(env)
        in_flight = {k for k, s in statuses.items() if s == "sending"}
        # only the claimed batches are in doubt (the one being sent and the next, claimed ahead): settled rows
        # arrived, the rest were never claimed
        assert 0 < len(in_flight) <= 2 * settings.dispatch_batch
        assert set(statuses.values()) <= {"sent", "sending", "pending"}
        arrived, _ = sinks.counts()
        assert {k for k, s in statuses.items() if s == "sent"} <= set(arrived)
        assert set(arrived) <= keys and set(arrived.values()) == {1}

        # restarted before the lease ran out: the rest goes, the dead dispatcher's claim is left alone
        early = dispatch_due(url=env.url, now=AS_OF + timedelta(minutes=1), settings=settings, calendar=env.calendar,
                             policy=env.policies["default"], worker="early")
        assert early.attempted == 5000 - len(in_flight) - list(statuses.values()).count("sent")
        assert {k for k, s in _statuses(env).items() if s != "sent"} == in_flight
        # restarted after it: the claim is taken back and sent again, under the same keys
        later = AS_OF + timedelta(seconds=settings.dispatch_lease_seconds + 60)
        restart = result(spawn("dispatch", {"as_of": later, "worker": "restarted"}, settings=settings))
        assert restart == {"sent": len(in_flight), "attempted": len(in_flight)}
        arrived, _ = sinks.counts()

    assert set(_statuses(env).values()) == {"sent"}
    assert set(arrived) == keys  # none lost, nothing unknown arrived
    repeated = {k: n for k, n in arrived.items() if n > 1}
    assert set(repeated) <= in_flight and set(repeated.values()) <= {2}  # only the killed batches, once more
    assert sum(arrived.values()) - len(keys) == len(repeated) <= len(in_flight)


# --- Import and issuance ------------------------------------------------------------------------------------

TASKS, COMMUNES = 120, 114
ISSUED = pendulum.datetime(2025, 10, 20, 10, 0, tz=TZ)


def _big_directive(path, *, number: str | None, subject: str) -> None:
    """A plan to every commune with many tasks, as `dondoc import` reads it."""
    path.write_text(yaml.safe_dump({
        "number": number, "kind": "ke_hoach", "issued_on": ISSUED.date().isoformat() if number else None,
        "issuer": "Văn phòng UBND thành phố Hải Phòng", "subject": subject, "reminder_policy": "default",
        "tasks": [{"ref": str(n + 1), "content": f"Rà soát, cập nhật số liệu chuyển đổi số, nội dung số {n + 1}.",
                   "lead": ["UBND các xã, phường, đặc khu"], "deadline": f"trước ngày {1 + n % 28}/12/2025"}
                  for n in range(TASKS)],
    }, allow_unicode=True), encoding="utf-8")


def _cli(settings, *args: str) -> subprocess.Popen:
    """`dondoc …` as a person runs it (its own process), against the database of `settings`."""
    return subprocess.Popen([sys.executable, "-m", "cli.main", *args, "--as-of", ISSUED.isoformat(), "--json"],
                            cwd=ROOT, env=environ(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _writing(db) -> bool:
    """Whether another connection holds SQLite's write lock (a transaction between its first write and commit)."""
    probe = sqlite3.connect(db, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _kill_inside_transaction(proc: subprocess.Popen, db, delay: float) -> bool:
    """SIGKILL `delay` seconds after the process began writing; False when it finished first."""
    while not _writing(db):
        if proc.poll() is not None:
            return False
        time.sleep(0.001)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return proc.returncode == -signal.SIGKILL


def _whole_or_nothing(env) -> list[tuple[str | None, str, int, int]]:
    """Every directive stored, with its tasks and assignments: each must be complete, tasks × communes."""
    with session_scope(env.url) as session:
        rows = session.execute(
            select(Directive.number, Directive.status, func.count(func.distinct(Task.id)), func.count(Assignment.id))
            .join(Task, Task.directive_id == Directive.id, isouter=True)
            .join(Assignment, Assignment.task_id == Task.id, isouter=True).group_by(Directive.id)).all()
    for number, status, tasks, assignments in rows:
        assert tasks == TASKS, f"{number}: {tasks} tasks stored of {TASKS}"
        assert assignments == (TASKS * COMMUNES if status == "issued" else 0), f"{number} {status}: {assignments}"
    return [tuple(r) for r in rows]


def test_an_import_or_an_issuance_killed_at_any_moment_leaves_the_whole_directive_or_nothing(sqlite_settings, tmp_path):
    settings = sqlite_settings
    env = prepare(now=ISSUED, actor="test", settings=settings)  # the CLI then finds nothing to migrate or sync
    db = settings.state_dir / "dondoc.db"
    issued, draft = tmp_path / "ke-hoach.yaml", tmp_path / "du-thao.yaml"
    _big_directive(issued, number="88/KH-UBND", subject="Kế hoạch chuyển đổi số cấp xã năm 2026")
    _big_directive(draft, number=None, subject="Dự thảo kế hoạch chuyển đổi số cấp xã năm 2026")
    whole = ("88/KH-UBND", "issued", TASKS, TASKS * COMMUNES)
    rng = random.Random(8)

    # `dondoc import`: killed the moment it starts writing, then at a random moment after (maybe after its commit)
    for delay in (0.0, rng.uniform(0, 1.0)):
        killed = _kill_inside_transaction(_cli(settings, "import", str(issued)), db, delay)
        assert _whole_or_nothing(env) in ([], [whole])
        assert killed or _whole_or_nothing(env) == [whole]
        if delay == 0.0:
            assert killed and _whole_or_nothing(env) == []  # it had not committed yet
        if _whole_or_nothing(env):
            break
    if not _whole_or_nothing(env):  # run again, it goes through
        _import(env, issued)
    assert _whole_or_nothing(env) == [whole]

    # `dondoc issue` of a stored draft: the same
    ref = _import(env, draft).directive_id[:8]
    issue = ("issue", ref, "--number", "89/KH-UBND", "--issued-on", ISSUED.date().isoformat())
    for delay in (0.0, rng.uniform(0, 1.0)):
        killed = _kill_inside_transaction(_cli(settings, *issue), db, delay)
        [other] = [d[:2] for d in _whole_or_nothing(env) if d != whole]
        assert other in (("89/KH-UBND", "issued"), (None, "draft")) and (killed or other[1] == "issued")
        if delay == 0.0:
            assert killed and other == (None, "draft")
        if other[1] == "issued":
            break
    if other[1] == "draft":
        issue_draft(env=env, ref=ref, number="89/KH-UBND", issued_on=ISSUED.date(), actor="test", now=ISSUED)
    assert sorted(_whole_or_nothing(env)) == [whole, ("89/KH-UBND", "issued", TASKS, TASKS * COMMUNES)]


def _import(env, path):
    plan, source = load_plan(env=env, path=path)
    return import_directive(env=env, plan=plan, source=source, actor="test", now=ISSUED)
