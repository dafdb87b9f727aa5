"""What every flow does first: the moment it acts as, who it is in the audit log, the city's configuration."""

from __future__ import annotations

import uuid
from datetime import datetime

import pendulum
from prefect import get_client
from prefect.runtime import deployment, flow_run
from pydantic_core import to_jsonable_python

from domain.policy import TZ
from flows import heartbeats  # noqa: F401  (flow runs end without waiting for the heartbeat thread)
from models.crud import create_event, find_directive
from models.db import session_scope
from models.env import Env, prepare


def moment(as_of: datetime | None) -> datetime:
    """The flow's `as_of` (a replayed moment) or now, in Asia/Ho_Chi_Minh; naive input is read as local time."""
    if as_of is None:
        return pendulum.now(TZ)
    if as_of.tzinfo is None:
        return pendulum.instance(as_of, tz=TZ)
    return pendulum.instance(as_of).in_timezone(TZ)


def wall_clock() -> datetime:
    """The real moment, even in a replay: dispatchers' leases are kept among processes running now."""
    return pendulum.now(TZ)


def actor() -> str:
    return f"prefect:{flow_run.get_id() or 'local'}"


def directive_id(env: Env, ref: str) -> uuid.UUID:
    with session_scope(env.url) as session:
        return find_directive(session=session, ref=ref).id


def open_request(now: datetime, who: str) -> Env:
    """What a flow run starts with: the environment (config, database at head) and its request audited."""
    env = prepare(now=now, actor=who)
    record_request(env, now)
    return env


def record_request(env: Env, now: datetime) -> None:
    """Audit: which flow run asked for what (its parameters), before it does anything."""
    params = _short(to_jsonable_python(flow_run.get_parameters() or {}, fallback=str))
    with session_scope(env.url) as session:
        create_event(session=session, at=now, actor=actor(), action=f"flow.{flow_run.get_flow_name() or 'local'}",
                     entity="flow_run", reason=deployment.name or None,
                     data={"flow_run": flow_run.get_id(), "flow_run_name": flow_run.get_name(),
                           "parameters": params})


def _short(value):
    """Parameters as the audit log keeps them: a pasted document is cut, not stored whole a second time."""
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short(v) for v in value]
    return value[:500] + "…" if isinstance(value, str) and len(value) > 500 else value


def name_run(name: str) -> None:
    """Give the running flow run a name that says what it did (operators read the runs list, not the logs)."""
    run_id = flow_run.get_id()
    if not run_id:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(uuid.UUID(run_id), name=name[:200])


def run_shards(deployment_name: str, parameter_sets: list[dict], *, timeout: float = 3600) -> list[str]:
    """Start one run of a deployment per parameter set, for the work pool's workers to share, and wait for
    all of them; returns their final states' names."""
    import time

    from prefect.deployments import run_deployment

    runs = [run_deployment(deployment_name, parameters=p, timeout=0, as_subflow=True) for p in parameter_sets]
    deadline, states = time.monotonic() + timeout, {}
    with get_client(sync_client=True) as client:
        while len(states) < len(runs) and time.monotonic() < deadline:
            for run in runs:
                state = client.read_flow_run(run.id).state
                if state is not None and state.is_final():
                    states[run.id] = state.name
            time.sleep(1)
    return [states.get(run.id, "chưa xong") for run in runs]


def in_deployment() -> bool:
    """Whether this flow runs from a deployment (a worker or `make run`), where other deployments can be run."""
    return deployment.get_id() is not None
