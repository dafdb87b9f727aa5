"""The messaging flows on a real Prefect server: batch task runs, artifacts, notices at issuance, the CLI."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pendulum
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId,
                                            LogFilter, LogFilterFlowRunId)

from conftest import EXAMPLES, TZ, commune_mailboxes, issue_example, make_cli, write_contacts
from flows.chase_deadlines import chase_deadlines
from flows.issue_directive import IssueDirectiveRequest, issue_directive
from flows.preview_timeline import preview_timeline

pytestmark = pytest.mark.prefect
PASSWORD = "Mat-khau-hop-thu-9"


def at(day: int, month: int = 10, hour: int = 8):
    return pendulum.datetime(2025, month, day, hour, tz=TZ)


def _read(query):
    async def run():
        async with get_client() as client:
            return await query(client)
    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def artifact(key: str):
    found = _read(lambda c: c.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))))
    return max(found, key=lambda a: a.created) if found else None


def task_runs(flow_run_id) -> list:
    return _read(lambda c: c.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))))


def logs(flow_run_id) -> str:
    found = _read(lambda c: c.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))))
    return "\n".join(log.message for log in found)


@pytest.fixture
def every_commune_reachable(dondoc_env, smtp_sink):
    contacts = commune_mailboxes(smtp_sink, dondoc_env)
    contacts["Sở Khoa học và Công nghệ"] = [smtp_sink.url("skhcn@haiphong.gov.vn", user="vanthu", password=PASSWORD)]
    write_contacts(dondoc_env, {"units": contacts})
    return issue_example(dondoc_env)


def test_114_communes_get_114_messages_from_a_constant_number_of_task_runs(prefect_server, every_commune_reachable,
                                                                           smtp_sink):
    monday = chase_deadlines(as_of=at(29, 9), return_state=True)
    result = monday.result()
    commune_mails = [m for m in smtp_sink.mails if m.to[0][0].isdigit()]
    assert len(commune_mails) == 114 and len({m.to[0] for m in commune_mails}) == 114
    assert {m.subject for m in commune_mails} == {"[Đôn đốc] Nhắc việc ngày 29/9/2025: 2 nhiệm vụ mới giao, 1 đến hạn"}
    assert result["sent"] == 115 and result["failed"] == result["dead"] == 0

    tuesday = chase_deadlines(as_of=at(30, 9), return_state=True)
    for state in (monday, tuesday):  # whatever the number of units and items: one plan, one send
        names = sorted(t.name.rsplit("-", 1)[0] for t in task_runs(state.state_details.flow_run_id))
        assert names == ["plan-messages", "send-due-messages"]

    summary = artifact("chase-deadlines")
    assert "Đôn đốc thực hiện nhiệm vụ — thứ Ba 30/9/2025 08:00" in summary.data
    assert "| Email | 115 | 115 | 0 | 0 |" in summary.data and "| Đặc khu Cát Hải | Email |" in summary.data
    channels = artifact("chase-deadlines-channels")
    assert json.loads(channels.data)[0]["Kênh"] == "Email"
    for state in (monday, tuesday):  # the mailbox password is in no log and no artifact
        assert PASSWORD not in logs(state.state_details.flow_run_id)
    assert PASSWORD not in summary.data and "vanthu:****@" in artifact("chase-deadlines").data


def test_issuing_inside_office_hours_sends_the_notices_at_once(prefect_server, dondoc_env, smtp_sink):
    write_contacts(dondoc_env, {"units": {"Sở Khoa học và Công nghệ": [smtp_sink.url("skhcn@haiphong.gov.vn")]}})
    result = issue_directive(IssueDirectiveRequest(path=str(EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx"),
                                                   as_of=pendulum.datetime(2025, 10, 20, 9, 30, tz=TZ)))
    assert result["status"] == "issued" and result["notices"] == result["assignments"]
    [mail] = smtp_sink.mails
    assert "Thông báo giao" in mail.subject or "nhiệm vụ mới giao" in mail.subject
    assert "Văn bản 01-KH/BCĐ" in mail.text
    notices = artifact("assign-directive")
    assert "Thông báo giao nhiệm vụ" in notices.data


def test_preview_timeline_publishes_the_plan_and_sends_nothing(prefect_server, every_commune_reachable, smtp_sink):
    messages = preview_timeline(directive="9395/VP-VX", until=at(3).date())
    first = next(m for m in messages if m["to"] == "Sở Khoa học và Công nghệ")
    assert first == {"to": "Sở Khoa học và Công nghệ", "at": "2025-09-29T08:00:00+07:00",
                     "items": [{"task": "1", "kind": "notice"}, {"task": "1", "kind": "before"},
                               {"task": "2", "kind": "notice"}]}
    table = json.loads(artifact("timeline").data)
    assert len(table) == len(messages)
    assert {"Lúc": "thứ Hai 29/9/2025 08:00", "Gửi đến": "Sở Khoa học và Công nghệ",
            "Nội dung": "mục 1: giao nhiệm vụ; mục 1: sắp đến hạn; mục 2: giao nhiệm vụ"} in table
    assert smtp_sink.mails == []


def test_dondoc_chase_runs_the_same_flow(prefect_server, tmp_path):
    cli = make_cli(tmp_path / "state", PREFECT_API_URL=prefect_server)
    draft = json.loads(cli("import", str(EXAMPLES / "002-cong-van-du-thao.yaml"), "--json", check=True).stdout)
    cli("issue", draft["id"], "--number", "9395/VP-VX", "--issued-on", "2025-09-27", "--as-of", "2025-09-27T10:00",
        check=True)
    done = json.loads(cli("chase", "--as-of", "2025-09-29T08:00", "--json", check=True).stdout)
    assert done["items"] == {"notice": 231, "before": 1, "due": 114} and done["messages"] == 116
    again = json.loads(cli("chase", "--as-of", "2025-09-29T08:00", "--json", check=True).stdout)
    assert again["messages"] == 0
    status = json.loads(cli("status", "--json", check=True).stdout)["outbox"]
    assert status["counts"] == {"none": {"no_contact": 116}}  # nobody has an address in a fresh state folder
    text = cli("chase", "--as-of", "2025-09-30T08:00", check=True).stdout
    assert text.startswith("Đôn đốc 30/9/2025 08:00; 115 việc cho 115 nơi nhận")
    bad = cli("chase", "--as-of", "hôm qua")
    assert bad.returncode == 2 and "không phải ngày/giờ ISO" in bad.stderr


def test_a_failing_endpoint_shows_in_the_artifacts_until_it_is_dead_lettered(prefect_server, dondoc_env, monkeypatch,
                                                                           http_sink):
    from config.settings import get_settings
    from flows.dispatch_outbox import dispatch_outbox

    monkeypatch.setenv("DONDOC_DISPATCH_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    settings = write_contacts(get_settings(), {"units": {"Sở Tài chính": [http_sink.url("stc")]}})
    monkeypatch.setenv("DONDOC_CONTACTS_FILE", str(settings.contacts_file))
    get_settings.cache_clear()
    issue_example(get_settings())
    http_sink.fail_with = 503
    first = chase_deadlines(as_of=at(29, 9))
    assert first["failed"] == 1
    retry = artifact("chase-deadlines").data
    assert "## Tin chưa gửi được" in retry and "| Sở Tài chính | Webhook (JSON) |" in retry and "lỗi, sẽ gửi lại" in retry
    done = dispatch_outbox(as_of=at(29, 9, 9))
    assert done["dead"] == 1
    dead = artifact("dispatch-outbox").data
    assert "không gửi được" in dead and "error=503" in dead and "đã thử 2 lần" in dead


def flow_run_name(flow_run_id) -> str:
    return _read(lambda c: c.read_flow_run(flow_run_id)).name
