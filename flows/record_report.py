"""Flow: record a unit's report on its behalf (sent on paper or by phone)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from domain.report_form import validate_report
from domain.text import md_text
from flows.runtime import actor, moment, open_request
from models.crud import find_directive, find_unit
from models.db import session_scope
from models.reports import find_work_by, submit_report


@flow(name="record_report", description="Ghi báo cáo thay đơn vị / Record a report on a unit's behalf")
def record_report(
    directive: Annotated[str, Field(title="Văn bản", description="Số hoặc mã")],
    unit: Annotated[str, Field(title="Đơn vị")],
    task: Annotated[str, Field(title="Mục")],
    progress: Annotated[int, Field(title="Tiến độ (%)", ge=0, le=100)],
    done_text: Annotated[str, Field(title="Kết quả thực hiện", min_length=1)],
    difficulties: Annotated[str, Field(title="Khó khăn, vướng mắc")] = "",
    proposals: Annotated[str, Field(title="Đề xuất")] = "",
    links: Annotated[list[str], Field(title="Đường dẫn minh chứng")] = [],  # noqa: B006 (a form default)
    complete: Annotated[bool, Field(title="Đơn vị báo cáo đã hoàn thành")] = False,
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
        form = validate_report({"progress": progress, "done_text": done_text, "difficulties": difficulties,
                                "proposals": proposals, "links": links, "claims_completion": complete})
        with session_scope(env.url) as session:
            work = find_work_by(session=session, directive=find_directive(session=session, ref=directive),
                                unit=find_unit(session=session, registry=env.registry, name=unit), task_ref=task)
            report = submit_report(session=session, work=work, form=form, evidence=[], source="office",
                                   submitted_by=who, now=now)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không ghi được báo cáo / report not recorded: {exc}")
    waiting = " — chờ duyệt hoàn thành (review_report)" if complete else ""
    create_markdown_artifact(key="recorded-report", description=f"Báo cáo của {work.unit.name}",
                             markdown=f"# Đã ghi báo cáo {progress}% của {md_text(work.unit.name)}, văn bản "
                                      f"{md_text(work.directive.number)}, mục {md_text(work.task.ref)}{waiting}\n\n"
                                      f"Mã báo cáo: `{report.id}`\n")
    return {"id": str(report.id), "status": work.assignment.status}
