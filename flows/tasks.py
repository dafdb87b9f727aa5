"""The batch tasks the flows share: plan a run's steps and messages, send what is due, record a decision.

Each is one task run whatever the number of units, because Prefect records every task run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from flows.alerts import DEAD_LETTERS
from flows.runtime import wall_clock
from models.chase import ChaseResult, plan_chase
from models.db import session_scope, transaction
from models.env import Env, planning_of
from models.reports import Decision
from notifiers.dispatcher import DispatchResult, dispatch_due


# Planning is one transaction that either commits whole or not at all: retrying it is safe.
@task(name="plan-messages", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def plan_messages(env: Env, as_of: datetime, actor: str, directive_id: uuid.UUID | None = None,
                  unnotified_only: bool = False) -> ChaseResult:
    """Decide every step due at as_of and write its messages to the outbox."""
    planning = planning_of(env)
    result = transaction(env.url, lambda session: plan_chase(
        session=session, as_of=as_of, planning=planning, actor=actor, directive_id=directive_id,
        unnotified_only=unnotified_only))
    get_run_logger().info("%d lượt giao đến lúc xử lý; %d tin nhắn mới vào hàng đợi (%s)", result.looked_at,
                          len(result.messages) - result.duplicates, dict(result.items))
    return result


# Sending is not retried here: a failed message is retried by the outbox, with backoff, in a later run.
@task(name="send-due-messages", cache_policy=NO_CACHE)
def send_due_messages(env: Env, as_of: datetime, actor: str, limit: int | None = None,
                      shard: tuple[int, int] = (0, 1)) -> DispatchResult:
    """Send every outbox row due at as_of (of one share of the recipients), with bounded concurrency."""
    result = dispatch_due(url=env.url, now=as_of, settings=env.settings, calendar=env.calendar,
                          policy=env.policies["default"], worker=actor, limit=limit, shard=shard, clock=wall_clock)
    get_run_logger().info("đã thử gửi %d tin: %d gửi được, %d chờ gửi lại, %d không gửi được", result.attempted,
                          result.count("sent"), result.count("failed"), result.count("dead"))
    if result.count("dead"):  # an automation (flows/alerts.py) tells the operators
        dead = [p for p in result.problems if p["status"] == "dead"]
        summary = "; ".join(f"{p['recipient']} ({p['channel']}): {p['error']}" for p in dead[:5])
        emit_event(DEAD_LETTERS, resource={"prefect.resource.id": "dondoc.outbox"},
                   payload={"dead": len(dead), "summary": f"{len(dead)} tin không gửi được: {summary}"[:1500]})
    return result


# Not retried: a decision a person asked for either happens once or fails with its reason for them to see.
@task(name="record-decision", cache_policy=NO_CACHE)
def record_decision(env: Env, decide: Callable[..., Decision], now: datetime) -> dict:
    """Run one office decision (review, extension, cancellation) and say what it did."""
    with session_scope(env.url) as session:
        decision = decide(session=session, planning=planning_of(env), now=now)
        w = decision.work
        summary = {"what": decision.what, "directive": w.directive.number, "task": w.task.ref, "unit": w.unit.name,
                   "assignment": str(w.assignment.id), "status": w.assignment.status,
                   "due": w.assignment.due.isoformat() if w.assignment.due else None,
                   "tasks_closed": decision.closure.tasks if decision.closure else [],
                   "directive_closed": decision.closure.directive if decision.closure else None,
                   "summary": decision.closure.summary if decision.closure else None}
    get_run_logger().info("%s: %s, mục %s, %s", decision.what, summary["directive"], summary["task"], summary["unit"])
    return summary
