"""Flow: the daily chase — every notice, reminder and escalation due now, planned and sent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from flows.reports import publish_run
from flows.runtime import actor, moment
from flows.tasks import plan_messages, send_due_messages
from models.env import prepare


@flow(name="chase_deadlines",
      description="Đôn đốc: nhắc việc trước, đúng và sau hạn, báo lãnh đạo việc quá hạn / Chase deadlines")
def chase_deadlines(
    as_of: Annotated[datetime | None, Field(
        title="Coi như thời điểm", description="Để trống: bây giờ (giờ Việt Nam). Dùng để chạy lại một ngày đã qua")] = None,
    dispatch: Annotated[bool, Field(title="Gửi ngay", description="Tắt: chỉ lên lịch vào hàng đợi, không gửi")] = True,
):
    now, who = moment(as_of), actor()
    try:
        env = prepare(now=now, actor=who)
        planned = plan_messages(env, now, who)
        sent = send_due_messages(env, now, who) if dispatch else None
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không đôn đốc được / chase failed: {exc}")
    summary = publish_run(key="chase-deadlines", heading="Đôn đốc thực hiện nhiệm vụ", as_of=now,
                          planned=planned, sent=sent)
    return {"as_of": now.isoformat(), "summary": summary, "items": dict(planned.items),
            "messages": len(planned.messages), "sent": sent.count("sent") if sent else 0,
            "failed": sent.count("failed") if sent else 0, "dead": sent.count("dead") if sent else 0}
