"""The work a crash test or the soak runs in a process of its own, to kill it at any moment.

`python -m soak.jobs JOB JSON` prints `ready`, waits for the file `go` names (when it names one, so that
several processes start together after their imports), does the job and prints its result as one JSON line.
The soak calls the same functions in forked children. Settings come from the environment (DONDOC_*), as a
worker's do; a job does what the flow of the same name does, without Prefect's bookkeeping around it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pendulum

from domain.policy import TZ


def chase(args: dict) -> dict:
    """The daily chase (flows/chase_deadlines.py): plan everything due at `as_of` in one transaction, then send;
    with `notices`, only the assignment notices due (flows/assign_directive.py)."""
    from models.chase import plan_chase
    from models.db import transaction
    from models.env import planning_of

    env, as_of = _env(args)
    planning = planning_of(env)
    plan = transaction(env.url, lambda session: plan_chase(
        session=session, as_of=as_of, planning=planning, actor=args["worker"],
        unnotified_only=bool(args.get("notices"))))
    return {"planned": len(plan.messages) - plan.duplicates, "looked_at": plan.looked_at} | dispatch(args)


def dispatch(args: dict) -> dict:
    """Send what is due at `as_of` (flows/dispatch_outbox.py); with `idle`, keep going until nothing has been
    due for that many seconds, after waiting up to `first` seconds for something (a dispatcher beside chases)."""
    from notifiers.dispatcher import dispatch_due

    env, as_of = _env(args)
    sent = attempted = 0
    quiet_since = time.monotonic() + max(args.get("first", 0) - args.get("idle", 0), 0)
    while True:
        result = dispatch_due(url=env.url, now=as_of, settings=env.settings, calendar=env.calendar,
                              policy=env.policies["default"], worker=args["worker"])
        sent, attempted = sent + result.count("sent"), attempted + result.attempted
        if result.attempted:
            quiet_since = time.monotonic()
        if time.monotonic() - quiet_since >= args.get("idle", 0):
            return {"sent": sent, "attempted": attempted}
        time.sleep(0.05)


def issue(args: dict) -> dict:
    """`dondoc import PATH [--header]`, then `dondoc issue` with `number` for a draft; safe to run again after
    a kill (a directive already registered is skipped, a draft already issued is left)."""
    from sqlmodel import select

    from intake.readers import read_header
    from intake.service import import_directive, issue_draft, load_plan
    from models.db import session_scope
    from models.directives import Directive

    env, as_of = _env(args)
    header = read_header(Path(args["header"]), max_bytes=env.settings.max_import_bytes) if args.get("header") else None
    plan, source = load_plan(env=env, path=Path(args["path"]), header=header)
    import_directive(env=env, plan=plan, source=source, actor=args["worker"], now=as_of, skip_existing=True)
    with session_scope(env.url) as session:  # this run's, or an earlier one's: the same content
        directive = session.exec(select(Directive).where(Directive.source_sha256 == plan.sha256)).one()
    if args.get("number") and directive.status == "draft":
        issue_draft(env=env, ref=str(directive.id), number=args["number"], issued_on=as_of.date(),
                    actor=args["worker"], now=as_of)
    return {"directive": str(directive.id)}


def reports(args: dict) -> dict:
    """Units report their work done, the office accepts it (`share` of the open lead assignments due within
    two days or late, `most` a day), all in one transaction: the decisions and the notices that say them."""
    from datetime import timedelta
    from random import Random

    from sqlmodel import select

    from domain.report_form import ReportForm
    from models.db import transaction
    from models.directives import Assignment, AssignmentStatus, Task
    from models.env import planning_of
    from models.reports import find_work, review_report, submit_report

    env, as_of = _env(args)
    planning, rng = planning_of(env), Random(args["seed"])
    form = ReportForm(progress=100, done_text="Đơn vị đã hoàn thành nhiệm vụ, gửi kèm báo cáo kết quả.",
                      claims_completion=True)

    def work(session) -> int:
        due = session.exec(select(Assignment.id).join(Task, Assignment.task_id == Task.id).where(
            Assignment.status == AssignmentStatus.OPEN, Assignment.role == "lead", Task.deadline_kind == "date",
            Assignment.due <= as_of.date() + timedelta(days=2)).order_by(Assignment.id)).all()
        chosen = [a for a in due if rng.random() < args["share"]][:args.get("most")]
        for assignment_id in chosen:
            done = find_work(session=session, assignment_id=assignment_id)
            report = submit_report(session=session, work=done, form=form, evidence=[], source="soak",
                                   submitted_by=done.unit.name, now=as_of)
            review_report(session=session, planning=planning, report_id=report.id, accept=True, reason=None,
                          reviewer="soak", now=as_of)
        return len(chosen)

    return {"accepted": transaction(env.url, work)}


def _env(args: dict):
    from models.env import prepare

    as_of = moment(args["as_of"])
    return prepare(now=as_of, actor=args["worker"]), as_of


def moment(text: str) -> datetime:
    return pendulum.parse(text).in_timezone(TZ)


JOBS = {"chase": chase, "dispatch": dispatch, "issue": issue, "reports": reports}
ROOT = Path(__file__).resolve().parent.parent
PASSED = ("state_dir", "database_url", "contacts_file", "dispatch_batch", "dispatch_concurrency",
          "dispatch_max_attempts", "dispatch_backoff_seconds", "dispatch_lease_seconds", "sqlite_busy_timeout_ms",
          "sqlite_lock_limit_seconds")


def environ(settings) -> dict[str, str]:
    """The environment a worker of these settings runs with."""
    values = {name: getattr(settings, name) for name in PASSED}
    return {**os.environ, **{f"DONDOC_{k.upper()}": str(v) for k, v in values.items() if v not in (None, "")}}


def spawn(job: str, args: dict, *, settings) -> subprocess.Popen:
    """`python -m soak.jobs JOB` as a worker of `settings` runs it; returned once it is ready."""
    proc = subprocess.Popen([sys.executable, "-m", "soak.jobs", job, json.dumps(args, default=str)], cwd=ROOT,
                            env=environ(settings), stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{job} did not start ({proc.wait()})")
    return proc


def result(proc: subprocess.Popen, timeout: float = 120) -> dict:
    """What a spawned job printed last, once it is done."""
    out, _ = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"job failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    job, args = sys.argv[1], json.loads(sys.argv[2])
    _env(args)  # configuration read, database checked: what is left after `go` is the job itself
    print("ready", flush=True)
    go = args.get("go")
    while go and not Path(go).exists():
        time.sleep(0.01)
    print(json.dumps(JOBS[job](args)), flush=True)


if __name__ == "__main__":
    main()
