"""Every refused input on the units' web pages, checked three ways: the message on the page, the HTTP status, and
that nothing was written (no report, extension, event or outbox row, no evidence file)."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from domain.links import sign_link
from intake.service import import_directive, load_plan
from models.db import session_scope
from models.directives import Assignment, Task
from models.env import planning_of
from models.links import ensure_links, revoke_links
from models.reporting import Report, ReportLink
from models.units import Unit
from web import create_app
from web_site import (  # noqa: F401  (site is the fixture)
    NOW, PDF, SKHCN, STC, Site, pdf, report, site, snapshot, text_of, token_of)


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


# --- signed links: a payload changed, a key guessed, a link replaced, a link of another directive ------------------

def _parts(token: str) -> tuple[str, str, str]:
    link_id, expires, signature = token.split(".")
    return link_id, expires, signature


def test_a_changed_payload_or_a_guessed_key_is_refused(site):
    link_id, expires, signature = _parts(site.token)
    other_id, _, _ = _parts(token_of(site.env, STC))
    with session_scope(site.env.url) as session:
        link = session.get(ReportLink, uuid.UUID(link_id))
    forged = {
        "expiry pushed back": f"{link_id}.{int(expires) + 86400 * 365}.{signature}",
        "another unit's link id": f"{other_id}.{expires}.{signature}",
        "signed with a guessed key": sign_link(link.id, link.expires_at, key=b"khoa-doan-mo"),
        "signed with an empty key": sign_link(link.id, link.expires_at, key=b""),
    }
    before = snapshot(site)
    for why, token in forged.items():
        for method in ("get", "report", "extension"):
            response = _send(site, method, token)
            assert response.status_code == 403 and "chữ ký không khớp" in text_of(response), (why, method)
    assert snapshot(site) == before


def test_a_replaced_link_is_not_replayed_and_its_successor_works(site):
    with session_scope(site.env.url) as session:
        link = session.get(ReportLink, uuid.UUID(_parts(site.token)[0]))
        revoke_links(session=session, unit_id=link.unit_id, directive_id=link.directive_id, by="vp", now=NOW)
        unit_ref = session.get(Unit, link.unit_id).ref
        [fresh] = ensure_links(session=session, pairs={(unit_ref, str(link.directive_id))},
                               planning=planning_of(site.env), now=NOW).values()
    new = fresh.rsplit("/", 1)[1]
    assert new != site.token and site.client.get(f"/bao-cao/{new}").status_code == 200
    before = snapshot(site)
    for method in ("get", "report", "extension"):
        response = _send(site, method, site.token)
        assert response.status_code == 403 and "đã bị thu hồi" in text_of(response)
    assert snapshot(site) == before
    assert site.client.post(site.report_url(site.lead, new), data=report(), files=[pdf()]).status_code == 303


OTHER_LETTER = """
number: 12/UBND-VP
kind: cong_van
issued_on: 2025-09-26
issuer: Văn phòng UBND thành phố Hải Phòng
subject: V/v báo cáo chuyển đổi số
tasks:
  - ref: "1"
    content: Báo cáo kết quả chuyển đổi số quý III.
    lead: [Sở Khoa học và Công nghệ]
    deadline: trước ngày 30/10/2025
"""


def test_a_units_link_opens_only_its_work_in_that_directive(site, tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(OTHER_LETTER, encoding="utf-8")
    plan, source = load_plan(env=site.env, path=path)
    other = import_directive(env=site.env, plan=plan, source=source, actor="test", now=NOW).directive_id
    with session_scope(site.env.url) as session:
        [elsewhere] = session.exec(select(Assignment.id).join(Unit).join(Task).where(
            Unit.name == SKHCN, Task.directive_id == uuid.UUID(str(other)))).all()
    before = snapshot(site)
    # the same unit, but the link is for 9395/VP-VX: its work in 12/UBND-VP needs that directive's link
    refused = site.client.post(site.report_url(elsewhere), data=report(), files=[pdf()])
    assert refused.status_code == 404 and "không thuộc đơn vị" in text_of(refused) and snapshot(site) == before
    assert "12/UBND-VP" not in site.client.get(site.page).text
