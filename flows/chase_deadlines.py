"""Flow: the daily chase — every notice, reminder and escalation due now, planned and sent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from domain.policy import TZ
from flows.reports import publish_run
from flows.runtime import (
    actor,
    in_deployment,
    moment,
    name_run,
    open_request,
    run_shards,
)
from flows.tasks import plan_messages, send_due_messages
from models.db import session_scope
from models.outbox import outbox_counts

DISPATCH_DEPLOYMENT = "dispatch_outbox/dispatch-outbox"


@flow(name="chase_deadlines",
      description="Đôn đốc: nhắc việc trước, đúng và sau hạn, báo lãnh đạo việc quá hạn / Chase deadlines")
def chase_deadlines(
    as_of: Annotated[datetime | None, Field(
        title="Coi như thời điểm", description="Để trống: bây giờ (giờ Việt Nam). Dùng để chạy lại một ngày đã qua")] = None,
    dispatch: Annotated[bool, Field(title="Gửi ngay", description="Tắt: chỉ lên lịch vào hàng đợi, không gửi")] = True,
    shards: Annotated[int, Field(ge=1, le=64, title="Số phần gửi song song", description=(
        "Chia việc gửi theo đơn vị nhận cho nhiều worker (mỗi phần một lần chạy dispatch_outbox); 1: gửi tại chỗ"
    ))] = 1,
):
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
        planned = plan_messages(env, now, who)
        sent = None
        if dispatch and shards > 1 and in_deployment():
            # the workers of the pool share the sending; claiming keeps each message to one of them
            run_shards(DISPATCH_DEPLOYMENT, [{"as_of": now.isoformat(), "shard": i, "shards": shards}
                                             for i in range(shards)])
        elif dispatch:
            sent = send_due_messages(env, now, who)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không đôn đốc được / chase failed: {exc}")
    summary = publish_run(key="chase-deadlines", heading="Đôn đốc thực hiện nhiệm vụ", as_of=now,
                          planned=planned, sent=sent)
    with session_scope(env.url) as session:
        counts = outbox_counts(session=session, keys=[m["key"] for m in planned.messages])
    failed = sum(c.get("failed", 0) + c.get("dead", 0) for c in counts.values())
    name_run(f"chase {now.astimezone(TZ):%Y-%m-%d %H:%M}: {len({m['recipient'] for m in planned.messages})} nơi nhận, "
             f"{sum(planned.items.values())} việc, {failed} lỗi")
    return {"as_of": now.isoformat(), "summary": summary, "items": dict(planned.items),
            "messages": len(planned.messages), "sent": sum(c.get("sent", 0) for c in counts.values()),
            "failed": sum(c.get("failed", 0) for c in counts.values()),
            "dead": sum(c.get("dead", 0) for c in counts.values())}
