"""Secrets never leave where they belong: a whole lifecycle runs with recognisable secrets planted (mailbox and
webhook passwords in contact URLs, Zalo's app secret and tokens, the link-signing key), with a refused SMTP login,
a Zalo refusal and a failed token refresh on the way; then every output is searched for them."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pendulum
import pytest
from conftest import EXAMPLES, TZ, make_cli, write_contacts
from fake_zalo import FakeZalo
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import select

from flows.alert_operator import alert_operator
from flows.chase_deadlines import chase_deadlines
from flows.issue_directive import IssueDirectiveRequest, issue_directive
from flows.issue_draft import issue_draft
from flows.monitoring_report import monitoring_report
from flows.refresh_zalo_tokens import refresh_zalo_tokens
from flows.review_report import review_report
from models.db import session_scope
from models.reporting import Report
from notifiers.sinks import SmtpSink
from notifiers.zalo_tokens import save_zalo_token
from web import create_app

pytestmark = pytest.mark.prefect

MARK = "Pl4nted"  # in every planted secret: a secret cut short is still found
SMTP_PASSWORD, WRONG_PASSWORD = f"Hopthu-{MARK}-1", f"Saimatkhau-{MARK}-2"
HOOK_PASSWORD, LINK_KEY = f"Webhook-{MARK}-3", f"Khoaky-{MARK}-4f1e9a0c"
ZALO_SECRET, WRONG_ZALO_SECRET = f"Zaloapp-{MARK}-5", f"Zalosai-{MARK}-6"
SKHCN, STC, LEADER = "Sở Khoa học và Công nghệ", "Sở Tài chính", "Hoàng Minh Cường"
OA, READER, BLOCKED = "oa1", "8400000000001", "8400000000002"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# Where a secret is meant to be: the contact URLs as configured (and the outbox's copy it sends to), the tokens.
KEPT = {("unit", "contacts"), ("person", "contacts"), ("outboxmessage", "target"), ("zalotoken", "access_token"),
        ("zalotoken", "refresh_token")}


def at(day: int, month: int = 9, hour: int = 8):
    return pendulum.datetime(2025, month, day, hour, tz=TZ)


def _prefect(query):
    from prefect.client.orchestration import get_client

    async def run():
        async with get_client() as client:
            return await query(client)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def prefect_outputs(since) -> dict[str, str]:
    """Everything the test server keeps of the runs since `since`: runs, task runs, logs, artifacts, events."""
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterStartTime,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.events.filters import EventFilter, EventOccurredFilter

    runs = _prefect(lambda c: c.read_flow_runs(
        flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)), limit=200))
    ids = [r.id for r in runs]
    assert len(ids) >= 8, [r.name for r in runs]
    tasks = _prefect(lambda c: c.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids))))
    logs: list = []
    while True:
        offset = len(logs)
        page = _prefect(lambda c, offset=offset: c.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)), limit=200, offset=offset))
        if not page:
            break
        logs += page
    artifacts = _prefect(lambda c: c.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))))
    events, page = [], _prefect(lambda c: c.read_events(
        filter=EventFilter(occurred=EventOccurredFilter(since=since)), limit=50))
    while True:
        events += page.events
        if not page.next_page:
            break
        page = _prefect(lambda c, url=page.next_page: c.read_events_page(url))

    def dump(items) -> str:
        return "\n".join(i.model_dump_json() for i in items)

    assert logs and artifacts and events
    return {"flow runs": dump(runs), "task runs": dump(tasks), "logs": dump(logs), "artifacts": dump(artifacts),
            "events": dump(events)}


def database_outputs(path) -> dict[str, str]:
    """Every column of every row, but those meant to hold a secret."""
    found = {}
    with sqlite3.connect(path) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')]
            shown = [c for c in columns if (table, c) not in KEPT]
            rows = conn.execute(f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in shown)} FROM "{table}"')
            found[f"table {table}"] = "\n".join(repr(r) for r in rows)
    return found


def workbook_text(path) -> str:
    with zipfile.ZipFile(path) as book:
        return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())


@pytest.fixture
def city(prefect_server, dondoc_env, monkeypatch, http_sink):
    from config.settings import get_settings

    smtp = SmtpSink(logins={"vanthu": SMTP_PASSWORD}).start()
    with FakeZalo(app_secret=ZALO_SECRET) as zalo:
        def mail(to: str, password: str = SMTP_PASSWORD) -> str:
            return smtp.url(to, user="vanthu", password=password)

        contacts = write_contacts(dondoc_env, {
            "units": {SKHCN: [mail("skhcn@haiphong.gov.vn"), f"zalo://{OA}/{READER}"],
                      STC: [mail("stc@haiphong.gov.vn", WRONG_PASSWORD)],
                      "Xã An Thành": [http_sink.url("an-thanh").replace("json://", f"json://hook:{HOOK_PASSWORD}@")],
                      "Xã An Lão": [f"zalo://{OA}/{BLOCKED}"]},
            "people": {LEADER: [mail("pct@haiphong.gov.vn")]},
            "operators": [mail("vanhanh@haiphong.gov.vn")],
        })
        for name, value in {"CONTACTS_FILE": str(contacts.contacts_file), "LINK_SECRET": LINK_KEY,
                            "ZALO_API_URL": zalo.url, "ZNS_API_URL": zalo.url, "ZALO_OAUTH_URL": zalo.url,
                            "ZALO_APP_SECRET": ZALO_SECRET}.items():
            monkeypatch.setenv(f"DONDOC_{name}", value)
        get_settings.cache_clear()
        zalo.refuse_user(BLOCKED, -217)
        try:
            yield get_settings(), smtp, zalo
        finally:
            smtp.stop()


def test_no_secret_in_any_output_of_a_whole_lifecycle(city, http_sink, monkeypatch, caplog, capfd):
    from config.settings import get_settings

    settings, smtp, zalo = city
    caplog.set_level(logging.DEBUG)
    since = pendulum.now("UTC")
    outputs: dict[str, str] = {}

    # import and issue (a draft, numbered on Saturday 27/9); the OA's token expired overnight
    draft = issue_directive(IssueDirectiveRequest(path=str(EXAMPLES / "002-cong-van-du-thao.yaml"),
                                                  as_of=at(26, hour=15)))
    issue_draft(draft=draft["id"][:8], number="9395/VP-VX", issued_on=date(2025, 9, 27), as_of=at(27, hour=10))
    with session_scope(settings.db_url) as session:
        save_zalo_token(session=session, oa_id=OA, app_id=zalo.app_id, access_token=zalo.access_token,
                        refresh_token=zalo.refresh_token, expires_at=at(29, hour=7), now=at(28))

    # Monday's chase: mail, webhook and Zalo (refreshed) arrive; the wrong password and the blocked follower fail
    chased = chase_deadlines(as_of=at(29))
    assert chased["sent"] >= 3 and chased["dead"] == 1 and chased["failed"] == 1
    assert len(zalo.refresh_calls) == 1 and [m["body"]["recipient"]["user_id"] for m in zalo.messages] == [READER]
    assert "skhcn@haiphong.gov.vn" in [m.to[0] for m in smtp.mails]
    assert "stc@haiphong.gov.vn" not in [m.to[0] for m in smtp.mails]
    with session_scope(settings.db_url) as session:
        from models.messaging import OutboxMessage

        errors = {r.recipient: r.last_error for r in session.exec(select(OutboxMessage)) if r.last_error}
    assert "-217" in errors["unit:Xã An Lão"] and "từ chối đăng nhập (SMTP 535)" in errors[f"unit:{STC}"]
    alert_operator(what="dead_letters", detail=f"1 tin không gửi được: {errors['unit:Xã An Lão']}",
                   as_of=at(29, hour=9))

    # the unit opens its link, reports completion with a file; a forged link is refused
    link = re.search(r"http://127\.0\.0\.1:8000(/bao-cao/[^\s\"<]+)",
                     next(m.text for m in smtp.mails if m.to == ["skhcn@haiphong.gov.vn"]))[1]
    web = TestClient(create_app(settings=get_settings(), clock=lambda: at(29, hour=10)), follow_redirects=True)
    page = web.get(link)
    action = re.search(r'action="(/bao-cao/[^"]+/bao-cao)"', page.text)[1]
    sent = web.post(action, data={"progress": "100", "done_text": "Đã xong.", "claims_completion": "1"},
                    files={"files": ("bien-ban.pdf", PDF, "application/pdf")})
    forged = web.get(link[:-3] + "AAA")
    assert page.status_code == sent.status_code == 200 and forged.status_code == 403
    outputs |= {"report page": page.text + sent.text, "refused page": forged.text,
                "public page": web.get("/cong-khai").text}

    # the office accepts it; the month's monitoring makes its workbook
    with session_scope(settings.db_url) as session:
        report_id = session.exec(select(Report.id)).one()
    review_report(report=str(report_id)[:8], decision="chấp nhận", as_of=at(29, hour=11))
    monitored = monitoring_report(as_of=at(30, hour=16))
    outputs["workbook"] = workbook_text(monitored["workbook"])

    # the nightly token refresh with a wrong app secret: Zalo refuses, the run fails with its reason
    monkeypatch.setenv("DONDOC_ZALO_APP_SECRET", WRONG_ZALO_SECRET)
    get_settings.cache_clear()
    refused = refresh_zalo_tokens(as_of=at(30, hour=6), return_state=True)
    assert refused.is_failed() and "-14002" in refused.message
    outputs["failed run"] = refused.message
    # (the exception itself is not kept: results are not persisted; its text is the state's message, above, and
    # its traceback is in the logs captured below)

    # what an operator runs at a terminal
    cli = make_cli(settings.state_dir)
    for args in (["doctor"], ["status"], ["status", "--json"], ["reports"]):
        done = cli(*args)
        outputs[f"dondoc {' '.join(args)}"] = done.stdout + done.stderr
    assert "không gửi được Xã An Lão" in outputs["dondoc status"]

    printed = capfd.readouterr()
    outputs |= {"stdout": printed.out, "stderr": printed.err,
                "log records": "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                                         if not r.name.startswith("mail.log")),  # the SMTP sink's own log
                **database_outputs(settings.state_dir / "dondoc.db"), **prefect_outputs(since),
                "messages received": json.dumps(http_sink.received, ensure_ascii=False)
                + "\n".join(m.raw for m in smtp.mails) + json.dumps([m["body"] for m in zalo.messages])}

    secrets = [SMTP_PASSWORD, WRONG_PASSWORD, HOOK_PASSWORD, LINK_KEY, ZALO_SECRET, WRONG_ZALO_SECRET, MARK,
               *zalo.issued]
    leaks = {(where, secret) for where, text in outputs.items() for secret in secrets if secret in text}
    assert leaks == set()
    # the search looked where the secrets' neighbours are: masked addresses, errors, the dead letter
    assert "vanthu:****@" in outputs["artifacts"] and "-217" in outputs["events"]
    assert "SMTP 535" in outputs["table outboxmessage"] and "-14002" in outputs["logs"]


def test_a_database_error_never_quotes_the_values_of_its_statement(sqlite_settings):
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from models.db import migrate
    from models.messaging import ZaloToken

    url = sqlite_settings.db_url
    migrate(url)
    row = {"oa_id": OA, "app_id": "1", "access_token": f"AT-{MARK}", "refresh_token": f"RT-{MARK}",
           "expires_at": at(29), "updated_at": at(29)}
    with pytest.raises(IntegrityError) as refused, session_scope(url) as session:
        session.execute(insert(ZaloToken.__table__), [row, row])  # the same OA twice
    assert "UNIQUE constraint failed" in str(refused.value) and MARK not in str(refused.value)


def test_a_wrong_password_fails_even_after_the_right_one_logged_in_on_the_same_connection():
    from notifiers import pooling
    from notifiers.channels import deliver
    from notifiers.delivery import SENT, SendContext

    payload = {"title": "Nhắc việc", "html": "<p>Nhắc việc</p>", "text": "Nhắc việc"}
    with SmtpSink(logins={"vanthu": SMTP_PASSWORD}) as smtp:
        try:  # one thread, one kept connection: the second message reuses the first one's session
            outcomes = [deliver(smtp.url(to, user="vanthu", password=password), "email", payload, key=to,
                                context=SendContext(to))[0]
                        for to, password in (("a@haiphong.gov.vn", SMTP_PASSWORD), ("b@haiphong.gov.vn",
                                                                                     WRONG_PASSWORD))]
        finally:
            pooling.close_connections()
    assert outcomes[0] == SENT and outcomes[1].status == "retry"
    assert outcomes[1].error == "máy chủ thư từ chối đăng nhập (SMTP 535): kiểm tra tài khoản, mật khẩu"
    assert [m.to for m in smtp.mails] == [["a@haiphong.gov.vn"]]


def test_the_planning_configuration_does_not_show_its_secrets(sqlite_settings):
    from models.env import planning_of, prepare

    settings = write_contacts(sqlite_settings.model_copy(update={"link_secret": SecretStr(LINK_KEY)}), {
        "offices": {"Văn phòng UBND thành phố": [f"mailto://vanthu:{SMTP_PASSWORD}@mail.example.vn"]},
        "operators": [f"mailto://vanthu:{SMTP_PASSWORD}@mail.example.vn"]})
    planning = planning_of(prepare(now=at(29), actor="test", settings=settings))
    assert planning.link_key == LINK_KEY.encode() and planning.operators  # there, but never shown
    assert MARK not in repr(planning) and MARK not in str(planning)
