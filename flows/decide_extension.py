"""Flow: the office grants or refuses a unit's extension request (a grant moves the deadline and the reminders)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from prefect import flow
from pydantic import Field

from flows.reports import office_decision
from models.reporting import Extension
from models.reports import decide_extension as decide_it
from models.reports import find_by_id


@flow(name="decide_extension", description="Quyết định gia hạn: đồng ý hoặc không / Grant or refuse an extension")
def decide_extension(
    extension: Annotated[str, Field(title="Mã đề nghị gia hạn", description="8 ký tự đầu là đủ, xem `dondoc reports`")],
    decision: Annotated[Literal["đồng ý", "không đồng ý"], Field(title="Quyết định")],
    new_due: Annotated[date | None, Field(title="Hạn mới", description="Để trống: ngày đơn vị đề nghị")] = None,
    reason: Annotated[str | None, Field(title="Lý do", description="Bắt buộc khi không đồng ý")] = None,
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    def decide(*, session, planning, now, who):
        found = find_by_id(session=session, model=Extension, ref=extension, what="đề nghị gia hạn")
        return decide_it(session=session, planning=planning, extension_id=found.id, grant=decision == "đồng ý",
                         new_due=new_due, reason=reason, by=who, now=now)

    return office_decision(decide, as_of=as_of, failed="Không quyết định được gia hạn / extension failed")
