"""The units' web pages against a real SQLite database, through HTTP (FastAPI's TestClient), with a fixed clock.

Every refused input is checked three ways: the message on the page, the HTTP status, and that nothing was
written (no report, extension, event or outbox row, no evidence file).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pendulum
import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from conftest import TZ, issue_example, write_contacts
from intake.service import import_directive, load_plan
from models.chase import plan_chase
from models.db import session_scope
from models.directives import Assignment, Task
from models.env import planning_of
from models.links import ensure_links, revoke_links
from models.messaging import Event, OutboxMessage
from models.reporting import Extension, Report, ReportLink
from models.reports import decide_extension, review_report
from models.units import Unit
from web import create_app
from web.charts import bar_chart, clamp, status_bar

SKHCN, STC, LEADER = "Sở Khoa học và Công nghệ", "Sở Tài chính", "Hoàng Minh Cường"
NOW = pendulum.datetime(2025, 9, 29, 10, tz=TZ)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SECRETS = ["skhcn@haiphong.gov.vn", "vanthu", "Mk-bi-mat", "hook.skhcn.example", "pct@haiphong.gov.vn",
           "0912345678", "mailto", "json://", "zalo://"]
CONTACTS = {
    "units": {SKHCN: ["mailto://vanthu:Mk-bi-mat@smtp.example.vn?to=skhcn@haiphong.gov.vn",
                      "json://hook.skhcn.example/bao-cao"],
              STC: ["zalo://1234567890/0912345678"]},
    "people": {LEADER: ["mailto://smtp.example.vn?to=pct@haiphong.gov.vn"]},
}


@dataclass
class Site:
    env: object
    client: TestClient
    token: str  # SKHCN's link for directive 9395/VP-VX, as the chase's message carries it
    lead: uuid.UUID  # SKHCN leads task 1 (due 30/9/2025)
    coordinating: uuid.UUID  # SKHCN coordinates task 2
    other: uuid.UUID  # STC leads task 2: not SKHCN's

    @property
    def page(self) -> str:
        return f"/bao-cao/{self.token}"

    def report_url(self, aid: uuid.UUID, token: str | None = None) -> str:
        return f"/bao-cao/{token or self.token}/nhiem-vu/{aid}/bao-cao"

    def extension_url(self, aid: uuid.UUID, token: str | None = None) -> str:
        return f"/bao-cao/{token or self.token}/nhiem-vu/{aid}/gia-han"


def assignment_id(session, unit: str, task: str) -> uuid.UUID:
    return session.exec(select(Assignment.id).join(Task).join(Unit).where(Unit.name == unit, Task.ref == task)).one()


def token_of(env, unit: str) -> str:
    """The report link the chase put in the unit's message."""
    with session_scope(env.url) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == f"unit:{unit}")).first()
    return re.search(r"/bao-cao/([0-9a-f]{32}\.[0-9]+\.[A-Za-z0-9_-]+)", json.dumps(row.payload))[1]


@pytest.fixture
def site(sqlite_settings) -> Site:
    env = issue_example(write_contacts(sqlite_settings, CONTACTS))
    with session_scope(env.url) as session:
        plan_chase(session=session, as_of=pendulum.datetime(2025, 9, 29, 8, tz=TZ), planning=planning_of(env),
                   actor="test")
        ids = [assignment_id(session, SKHCN, "1"), assignment_id(session, SKHCN, "2"), assignment_id(session, STC, "2")]
    client = TestClient(create_app(settings=env.settings, clock=lambda: NOW), follow_redirects=False)
    return Site(env, client, token_of(env, SKHCN), *ids)


def snapshot(site: Site) -> tuple:
    """Everything a refused request must leave as it was."""
    with session_scope(site.env.url) as session:
        counts = tuple(session.exec(select(func.count()).select_from(table)).one()
                       for table in (Report, Extension, Event, OutboxMessage))
        statuses = tuple(session.exec(select(Assignment.status).order_by(Assignment.id)).all())
    root = site.env.settings.evidence_dir
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
    return counts, statuses, files


