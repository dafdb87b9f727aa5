"""Bad parameters given to the flows (the Prefect UI's forms, `run_deployment`, a script), on a real Prefect server:
the run ends Failed with one message and nothing is written. Two gates, both tested: Prefect validates the
parameters against the flow's typed signature before the flow starts (its message, in English, names the
parameter), then the domain's rules refuse what is well typed but wrong (in Vietnamese). A run that starts
records who asked for what in the audit log (an Event `flow.<name>`) even when it then refuses: that audit
row is the only thing such a run may write."""

from __future__ import annotations

import unicodedata
from datetime import date

import pendulum
import pytest
import sqlalchemy as sa
from conftest import EXAMPLES, TZ, issue_example
from prefect.exceptions import ParameterBindError
from sqlmodel import SQLModel

import models  # noqa: F401  (every table in the metadata)
from flows.cancel_assignment import cancel_assignment
from flows.extend_deadline import extend_deadline
from flows.issue_directive import issue_directive
from flows.issue_draft import issue_draft
from flows.monitoring_report import monitoring_report
from flows.preview_timeline import preview_timeline
from flows.record_report import record_report
from models.db import session_scope

pytestmark = pytest.mark.prefect
SKHCN, STC = "Sở Khoa học và Công nghệ", "Sở Tài chính"
AS_OF = pendulum.datetime(2025, 9, 29, 10, tz=TZ)
GOOD = (EXAMPLES / "002-cong-van-du-thao.yaml").read_text(encoding="utf-8")
SKHCN_TASK = {"directive": "9395/VP-VX", "unit": SKHCN, "task": "1", "as_of": AS_OF}  # due 30/9/2025
REPORT = SKHCN_TASK | {"progress": 50, "done_text": "Đã rà soát 45/114 xã"}
PARAMETERS = "Validation of flow parameters failed"  # Prefect's words: the flow never started

# case: (flow, parameters, fragment of the failed run's message)
CASES = {
    # Prefect's gate: the flow's typed signature
    "progress over 100": (record_report, REPORT | {"progress": 150},
                          "progress: Input should be less than or equal to 100"),
    "progress not a number": (record_report, REPORT | {"progress": "năm mươi"}, "progress: Input should be a valid integer"),
    "impossible moment": (record_report, REPORT | {"as_of": "2026-02-30T09:00"}, "as_of: Input should be a valid datetime"),
    "empty result": (record_report, REPORT | {"done_text": ""}, "done_text: String should have at least 1 character"),
    "a string where a list belongs": (record_report, REPORT | {"links": {"a": 1}}, "links: Input should be a valid list"),
    "impossible new deadline": (extend_deadline, SKHCN_TASK | {"new_due": "2026-02-30", "reason": "Chờ số liệu"},
                                "new_due: Input should be a valid date"),
    "ambiguous new deadline": (extend_deadline, SKHCN_TASK | {"new_due": "05/06", "reason": "Chờ số liệu"},
                               "new_due: Input should be a valid date"),
    "number too short": (issue_draft, {"draft": "x", "number": "", "issued_on": date(2025, 10, 1)},
                         "number: String should have at least 2 characters"),
    "two sources at once": (issue_directive, {"request": {"path": "a.yaml", "text": "b: 1"}}, "cần đúng một nguồn"),
    "not a boolean": (issue_directive, {"request": {"text": GOOD, "dry_run": "có lẽ"}},
                      "dry_run: Input should be a valid boolean"),
    "unknown parameter": (preview_timeline, {"directive": "9395/VP-VX", "den_ngay": "2025-12-31"},
                          "got an unexpected keyword argument 'den_ngay'"),
    "impossible month": (monitoring_report, {"month": "2026-13-01", "as_of": AS_OF}, "month: Input should be a valid date"),
    # the domain's gate: well typed, still wrong
    "javascript link": (record_report, REPORT | {"links": ["javascript:alert(1)"]},
                        "đường dẫn minh chứng phải bắt đầu bằng http:// hoặc https://"),
    "NUL in the result": (record_report, REPORT | {"done_text": "Đã\x00 rà soát"}, "có ký tự điều khiển U+0000"),
    "overlong Vietnamese result": (record_report, REPORT | {"done_text": "Đã rà soát, cập nhật số liệu. " * 200},
                                   "done_text: quá dài (tối đa 5.000 ký tự)"),
    "unknown unit": (record_report, REPORT | {"unit": "Sở Giao thông"}, "không tìm thấy đơn vị “Sở Giao thông”"),
    "task not assigned": (record_report, REPORT | {"task": "9"}, "không được giao mục 9"),
    "new deadline not later": (extend_deadline, SKHCN_TASK | {"new_due": date(2025, 9, 20), "reason": "Chờ số liệu"},
                               "ngày đề nghị phải sau hạn hiện tại (30/9/2025)"),
    "blank reason": (cancel_assignment, SKHCN_TASK | {"reason": "   "}, "cần ghi lý do"),
    "no such draft": (issue_draft, {"draft": "khong-co", "number": "1/VP", "issued_on": date(2025, 10, 1)},
                      "không có văn bản số hoặc mã “khong-co”"),
    "path to a system file": (issue_directive, {"request": {"path": "/etc/passwd"}}, "chỉ nhận tệp .yaml"),
    "path out of the folder": (issue_directive, {"request": {"path": "../../../../x/../etc/shadow.yaml"}},
                               "không có tệp"),
    "pasted YAML with a key twice": (issue_directive, {"request": {"text": GOOD.replace("kind: cong_van",
                                                                                        "kind: cong_van\nkind: x")}},
                                     "khóa “kind” có hai lần"),
    "pasted YAML with an unknown key": (issue_directive, {"request": {"text": GOOD.replace("subject:", "subjet:")}},
                                        "subjet: khóa không được hỗ trợ"),
    "timeline of nothing": (preview_timeline, {"directive": "không-có"}, "không có văn bản số hoặc mã “không-có”"),
}


