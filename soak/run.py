"""`make soak` (`python -m soak`): a year of the city's chases, with faults thrown in, then the proof.

The simulated clock moves day by day (time is a parameter: every job is given its moment): directives come in
on their dates, the chase runs at 08:00 of every working day, units report in the afternoon, and a dispatcher
pass runs whenever something falls due (a retry after its backoff, a claim whose lease ran out), on the
5-minute grid of the dispatch schedule. Each job is a process forked from this one (the imports are done
once), and faults come at random, from a seed: dispatchers and chases SIGKILLed in the middle of sending,
imports killed mid-transaction, two chases or two dispatchers at once, a sink down, answering errors or
hanging up for simulated hours, connections cut. The run stops after `--days` or `--minutes`, whichever
comes first; the outbox is then drained with every sink up, and soak/check.py compares what was planned with
what arrived.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pendulum
import yaml
from sqlalchemy import func, select

from config.loaders import load_registry
from config.settings import get_settings
from domain.policy import TZ
from models.db import engine_for, session_scope
from models.env import prepare
from models.messaging import OutboxMessage as Outbox
from models.outbox import claimable_outbox
from soak import world
from soak.check import verify
from soak.jobs import JOBS
from soak.sinks import SinkProcess


@dataclass
class Tally:
    """What the soak did, and the faults it threw in."""

    days: int = 0
    last_day: date | None = None
    chases: int = 0
    chase_pairs: int = 0
    passes: int = 0
    dispatcher_pairs: int = 0
    directives: int = 0
    killed: Counter = field(default_factory=Counter)  # job → processes SIGKILLed while running
    in_flight: Counter = field(default_factory=Counter)  # idempotency key → times a killed process held its claim
    outages: Counter = field(default_factory=Counter)  # "http down" → windows of simulated hours
    failures: list[str] = field(default_factory=list)  # jobs that failed by themselves


@dataclass
class Child:
    """A forked job and how it is to be killed: after `delay` seconds, or once `arrivals` more messages came."""

    pid: int
    worker: str
    job: str
    delay: float | None = None
    arrivals: int | None = None
    code: int | None = None
    killed: bool = False


class Soak:
    def __init__(self, options: argparse.Namespace, sinks, env, issuances: list):
        self.o, self.sinks, self.env, self.url = options, sinks, env, env.url
        self.rng = random.Random(options.seed)
        self.tally = Tally()
        self.issuances = issuances
        self.modes: dict[str, tuple[str, float]] = {}
        self.windows: dict[str, list[tuple[datetime, datetime, str]]] = {}
        self.cut: dict[str, float] = {}
        self.workers = 0

    # --- the clock ------------------------------------------------------------------------------------------

    def run(self, start: date, days: int, deadline: float) -> None:
        for n in range(days):
            if time.monotonic() > deadline:
                break
            self.day(start + timedelta(days=n))

    def day(self, day: date, *, faults: bool = True) -> None:
        working = self.env.calendar.is_working_day(day)
        if faults:  # a day of the year, not of the drain after it
            self.tally.days, self.tally.last_day = self.tally.days + 1, day
        self._plan_faults(day, working and faults)
        events = [(i.at, "issue", i) for i in self.issuances if i.at.date() == day] if faults else []
        if working and faults:
            events += [(_at(day, 8), "chase", None), (_at(day, 15), "reports", None)]
        now = _at(day, 7)
        while True:
            events.sort(key=lambda e: e[0])
            due = self._next_due(now, day) if working else None
            if events and (due is None or events[0][0] <= due):
                now, what, issuance = events.pop(0)
            elif due is not None:
                now, what, issuance = due, "dispatch", None
            else:
                return
            self._apply_faults(now)
            if what == "chase" and self._chase(now):
                events.append((now + timedelta(minutes=5), "chase", None))  # a killed chase is run again
            elif what == "issue":
                self._issue(now, issuance)
            elif what == "reports":
                self._reports(now)
            elif what == "dispatch":
                self._dispatch(now, faults=faults)

    def drain(self) -> None:
        """Every sink up, no more faults: passes until nothing is left to send (or a month has gone by)."""
        for channel in ("http", "smtp"):
            self._set(channel, "up", 0.0)
        day = (self.tally.last_day or self.o.start) + timedelta(days=1)
        for _ in range(31):
            if not self._count():
                return
            self.day(day, faults=False)
            day += timedelta(days=1)

    # --- the jobs -------------------------------------------------------------------------------------------

    def _chase(self, now: datetime) -> bool:
        """The 08:00 chase, sometimes two at once; True when one was killed (it is run again)."""
        n = 2 if self.rng.random() < 0.25 else 1
        self.tally.chases += 1
        self.tally.chase_pairs += n == 2
        doomed = [self.rng.random() < 0.12 for _ in range(n)]  # killed while planning, or in the middle of sending
        self._slow(any(doomed))
        children = [self._fork("chase", now, delay=self.rng.uniform(0, 1.0) if d else None,
                               arrivals=self.rng.randint(1, 150) if d and self.rng.random() < 0.5 else None)
                    for d in doomed]
        return any(c.killed for c in self._wait(children))

    def _dispatch(self, now: datetime, *, faults: bool) -> None:
        """A pass of the dispatch schedule, sometimes two dispatchers at once, sometimes one killed once some of
        what is due has arrived, or while its sink fails (so that it dies with a claim in hand)."""
        n = 2 if faults and self.rng.random() < 0.25 else 1
        self.tally.passes += 1
        self.tally.dispatcher_pairs += n == 2
        due = self._count(now) if faults else 0
        doomed = [bool(due) and self.rng.random() < 0.2 for _ in range(n)]
        self._slow(any(doomed))
        self._wait([self._fork("dispatch", now, arrivals=self.rng.randint(1, due) if d else None,
                               delay=self.rng.uniform(0.02, 0.3) if d else None) for d in doomed])

    def _issue(self, now: datetime, issuance) -> None:
        """An import (and issuance), maybe killed; run again until it went through, then its notices."""
        args = {"path": str(issuance.path), "header": str(issuance.header or ""), "number": issuance.number}
        kill = self.rng.uniform(0, 0.8) if self.rng.random() < 0.15 else None
        while (done := self._wait([self._fork("issue", now, delay=kill, **args)])[0]).killed:
            kill = None
        self.tally.directives += done.code == 0
        self._wait([self._fork("chase", now, notices=True)])

    def _reports(self, now: datetime) -> None:
        kill = self.rng.uniform(0, 0.5) if self.rng.random() < 0.05 else None
        seed = self.rng.randrange(2**32)
        self._wait([self._fork("reports", now, delay=kill, seed=seed, share=0.25, most=40)])

    # --- processes ------------------------------------------------------------------------------------------

    def _fork(self, job: str, now: datetime, *, delay: float | None = None, arrivals: int | None = None,
              **args) -> Child:

        self.workers += 1
        worker = f"soak-{job}-{self.workers}"
        engine_for(self.url).dispose()  # no database connection crosses the fork
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: do the job, leave without running the parent's cleanup
            code = 1
            try:
                JOBS[job]({"as_of": now.isoformat(), "worker": worker, **args})
                code = 0
            except BaseException:  # noqa: BLE001  (reported by the parent as a failure)
                traceback.print_exc()
            finally:
                os._exit(code)
        return Child(pid, worker, job, delay, arrivals)

    def _wait(self, children: list[Child]) -> list[Child]:
        started, base = time.monotonic(), None
        if any(c.arrivals for c in children):
            base = self.sinks.arrivals()
        while any(c.code is None for c in children):
            arrived = self.sinks.arrivals() - base if base is not None else 0
            for c in children:
                if c.code is not None:
                    continue
                pid, status = os.waitpid(c.pid, os.WNOHANG)
                late = c.delay is not None and time.monotonic() - started >= c.delay
                if pid:
                    c.code = os.waitstatus_to_exitcode(status)
                elif late or (c.arrivals is not None and arrived >= c.arrivals):
                    os.kill(c.pid, signal.SIGKILL)
                    c.code, c.killed = os.waitstatus_to_exitcode(os.waitpid(c.pid, 0)[1]), True
                    self._killed(c)
            time.sleep(0.003)
        for c in children:
            if not c.killed and c.code != 0:
                self.tally.failures.append(f"{c.worker}: exit {c.code}")
        return children

    def _killed(self, child: Child) -> None:
        """Note the rows the killed process held claimed: only they may arrive twice."""
        self.tally.killed[child.job] += 1
        with session_scope(self.url) as session:
            keys = session.execute(select(Outbox.idempotency_key).where(
                Outbox.status == "sending", Outbox.claimed_by.like(f"{child.worker}:%"))).scalars()
            self.tally.in_flight.update(keys)

    # --- what is due, and the faults of the moment ----------------------------------------------------------

    def _next_due(self, after: datetime, day: date) -> datetime | None:
        """The next 5-minute mark of `day`'s office hours when a message falls due or a claim's lease ends."""
        with session_scope(self.url) as session:
            due = session.execute(select(func.min(Outbox.next_attempt_at))
                                  .where(Outbox.status.in_(["pending", "failed"]))).scalar()
            lease = session.execute(select(func.min(Outbox.claimed_until))
                                    .where(Outbox.status == "sending")).scalar()
        moments = [m for m in (due, lease and lease + timedelta(seconds=1)) if m is not None]
        if not moments:
            return None
        moment = _on_grid(max(min(moments), after + timedelta(seconds=1), _at(day, 7, 30)))
        return moment if moment.date() == day and moment <= _at(day, 16, 55) else None

    def _count(self, now: datetime | None = None) -> int:
        """Messages waiting to go (those due at `now`, when given)."""
        waiting = Outbox.status.in_(["pending", "failed", "sending"])
        if now is not None:  # the soak's passes run in office hours, and live at their `now`
            waiting = claimable_outbox(now=now)
        with session_scope(self.url) as session:
            return session.execute(select(func.count()).where(waiting)).scalar()

    def _plan_faults(self, day: date, faults: bool) -> None:
        """Outages of 1–4 simulated hours on some days, and days when connections are cut now and then."""
        for channel, cut in (("http", 0.04), ("smtp", 0.01)):
            self.windows[channel], self.cut[channel] = [], 0.0
            if not faults:
                continue
            if self.rng.random() < 0.2:
                begin = _at(day, self.rng.randint(8, 15), self.rng.choice((0, 30)))
                mode = self.rng.choice(("down", "error", "drop"))
                self.windows[channel].append((begin, begin + timedelta(hours=self.rng.randint(1, 4)), mode))
                self.tally.outages[f"{channel} {mode}"] += 1
            if self.rng.random() < 0.3:
                self.cut[channel] = cut

    def _apply_faults(self, now: datetime) -> None:
        for channel in ("http", "smtp"):
            mode = next((m for begin, end, m in self.windows.get(channel, []) if begin <= now < end), "up")
            self._set(channel, mode, self.cut.get(channel, 0.0))

    def _slow(self, slow: bool) -> None:
        """Slow receivers while a doomed job sends (30 ms a message): its kill lands mid-send, however fast
        the machine."""
        for channel, (mode, cut, _) in list(self.modes.items()):
            self._set(channel, mode, cut, 0.03 if slow else 0.0)

    def _set(self, channel: str, mode: str, cut: float, slow: float = 0.0) -> None:
        if self.modes.get(channel) != (mode, cut, slow):
            self.sinks.set(channel, mode, cut, slow)
            self.modes[channel] = (mode, cut, slow)


def _on_grid(moment: datetime) -> datetime:
    """The first 5-minute mark at or after `moment` (the dispatch schedule's), local time."""
    local = pendulum.instance(moment).in_timezone(TZ)
    mark = local.replace(minute=local.minute - local.minute % 5, second=0, microsecond=0)
    return mark if mark == local else mark.add(minutes=5)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return pendulum.datetime(day.year, day.month, day.day, hour, minute, tz=TZ)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="stop starting new days after this (default 10)")
    parser.add_argument("--days", type=int, default=365, help="simulated days (default 365)")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 9, 29), help="first simulated day")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--per-month", type=float, default=4, help="generated directives a month (default 4)")
    parser.add_argument("--max-tasks", type=int, default=20, help="tasks of a generated directive, at most")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite in a scratch folder)")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL server (needs initdb)")
    parser.add_argument("--keep", type=Path, help="keep the scratch folder (database, sinks' log) here")
    options = parser.parse_args(argv)
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="dondoc-soak-", dir=options.keep))
    with contextlib.ExitStack() as stack:
        if options.postgres and not options.database_url:
            from bench import postgres

            folder = Path(tempfile.mkdtemp(prefix="dondoc-soak-pg-"))
            stack.callback(shutil.rmtree, folder, True)  # after the server has stopped
            server = stack.enter_context(postgres.postgres_server(folder))
            options.database_url = postgres.create(server)
        sinks = stack.enter_context(SinkProcess(seed=options.seed, log=scratch / "sinks.log"))
        soak = _setup(options, sinks, scratch)
        soak.run(options.start, options.days, started + options.minutes * 60)
        soak.drain()
        arrived, faults = sinks.counts()
        verdict = verify(soak.url, arrived, soak.tally)
        engine_for(soak.url).dispose()  # before a throwaway server stops
    print(_heading(options, soak.tally, time.monotonic() - started, faults))
    print("\n".join(verdict.lines))
    if options.keep is None:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if verdict.ok else 1


