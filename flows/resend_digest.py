"""Flow: send a unit its latest digest again, to its current addresses (it says nothing came, or an address
was wrong and has been fixed)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from flows.reports import publish_run
from flows.runtime import actor, moment, open_request
from flows.tasks import send_due_messages
from models.chase import ChaseResult, resend_latest
from models.crud import find_directive, find_unit
from models.db import session_scope
from models.env import planning_of


@flow(name="resend_digest", description="Gửi lại tin nhắn gần nhất cho một đơn vị / Resend a unit's latest digest")
def resend_digest(
    unit: Annotated[str, Field(title="Đơn vị", description="Tên đơn vị như trong danh mục")],
    directive: Annotated[str | None, Field(title="Văn bản", description="Để trống: mọi văn bản")] = None,
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
        planning = planning_of(env)
        with session_scope(env.url) as session:
            target = find_unit(session=session, registry=env.registry, name=unit)
            directive_id = find_directive(session=session, ref=directive).id if directive else None
            rows = resend_latest(session=session, planning=planning, unit=target, now=now, actor=who,
                                 directive_id=directive_id)
        sent = send_due_messages(env, now, who)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không gửi lại được / resend failed: {exc}")
    planned = ChaseResult(now, messages=[{"recipient": r["recipient_name"], "channel": r["channel"],
                                          "address": r["target_display"], "status": r["status"],
                                          "items": len(r["payload"]["items"]), "key": r["idempotency_key"]}
                                         for r in rows])
    summary = publish_run(key="resend-digest", heading=f"Gửi lại cho {target.name}", as_of=now, planned=planned,
                          sent=sent)
    return {"summary": summary, "messages": len(rows), "sent": sent.count("sent")}
