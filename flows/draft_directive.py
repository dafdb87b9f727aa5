"""Flow: draft a directive from a letter's text (pasted, or a .txt/.pdf on the flow's machine); the operator
reads the review, edits the YAML and issues it with issue_directive (or issue_draft once signed)."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from pydantic import BaseModel, Field, model_validator

from domain.errors import DondocError
from flows.runtime import moment, open_request


class DraftDirectiveRequest(BaseModel):
    """What the operator fills in the Prefect UI form."""

    path: str | None = Field(default=None, title="Tệp văn bản", description="Đường dẫn trên máy chạy flow: .txt hoặc .pdf có lớp chữ")
    text: str | None = Field(default=None, title="Hoặc dán nội dung", description="Chữ của công văn/kế hoạch, kể cả bản OCR")

    @model_validator(mode="after")
    def _one_source(self):
        if bool(self.path) == bool(self.text):
            raise ValueError("cần đúng một nguồn: đường dẫn tệp hoặc nội dung dán vào")
        return self


@task(name="read-and-draft", cache_policy=NO_CACHE)
def read_and_draft(request: DraftDirectiveRequest) -> dict | str:
    """The draft and its review; bad input comes back as its message."""
    from pathlib import Path

    from drafting.render import draft_yaml, review_markdown, review_rows
    from intake.drafting import draft_letter

    try:
        draft = draft_letter(path=Path(request.path) if request.path else None, text=request.text)
    except DondocError as exc:
        return str(exc)
    return {"yaml": draft_yaml(draft), "review": review_markdown(draft), "rows": review_rows(draft),
            "tasks": len(draft.tasks), "to_check": draft.tasks_to_check(), "is_draft": draft.is_draft}


@flow(name="draft_directive", description="Đọc công văn/kế hoạch (kể cả OCR), đề xuất bản nháp văn bản / Draft a directive from its letter")
def draft_directive(request: DraftDirectiveRequest):
    logger = get_run_logger()
    open_request(moment(None), _actor())
    result = read_and_draft(request)
    if isinstance(result, str):
        logger.error(result)
        return Failed(message=f"Không đọc được văn bản / not drafted: {result}")
    fenced = result["yaml"].replace("```", "'''")
    create_markdown_artifact(key="directive-draft", description=f"Bản nháp: {result['tasks']} nhiệm vụ, "
                             f"{len(result['to_check'])} cần kiểm tra",
                             markdown=result["review"] + "\n## Tệp văn bản (sửa rồi chạy issue_directive)\n\n```yaml\n"
                             + fenced + "```\n")
    create_table_artifact(key="directive-draft-review", table=result["rows"],
                          description="Từng trường: độ tin cậy, dòng nguồn, cần kiểm tra")
    logger.info("%d nhiệm vụ, %d cần kiểm tra", result["tasks"], len(result["to_check"]))
    return {"tasks": result["tasks"], "to_check": result["to_check"], "is_draft": result["is_draft"], "yaml": result["yaml"]}


def _actor() -> str:
    from flows.runtime import actor

    return actor()
