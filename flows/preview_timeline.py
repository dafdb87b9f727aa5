"""Flow: the messages a directive's policy implies, as a table for the operator; sends nothing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from domain.reminders import STEP_LABELS
from domain.text import vn_date, vn_weekday
from flows.runtime import actor, moment
from models.db import session_scope
from models.env import prepare
from models.queries import directive_timeline


@task(name="plan-timeline", cache_policy=NO_CACHE)
def plan_timeline(directive: str, until: date | None) -> tuple[str, date, list[dict]]:
    env = prepare(now=moment(None), actor=actor())
    with session_scope(env.url) as session:
        found, end, messages = directive_timeline(session=session, ref=directive, until=until,
                                                  calendar=env.calendar, policies=env.policies)
        return found.number, end, [m.as_json() for m in messages]


@flow(name="preview_timeline",
      description="Xem trước lịch nhắc việc của một văn bản (không gửi gì) / Preview a directive's reminders")
def preview_timeline(
    directive: Annotated[str, Field(title="Văn bản", description="Số (9395/VP-VX) hoặc mã của văn bản đã ban hành")],
    until: Annotated[date | None, Field(title="Đến ngày", description="Để trống: 30 ngày sau hạn cuối")] = None,
):
    try:
        number, end, messages = plan_timeline(directive, until)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không xem được lịch / no timeline: {exc}")
    rows = []
    for m in messages:
        at = date.fromisoformat(m["at"][:10])
        rows.append({"Lúc": f"{vn_weekday(at)} {vn_date(at)} {m['at'][11:16]}", "Gửi đến": m["to"],
                     "Nội dung": "; ".join(f"mục {i['task']}: {STEP_LABELS[i['kind']]}" for i in m["items"])})
    create_table_artifact(key="timeline", table=rows,
                          description=f"Lịch nhắc việc {number} đến {vn_date(end)}: {len(rows)} tin nhắn (chưa gửi gì)")
    return messages
