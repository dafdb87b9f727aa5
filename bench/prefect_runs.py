"""Measures that need a Prefect server: the batch dispatcher against the naive design (one task run per message),
and a chase run with nothing due on a warm server. The server is a real `prefect server start` of its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime

from bench.generate import Shape
from flows.prefect_env import healthy
from notifiers.sinks import free_port


@contextlib.contextmanager
def prefect_server():
    """A Prefect server in its own process with a throwaway home; this process's client pointed at it."""
    home = tempfile.mkdtemp(prefix="dondoc-bench-prefect-")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    os.environ.update({
        "PREFECT_HOME": home, "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1", "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port), "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/p.db",
    })
    os.environ.pop("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", None)
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_healthy(api, server)
        yield api
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(home, ignore_errors=True)


def dispatch_versus_naive(api: str, count: int, fill) -> dict:
    """The same `count` json:// messages sent by the dispatch_outbox flow, then (refilled) by a flow with one
    task run per message; seconds of each flow run, end to end, on the same warm server."""
    from flows.dispatch_outbox import dispatch_outbox

    _warm()
    # Both designs run warm: a few messages first go out through the dispatcher (Apprise's plugins loaded, the
    # channel code and the outbox's statements used once), as they would in a process that has sent before;
    # the naive design, timed second, reuses the same channel code.
    as_of = fill(20, key="warm")
    assert dispatch_outbox(as_of=as_of)["sent"] == 20
    fill(count, key="batch")
    started = time.perf_counter()
    state = dispatch_outbox(as_of=as_of, return_state=True)
    batch_returned = time.perf_counter() - started
    _recorded(state, api, 1)
    batch = time.perf_counter() - started
    assert state.result()["sent"] == count
    fill(count, key="naive")
    started = time.perf_counter()
    state = naive_dispatch(as_of=as_of)
    naive_returned = time.perf_counter() - started
    tasks = _recorded(state, api, count)
    naive = time.perf_counter() - started
    assert state.result() == count == tasks, (state.result(), tasks)
    return {"batch_seconds": batch, "naive_seconds": naive, "ratio": naive / batch,
            "batch_returned": batch_returned, "naive_returned": naive_returned}


def empty_chase(runs: int = 4) -> dict:
    """A daily chase with nothing due, as a flow run on a warm server: the fastest of the runs after the first."""
    from flows.chase_deadlines import chase_deadlines

    quiet = Shape(0, 0).as_of.subtract(hours=2)  # the generated work falls due at as_of, not before
    times = []
    for n in range(runs):
        started = time.perf_counter()
        out = chase_deadlines(as_of=quiet.add(minutes=n))
        times.append(time.perf_counter() - started)
        assert out["messages"] == 0, out
    return {"seconds": min(times[1:]), "first_seconds": times[0]}


def naive_dispatch(as_of: datetime):
    """The design dondoc avoids: every outbox row its own Prefect task run, which claims it, sends it through the
    same channel code and records it sent (the task options a first design would use: Prefect's defaults)."""
    from prefect import flow, task
    from sqlmodel import select, update

    from models.db import session_scope
    from models.env import prepare
    from models.messaging import OutboxMessage, OutboxStatus
    from notifiers.channels import deliver
    from notifiers.delivery import SendContext

    @task(name="send-one-message")
    def send_one(url: str, row_id) -> bool:
        with session_scope(url) as session:
            claimed = session.execute(update(OutboxMessage).where(
                OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.PENDING).values(
                status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1)).rowcount
            row = session.get(OutboxMessage, row_id)
            session.expunge(row)
        if not claimed:
            return False
        outcome, _ = deliver(row.target, row.channel, row.payload, key=row.idempotency_key,
                             context=SendContext(row.idempotency_key, sent_at=as_of))
        with session_scope(url) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
                status=OutboxStatus.SENT if outcome.status == "sent" else OutboxStatus.FAILED, sent_at=as_of))
        return outcome.status == "sent"

    @flow(name="naive_dispatch")
    def naive() -> int:
        env = prepare(now=as_of, actor="bench")
        with session_scope(env.url) as session:
            ids = session.exec(select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)).all()
        return sum(send_one(env.url, row_id) for row_id in ids)

    return naive(return_state=True)


def _recorded(state, api: str, tasks: int, timeout: float = 600) -> int:
    """Wait until the server has recorded the flow run's end and every task run's: what a design costs includes
    the server's work, on the same machine."""
    import json

    run = str(state.state_details.flow_run_id)
    query = {"flow_runs": {"id": {"any_": [run]}}}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        flow_run = json.loads(_post(f"{api}/flow_runs/filter", query))[0]
        final = json.loads(_post(f"{api}/task_runs/filter", query | {"task_runs": {"state": {"type": {"any_": [
            "PENDING", "RUNNING", "SCHEDULED"]}}}, "limit": 1}))
        if flow_run["state_type"] == "COMPLETED" and not final:
            recorded = int(_post(f"{api}/task_runs/count", query))
            if recorded >= tasks:
                return recorded
        time.sleep(0.05)
    raise RuntimeError("the server did not record the runs in time")


def _post(url: str, body: dict) -> bytes:
    import json

    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read()


def _warm() -> None:
    """One tiny flow run first, so that neither design pays for the client's and the server's first run."""
    from prefect import flow, task

    @task
    def nothing() -> int:
        return 1

    @flow(name="warm_up")
    def warm_up() -> int:
        return nothing()

    warm_up()


def _wait_healthy(api: str, server: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(api, timeout=2):
        if server.poll() is not None:
            raise RuntimeError(f"prefect server exited with {server.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError("prefect server did not become healthy")
        time.sleep(0.5)

