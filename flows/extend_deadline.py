"""Flow: the office moves a unit's deadline by its own decision (the unit asked on paper or by phone)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from prefect import flow
from pydantic import Field

from domain.report_form import validate_extension
from flows.reports import office_decision
from models.crud import find_directive, find_unit
from models.reports import decide_extension, find_work_by, request_extension


@flow(name="extend_deadline", description="Gia hạn cho một đơn vị / Extend a unit's deadline")
def extend_deadline(
    directive: Annotated[str, Field(title="Văn bản", description="Số hoặc mã")],
    unit: Annotated[str, Field(title="Đơn vị")],
    task: Annotated[str, Field(title="Mục")],
    new_due: Annotated[date, Field(title="Hạn mới")],
    reason: Annotated[str, Field(title="Lý do", min_length=1)],
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    def decide(*, session, planning, now, who):
        work = find_work_by(session=session, directive=find_directive(session=session, ref=directive),
                            unit=find_unit(session=session, registry=planning.registry, name=unit), task_ref=task)
        form = validate_extension({"requested_due": new_due, "reason": reason}, current_due=work.assignment.due)
        ext = request_extension(session=session, work=work, form=form, source="office", requested_by=who, now=now)
        return decide_extension(session=session, planning=planning, extension_id=ext.id, grant=True,
                                new_due=new_due, reason=None, by=who, now=now)

    return office_decision(decide, as_of=as_of, failed="Không gia hạn được / extension failed")
