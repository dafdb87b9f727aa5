"""Flow: take a task away from a unit (assigned by mistake, merged unit); the task and directive may close."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow
from pydantic import Field

from flows.reports import office_decision
from models.crud import find_directive, find_unit
from models.reports import cancel_assignment as cancel
from models.reports import find_work_by


@flow(name="cancel_assignment", description="Hủy nhiệm vụ đã giao cho một đơn vị / Cancel a unit's assignment")
def cancel_assignment(
    directive: Annotated[str, Field(title="Văn bản", description="Số (9395/VP-VX) hoặc mã")],
    unit: Annotated[str, Field(title="Đơn vị", description="Tên đơn vị như trong danh mục")],
    task: Annotated[str, Field(title="Mục", description="Số thứ tự nhiệm vụ trong văn bản, ví dụ 2 hoặc 2.1")],
    reason: Annotated[str, Field(title="Lý do", min_length=1)],
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    def decide(*, session, planning, now, who):
        work = find_work_by(session=session, directive=find_directive(session=session, ref=directive),
                            unit=find_unit(session=session, registry=planning.registry, name=unit), task_ref=task)
        return cancel(session=session, planning=planning, work=work, reason=reason, by=who, now=now)

    return office_decision(decide, as_of=as_of, failed="Không hủy được / cancellation failed")
