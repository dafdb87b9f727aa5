"""The draft_directive admin flow on the Prefect test server: pasted text or a file in, the draft YAML and the
review out as artifacts, an audit event for the request."""

from __future__ import annotations

import pytest
import yaml
from conftest import SOURCES
from sqlmodel import select
from test_flow_chase import artifact

from flows.draft_directive import DraftDirectiveRequest, draft_directive
from models.db import session_scope
from models.messaging import Event

pytestmark = pytest.mark.prefect


def test_draft_from_pasted_text_publishes_yaml_and_review(prefect_server, dondoc_env):
    text = (SOURCES / "002_65c4f9b9ab2cb39f.txt").read_text(encoding="utf-8")
    done = draft_directive(DraftDirectiveRequest(text=text))
    assert (done["tasks"], done["to_check"], done["is_draft"]) == (3, [], True)
    assert yaml.safe_load(done["yaml"])["tasks"][0]["lead"] == ["Sở Khoa học và Công nghệ"]
    review = artifact("directive-draft").data
    assert "Bản nháp văn bản" in review and "```yaml" in review and "Sở Tài chính" in review
    assert artifact("directive-draft-review").type == "table"
    with session_scope(dondoc_env.db_url) as session:
        [event] = session.exec(select(Event).where(Event.action == "flow.draft_directive")).all()
    assert len(event.data["parameters"]["request"]["text"]) <= 501  # a pasted letter is cut in the audit log


def test_draft_from_a_missing_file_fails_with_its_message(prefect_server, dondoc_env, tmp_path):
    state = draft_directive(DraftDirectiveRequest(path=str(tmp_path / "none.txt")), return_state=True)
    assert state.is_failed() and "không có tệp" in state.message


def test_one_source_only():
    with pytest.raises(ValueError, match="đúng một nguồn"):
        DraftDirectiveRequest(text="a", path="b")
