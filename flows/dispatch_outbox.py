"""Flow: send what waits in the outbox (retries, messages held by quiet hours)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from flows.reports import publish_run
from flows.runtime import actor, moment
from flows.tasks import send_due_messages
from models.env import prepare


@flow(name="dispatch_outbox", description="Gửi các tin nhắn đang chờ (gửi lại khi lỗi) / Dispatch the outbox")
def dispatch_outbox(
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
    limit: Annotated[int | None, Field(ge=1, title="Tối đa số tin", description="Để trống: tất cả tin đến lượt")] = None,
):
    now, who = moment(as_of), actor()
    try:
        env = prepare(now=now, actor=who)
        sent = send_due_messages(env, now, who, limit)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không gửi được / dispatch failed: {exc}")
    summary = publish_run(key="dispatch-outbox", heading="Gửi tin nhắn", as_of=now, planned=None, sent=sent)
    return {"as_of": now.isoformat(), "summary": summary, "sent": sent.count("sent"),
            "failed": sent.count("failed"), "dead": sent.count("dead")}