def contents(url: str) -> tuple[dict, list]:
    """Every row of every table, and apart the audit rows of flow requests (which a refused run may add)."""
    with session_scope(url) as session:
        tables = {t.name: sorted(repr(tuple(r)) for r in session.execute(sa.select(t)).all())
                  for t in SQLModel.metadata.sorted_tables}
        events = SQLModel.metadata.tables["event"]
        asked = [r.action for r in session.execute(sa.select(events).where(events.c.action.like("flow.%"))).all()]
    tables["event"] = [r for r in tables["event"] if "'flow." not in r]
    return tables, asked


@pytest.fixture
def issued(prefect_server, dondoc_env):
    """9395/VP-VX issued on 27/9/2025: the Sở KH&CN leads task 1 (due 30/9), the Sở Tài chính task 2 (15/10)."""
    issue_example(dondoc_env)
    return dondoc_env


@pytest.mark.parametrize(("flow", "parameters", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_parameters_fail_the_run_cleanly(issued, flow, parameters, expected):
    before, asked_before = contents(issued.db_url)
    try:
        state = flow(**parameters, return_state=True)
    except ParameterBindError as exc:  # a parameter the flow does not have: refused before a run is created
        message, started = str(exc), False
    else:
        assert state.is_failed(), state
        message, started = state.message, PARAMETERS not in state.message
    assert expected in message and "Traceback" not in message, message
    after, asked_after = contents(issued.db_url)
    assert after == before
    added = asked_after[len(asked_before):]  # the request's audit row, if the run started and audits requests
    assert added in ([], [f"flow.{flow.name}"]) and (started or added == [])


def test_an_nfd_unit_name_finds_the_unit(issued):
    """A unit typed decomposed in the UI's form ("Sở" on a Mac) is the registry's unit."""
    done = record_report(**REPORT | {"unit": unicodedata.normalize("NFD", SKHCN)})
    assert done["status"] == "open" and done["id"]
