"""The office's flows and commands on a real Prefect server: review, extension, cancellation, monitoring; the
CLI for reports recorded on a unit's behalf and for a spreadsheet of reports."""

from __future__ import annotations

import json

import pendulum
import polars as pl
import pytest
import xlsxwriter

from conftest import TZ, make_cli
from test_flow_chase import artifact
from test_reports import LETTER

pytestmark = pytest.mark.prefect


def at(day: int, month: int = 10, hour: int = 9):
    return pendulum.datetime(2025, month, day, hour, tz=TZ).isoformat()


@pytest.fixture
def office(prefect_server, tmp_path, http_sink):
    """A state folder with the letter of test_reports issued on 1/10/2025, every lead reachable by webhook."""
    cli = make_cli(tmp_path / "state", PREFECT_API_URL=prefect_server)
    cli.state.mkdir(parents=True)
    (cli.state / "contacts.yaml").write_text(json.dumps({"units": {
        "Sở Tài chính": [http_sink.url("stc")], "Sở Nội vụ": [http_sink.url("snv")], "Sở Y tế": [http_sink.url("syt")]},
        "offices": {"Văn phòng UBND thành phố Hải Phòng": [http_sink.url("office")]}}, ensure_ascii=False),
        encoding="utf-8")
    letter = tmp_path / "letter.yaml"
    letter.write_text(LETTER, encoding="utf-8")
    cli("import", str(letter), "--as-of", at(1), check=True)
    return cli


def test_review_extension_and_cancellation_through_the_flows_close_the_directive(office, http_sink):
    done = json.loads(office("report", "120/UBND-VP", "Sở Tài chính", "--task", "1", "--progress", "100", "--done",
                             "Đã cấp 1.250 chứng thư số", "--complete", "--as-of", at(10), "--json", check=True).stdout)
    waiting = json.loads(office("reports", "--json", check=True).stdout)
    assert [r["id"] for r in waiting["reports"]] == [done["id"]]

    returned = office("review", done["id"][:8], "--return", "--as-of", at(13))
    assert returned.returncode == 1 and "cần ghi lý do" in returned.stderr  # the flow failed with the reason
    ok = json.loads(office("review", done["id"][:8], "--accept", "--as-of", at(13), "--json", check=True).stdout)
    assert (ok["what"], ok["status"], ok["tasks_closed"]) == ("report_accepted", "done", ["1"])
    told = [b for b in http_sink.received if b["dondoc"]["recipient"]["name"] == "Sở Tài chính"]
    assert told[-1]["title"] == "[Đôn đốc] Đã chấp nhận báo cáo hoàn thành — văn bản 120/UBND-VP, mục 1"

    office("extend", "120/UBND-VP", "Sở Nội vụ", "--task", "2", "--to", "2025-10-31", "--reason", "Chờ số liệu",
           "--as-of", at(14), check=True)
    ext = json.loads(office("reports", "--json", check=True).stdout)["extensions"][0]
    granted = json.loads(office("extension", ext["id"][:8], "--grant", "--to", "2025-10-29", "--as-of", at(15),
                                "--json", check=True).stdout)
    assert (granted["what"], granted["due"]) == ("extension_granted", "2025-10-29")
    status = json.loads(office("status", "120/UBND-VP", "--as-of", "2025-10-20", "--json", check=True).stdout)
    assert status["directive"]["tasks"][1]["assignments"][0]["status"] == "đã gia hạn"

    office("report", "120/UBND-VP", "Sở Nội vụ", "--task", "2", "--progress", "100", "--done", "Đã báo cáo",
           "--complete", "--as-of", at(28), check=True)
    report = json.loads(office("reports", "--json", check=True).stdout)["reports"][0]
    office("review", report["id"], "--accept", "--as-of", at(29), check=True)
    closed = json.loads(office("cancel", "120/UBND-VP", "Sở Y tế", "--task", "3", "--reason", "Chuyển sang kế hoạch khác",
                               "--as-of", at(30), "--json", check=True).stdout)
    assert closed["directive_closed"] == "120/UBND-VP"
    summary = artifact("directive-closed").data
    assert "Văn bản 120/UBND-VP đã hoàn thành" in summary and "| 2 | Sở Nội vụ | hoàn thành đúng hạn | 28/10/2025 |" in summary
    final = [b for b in http_sink.received if b["dondoc"]["recipient"]["name"] == "Văn phòng UBND thành phố Hải Phòng"]
    assert final[-1]["title"] == "[Đôn đốc] Văn bản 120/UBND-VP đã hoàn thành: tỷ lệ đúng hạn 100 %"