def _setup(options, sinks, scratch: Path) -> Soak:
    """Settings as a deployment gives them (DONDOC_*), contacts at the sinks, the directives of the year."""
    contacts = scratch / "contacts.yaml"
    os.environ.update({"DONDOC_STATE_DIR": str(scratch / "state"), "DONDOC_CONTACTS_FILE": str(contacts),
                       "DONDOC_DATABASE_URL": options.database_url,
                       # outages last hours: the retry budget must outlast them (a dead letter counts as lost)
                       "DONDOC_DISPATCH_MAX_ATTEMPTS": "40",
                       "DONDOC_DISPATCH_BATCH": "50"})  # a killed dispatcher leaves a realistic share in doubt
    get_settings.cache_clear()
    rng = random.Random(options.seed)
    registry = load_registry(get_settings())
    units = [(u.ref, u.name) for u in registry.units.values()]
    contacts.write_text(yaml.safe_dump(world.contacts(rng, sinks, units), allow_unicode=True), encoding="utf-8")
    env = prepare(now=_at(options.start, 7), actor="soak")
    _warm(yaml.safe_load(contacts.read_text(encoding="utf-8")))
    end = options.start + timedelta(days=options.days)
    departments = [u.name for u in registry.units.values() if u.kind == "department"]
    issuances = world.examples(options.start, end) + world.generated(
        rng, start=options.start, end=end, per_month=options.per_month, folder=scratch / "directives",
        departments=departments, calendar=env.calendar, max_tasks=options.max_tasks)
    return Soak(options, sinks, env, issuances)


