"""Flow: register (and issue) a directive from a file or pasted YAML, with a summary artifact for operators."""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import datetime
from pathlib import Path

import pendulum
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Failed
from pydantic import BaseModel, Field, model_validator

from domain.directive_file import DirectivePlan
from domain.errors import DondocError
from domain.policy import TZ
from domain.text import fold, md_text
from flows.assign_directive import assign_directive
from flows.runtime import moment, record_request
from flows.summaries import directive_markdown
from intake.service import ImportResult, import_directive, load_plan
from models.env import prepare


class IssueDirectiveRequest(BaseModel):
    """What the operator fills in the Prefect UI form."""

    path: str | None = Field(default=None, title="Tệp văn bản", description="Đường dẫn trên máy chạy flow: .yaml, .json hoặc .xlsx")
    text: str | None = Field(default=None, title="Hoặc dán YAML/JSON", description="Nội dung văn bản theo mẫu tệp văn bản (xem examples/*.yaml)")
    dry_run: bool = Field(default=False, title="Chạy thử", description="Chỉ kiểm tra, không ghi gì")
    skip_existing: bool = Field(default=False, title="Bỏ qua nếu đã có", description="Không báo lỗi khi văn bản đã được đăng ký")
    as_of: datetime | None = Field(default=None, title="Coi như thời điểm", description="Để trống: bây giờ")

    @model_validator(mode="after")
    def _one_source(self):
        if bool(self.path) == bool(self.text):
            raise ValueError("cần đúng một nguồn: đường dẫn tệp hoặc nội dung dán vào")
        return self


@task(name="validate-and-register", cache_policy=NO_CACHE)  # an effect: never served from a cache
def validate_and_register(request: IssueDirectiveRequest, actor: str) -> ImportResult | str:
    """Read, validate and store the directive in one transaction; bad input comes back as its message."""
    now = request.as_of or pendulum.now(TZ)
    try:
        env = prepare(now=now, actor=actor)
        plan, source = load_plan(env=env, path=Path(request.path) if request.path else None, text=request.text)
        return import_directive(env=env, plan=plan, source=source, actor=actor, now=now,
                                dry_run=request.dry_run, skip_existing=request.skip_existing)
    except DondocError as exc:  # the operator's input, not a bug: a message, not a traceback
        return str(exc)


@flow(name="issue_directive", description="Đăng ký và ban hành văn bản chỉ đạo / Register and issue a directive")
def issue_directive(request: IssueDirectiveRequest):
    logger = get_run_logger()
    actor = f"prefect:{flow_run.get_id() or 'local'}"
    with suppress(DondocError):  # a broken configuration is reported by the registration itself, below
        now = moment(request.as_of)
        record_request(prepare(now=now, actor=actor), now)
    result = validate_and_register(request, actor)
    if isinstance(result, str):
        logger.error(result)
        fenced = result.replace("`", "'")  # keep the message inside its code block
        create_markdown_artifact(key="directive-rejected", markdown=f"# Không đăng ký được văn bản\n\n```\n{fenced}\n```\n",
                                 description="Văn bản bị từ chối: không ghi gì vào cơ sở dữ liệu")
        return Failed(message=f"Không đăng ký được / not registered: {result}")
    plan: DirectivePlan = result.plan
    logger.info("%s: %s, %d nhiệm vụ, %d lượt giao", result.source, result.status, len(plan.tasks), result.assignments)
    create_markdown_artifact(
        # a skipped re-run must not replace the summary of the registration under the directive's key
        key=None if result.status == "skipped" else _artifact_key(plan),
        markdown=directive_markdown(result),
        description=f"Văn bản {md_text(plan.spec.number or 'dự thảo')}: {result.status}",
    )
    notices = 0
    if result.status == "issued":  # the units hear of it at once inside office hours, else at 08:00 next working day
        state = assign_directive(directive=result.directive_id, as_of=request.as_of, return_state=True)
        if state.is_completed():
            notices = state.result()["notices"]
        else:  # the directive stands; the scheduled notice run sends what this one could not
            logger.warning("chưa gửi được thông báo giao nhiệm vụ: %s", state.message)
    return {"status": result.status, "id": result.directive_id, "number": plan.spec.number,
            "tasks": len(plan.tasks), "assignments": result.assignments, "held": len(result.held), "notices": notices}


def _artifact_key(plan: DirectivePlan) -> str:
    """Artifact keys allow lower-case letters, digits and dashes only."""
    base = fold(plan.spec.number or f"du-thao-{plan.sha256[:8]}")
    return "directive-" + re.sub(r"[^a-z0-9]+", "-", base).strip("-")
