"""HTML, script, Markdown and Rich markup typed into a directive or a report come out as text wherever dondoc shows
them: the emails' HTML (notifiers' templates), the units' and the public pages, the Prefect artifacts, the
terminal. The plain-text forms (email text part, Zalo, webhook) keep the text as typed."""

from __future__ import annotations

import asyncio
import json

import pendulum
import pytest
from conftest import TZ, make_cli, write_contacts
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlmodel import select
from web_site import STC, assignment_id, report

from flows.summaries import directive_markdown
from intake.service import import_directive, load_plan
from models.chase import plan_chase
from models.db import session_scope
from models.env import planning_of, prepare
from models.links import ensure_links
from models.messaging import OutboxMessage
from models.reporting import Report
from models.reports import review_report

LEADER = "Hoàng Minh Cường"
NUMBER = "9/VP<b>x</b>"
SUBJECT = "V/v <script>alert('s')</script> [/] [bấm](javascript:alert(1)) & |ô|"
CONTENT = "Nhiệm vụ <img src=x onerror=alert(1)> & `mã` [red]đỏ[/] ![ảnh](http://x.example/a.png)"
HOSTILE = f"""\
number: "{NUMBER}"
kind: cong_van
issued_on: 2025-10-01
issuer: Văn phòng UBND thành phố Hải Phòng
leader_in_charge: {LEADER}
subject: "{SUBJECT}"
tasks:
  - ref: "1"
    content: "{CONTENT}"
    lead: [{STC}]
    deadline: trước ngày 10/10/2025
"""
RAW = ["<script>", "<img src=x", "<b>x</b>"]  # never raw in HTML or Markdown
ISSUED_AT = pendulum.datetime(2025, 10, 1, 9, tz=TZ)


@pytest.fixture
def hostile(sqlite_settings, tmp_path):
    """The directive issued, its notice and (at D+3) its escalation planned for e-mail."""
    settings = write_contacts(sqlite_settings, {
        "units": {STC: ["mailto://vanthu:pw@smtp.example.vn?to=stc@haiphong.gov.vn"]},
        "people": {LEADER: ["mailto://smtp.example.vn?to=pct@haiphong.gov.vn"]}})
    env = prepare(now=ISSUED_AT, actor="test", settings=settings)
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    plan, source = load_plan(env=env, path=path)
    result = import_directive(env=env, plan=plan, source=source, actor="test", now=ISSUED_AT)
    with session_scope(env.url) as session:
        for at in (ISSUED_AT, pendulum.datetime(2025, 10, 15, 8, tz=TZ)):
            plan_chase(session=session, as_of=at, planning=planning_of(env), actor="test")
    return env, result


def test_the_email_html_escapes_what_was_typed(hostile):
    env, _ = hostile
    with session_scope(env.url) as session:
        mails = [m.payload for m in session.exec(select(OutboxMessage).where(OutboxMessage.channel == "email"))]
        recipients = {m.recipient for m in session.exec(select(OutboxMessage))}
    assert len(mails) >= 2 and f"person:{LEADER}" in recipients  # the unit's notice and the leader's escalation
    for mail in mails:
        assert not any(raw in mail["html"] for raw in RAW), mail["html"]
        assert "&lt;img src=x onerror=alert(1)&gt;" in mail["html"] and "9/VP&lt;b&gt;x&lt;/b&gt;" in mail["html"]
        assert CONTENT in mail["text"]  # the plain-text part keeps it as typed


def test_the_pages_escape_what_was_typed(hostile, site_client):
    env, result = hostile
    client = site_client(env)
    public = client.get(f"/cong-khai/van-ban/{result.directive_id}")
    with session_scope(env.url) as session:
        [url] = ensure_links(session=session, pairs={("so-tai-chinh", result.directive_id)},
                             planning=planning_of(env), now=ISSUED_AT).values()
        token = url.rsplit("/bao-cao/", 1)[1]
    own = client.get(f"/bao-cao/{token}")
    for page in (public, own):
        assert page.status_code == 200 and not any(raw in page.text for raw in RAW)
        assert "Nhiệm vụ &lt;img src=x onerror=alert(1)&gt; &amp;" in page.text
    assert "V/v &lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt; [/] [bấm](javascript:alert(1))" in public.text