def report(**fields) -> dict:
    return {"progress": "60", "done_text": "Đã rà soát 45/114 xã, phường", "difficulties": "", "proposals": "",
            "links": ""} | fields


def pdf(name: str = "ket-qua.pdf", content: bytes = PDF) -> tuple:
    return ("files", (name, content, "application/pdf"))


def text_of(response) -> str:
    """The page's text with tags removed and entities kept, to find messages however they are marked up."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


# --- the report page ---------------------------------------------------------------------------------------

def test_the_page_shows_the_units_items_and_nothing_else(site):
    page = site.client.get(site.page)
    assert page.status_code == 200
    html, text = page.text, text_of(page)
    assert '<html lang="vi">' in html and '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "Sở Khoa học và Công nghệ" in text and "Văn bản số 9395/VP-VX ngày 27/9/2025 của Văn phòng UBND" in text
    assert "V/v đôn đốc thực hiện Kế hoạch số 02-KH/BCĐTW" in text
    assert "Thời hạn trước ngày 30/9/2025 Hạn thực tế thứ Ba, 30/9/2025 Trạng thái sắp đến hạn" in text
    assert f'action="{site.report_url(site.lead)}"' in html and f'action="{site.extension_url(site.lead)}"' in html
    # coordinating: shown, read-only
    assert "Nhiệm vụ đơn vị phối hợp (1)" in text and "Đơn vị chủ trì: Sở Tài chính" in text
    assert str(site.coordinating) in html and site.report_url(site.coordinating) not in html
    assert str(site.other) not in html
    assert 'accept=".pdf,.doc,.docx,.xls,.xlsx,.odt,.ods,.jpg,.jpeg,.png"' in html and "multiple" in html
    for label in ("Kết quả thực hiện", "Khó khăn, vướng mắc", "Đề xuất", "Đã hoàn thành nhiệm vụ", "Lý do"):
        assert label in text
    assert not any(secret in html for secret in SECRETS)
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"


def test_a_report_with_a_pdf_is_stored_and_a_completion_claim_waits_for_review(site):
    sent = site.client.post(site.report_url(site.lead), files=[pdf("Báo cáo kết quả.pdf")], data=report(
        progress="100", claims_completion="1", links="https://skhcn.haiphong.gov.vn/tin/1\nhttps://a.vn/<b>x</b>"))
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"{site.page}?gui=bao-cao&nv={site.lead}")
    digest = hashlib.sha256(PDF).hexdigest()
    stored = site.env.settings.evidence_dir / digest[:2] / digest
    assert stored.read_bytes() == PDF
    with session_scope(site.env.url) as session:
        [row] = session.exec(select(Report)).all()
        link = session.exec(select(ReportLink).join(Unit).where(Unit.name == SKHCN)).one()
        assert session.get(Assignment, site.lead).status == "pending_review"
        event = session.exec(select(Event).where(Event.action == "report.submitted")).one()
    assert (row.progress, row.claims_completion, row.source, row.submitted_by) == (100, True, "web", f"link:{link.id}")
    assert row.evidence == [
        {"kind": "file", "name": "Báo cáo kết quả.pdf", "sha256": digest, "size": len(PDF),
         "content_type": "application/pdf"},
        {"kind": "link", "url": "https://skhcn.haiphong.gov.vn/tin/1"}, {"kind": "link", "url": "https://a.vn/<b>x</b>"}]
    assert event.actor == f"link:{link.id}" and event.data["files"] == 1

    page = site.client.get(sent.headers["location"])
    text = text_of(page)
    assert "Đã gửi báo cáo hoàn thành mục 1." in text and "chờ Văn phòng duyệt" in text
    assert "tiến độ 100% · báo cáo hoàn thành" in text and "Báo cáo kết quả.pdf" in text
    assert "https://a.vn/&lt;b&gt;x&lt;/b&gt;" in page.text and "<b>x</b>" not in page.text
    assert site.report_url(site.lead) not in page.text  # no second report while the claim waits
    download = site.client.get(f"{site.page}/minh-chung/{digest}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert "attachment" in download.headers["content-disposition"] and "UTF-8''B%C3%A1o" in download.headers[
        "content-disposition"]


def test_a_progress_report_keeps_the_form_open(site):
    sent = site.client.post(site.report_url(site.lead), data=report(progress="45"))
    page = site.client.get(sent.headers["location"])
    assert "Đã gửi báo cáo mục 1." in text_of(page) and site.report_url(site.lead) in page.text
    with session_scope(site.env.url) as session:
        assert session.get(Assignment, site.lead).status == "open"


def test_an_extension_request_is_stored(site):
    sent = site.client.post(site.extension_url(site.lead), data={"requested_due": "2025-10-10",
                                                                 "reason": "Chờ số liệu của 114 xã, phường"})
    assert sent.status_code == 303
    with session_scope(site.env.url) as session:
        [ext] = session.exec(select(Extension)).all()
    assert (ext.requested_due.isoformat(), ext.reason, ext.source, ext.status) == (
        "2025-10-10", "Chờ số liệu của 114 xã, phường", "web", "requested")
    text = text_of(site.client.get(sent.headers["location"]))
    assert "Đã gửi đề nghị gia hạn mục 1." in text
    assert "Đã đề nghị gia hạn đến thứ Sáu, 10/10/2025" in text and "đang chờ Văn phòng quyết định" in text


# --- every bad input: its message, its status, and nothing written --------------------------------------------

BAD_REPORTS = {
    "oversized file": ({}, [pdf(content=PDF + b"0" * (10 * 1024 * 1024))], "Tệp “ket-qua.pdf”: Tệp lớn hơn 10 MB"),
    "wrong file type": ({}, [("files", ("bao-cao.exe", b"MZ\x90\x00", "application/octet-stream"))],
                        "Tệp “bao-cao.exe”: Chỉ nhận tệp PDF, Word, Excel, OpenDocument, JPG hoặc PNG"),
    "pdf that is not a pdf": ({}, [pdf(content=b"<html>not a pdf</html>")],
                              "Tệp “ket-qua.pdf”: Nội dung tệp không đúng loại tệp theo tên"),
    "too many files": ({}, [pdf(f"{i}.pdf") for i in range(11)], "Tệp minh chứng: Tối đa 10 tệp minh chứng"),
    "missing result": ({"done_text": "  "}, [pdf()], "Cần ghi kết quả thực hiện (đã làm được gì)"),
    "progress above 100": ({"progress": "150"}, [], "Tiến độ (%): Lớn hơn mức cho phép (nhiều nhất 100)"),
    "progress below 0": ({"progress": "-5"}, [], "Tiến độ (%): Nhỏ hơn mức cho phép (ít nhất 0)"),
    "progress not a number": ({"progress": "sáu mươi"}, [], "Tiến độ (%): Phải là một số nguyên"),
    "progress missing": ({"progress": ""}, [], "Tiến độ (%): Thiếu trường bắt buộc"),
    "completion below 100": ({"progress": "90", "claims_completion": "1"}, [],
                             "Báo cáo hoàn thành thì tiến độ phải là 100%"),
    "link not http(s)": ({"links": "javascript:alert(1)"}, [],
                         "Đường dẫn minh chứng phải bắt đầu bằng http:// hoặc https://"),
}


@pytest.mark.parametrize("fields, files, message", BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_a_bad_report_is_shown_back_with_its_problem_and_nothing_is_written(site, fields, files, message):
    before = snapshot(site)
    done_text = fields.get("done_text", "<script>alert('xss')</script> đã làm")
    refused = site.client.post(site.report_url(site.lead), data=report(**{**fields, "done_text": done_text}),
                               files=files or None)
    assert refused.status_code == 422
    assert message in text_of(refused) and "Báo cáo chưa được gửi — cần sửa:" in text_of(refused)
    assert snapshot(site) == before
    if done_text.strip():  # what was typed comes back, escaped
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt; đã làm</textarea>" in refused.text
        assert "<script>" not in refused.text


def test_every_problem_is_listed_at_once(site):
    before = snapshot(site)
    refused = site.client.post(site.report_url(site.lead), data=report(progress="x", done_text=""),
                               files=[pdf("a.pdf", b"nope"), ("files", ("b.txt", b"hello", "text/plain"))])
    text = text_of(refused)
    assert refused.status_code == 422 and snapshot(site) == before
    assert "Tiến độ (%): Phải là một số nguyên" in text and "Cần ghi kết quả thực hiện" in text
    assert "Tệp “a.pdf”: Nội dung tệp" in text and "Tệp “b.txt”: Chỉ nhận tệp" in text


def test_a_request_bigger_than_ten_files_could_be_is_refused_before_it_is_read(site):
    small = site.env.settings.model_copy(update={"max_evidence_bytes": 1024})
    client = TestClient(create_app(settings=small, clock=lambda: NOW))
    before = snapshot(site)
    refused = client.post(site.report_url(site.lead), data=report(), files=[pdf(content=PDF + b"0" * 2_000_000)])
    assert refused.status_code == 413 and snapshot(site) == before
    assert "Dữ liệu gửi lên quá lớn (1,9 MB). Mỗi lần gửi tối đa 10 tệp, mỗi tệp không quá 1 KB" in text_of(refused)


@pytest.mark.parametrize("due, message", [
    ("2025-09-30", "Ngày đề nghị phải sau hạn hiện tại (30/9/2025)"),
    ("2025-09-15", "Ngày đề nghị phải sau hạn hiện tại (30/9/2025)"),
    ("", "Gia hạn đến ngày: Thiếu trường bắt buộc"),
    ("30/10/2025", "Gia hạn đến ngày: Ngày không hợp lệ"),
])
def test_a_bad_extension_is_refused(site, due, message):
    before = snapshot(site)
    refused = site.client.post(site.extension_url(site.lead), data={"requested_due": due, "reason": "Chờ số liệu"})
    assert refused.status_code == 422 and message in text_of(refused) and snapshot(site) == before
    assert "Đề nghị gia hạn chưa được gửi" in text_of(refused)


def _tampered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize("method", ["get", "report", "extension"])
def test_a_tampered_token_opens_nothing(site, method):
    before = snapshot(site)
    response = _send(site, method, _tampered(site.token))
    assert response.status_code == 403 and "chữ ký không khớp" in text_of(response) and snapshot(site) == before
    assert "Traceback" not in response.text


@pytest.mark.parametrize("method", ["get", "report", "extension"])
def test_an_expired_token_is_gone(site, method):
    late = TestClient(create_app(settings=site.env.settings, clock=lambda: NOW.add(days=91)))
    before = snapshot(site)
    response = _send(site, method, site.token, client=late)
    assert response.status_code == 410 and "đã hết hạn" in text_of(response) and snapshot(site) == before


@pytest.mark.parametrize("method", ["get", "report", "extension"])
def test_a_revoked_link_opens_nothing(site, method):
    with session_scope(site.env.url) as session:
        link = session.exec(select(ReportLink).join(Unit).where(Unit.name == SKHCN)).one()
        assert revoke_links(session=session, unit_id=link.unit_id, directive_id=link.directive_id, by="vp",
                            now=NOW) == 1
    before = snapshot(site)
    response = _send(site, method, site.token)
    assert response.status_code == 403 and "đã bị thu hồi" in text_of(response) and snapshot(site) == before


def test_a_malformed_token_opens_nothing(site):
    response = site.client.get("/bao-cao/khong-phai-token")
    assert response.status_code == 403 and "bị cắt hoặc sửa" in text_of(response)


def _send(site: Site, method: str, token: str, client: TestClient | None = None):
    client = client or site.client
    if method == "get":
        return client.get(f"/bao-cao/{token}")
    if method == "report":
        return client.post(site.report_url(site.lead, token), data=report(), files=[pdf()])
    return client.post(site.extension_url(site.lead, token), data={"requested_due": "2025-10-10", "reason": "x"})


@pytest.mark.parametrize("kind", ["report", "extension"])
def test_another_units_assignment_is_not_found_with_a_valid_token(site, kind):
    before = snapshot(site)
    url = site.report_url(site.other) if kind == "report" else site.extension_url(site.other)
    response = site.client.post(url, data=report(progress="100", claims_completion="1") | {
        "requested_due": "2025-10-30", "reason": "x"}, files=[pdf()] if kind == "report" else None)
    assert response.status_code == 404 and "không thuộc đơn vị" in text_of(response) and snapshot(site) == before
    assert site.client.post(site.report_url("not-a-uuid"), data=report()).status_code == 404


def test_a_coordinating_unit_cannot_report_and_its_files_are_not_kept(site):
    before = snapshot(site)
    refused = site.client.post(site.report_url(site.coordinating), data=report(), files=[pdf()])
    assert refused.status_code == 409 and "là đơn vị phối hợp của mục 2" in text_of(refused)
    assert snapshot(site) == before


def test_a_report_on_an_assignment_pending_review_is_refused(site):
    first = site.client.post(site.report_url(site.lead), data=report(progress="100", claims_completion="1"))
    assert first.status_code == 303
    before = snapshot(site)
    again = site.client.post(site.report_url(site.lead), data=report(progress="100"),
                             files=[pdf("bo-sung.pdf", PDF + b"% bo sung\n")])
    assert again.status_code == 409 and "đang chờ Văn phòng duyệt" in text_of(again) and snapshot(site) == before


def test_a_path_in_a_file_name_is_dropped(site):
    sent = site.client.post(site.report_url(site.lead), data=report(), files=[pdf("../../etc/passwd.pdf")])
    assert sent.status_code == 303
    with session_scope(site.env.url) as session:
        [row] = session.exec(select(Report)).all()
    [evidence] = row.evidence
    digest = hashlib.sha256(PDF).hexdigest()
    assert evidence["name"] == "passwd.pdf" and evidence["sha256"] == digest
    state = site.env.settings.state_dir
    everything = [p.relative_to(state.parent) for p in state.parent.rglob("*") if p.is_file()]
    assert [p for p in everything if "passwd" in p.name] == []
    assert (site.env.settings.evidence_dir / digest[:2] / digest).read_bytes() == PDF


def test_evidence_of_another_unit_is_not_served(site):
    stc = token_of(site.env, STC)
    other = PDF + b"% so tai chinh\n"
    assert site.client.post(site.report_url(site.other, stc), data=report(), files=[pdf(content=other)]).status_code == 303
    digest = hashlib.sha256(other).hexdigest()
    assert site.client.get(f"/bao-cao/{stc}/minh-chung/{digest}").content == other
    for sha in (digest, "0" * 64, "X" * 64):
        response = site.client.get(f"{site.page}/minh-chung/{sha}")
        assert response.status_code == 404 and "Không tìm thấy tệp minh chứng" in text_of(response)
    assert site.client.get(f"{site.page}/minh-chung/..%2F..%2Fetc%2Fpasswd").status_code == 404


# --- Ba công khai ---------------------------------------------------------------------------------------------

def _decided(site: Site) -> None:
    """SKHCN's completion accepted (on time), STC's extension granted to 20/10: the public figures change."""
    site.client.post(site.report_url(site.lead), data=report(progress="100", claims_completion="1"))
    stc = token_of(site.env, STC)
    site.client.post(site.extension_url(site.other, stc), data={"requested_due": "2025-10-20", "reason": "Chờ vốn"})
    planning = planning_of(site.env)
    with session_scope(site.env.url) as session:
        [claim] = session.exec(select(Report)).all()
        [ext] = session.exec(select(Extension)).all()
        review_report(session=session, planning=planning, report_id=claim.id, accept=True, reason=None,
                      reviewer="vp", now=NOW.add(hours=1))
        decide_extension(session=session, planning=planning, extension_id=ext.id, grant=True, new_due=None,
                         reason=None, by="vp", now=NOW.add(hours=1))


def test_the_public_pages_show_the_figures(site):
    _decided(site)
    index = text_of(site.client.get("/cong-khai"))
    assert "9395/VP-VX" in index and "Văn phòng UBND thành phố Hải Phòng · ban hành ngày 27/9/2025" in index
    assert "đến hạn: 114 hoàn thành đúng hạn: 1 đã gia hạn: 1" in index
    assert "Đã hoàn thành 0,9% (1/116 nhiệm vụ)" in index and "Tỷ lệ đúng hạn 100%" in index

    directive_id = re.search(r"/cong-khai/van-ban/([0-9a-f-]{36})", site.client.get("/cong-khai").text)[1]
    page = site.client.get(f"/cong-khai/van-ban/{directive_id}")
    text = text_of(page)
    assert page.status_code == 200 and page.text.count('role="img"') == 3
    assert "Sở Khoa học và Công nghệ hoàn thành đúng hạn 100%" in text
    assert "Sở Tài chính đã gia hạn chưa báo cáo" in text and "Đơn vị phối hợp Trạng thái Sở Khoa học" in text
    assert "Sở Khoa học và Công nghệ: 100%" in page.text  # the progress chart's description
    assert "Tỷ lệ hoàn thành đúng hạn theo đơn vị (%)</title>" in page.text

    unit = text_of(site.client.get("/cong-khai/don-vi/so-khoa-hoc-va-cong-nghe"))
    assert "hoàn thành đúng hạn: 1" in unit and "Tỷ lệ đúng hạn 100%" in unit
    assert "9395/VP-VX Mục 1." in unit and "phối hợp" in unit
    stc = text_of(site.client.get("/cong-khai/don-vi/so-tai-chinh"))
    assert "đã gia hạn" in stc and "20/10/2025" in stc and "Tỷ lệ đúng hạn chưa có" in stc


def test_the_public_pages_publish_no_contact_data_and_no_report_links(site):
    _decided(site)
    directive_id = re.search(r"/cong-khai/van-ban/([0-9a-f-]{36})", site.client.get("/cong-khai").text)[1]
    pages = ["/cong-khai", f"/cong-khai/van-ban/{directive_id}", "/cong-khai/don-vi/so-khoa-hoc-va-cong-nghe",
             "/cong-khai/don-vi/so-tai-chinh", "/cong-khai/don-vi/khong-co"]
    for path in pages:
        html = site.client.get(path).text
        assert not [s for s in SECRETS if s in html], path
        assert "/bao-cao/" not in html and "Đã rà soát" not in html, path  # no links, no report texts
    assert site.client.get("/cong-khai/don-vi/khong-co").status_code == 404
    assert site.client.get("/cong-khai/van-ban/khong-co").status_code == 404


HOSTILE = """
number: 77/UBND-VP
kind: cong_van
issued_on: 2025-09-26
issuer: Văn phòng UBND thành phố Hải Phòng
subject: V/v thử <i>nghiệm</i> & kiểm tra
tasks:
  - ref: "1"
    content: Nhiệm vụ <script>alert('xss')</script> & <b>đậm</b>
    lead: [Sở Tài chính]
    deadline: trước ngày 30/10/2025
