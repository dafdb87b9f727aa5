"""Flow: the office accepts or returns a unit's completion report (the unit is told either way)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from prefect import flow, get_run_logger
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from flows.reports import publish_decision
from flows.runtime import actor, moment, record_request
from flows.tasks import record_decision, send_due_messages
from models.env import prepare
from models.reporting import Report
from models.reports import find_by_id, review_report as review


@flow(name="review_report", description="Duyệt báo cáo hoàn thành: chấp nhận hoặc trả lại / Review a completion report")
def review_report(
    report: Annotated[str, Field(title="Mã báo cáo", description="Mã báo cáo hoàn thành (8 ký tự đầu là đủ), xem `dondoc reports`")],
    decision: Annotated[Literal["chấp nhận", "trả lại"], Field(title="Quyết định")],
    reason: Annotated[str | None, Field(title="Lý do", description="Bắt buộc khi trả lại; đơn vị nhận được lý do này")] = None,
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    now, who = moment(as_of), actor()
    try:
        env = prepare(now=now, actor=who)
        record_request(env, now)

        def decide(*, session, planning, now):
            found = find_by_id(session=session, model=Report, ref=report, what="báo cáo")
            return review(session=session, planning=planning, report_id=found.id, accept=decision == "chấp nhận",
                          reason=reason, reviewer=who, now=now)

        done = record_decision(env, decide, now)
        sent = send_due_messages(env, now, who)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không duyệt được / review failed: {exc}")
    return publish_decision(done, sent, as_of=now)