def _warm(contacts: dict) -> None:
    """What every job would otherwise do again in each forked child: imports, Apprise's plugins and address
    parsing, the templates compiled."""
    import intake.service  # noqa: F401
    import models.chase
    import models.reports  # noqa: F401
    import notifiers.dispatcher  # noqa: F401
    from notifiers.channels import address
    from notifiers.render import _env as templates

    for urls in (u for group in contacts.values() for u in group.values()):
        for url in urls:
            address(url)
    for name in templates.list_templates():
        templates.get_template(name)


def _heading(options, tally: Tally, seconds: float, faults: dict) -> str:
    backend = "PostgreSQL" if options.database_url.startswith("postgresql") else "SQLite"
    last = tally.last_day or options.start
    cut = sum(n for k, n in faults.items() if k.endswith("cut"))
    lines = [
        (f"dondoc soak: {tally.days} simulated days ({options.start:%d/%m/%Y}–{last:%d/%m/%Y}) in {seconds:.0f} s, "
         f"seed {options.seed}, {backend}"),
        (f"  work: {tally.directives} directives issued, {tally.chases} chases ({tally.chase_pairs} two at once), "
         f"{tally.passes} dispatcher passes ({tally.dispatcher_pairs} two at once)"),
        (f"  killed (SIGKILL): {sum(tally.killed.values())} processes ({_counts(tally.killed)}); "
         f"sink outages: {_counts(tally.outages) or 'none'}; connections cut: {cut}"),
    ]
    return "\n".join(lines)


def _counts(counter: Counter) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(counter.items()))