def test_a_spreadsheet_of_reports_is_checked_whole_then_saved(office, tmp_path):
    good = _sheet(tmp_path / "good.xlsx", [
        ["120/UBND-VP", "1", "Sở Tài chính", 60, "Đã cấp 700 chứng thư", "", "", "không", "", "8/10/2025"],
        ["120/UBND-VP", "3", "Sở Y tế", 30, "Đã tổng hợp số liệu tháng 10", "Thiếu nhân lực", "", "", "", ""],
    ])
    bad = _sheet(tmp_path / "bad.xlsx", [
        ["120/UBND-VP", "1", "Sở Tài chính", 60, "Đã cấp 700 chứng thư", "", "", "không", "", ""],
        ["120/UBND-VP", "9", "Sở Tài chính", 50, "x", "", "", "", "", ""],
        ["120/UBND-VP", "2", "Sở Nội vụ", 150, "", "", "", "có", "", ""],
    ])
    refused = office("report-import", str(bad), "--as-of", at(10))
    assert refused.returncode == 1
    assert "dòng 4" in refused.stderr and "nhiều nhất 100" in refused.stderr  # every problem, by row number
    assert json.loads(office("reports", "--json", check=True).stdout) == {"reports": [], "extensions": []}
    dry = json.loads(office("report-import", str(good), "--dry-run", "--as-of", at(10), "--json", check=True).stdout)
    assert dry == {"rows": 2, "saved": 0, "dry_run": True}
    saved = json.loads(office("report-import", str(good), "--as-of", at(10), "--json", check=True).stdout)
    assert saved["saved"] == 2
    unknown_task = office("report-import", str(_sheet(tmp_path / "t.xlsx", [
        ["120/UBND-VP", "9", "Sở Tài chính", 50, "x", "", "", "", "", ""]])), "--as-of", at(10))
    assert unknown_task.returncode == 1 and "dòng 2" in unknown_task.stderr and "không được giao mục 9" in unknown_task.stderr


def test_monitoring_report_writes_the_workbook_and_warns_the_office(office, http_sink):
    office("report", "120/UBND-VP", "Sở Tài chính", "--task", "1", "--progress", "50", "--done", "Đang cấp",
           "--as-of", at(8), check=True)
    result = json.loads(office("monitor", "--as-of", at(31, 10, 16), "--json", check=True).stdout)
    assert result["warned_units"] == 2  # Sở Nội vụ and Sở Y tế did not update in October
    sheets = pl.read_excel(result["workbook"], sheet_id=0)
    assert {"Tổng hợp", "Theo đơn vị", "Diện cảnh báo"} <= set(sheets)
    assert sorted(sheets["Diện cảnh báo"]["Đơn vị"].to_list()) == ["Sở Nội vụ", "Sở Y tế"]
    warning = [b for b in http_sink.received if b["title"].startswith("[Đôn đốc] Diện cảnh báo")]
    assert len(warning) == 1 and "Sở Nội vụ: đã cập nhật 0/1 nhiệm vụ (0,0 %)" in warning[0]["message"]
    assert "Diện cảnh báo" in artifact("monitoring-report").data
    again = json.loads(office("monitor", "--as-of", at(31, 10, 16), "--json", check=True).stdout)
    assert again["messages"] == 0  # the same day's warning is not sent twice


def test_links_are_printed_and_revoked_by_the_office(office):
    url = json.loads(office("link", "120/UBND-VP", "Sở Tài chính", "--as-of", at(2), "--json", check=True).stdout)["url"]
    assert url.startswith("http://127.0.0.1:8000/bao-cao/")
    again = json.loads(office("link", "120/UBND-VP", "Sở Tài chính", "--as-of", at(3), "--json", check=True).stdout)
    assert again["url"] == url
    assert json.loads(office("link", "120/UBND-VP", "Sở Tài chính", "--revoke", "--as-of", at(3), "--json",
                             check=True).stdout) == {"revoked": 1}
    fresh = json.loads(office("link", "120/UBND-VP", "Sở Tài chính", "--as-of", at(3), "--json", check=True).stdout)
    assert fresh["url"] != url
    group = office("link", "120/UBND-VP", "UBND các xã, phường, đặc khu")
    assert group.returncode == 1 and "một nhóm" in group.stderr


HEADERS = ["Số văn bản", "Mục", "Đơn vị", "Tiến độ (%)", "Kết quả thực hiện", "Khó khăn, vướng mắc", "Đề xuất",
           "Đã hoàn thành", "Minh chứng", "Ngày báo cáo"]


def _sheet(path, rows):
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    for r, row in enumerate([HEADERS, *rows]):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value) if isinstance(value, str) else sheet.write_number(r, c, value)
    book.close()
    return path


