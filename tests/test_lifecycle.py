"""A directive's whole life with the real flows, a real database, real sinks and a real browser:

issue → notices → reminders → a unit opens its link in headless Chromium and reports completion with a file →
the office accepts → "hoàn thành đúng hạn"; another unit asks for an extension on its page, the office grants
it and its reminders move; a third is late, is on the month's warning list and in the Excel file, finishes
late; then the directive closes and the final summary reaches the issuing office.
"""

from __future__ import annotations

import re
from datetime import date

import httpx
import pendulum
import polars as pl
import pytest
from sqlmodel import select

from conftest import SHOTS, TZ, serve_app, write_contacts
from flows.chase_deadlines import chase_deadlines
from flows.decide_extension import decide_extension
from flows.issue_directive import IssueDirectiveRequest, issue_directive
from flows.monitoring_report import monitoring_report
from flows.review_report import review_report
from models.db import session_scope
from models.directives import Directive
from models.queries import directive_detail
from models.reporting import Extension, Report
from test_flow_chase import artifact
from web import create_app

pytestmark = [pytest.mark.prefect, pytest.mark.browser]

STC, SNV, SYT, LEADER, OFFICE = ("Sở Tài chính", "Sở Nội vụ", "Sở Y tế", "Hoàng Minh Cường",
                                 "Văn phòng UBND thành phố Hải Phòng")
LETTER = """
number: 301/UBND-VP
kind: cong_van
issued_on: 2025-10-01
issuer: Văn phòng UBND thành phố Hải Phòng
leader_in_charge: Phó Chủ tịch UBND thành phố Hoàng Minh Cường
subject: V/v hoàn thành chuyển đổi số tại các sở, ngành năm 2025
tasks:
  - ref: "1"
    content: Hoàn thành cấp chứng thư số công vụ cho cán bộ, công chức.
    lead: [Sở Tài chính]
    deadline: trước ngày 15/10/2025
  - ref: "2"
    content: Báo cáo số lượng hồ sơ thủ tục hành chính đã số hóa.
    lead: [Sở Nội vụ]
    deadline: trước ngày 20/10/2025
  - ref: "3"
    content: Kết nối hệ thống bệnh án điện tử với nền tảng dữ liệu thành phố.
    lead: [Sở Y tế]
    deadline: trước ngày 17/10/2025
"""
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def at(day: int, month: int = 10, hour: int = 8, minute: int = 0):
    return pendulum.datetime(2025, month, day, hour, minute, tz=TZ)