"""


def test_html_typed_in_a_directive_is_shown_escaped(site, tmp_path):
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    plan, source = load_plan(env=site.env, path=path)
    result = import_directive(env=site.env, plan=plan, source=source, actor="test", now=NOW)
    page = site.client.get(f"/cong-khai/van-ban/{result.directive_id}")
    assert page.status_code == 200
    assert "Nhiệm vụ &lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt; &amp; &lt;b&gt;đậm&lt;/b&gt;" in page.text
    assert "V/v thử &lt;i&gt;nghiệm&lt;/i&gt; &amp; kiểm tra" in page.text
    assert "<script>" not in page.text and "<b>đậm" not in page.text
    with session_scope(site.env.url) as session:
        [url] = ensure_links(session=session, pairs={("so-tai-chinh", str(result.directive_id))},
                                       planning=planning_of(site.env), now=NOW).values()
    own = site.client.get(url.replace(site.env.settings.public_url, ""))
    assert own.status_code == 200 and "<script>" not in own.text and "&lt;script&gt;alert" in own.text


def test_unknown_pages_are_answered_in_vietnamese(site):
    missing = site.client.get("/khong-co-trang-nay")
    assert missing.status_code == 404 and "Không tìm thấy trang" in missing.text and 'lang="vi"' in missing.text
    assert site.client.get("/").headers["location"] == "/cong-khai"
    assert site.client.get("/tinh/style.css").status_code == 200
    assert Path(site.env.settings.evidence_dir).exists() is False  # nothing above wrote a file


def test_head_requests_are_answered(site):
    assert site.client.head("/cong-khai").status_code == 200 and site.client.head(site.page).status_code == 200


def test_the_pages_work_on_both_databases(settings):
    """The same flow on SQLite and PostgreSQL: a report with a file, its download, the public figures."""
    env = issue_example(settings)
    with session_scope(env.url) as session:
        plan_chase(session=session, as_of=pendulum.datetime(2025, 9, 29, 8, tz=TZ), planning=planning_of(env),
                   actor="test")
        lead = assignment_id(session, SKHCN, "1")
    client = TestClient(create_app(settings=env.settings, clock=lambda: NOW), follow_redirects=False)
    token = token_of(env, SKHCN)
    sent = client.post(f"/bao-cao/{token}/nhiem-vu/{lead}/bao-cao", data=report(progress="100", claims_completion="1"),
                       files=[pdf()])
    assert sent.status_code == 303
    assert client.get(f"/bao-cao/{token}/minh-chung/{hashlib.sha256(PDF).hexdigest()}").content == PDF
    directive_id = re.search(r"/cong-khai/van-ban/([0-9a-f-]{36})", client.get("/cong-khai").text)[1]
    text = text_of(client.get(f"/cong-khai/van-ban/{directive_id}"))
    assert "Sở Khoa học và Công nghệ sắp đến hạn 100%" in text  # claimed, not yet accepted: still counted open


# --- charts ---------------------------------------------------------------------------------------------------

def test_bar_charts_escape_labels_clamp_values_and_say_what_they_show():
    svg = bar_chart([("<script>x</script>", 150), ("Sở Y tế", -3), ("Phường An Biên", None), ("Sở Nội vụ", 66.66),
                     ("Ủy ban Mặt trận Tổ quốc Việt Nam thành phố Hải Phòng", float("nan"))], title="Tiến độ <b>")
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt;: 100%" in svg
    assert re.search(r'<svg [^>]*role="img" aria-labelledby="(c\w+)-t \1-d"', svg)
    assert ">Tiến độ &lt;b&gt;</title>" in svg
    assert "Sở Y tế: 0%; Phường An Biên: chưa có; Sở Nội vụ: 66,7%;" in svg
    bars = [float(w) for w in re.findall(r'width="([\d.]+)" height="20" rx="3" fill="#2166ac"', svg)]
    assert bars == [380.0, 0.0, 253.3]  # 0–100 over 380 units; no bar where there is no figure
    assert "Ủy ban Mặt trận Tổ quốc Việt Nam thành…" in svg  # cut to one line, whole in its <title>
    assert "chưa có số liệu" in bar_chart([], title="Trống")


def test_the_status_bar_stacks_counts_in_proportion():
    svg = status_bar([("done_on_time", "hoàn thành đúng hạn", 3), ("overdue", "quá hạn", 1), ("soon", "sắp", 0)],
                     title="Tình hình")
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="2" width="([\d.]+)" height="18" fill', svg)]
    assert widths == [345.0, 115.0] and "hoàn thành đúng hạn: 3; quá hạn: 1</desc>" in svg
    assert clamp("abc") is None and clamp(-1) == 0 and clamp(101) == 100