def test_report_text_and_the_office_reason_are_escaped(hostile, site_client):
    """A unit's report typed with markup reaches the office as text; the office's reason for returning it
    reaches the unit escaped, on its page and in the e-mail."""
    env, result = hostile
    client = site_client(env)
    with session_scope(env.url) as session:
        [url] = ensure_links(session=session, pairs={("so-tai-chinh", result.directive_id)},
                             planning=planning_of(env), now=ISSUED_AT).values()
        aid = assignment_id(session, STC, "1")
    token = url.rsplit("/bao-cao/", 1)[1]
    done = "<script>alert(2)</script> [/] xong"
    sent = client.post(f"/bao-cao/{token}/nhiem-vu/{aid}/bao-cao",
                       data=report(progress="100", claims_completion="1", done_text=done))
    assert sent.status_code == 303
    waiting = make_cli(env.settings.state_dir)("reports", NUMBER)
    assert waiting.returncode == 0 and "<script>alert(2)</script> [/] xong" in " ".join(waiting.stdout.replace("│", " ").split())
    reason = "Thiếu <img src=y onerror=alert(3)> minh chứng [/]"
    with session_scope(env.url) as session:
        claim = session.exec(select(Report)).one()
        review_report(session=session, planning=planning_of(env), report_id=claim.id, accept=False, reason=reason,
                      reviewer="vp", now=ISSUED_AT.add(days=2))
        [mail] = [m.payload for m in session.exec(select(OutboxMessage).where(OutboxMessage.channel == "email"))
                  if reason in m.payload["text"]]
    page = client.get(f"/bao-cao/{token}")
    for html in (page.text, mail["html"]):
        assert "<img src=y" not in html and "Thiếu &lt;img src=y onerror=alert(3)&gt; minh chứng [/]" in html


def test_the_directive_artifact_neutralises_markdown_and_html(hostile):
    _, result = hostile
    markdown = directive_markdown(result)
    assert not any(raw in markdown for raw in RAW)
    assert "](javascript:" not in markdown.replace("\\](", "")  # no live link: its brackets are escaped
    assert "\\[bấm\\](javascript:alert(1))" in markdown and "!\\[ảnh\\]" in markdown
    assert "# 9/VP&lt;b&gt;x&lt;/b&gt;: Công văn" in markdown and "\\`mã\\`" in markdown
    assert all(line.count(" | ") == 5 for line in markdown.splitlines() if line.startswith("| 1 "))  # one row


@pytest.mark.prefect
def test_the_published_artifact_is_escaped_on_the_prefect_server(prefect_server, dondoc_env):
    from flows.issue_directive import IssueDirectiveRequest, issue_directive

    issue_directive(IssueDirectiveRequest(text=HOSTILE, dry_run=True, as_of=ISSUED_AT))

    async def read():
        async with get_client() as client:
            key = ArtifactFilterKey(any_=["directive-9-vp-b-x-b"])
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=key))
    [artifact] = asyncio.run(read())
    assert not any(raw in artifact.data for raw in RAW) and "&lt;img src=x" in artifact.data
    assert not any(raw in (artifact.description or "") for raw in RAW)


def test_the_terminal_prints_markup_as_text(hostile):
    env, _ = hostile
    run = make_cli(env.settings.state_dir)
    shown = run("status", NUMBER)
    assert shown.returncode == 0, shown.stderr
    flat = " ".join(shown.stdout.replace("│", " ").split())
    assert "[/] [bấm](javascript:alert(1))" in flat and "[red]đỏ[/]" in flat
    assert json.loads(run("status", NUMBER, "--json").stdout)["directive"]["subject"] == SUBJECT


@pytest.fixture
def site_client():
    from fastapi.testclient import TestClient

    from web import create_app

    return lambda env: TestClient(create_app(settings=env.settings, clock=lambda: ISSUED_AT.add(days=1)),
                                  follow_redirects=False)
