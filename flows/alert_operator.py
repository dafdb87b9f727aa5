"""Flow: tell the city office's operators that something needs them (a chase failed, messages were dead-lettered).

Started by Prefect automations (flows/alerts.py), so that even a chase that crashed — and so could not say so
itself — is reported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from domain.text import md_text
from flows.runtime import actor, moment, open_request
from flows.tasks import send_due_messages
from models.db import session_scope
from models.env import planning_of
from models.notices import send_notice

WHAT = {"chase_failed": "Lần đôn đốc không chạy được", "dead_letters": "Có tin nhắn không gửi được",
        "flow_failed": "Một flow của dondoc không chạy được"}


@flow(name="alert_operator", description="Báo người vận hành khi có sự cố / Alert the operators")
def alert_operator(
    what: Annotated[Literal["chase_failed", "dead_letters", "flow_failed"], Field(title="Sự cố")],
    detail: Annotated[str, Field(title="Chi tiết", max_length=2000)] = "",
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
        planning = planning_of(env)
        if not planning.operators:
            get_run_logger().warning("chưa có địa chỉ người vận hành (operators trong contacts.yaml)")
            return {"messages": 0}
        with session_scope(env.url) as session:
            queued = send_notice(session=session, planning=planning, kind="operator", name="Người vận hành dondoc",
                                 template="alert", title=f"[dondoc] {WHAT[what]}", now=now, quiet=False,
                                 context={"what": WHAT[what], "detail": detail},
                                 basis=f"alert:{what}:{detail}:{int(now.timestamp())}",
                                 items=[{"task": "", "kind": what, "assignment_id": ""}])
        sent = send_due_messages(env, now, who)
    except DondocError as exc:
        return Failed(message=f"Không báo được người vận hành / alert failed: {exc}")
    create_markdown_artifact(key="operator-alert", description=WHAT[what],
                             markdown=f"# {WHAT[what]}\n\n{md_text(detail)}\n\nĐã báo {sent.count('sent')} địa chỉ.\n")
    return {"messages": queued, "sent": sent.count("sent")}
