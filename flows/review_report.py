"""Flow: the office accepts or returns a unit's completion report (the unit is told either way)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from prefect import flow
from pydantic import Field

from flows.reports import office_decision
from models.reporting import Report
from models.reports import find_by_id
from models.reports import review_report as review


@flow(name="review_report", description="Duyệt báo cáo hoàn thành: chấp nhận hoặc trả lại / Review a completion report")
def review_report(
    report: Annotated[str, Field(title="Mã báo cáo", description="Mã báo cáo hoàn thành (8 ký tự đầu là đủ), xem `dondoc reports`")],
    decision: Annotated[Literal["chấp nhận", "trả lại"], Field(title="Quyết định")],
    reason: Annotated[str | None, Field(title="Lý do", description="Bắt buộc khi trả lại; đơn vị nhận được lý do này")] = None,
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    def decide(*, session, planning, now, who):
        found = find_by_id(session=session, model=Report, ref=report, what="báo cáo")
        return review(session=session, planning=planning, report_id=found.id, accept=decision == "chấp nhận",
                      reason=reason, reviewer=who, now=now)

    return office_decision(decide, as_of=as_of, failed="Không duyệt được / review failed")
