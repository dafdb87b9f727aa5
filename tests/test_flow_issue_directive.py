"""The issuance flow on a real Prefect server (test harness): typed parameters, run, artifact."""

from __future__ import annotations

import asyncio

import pytest
from prefect.client.schemas.sorting import ArtifactSort
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.exceptions import FailedRun
from pydantic import ValidationError as PydanticError
from sqlmodel import func, select

from conftest import EXAMPLES
from flows.issue_directive import IssueDirectiveRequest, issue_directive
from models import Assignment, Directive
from models.db import session_scope

pytestmark = pytest.mark.prefect


def _artifact(key: str):
    async def read():
        async with get_client() as client:
            # the newest: other tests (bad flow parameters) publish under the same key
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                                sort=ArtifactSort.CREATED_DESC, limit=1)
            return found[0] if found else None
    return asyncio.run(read())


def test_flow_issues_a_directive_and_publishes_a_summary(prefect_server, dondoc_env, now):
    result = issue_directive(IssueDirectiveRequest(path=str(EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx"), as_of=now))
    assert result["status"] == "issued" and result["number"] == "01-KH/BCĐ" and result["assignments"] > 0
    with session_scope(dondoc_env.db_url) as s:
        assert s.exec(select(func.count()).select_from(Assignment)).one() == result["assignments"]
    artifact = _artifact("directive-01-kh-bcd")
    assert artifact is not None
    assert "01-KH/BCĐ" in artifact.data and "Cần người vận hành xử lý" in artifact.data
    again = issue_directive(IssueDirectiveRequest(path=str(EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx"),
                                                  skip_existing=True, as_of=now))
    assert again["status"] == "skipped"


def test_flow_takes_pasted_yaml_and_fails_with_the_reason(prefect_server, dondoc_env, now):
    text = (EXAMPLES / "002-cong-van-du-thao.yaml").read_text(encoding="utf-8")
    assert issue_directive(IssueDirectiveRequest(text=text, as_of=now))["status"] == "draft"
    with pytest.raises(FailedRun, match="Sở Giao thông"):
        issue_directive(IssueDirectiveRequest(text=text.replace("Sở Tài chính]", "Sở Giao thông]"), as_of=now))
    assert "Sở Giao thông" in _artifact("directive-rejected").data  # the operator reads why without the logs
    with session_scope(dondoc_env.db_url) as s:
        assert s.exec(select(func.count()).select_from(Directive)).one() == 1  # nothing written


def test_form_needs_exactly_one_source():
    with pytest.raises(PydanticError, match="đúng một nguồn"):
        IssueDirectiveRequest()
    with pytest.raises(PydanticError):
        IssueDirectiveRequest(path="a.yaml", text="b")


def test_make_run_registers_the_three_examples_through_the_flow(prefect_server, dondoc_env, capsys):
    from flows.serve import EXAMPLES as BUNDLED
    from flows.serve import _register_examples

    _register_examples()
    printed = capsys.readouterr().out
    assert "lỗi" not in printed
    assert len(BUNDLED) == 3 and all(name in printed for name in BUNDLED)
    assert _artifact("directive-01-kh-bcd") is not None
    _register_examples()  # a second `make run` skips what is there
    assert printed.count("draft") == 2 and "đã có" not in printed
    assert capsys.readouterr().out.count("skipped") == 3
