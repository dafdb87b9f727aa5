"""The units' web pages against a real SQLite database, through HTTP (FastAPI's TestClient), with a fixed clock:
the report page, what it stores, and the public pages."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pendulum
from fastapi.testclient import TestClient
from sqlmodel import select

from conftest import TZ, issue_example
from intake.service import import_directive, load_plan
from models.chase import plan_chase
from models.db import session_scope
from models.directives import Assignment
from models.env import planning_of
from models.links import ensure_links
from models.messaging import Event
from models.reporting import Extension, Report, ReportLink
from models.reports import decide_extension, review_report
from models.units import Unit
from web import create_app
from web.charts import bar_chart, clamp, status_bar
from web_site import (  # noqa: F401  (site is the fixture)
    NOW, PDF, SECRETS, SKHCN, STC, Site, assignment_id, pdf, report, site, text_of, token_of)


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
