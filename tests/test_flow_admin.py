"""The admin's ad-hoc flows on a real Prefect server: each does its one thing, tells who must know, publishes
what it did, and leaves an audit event naming the flow run and its parameters."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pendulum
import pytest
from sqlmodel import select

from conftest import EXAMPLES, TZ, issue_example, write_contacts
from fake_zalo import FakeZalo
from flows.alert_operator import alert_operator
from flows.chase_deadlines import chase_deadlines
from flows.close_directive import close_directive
from flows.extend_deadline import extend_deadline
from flows.issue_draft import issue_draft
from flows.record_report import record_report
from flows.refresh_zalo_tokens import refresh_zalo_tokens
from flows.resend_digest import resend_digest
from flows.simulate_window import simulate_window
from intake.service import import_directive, load_plan
from models.db import session_scope
from models.directives import Directive
from models.env import prepare
from models.messaging import Event, ZaloToken
from notifiers.zalo_tokens import save_zalo_token
from test_flow_chase import artifact, flow_run_name

pytestmark = pytest.mark.prefect
SKHCN, STC = "Sở Khoa học và Công nghệ", "Sở Tài chính"


def at(day: int, month: int = 10, hour: int = 9):
    return pendulum.datetime(2025, month, day, hour, tz=TZ)


def events(settings, action: str) -> list[Event]:
    with session_scope(settings.db_url) as session:
        return list(session.exec(select(Event).where(Event.action == action)).all())


def test_a_draft_is_issued_from_the_ui_and_its_units_told_at_once(prefect_server, dondoc_env, smtp_sink):
    write_contacts(dondoc_env, {"units": {STC: [smtp_sink.url("stc@haiphong.gov.vn")]}})
    env = prepare(now=at(29, 9), actor="test")
    plan, source = load_plan(env=env, path=EXAMPLES / "002-cong-van-du-thao.yaml")
    draft = import_directive(env=env, plan=plan, source=source, actor="test", now=at(29, 9))
    done = issue_draft(draft=draft.directive_id[:8], number="9395/VP-VX", issued_on=date(2025, 9, 29), as_of=at(29, 9))
    assert done["assignments"] == 231 and done["notices"] == 231
    assert [m.subject for m in smtp_sink.mails] == ["[Đôn đốc] Thông báo giao 1 nhiệm vụ — văn bản 9395/VP-VX"]
    [asked] = events(dondoc_env, "flow.issue_draft")
    assert asked.data["parameters"]["number"] == "9395/VP-VX" and asked.actor.startswith("prefect:")
    assert "Đã ban hành văn bản số 9395/VP-VX" in artifact("issued-draft").data


def test_report_extension_resend_and_closure_by_the_office(prefect_server, dondoc_env, http_sink):
    write_contacts(dondoc_env, {"units": {SKHCN: [http_sink.url("skhcn")], STC: [http_sink.url("stc")]},
                                "offices": {}})
    issue_example(dondoc_env)
    chase_deadlines(as_of=at(29, 9, 8))
    first = [b for b in http_sink.received if b["dondoc"]["recipient"]["name"] == STC]

    again = resend_digest(unit="Sở Tài chính", as_of=at(30, 9))
    resent = [b for b in http_sink.received if b["dondoc"]["recipient"]["name"] == STC]
    assert again["messages"] == 1 and len(resent) == 2
    # the same items, said as of today, under a new key
    same = [(i["task"], i["kinds"]) for i in resent[1]["dondoc"]["items"]]
    assert same == [(i["task"], i["kinds"]) for i in first[0]["dondoc"]["items"]] == [("2", ["notice"])]
    assert resent[1]["idempotency_key"] != first[0]["idempotency_key"] and "thứ Ba 30/9/2025" in resent[1]["message"]

    done = record_report(directive="9395/VP-VX", unit="Sở KH&CN", task="1", progress=60, done_text="Đã rà soát 60 xã",
                         as_of=at(30, 9))
    assert done["status"] == "open"
    moved = extend_deadline(directive="9395/VP-VX", unit="Sở Tài chính", task="2", new_due=date(2025, 10, 31),
                            reason="Chờ phân bổ kinh phí", as_of=at(1))
    assert (moved["what"], moved["due"]) == ("extension_granted", "2025-10-31")
    assert http_sink.received[-1]["title"] == "[Đôn đốc] Đồng ý gia hạn — văn bản 9395/VP-VX, mục 2"

    closed = close_directive(directive="9395/VP-VX", reason="Kế hoạch đã được thay thế bằng Kế hoạch 12-KH/TU",
                             as_of=at(2))
    assert closed["counts"] == {"done_on_time": 0, "done_late": 0, "cancelled": 116}
    with session_scope(dondoc_env.db_url) as session:
        assert session.exec(select(Directive)).one().status == "closed"
    told = [b for b in http_sink.received if b["title"].startswith("[Đôn đốc] Hủy nhiệm vụ")]
    assert {b["dondoc"]["recipient"]["name"] for b in told} == {SKHCN, STC}
    assert "Kế hoạch đã được thay thế" in told[0]["message"]
    assert "Văn bản 9395/VP-VX đã hoàn thành" in artifact("directive-closed").data
    for action in ("flow.resend_digest", "flow.record_report", "flow.extend_deadline", "flow.close_directive"):
        assert len(events(dondoc_env, action)) == 1, action


def test_zalo_tokens_are_renewed_each_morning(prefect_server, dondoc_env, monkeypatch):
    with FakeZalo() as zalo:
        for key, value in (("ZALO_OAUTH_URL", zalo.url), ("ZALO_APP_SECRET", zalo.app_secret)):
            monkeypatch.setenv(f"DONDOC_{key}", value)
        from config.settings import get_settings

        get_settings.cache_clear()
        env = prepare(now=at(1, hour=6), actor="test")
        with session_scope(env.url) as session:
            save_zalo_token(session=session, oa_id="oa1", app_id=zalo.app_id, access_token=zalo.access_token,
                            refresh_token=zalo.refresh_token, expires_at=at(1, hour=20), now=at(1, hour=6))
        assert refresh_zalo_tokens(as_of=at(1, hour=6)) == {"oa": 1, "failed": 0}
        with session_scope(env.url) as session:
            token = session.get(ZaloToken, "oa1")
        assert token.access_token == zalo.access_token and len(zalo.refresh_calls) == 1
        assert pendulum.instance(token.expires_at) == at(1, hour=6) + timedelta(seconds=90000)
        assert zalo.violations == []
        assert not any(t in artifact("zalo-tokens").data for t in zalo.issued)


def test_a_window_is_replayed_from_the_ui(prefect_server, dondoc_env):
    issue_example(dondoc_env)
    done = simulate_window(directive="9395/VP-VX", start=date(2025, 9, 27), end=date(2025, 9, 30))
    assert done["runs"] == 2 and done["planned"] == done["delivered"]
    assert any(row["Gửi đến"] == "Sở Khoa học và Công nghệ" for row in json.loads(artifact("simulation").data))


def test_the_operators_are_alerted(prefect_server, dondoc_env, http_sink):
    write_contacts(dondoc_env, {"operators": [http_sink.url("ops")]})
    prepare(now=at(1), actor="test")
    alert_operator(what="dead_letters", detail="3 tin không gửi được: Sở Tài chính (email): hộp thư đầy")
    [body] = http_sink.received
    assert body["title"] == "[dondoc] Có tin nhắn không gửi được" and "hộp thư đầy" in body["message"]


def test_run_names_say_what_the_chase_did(prefect_server, dondoc_env):
    issue_example(dondoc_env)
    state = chase_deadlines(as_of=at(29, 9, 8), return_state=True)
    assert flow_run_name(state.state_details.flow_run_id) == "chase 2025-09-29 08:00: 116 nơi nhận, 346 việc, 0 lỗi"
