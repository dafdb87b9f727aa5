"""The report page's bad-input tables (besides the refusals of test_web_refusals): form fields, extension requests,
malformed requests and evidence file names. Each refusal: its HTTP status, its message on the page, and nothing
written (no row, no event, no outbox message, no evidence file).

Statuses, as the README's "Report page" section documents them: 303 accepted (back to the page), 400 a request
that cannot be read, 403 a link malformed, forged or revoked, 404 no such page, task or file, 405 a method the
page does not take, 409 a conflict with what is stored, 410 an expired link, 411 no Content-Length, 413 too
large, 422 a form with problems (every one listed, what was typed shown back)."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import select
from web_site import PDF, pdf, report, site_fixture, snapshot, text_of  # noqa: F401  (site_fixture is "site")

from models.db import session_scope
from models.reporting import Report

LONG = "Đã rà soát, cập nhật số liệu chuyển đổi số của xã. "  # 51 characters

# case: (form fields, files, status, message on the page)
REPORTS = {
    "NUL in the result": ({"done_text": "Đã\x00 rà soát"}, [], 422, "Kết quả thực hiện: Có ký tự điều khiển U+0000"),
    "terminal escape in difficulties": ({"difficulties": "\x1b[2JChờ"}, [], 422,
                                        "Khó khăn, vướng mắc: Có ký tự điều khiển U+001B"),
    "overlong Vietnamese result": ({"done_text": LONG * 100}, [], 422, "Kết quả thực hiện: Quá dài (tối đa 5.000 ký tự)"),
    "overlong proposals": ({"proposals": LONG * 100}, [], 422, "Đề xuất: Quá dài (tối đa 5.000 ký tự)"),
    "eleven links": ({"links": " ".join(f"https://a.vn/{i}" for i in range(11))}, [], 422,
                     "Đường dẫn minh chứng: Quá nhiều (tối đa 10)"),
    "NUL in a link": ({"links": "https://a.vn/\x00x"}, [], 422, "Có ký tự điều khiển U+0000"),
    "data: link": ({"links": "data:text/html,<script>alert(1)</script>"}, [], 422, "phải bắt đầu bằng http://"),
    "progress with a decimal comma": ({"progress": "60,5"}, [], 422, "Tiến độ (%): Phải là một số nguyên"),
    "progress in full-width digits": ({"progress": "６０"}, [], 422, "Tiến độ (%): Phải là một số nguyên"),
    "empty file": ({}, [pdf(content=b"")], 422, "Tệp “ket-qua.pdf”: Tệp rỗng"),
    "double suffix": ({}, [pdf("bao-cao.pdf.exe", b"MZ\x90\x00")], 422, "Tệp “bao-cao.pdf.exe”: Chỉ nhận tệp PDF"),
    "macro-enabled workbook": ({}, [pdf("so-lieu.xlsm", b"PK\x03\x04")], 422, "Tệp “so-lieu.xlsm”: Chỉ nhận tệp PDF"),
    "svg with a script": ({}, [pdf("anh.svg", b"<svg onload='alert(1)'/>")], 422, "Tệp “anh.svg”: Chỉ nhận tệp PDF"),
    "a name that is only dots": ({}, [pdf("..", PDF)], 422, "Tệp “tep-minh-chung”: Chỉ nhận tệp PDF"),
}


@pytest.mark.parametrize(("fields", "files", "status", "message"), REPORTS.values(), ids=REPORTS.keys())
def test_a_bad_report_is_refused_with_its_status(site, fields, files, status, message):
    before = snapshot(site)
    refused = site.client.post(site.report_url(site.lead), data=report(**fields), files=files or None)
    assert refused.status_code == status and message in text_of(refused), text_of(refused)[:2000]
    assert "Báo cáo chưa được gửi — cần sửa:" in text_of(refused)
    assert snapshot(site) == before


EXTENSIONS = {
    "impossible date": ({"requested_due": "2026-02-30"}, 422, "Gia hạn đến ngày: Ngày không hợp lệ"),
    "30/02 without a year": ({"requested_due": "30/02"}, 422, "Gia hạn đến ngày: Ngày không hợp lệ"),
    "05/06 (ambiguous)": ({"requested_due": "05/06"}, 422, "Gia hạn đến ngày: Ngày không hợp lệ"),
    "a date and a time": ({"requested_due": "2025-10-10T08:00"}, 422, "Gia hạn đến ngày: Ngày"),
    "blank reason": ({"reason": "   "}, 422, "Lý do: Thiếu trường bắt buộc"),
    "overlong Vietnamese reason": ({"reason": LONG * 100}, 422, "Lý do: Quá dài (tối đa 5.000 ký tự)"),
    "NUL in the reason": ({"reason": "Chờ\x00 số liệu"}, 422, "Lý do: Có ký tự điều khiển U+0000"),
}


@pytest.mark.parametrize(("fields", "status", "message"), EXTENSIONS.values(), ids=EXTENSIONS.keys())
def test_a_bad_extension_request_is_refused_with_its_status(site, fields, status, message):
    before = snapshot(site)
    refused = site.client.post(site.extension_url(site.lead),
                               data={"requested_due": "2025-10-10", "reason": "Chờ số liệu"} | fields)
    assert refused.status_code == status and message in text_of(refused), text_of(refused)[:2000]
    assert snapshot(site) == before


def _multipart_without_boundary(site):
    return site.client.post(site.report_url(site.lead), content=b"--x\r\n",
                            headers={"content-type": "multipart/form-data"})


def _length_not_a_number(site):
    return site.client.post(site.report_url(site.lead), content=b"progress=60",
                            headers={"content-length": "six", "content-type": "application/x-www-form-urlencoded"})


def _no_length(site):
    return site.client.post(site.report_url(site.lead), content=iter([b"progress=60&done_text=x"]),
                            headers={"content-type": "application/x-www-form-urlencoded"})


def _json_body(site):
    return site.client.post(site.report_url(site.lead), json={"progress": 60, "done_text": "x"})


# case: (send the request, status, message on the page, text that must not appear raw)
REQUESTS = {
    "multipart without a boundary": (_multipart_without_boundary, 400, "Dữ liệu gửi lên không đọc được", None),
    "Content-Length not a number": (_length_not_a_number, 400, "Yêu cầu gửi lên không hợp lệ", None),
    "no Content-Length (chunked)": (_no_length, 411, "Trình duyệt không cho biết dung lượng", None),
    "JSON instead of a form": (_json_body, 422, "Tiến độ (%): Thiếu trường bắt buộc", None),
    "PUT on the form": (lambda s: s.client.put(s.report_url(s.lead)), 405, "Trang này không nhận thao tác đó", None),
    "markup as the token": (lambda s: s.client.get("/bao-cao/<img src=x onerror=alert(1)>"), 403, "bị cắt hoặc sửa",
                            "<img src=x"),
    "script in an unknown path": (lambda s: s.client.get("/trang/<script>alert(1)</script>"), 404,
                                  "Không tìm thấy trang", "<script>alert(1)"),
    "script in the query": (lambda s: s.client.get(f"{s.page}?gui=bao-cao&nv=<script>alert(1)</script>"), 200,
                            "Trang báo cáo của đơn vị", "<script>alert(1)"),
    "traversal to an evidence file": (lambda s: s.client.get(f"{s.page}/minh-chung/..%2F..%2F..%2Fetc%2Fpasswd"), 404,
                                      "Không tìm thấy", "root:"),
    "assignment id not a UUID": (lambda s: s.client.post(s.report_url("../../etc"), data=report()), 404,
                                 "Không tìm thấy", None),
}


@pytest.mark.parametrize(("send", "status", "message", "never"), REQUESTS.values(), ids=REQUESTS.keys())
def test_a_malformed_request_gets_its_status_and_a_page(site, send, status, message, never):
    before = snapshot(site)
    response = send(site)
    assert response.status_code == status and message in text_of(response), text_of(response)[:2000]
    assert "Traceback" not in response.text and (never is None or never not in response.text)
    assert snapshot(site) == before


def _raw_multipart(name: bytes) -> bytes:
    """A form as a browser would send it, with a file name no HTTP client library would let through."""
    part = b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
    return (part % (b"progress", b"60") + part % (b"done_text", "Đã rà soát".encode())
            + b'--B\r\nContent-Disposition: form-data; name="files"; filename="' + name
            + b'"\r\nContent-Type: application/pdf\r\n\r\n' + PDF + b"\r\n--B--\r\n")


# case: (file name as sent, raw bytes on the wire?, name kept beside the report)
FILE_NAMES = {
    "relative path": ("../../etc/passwd.pdf", False, "passwd.pdf"),
    "absolute path": ("/etc/passwd.pdf", False, "passwd.pdf"),
    "Windows path": ("C:\\Windows\\System32\\drivers\\etc\\hosts.pdf", False, "hosts.pdf"),
    "NUL byte": ("a\x00b.pdf", True, "a_b.pdf"),
    "NUL byte before a path": ("../../x\x00/../../y.pdf", True, "y.pdf"),
    "right-to-left override": ("bao-cao\u202egpj.pdf", False, "bao-caogpj.pdf"),
    "NFD Vietnamese": ("ba\u0301o ca\u0301o.pdf", False, "báo cáo.pdf"),
    "overlong name": ("bao-cao-" * 40 + ".pdf", False, ("bao-cao-" * 40)[:137] + ".pdf"),
}


@pytest.mark.parametrize(("name", "raw", "kept"), FILE_NAMES.values(), ids=FILE_NAMES.keys())
def test_a_file_name_never_reaches_the_disk(site, name, raw, kept):
    """The name is only a label beside the report; the file is stored by its checksum in the evidence folder."""
    state = site.env.settings.state_dir.parent
    before = {p for p in state.rglob("*") if p.is_file()}
    if raw:
        sent = site.client.post(site.report_url(site.lead), content=_raw_multipart(name.encode()),
                                headers={"content-type": "multipart/form-data; boundary=B"})
    else:
        sent = site.client.post(site.report_url(site.lead), data=report(), files=[pdf(name, PDF)])
    assert sent.status_code == 303, text_of(sent)[:2000]
    with session_scope(site.env.url) as session:
        [row] = session.exec(select(Report)).all()
    [evidence] = row.evidence
    digest = hashlib.sha256(PDF).hexdigest()
    assert evidence["name"] == kept and evidence["sha256"] == digest
    new = {p for p in state.rglob("*") if p.is_file()} - before
    stored = site.env.settings.evidence_dir / digest[:2] / digest
    assert stored in new and all(p == stored or p.suffix in (".db", ".db-wal", ".db-shm") or p.name.endswith("-wal")
                                 for p in new)
    served = site.client.get(f"{site.page}/minh-chung/{digest}")
    assert served.content == PDF and "/" not in served.headers["content-disposition"].split("filename=")[1]