class Clock:
    """The web pages' clock, moved by the test as the simulated days pass."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def city(prefect_server, dondoc_env, smtp_sink, http_sink):
    write_contacts(dondoc_env, {
        "units": {STC: [smtp_sink.url("stc@haiphong.gov.vn")], SNV: [http_sink.url("snv")],
                  SYT: [smtp_sink.url("syt@haiphong.gov.vn")], "Văn phòng Ủy ban nhân dân thành phố": [
                      smtp_sink.url("vanphong@haiphong.gov.vn")]},
        "people": {LEADER: [smtp_sink.url("pct@haiphong.gov.vn")]},
    })
    clock = Clock(at(1, hour=9))
    with serve_app(create_app(settings=dondoc_env, clock=clock)) as base:
        yield dondoc_env, clock, base


def link_in(text: str, base: str) -> str:
    """The unit's report link in a message, pointed at the test's server."""
    return re.search(r"http://127\.0\.0\.1:8000(/bao-cao/\S+)", text)[1].join([base, ""])


def mails_to(smtp_sink, address: str):
    return [m for m in smtp_sink.mails if m.to == [address]]


def test_a_directive_from_issuance_to_closure(city, chromium, smtp_sink, http_sink):
    settings, clock, base = city

    # 1/10 09:00, inside office hours: issuing through the flow sends the notices at once
    issued = issue_directive(IssueDirectiveRequest(text=LETTER, as_of=at(1, hour=9)))
    assert issued["notices"] == 3
    assert [m.subject for m in mails_to(smtp_sink, "stc@haiphong.gov.vn")] == [
        "[Đôn đốc] Thông báo giao 1 nhiệm vụ — văn bản 301/UBND-VP"]

    # 10/10 08:00: three working days before 15/10, Sở Tài chính is reminded, with its link
    chase_deadlines(as_of=at(10))
    reminder = mails_to(smtp_sink, "stc@haiphong.gov.vn")[-1]
    assert reminder.subject == "[Đôn đốc] Nhắc việc ngày 10/10/2025: 1 sắp đến hạn"

    # 13/10 10:00: the unit opens the link in Chromium and reports completion with a file
    clock.now = at(13, hour=10)
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="vi-VN")
    page = phone.new_page()
    page.set_default_timeout(10_000)
    page.goto(link_in(reminder.text, base))
    from playwright.sync_api import expect

    form = page.locator("form.report")
    form.get_by_label("Tiến độ (%)", exact=True).fill("100")
    form.get_by_label("Kết quả thực hiện", exact=True).fill("Đã cấp 1.250 chứng thư số cho cán bộ, công chức.")
    evidence = SHOTS.parent / "test-screenshots" / "danh-sach-chung-thu.pdf"
    evidence.write_bytes(PDF)
    form.get_by_label("Tệp minh chứng", exact=True).set_input_files(evidence)
    form.get_by_label("Đã hoàn thành nhiệm vụ").check()
    form.get_by_role("button", name="Gửi báo cáo").click()
    expect(page.locator(".flash")).to_contain_text("Đã gửi báo cáo hoàn thành mục 1.")
    page.screenshot(path=SHOTS / "lifecycle-report.png", full_page=True)
    evidence.unlink()

    # 13/10 11:00: the office accepts it through the review flow; the unit is told
    with session_scope(settings.db_url) as session:
        report_id = session.exec(select(Report.id)).one()
    review_report(report=str(report_id)[:8], decision="chấp nhận", as_of=at(13, hour=11))
    told = mails_to(smtp_sink, "stc@haiphong.gov.vn")[-1]
    assert told.subject == "[Đôn đốc] Đã chấp nhận báo cáo hoàn thành — văn bản 301/UBND-VP, mục 1"
    assert "hoàn thành đúng hạn" in told.text

    # 14/10: Sở Nội vụ asks for an extension on its page; the office grants it
    clock.now = at(14, hour=9)
    notice = next(b for b in http_sink.received if b["dondoc"]["recipient"]["name"] == SNV)
    page.goto(base + notice["dondoc"]["items"][0]["report_link"].removeprefix("http://127.0.0.1:8000"))
    page.get_by_text("Đề nghị gia hạn", exact=True).click()
    page.get_by_label("Gia hạn đến ngày").fill("2025-10-31")
    page.get_by_label("Lý do").fill("Chờ số liệu của các xã sau sáp nhập.")
    page.get_by_role("button", name="Gửi đề nghị gia hạn").click()
    expect(page.locator(".pending")).to_contain_text("đang chờ Văn phòng quyết định")
    phone.close()
    with session_scope(settings.db_url) as session:
        extension_id = session.exec(select(Extension.id)).one()
    decide_extension(extension=str(extension_id), decision="đồng ý", as_of=at(14, hour=10))
    assert http_sink.received[-1]["title"] == "[Đôn đốc] Đồng ý gia hạn — văn bản 301/UBND-VP, mục 2"

    # its reminders move with the deadline: nothing on 15/10 (D−3 of 20/10) or 20/10; D−3 of 31/10 is 28/10
    for day in (15, 16, 17, 20, 21, 22, 23, 24, 27, 28):
        chase_deadlines(as_of=at(day))
    snv_days = [b["dondoc"]["run_day"] for b in http_sink.received
                if b.get("dondoc", {}).get("type") == "reminder" and b["dondoc"]["recipient"]["name"] == SNV]
    assert snv_days == ["2025-10-01", "2025-10-28"]
    # Sở Y tế is late: reminded from D+1, and the leader and the office hear of it at D+3
    assert [m.subject for m in mails_to(smtp_sink, "syt@haiphong.gov.vn")][-3:] == [
        "[Đôn đốc] Nhắc việc ngày 22/10/2025: 1 quá hạn", "[Đôn đốc] Nhắc việc ngày 24/10/2025: 1 quá hạn",
        "[Đôn đốc] Nhắc việc ngày 28/10/2025: 1 quá hạn"]
    assert mails_to(smtp_sink, "pct@haiphong.gov.vn")[0].subject == \
        "[Đôn đốc] Nhiệm vụ quá hạn ngày 22/10/2025: 1 nhiệm vụ của 1 đơn vị"

    # 28/10: Sở Nội vụ reports completion within its new deadline; accepted the next day
    clock.now = at(28, hour=15)
    _report(base, http_sink_link(http_sink, SNV), "Đã số hóa 3.400 hồ sơ.")
    review_report(report=_latest_report(settings), decision="chấp nhận", as_of=at(29, hour=9))

    # 31/10 16:00: the month's monitoring: Sở Y tế never updated in October → warning list and workbook
    result = monitoring_report(as_of=at(31, hour=16))
    sheets = pl.read_excel(result["workbook"], sheet_id=0)
    assert sheets["Diện cảnh báo"]["Đơn vị"].to_list() == [SYT]
    on_time = sheets["Tỷ lệ đúng hạn"].filter(pl.col("Đơn vị") == SYT).row(0, named=True)
    assert on_time["Quá hạn chưa xong"] == 1
    warning = mails_to(smtp_sink, "vanphong@haiphong.gov.vn")[-1]
    assert warning.subject == "[Đôn đốc] Diện cảnh báo tháng 10/2025: 1 đơn vị cập nhật tiến độ dưới 90 %"

    # 5/11: Sở Y tế finishes late; accepted on 6/11 → the directive closes and the issuer gets the summary
    clock.now = at(5, 11, hour=10)
    _report(base, link_in(mails_to(smtp_sink, "syt@haiphong.gov.vn")[-1].text, base), "Đã kết nối xong.")
    review_report(report=_latest_report(settings), decision="chấp nhận", as_of=at(6, 11, hour=9))
    summary = mails_to(smtp_sink, "vanphong@haiphong.gov.vn")[-1]
    assert summary.subject == "[Đôn đốc] Văn bản 301/UBND-VP đã hoàn thành: tỷ lệ đúng hạn 67 %"
    assert "Sở Y tế: hoàn thành quá hạn (5/11/2025)" in summary.text
    assert "Văn bản 301/UBND-VP đã hoàn thành" in artifact("directive-closed").data
    with session_scope(settings.db_url) as session:
        directive = session.exec(select(Directive)).one()
        detail = directive_detail(session=session, directive=directive, as_of=date(2025, 11, 6),
                                  calendar=_calendar())
    assert directive.status == "closed"
    assert [t["assignments"][0]["status"] for t in detail["tasks"]] == [
        "hoàn thành đúng hạn", "hoàn thành đúng hạn", "hoàn thành quá hạn"]

    # anyone sees the result on the public page
    desktop = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    public = desktop.new_page()
    public.goto(base + "/cong-khai")
    expect(public.locator("article.directive")).to_contain_text("301/UBND-VP")
    public.get_by_role("link", name="301/UBND-VP").click()
    expect(public.locator("body")).to_contain_text("hoàn thành quá hạn")
    public.screenshot(path=SHOTS / "lifecycle-public.png", full_page=True)
    desktop.close()


def http_sink_link(http_sink, unit: str) -> str:
    body = next(b for b in reversed(http_sink.received) if b.get("dondoc", {}).get("recipient", {}).get("name") == unit
                and b["dondoc"]["items"] and b["dondoc"]["items"][0].get("report_link"))
    return body["dondoc"]["items"][0]["report_link"]


def _report(base: str, link: str, done: str) -> None:
    """A completion report posted to the unit's page as its browser would post the form."""
    path = link.removeprefix("http://127.0.0.1:8000").removeprefix(base)
    page = httpx.get(base + path)
    action = re.search(r'action="(/bao-cao/[^"]+/bao-cao)"', page.text)[1]
    answer = httpx.post(base + action, data={"progress": "100", "done_text": done, "claims_completion": "1"},
                        files={"files": ("bien-ban.pdf", PDF, "application/pdf")}, follow_redirects=True)
    assert answer.status_code == 200 and "Đã gửi báo cáo hoàn thành" in answer.text


def _latest_report(settings) -> str:
    with session_scope(settings.db_url) as session:
        return str(session.exec(select(Report.id).order_by(Report.submitted_at.desc())).first())


def _calendar():
    from config.loaders import load_calendar

    return load_calendar()
