"""Flow: send what waits in the outbox (retries, messages held by quiet hours), or one share of it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from domain.policy import TZ
from flows.reports import publish_run
from flows.runtime import actor, moment, name_run
from flows.tasks import send_due_messages
from models.env import prepare


@flow(name="dispatch_outbox", description="Gửi các tin nhắn đang chờ (gửi lại khi lỗi) / Dispatch the outbox")
def dispatch_outbox(
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
    limit: Annotated[int | None, Field(ge=1, title="Tối đa số tin", description="Để trống: tất cả tin đến lượt")] = None,
    shard: Annotated[int, Field(ge=0, title="Phần", description="Phần thứ mấy (từ 0) khi chia việc gửi")] = 0,
    shards: Annotated[int, Field(ge=1, le=64, title="Số phần", description="1: gửi tất cả")] = 1,
):
    now, who = moment(as_of), actor()
    if shard >= shards:
        return Failed(message=f"Phần {shard} không có khi chia {shards} phần / shard out of range")
    try:
        env = prepare(now=now, actor=who)
        sent = send_due_messages(env, now, who, limit, (shard, shards))
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không gửi được / dispatch failed: {exc}")
    part = f" (phần {shard + 1}/{shards})" if shards > 1 else ""
    summary = publish_run(key="dispatch-outbox", heading=f"Gửi tin nhắn{part}", as_of=now, planned=None, sent=sent)
    name_run(f"dispatch {now.astimezone(TZ):%Y-%m-%d %H:%M}{part}: {sent.count('sent')} đã gửi, "
             f"{sent.count('failed') + sent.count('dead')} lỗi")
    return {"as_of": now.isoformat(), "summary": summary, "sent": sent.count("sent"),
            "failed": sent.count("failed"), "dead": sent.count("dead")}
