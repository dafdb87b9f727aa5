"""One measure in a fresh process (its own peak memory, no warm caches): `python -m bench.child WHAT JSON`.

Prints one JSON line: the seconds taken and the process's peak RSS in MB, plus what the measure adds.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import sys
import time
from datetime import date


def _env(state_dir: str, url: str):
    os.environ["DONDOC_STATE_DIR"] = state_dir
    from bench.generate import Shape
    from config.settings import get_settings
    from models.env import prepare

    as_of = Shape(0, 0).as_of
    return prepare(now=as_of, actor="bench", settings=get_settings().model_copy(update={"database_url": url})), as_of


@contextlib.contextmanager
def _database(args: dict, *, copy: bool = False, fresh: bool = False):
    """(state folder, URL) of the measure's database: the generated one (`db`: a SQLite folder, or `pg` + `name`:
    a PostgreSQL server and database), a copy of it for a measure that writes, or a new empty one."""
    import tempfile

    from bench import postgres

    state = tempfile.mkdtemp(prefix="dondoc-bench-state-")
    url = None
    try:
        if "pg" in args:
            url = postgres.create(args["pg"], template=None if fresh else args["name"]) if copy or fresh else \
                f"{args['pg']}/{args['name']}"
        elif fresh:
            url = f"sqlite:///{state}/bench.db"
        elif copy:
            shutil.copy(f"{args['db']}/bench.db", f"{state}/bench.db")
            url = f"sqlite:///{state}/bench.db"
        else:
            url = f"sqlite:///{args['db']}/bench.db"
        # Earlier writes are flushed now, not during the measure: a copied SQLite file's dirty pages (else
        # flushed by the measure's own commit), PostgreSQL's WAL (a database made from a template goes through
        # it, and the checkpointer would write it out meanwhile).
        if "pg" in args:
            postgres.admin(args["pg"], "CHECKPOINT")
        os.sync()
        yield state, url
    finally:
        if "pg" in args and (copy or fresh) and url:
            from models.db import engine_for

            engine_for(url).dispose()
            postgres.drop(url)
        shutil.rmtree(state, ignore_errors=True)


def chase(args: dict) -> dict:
    """plan + render + write outbox over a copy of the generated database."""
    from models.chase import plan_chase
    from models.db import session_scope
    from models.env import planning_of

    with _database(args, copy=True) as (state, url):
        env, as_of = _env(state, url)
        planning = planning_of(env)
        started = time.perf_counter()
        with session_scope(env.url) as session:
            result = plan_chase(session=session, as_of=as_of, planning=planning, actor="bench")
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "looked_at": result.looked_at, "messages": len(result.messages)}


def monitoring(args: dict) -> dict:
    """Every view and the Excel workbook, over the generated database."""
    from flows.monitoring_report import compute_monitoring

    with _database(args) as (state, url):
        env, as_of = _env(state, url)
        times = []
        # Runs of the same work vary by ±0.3 s on these two shared cores (the first may also read the database
        # from storage, when earlier measures' files pushed it out of the OS cache): the fastest of three is
        # judged, as for the empty chase, and all three are reported.
        for _ in range(3):
            started = time.perf_counter()
            compute_monitoring.fn(env, as_of.date(), date(as_of.year, as_of.month, 1))
            times.append(time.perf_counter() - started)
    return {"seconds": min(times), "runs": times}


def dispatch(args: dict) -> dict:
    """`count` messages of one channel to a loopback sink in another process."""
    from bench.messages import fill_outbox

    folder, sink, ports = _start_sink()
    try:
        with _database(args, fresh=True) as (state, url):
            env, as_of = _env(state, url)
            address = (f"json://127.0.0.1:{ports['http']}/hook" if args["channel"] == "json" else
                       f"mailto://127.0.0.1:{ports['smtp']}?from=vanphong@haiphong.gov.vn&to=donvi@haiphong.gov.vn"
                       "&mode=insecure")
            fill_outbox(env, as_of, [address] * args["count"], basis="bench")
            seconds, sent = _dispatch_in_processes(env, as_of, args.get("processes", 1))
    finally:
        counts = _stop_sink(sink, folder)
    return {"seconds": seconds, "sent": sent, "arrived_keys": counts["keys"]}


def prefect(args: dict) -> dict:
    """On a real Prefect server: the batch dispatcher against one task run per message, and an empty chase, both
    over a copy of a generated database, as the flows find it (DONDOC_* settings)."""
    from bench import prefect_runs
    from bench.messages import fill_outbox

    folder, sink, ports = _start_sink()
    try:
        with _database(args, copy=True) as (state, url):
            os.environ["DONDOC_DATABASE_URL"] = url
            env, as_of = _env(state, url)

            def fill(count: int, key: str):
                fill_outbox(env, as_of, [f"json://127.0.0.1:{ports['http']}/hook"] * count, basis=key)
                return as_of

            with prefect_runs.prefect_server() as api:
                out = prefect_runs.dispatch_versus_naive(api, args["count"], fill)
                out |= {"empty_" + k: v for k, v in prefect_runs.empty_chase().items()}
    finally:
        _stop_sink(sink, folder)
    return out


def _start_sink():
    import subprocess
    import tempfile

    folder = tempfile.mkdtemp(prefix="dondoc-bench-")
    portfile = os.path.join(folder, "ports")
    sink = subprocess.Popen([sys.executable, "-m", "bench.sink", portfile])
    deadline = time.monotonic() + 60
    while not os.path.exists(portfile):
        if sink.poll() is not None or time.monotonic() > deadline:
            sink.kill()
            raise RuntimeError(f"the bench's sinks did not start (exit {sink.poll()})")
        time.sleep(0.05)
    with open(portfile) as handle:
        return folder, sink, json.load(handle)


def _stop_sink(sink, folder: str) -> dict:
    import signal

    sink.send_signal(signal.SIGTERM)
    sink.wait()
    with open(os.path.join(folder, "ports.counts")) as handle:
        counts = json.load(handle)
    shutil.rmtree(folder, ignore_errors=True)
    return counts


def _dispatch_in_processes(env, as_of, processes: int) -> tuple[float, int]:
    """Dispatchers as a deployment runs them, one per worker, each on its shard of the recipients; timed from
    the moment all are ready (forked after the imports) until the last one is done."""
    import multiprocessing

    from models.db import engine_for
    from notifiers.dispatcher import dispatch_due

    engine_for(env.url).dispose()  # no SQLite connection crosses the fork
    context = multiprocessing.get_context("fork")
    go, results = context.Event(), context.Queue()

    def one(index: int) -> None:
        engine_for(env.url).dispose(close=False)
        go.wait()
        started = time.time()
        result = dispatch_due(url=env.url, now=as_of, settings=env.settings, calendar=env.calendar,
                              policy=env.policies["default"], worker=f"bench-{index}", shard=(index, processes))
        results.put((started, time.time(), result.count("sent")))

    workers = [context.Process(target=one, args=(i,)) for i in range(processes)]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    go.set()
    done = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return max(end for _, end, _ in done) - min(start for start, _, _ in done), sum(n for _, _, n in done)


def import_appendix(args: dict) -> dict:
    """`dondoc import` of a generated appendix to all communes into a fresh database: read, validate, expand,
    insert, commit (the migrations of the fresh database are not timed)."""
    from pathlib import Path

    from bench.appendix import write_appendix
    from intake.service import import_directive, load_plan

    with _database(args, fresh=True) as (state, url):
        path = write_appendix(Path(state), args["rows"])
        env, as_of = _env(state, url)
        started, cpu = time.perf_counter(), time.process_time()
        plan, source = load_plan(env=env, path=path)
        result = import_directive(env=env, plan=plan, source=source, actor="bench", now=as_of)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "assignments": result.assignments, "tasks": len(plan.tasks)}


def main() -> None:
    what, args = sys.argv[1], json.loads(sys.argv[2])
    out = globals()[what](args)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
