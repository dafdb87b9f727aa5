"""Flow: take a task away from a unit (assigned by mistake, merged unit); the task and directive may close."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from flows.reports import publish_decision
from flows.runtime import actor, moment, record_request
from flows.tasks import record_decision, send_due_messages
from models.crud import find_directive, find_unit
from models.env import prepare
from models.reports import cancel_assignment as cancel, find_work_by


@flow(name="cancel_assignment", description="Hủy nhiệm vụ đã giao cho một đơn vị / Cancel a unit's assignment")
def cancel_assignment(
    directive: Annotated[str, Field(title="Văn bản", description="Số (9395/VP-VX) hoặc mã")],
    unit: Annotated[str, Field(title="Đơn vị", description="Tên đơn vị như trong danh mục")],
    task: Annotated[str, Field(title="Mục", description="Số thứ tự nhiệm vụ trong văn bản, ví dụ 2 hoặc 2.1")],
    reason: Annotated[str, Field(title="Lý do", min_length=1)],
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    now, who = moment(as_of), actor()
    try:
        env = prepare(now=now, actor=who)
        record_request(env, now)

        def decide(*, session, planning, now):
            work = find_work_by(session=session, directive=find_directive(session=session, ref=directive),
                                unit=find_unit(session=session, registry=planning.registry, name=unit), task_ref=task)
            return cancel(session=session, planning=planning, work=work, reason=reason, by=who, now=now)

        done = record_decision(env, decide, now)
        sent = send_due_messages(env, now, who)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không hủy được / cancellation failed: {exc}")
    return publish_decision(done, sent, as_of=now)
