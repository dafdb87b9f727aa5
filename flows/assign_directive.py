"""Flow: the assignment notices of an issued directive (or of every directive with notices due), sent now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from flows.reports import publish_run
from flows.runtime import actor, directive_id, moment, open_request
from flows.tasks import plan_messages, send_due_messages


@flow(name="assign_directive",
      description="Thông báo giao nhiệm vụ cho các đơn vị của văn bản vừa ban hành / Send assignment notices")
def assign_directive(
    directive: Annotated[str | None, Field(title="Văn bản", description="Số (9395/VP-VX) hoặc mã; để trống: mọi văn bản có thông báo đến lượt")] = None,
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    """Notices inside office hours go at once; outside them they wait for 08:00 of the next working day."""
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
        target = directive_id(env, directive) if directive else None
        planned = plan_messages(env, now, who, directive_id=target, unnotified_only=True)
        sent = send_due_messages(env, now, who)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không gửi được thông báo / notices failed: {exc}")
    summary = publish_run(key="assign-directive", heading=f"Thông báo giao nhiệm vụ {directive or ''}".strip(),
                          as_of=now, planned=planned, sent=sent)
    return {"as_of": now.isoformat(), "summary": summary, "notices": planned.items.get("notice", 0),
            "messages": len(planned.messages), "sent": sent.count("sent")}
