"""Flow: issue a stored draft (its number and date from the signed copy); its units are told at once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from domain.text import md_text, vn_date
from flows.assign_directive import assign_directive
from flows.runtime import actor, moment, open_request
from intake.service import issue_draft as issue


@flow(name="issue_draft", description="Ban hành bản dự thảo: cấp số, ngày, giao nhiệm vụ / Issue a draft")
def issue_draft(
    draft: Annotated[str, Field(title="Bản dự thảo", description="Mã bản dự thảo (8 ký tự đầu), xem `dondoc status`")],
    number: Annotated[str, Field(title="Số, ký hiệu", description="Ví dụ 9395/VP-VX", min_length=2)],
    issued_on: Annotated[date, Field(title="Ngày ban hành")],
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
        directive_id, count = issue(env=env, ref=draft, number=number, issued_on=issued_on, actor=who, now=now)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không ban hành được / not issued: {exc}")
    notices = assign_directive(directive=directive_id, as_of=as_of)
    create_markdown_artifact(key="issued-draft", description=f"Đã ban hành {md_text(number)}",
                             markdown=f"# Đã ban hành văn bản số {md_text(number)} ngày {vn_date(issued_on)}\n\n"
                                      f"- {count} lượt giao cho đơn vị\n- Thông báo giao nhiệm vụ: {notices['summary']}\n")
    return {"id": directive_id, "number": number, "assignments": count, "notices": notices["notices"]}
