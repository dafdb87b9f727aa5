"""Monitoring: buckets, views, rates and the warning list on a small dataset counted by hand; the workbook."""

from __future__ import annotations

import re
import zipfile
from datetime import date, timedelta
from itertools import product
from xml.etree import ElementTree

import polars as pl
import pytest

from config.loaders import load_calendar
from domain.monitoring import (ASSIGNMENT_SCHEMA, REPORT_SCHEMA, key_figures, monitoring_sheets, monthly_update_rate,
                               on_time_rate, summary_markdown, warning_list, with_buckets)
from domain.monitoring_views import by_directive, by_leader, by_task, by_unit
from domain.status import LABELS, assignment_status
from flows.workbook import sheet_names, write_workbook

CAL = load_calendar()
AS_OF = date(2025, 10, 20)  # a Monday; October 2025 has no day off besides weekends
OCTOBER, SEPTEMBER = date(2025, 10, 1), date(2025, 9, 17)
D = date.fromisoformat

DIRECTIVES = {
    "D1": ("12/CT-UBND", "Về đẩy mạnh chuyển đổi số", D("2025-09-01")),
    "D2": ("45/KH-UBND", "Kế hoạch cải cách hành chính năm 2025", D("2025-09-15")),
}
TASKS = {  # (directive, ref) → content, deadline kind, period, leader
    ("D1", "1"): ("Triển khai nền tảng số dùng chung", "date", None, "Nguyễn Văn An"),
    ("D1", "2"): ("Báo cáo kết quả hằng tháng", "recurring", "monthly", "Nguyễn Văn An"),
    ("D1", "3"): ("=cmd()| tổng hợp <b>số liệu</b>", "date", None, "Nguyễn Văn An"),
    ("D1", "4"): ("Hoàn thiện hồ sơ", "date", None, "Nguyễn Văn An"),
    ("D2", "I.1"): ("Rà soát thủ tục hành chính", "date", None, "Trần Thị Bình"),
    ("D2", "I.2"): ("Theo thời gian trong Kế hoạch số 7", "unresolved", None, None),
    ("D2", "I.3"): ("Kiểm tra thường xuyên", "ongoing", "monthly", "Trần Thị Bình"),
    ("D2", "II.1"): ("Số hóa hồ sơ lưu trữ", "date", None, "Trần Thị Bình"),
}
UNITS = {"U1": ("Sở Tài chính", "department"), "U2": ("Sở Nội vụ", "department"),
         "U3": ("Phường Hồng Bàng", "commune"), "U4": ("Xã An Lão", "commune")}

# id, directive, task, unit, role, status, due, extended, closed_on   →  bucket on 20/10/2025
ROWS = [
    ("a01", "D1", "1", "U1", "lead", "done", "2025-09-30", False, "2025-09-25"),        # done_on_time
    ("a02", "D1", "1", "U2", "lead", "done", "2025-09-30", False, "2025-10-03"),        # done_late
    ("a03", "D1", "1", "U3", "lead", "done", "2025-09-30", False, "2025-09-30"),        # done_on_time (on D)
    ("a04", "D1", "1", "U4", "coordinating", "open", "2025-09-30", False, None),       # not measured
    ("a05", "D1", "2", "U1", "lead", "open", None, False, None),                       # ongoing
    ("a06", "D1", "2", "U3", "lead", "open", None, False, None),                       # ongoing
    ("a07", "D1", "3", "U4", "lead", "open", "2025-10-23", False, None),               # soon (21, 22, 23: 3 days)
    ("a08", "D1", "4", "U2", "lead", "pending_review", "2025-10-20", False, None),     # due
    ("a17", "D1", "4", "U1", "lead", "done", "2025-10-20", False, "2025-10-17"),       # done_on_time
    ("a09", "D2", "I.1", "U1", "lead", "open", "2025-10-31", True, None),              # extended
    ("a10", "D2", "I.1", "U2", "lead", "cancelled", "2025-10-31", False, "2025-10-05"),  # cancelled
    ("a11", "D2", "I.1", "U3", "lead", "open", "2025-10-31", False, None),             # not_due (9 working days)
    ("a12", "D2", "I.2", "U4", "lead", "open", None, False, None),                     # unscheduled
    ("a13", "D2", "I.2", "U1", "coordinating", "open", None, False, None),             # not measured
    ("a14", "D2", "I.3", "U2", "lead", "open", None, False, None),                     # ongoing
    ("a15", "D2", "II.1", "U1", "lead", "open", "2025-10-10", True, None),             # overdue despite the extension
    ("a16", "D2", "II.1", "U3", "lead", "done", "2025-10-10", False, "2025-10-14"),    # done_late
]

# assignment, submitted_on, progress, claims completion, review status
REPORTS = [
    ("a01", "2025-09-25", 100, True, "accepted"),
    ("a02", "2025-09-20", 50, False, "submitted"),
    ("a02", "2025-10-03", 100, True, "accepted"),
    ("a03", "2025-09-30", 100, True, "accepted"),
    ("a05", "2025-09-30", 30, False, "accepted"),
    ("a05", "2025-10-15", 60, False, "accepted"),
    ("a06", "2025-10-10", 40, False, "submitted"),
    ("a08", "2025-10-18", 100, True, "submitted"),
    ("a09", "2025-09-28", 20, False, "accepted"),
    ("a11", "2025-10-05", 10, False, "returned"),   # an update, but its progress is not taken
    ("a16", "2025-10-14", 100, True, "accepted"),
    ("a14", "2025-10-25", 50, False, "submitted"),  # after as_of: ignored everywhere
    ("a17", "2025-10-17", 100, True, "accepted"),
    ("a04", "2025-10-12", 70, False, "submitted"),  # a coordinating unit's: not measured
]


def _assignments(rows=ROWS) -> pl.DataFrame:
    records = []
    for aid, did, ref, uid, role, status, due, extended, closed in rows:
        number, subject, issued = DIRECTIVES[did]
        content, kind, period, leader = TASKS[(did, ref)]
        unit, unit_kind = UNITS[uid]
        records.append({"assignment_id": aid, "directive_id": did, "directive_number": number,
                        "directive_subject": subject, "issuer": "UBND thành phố Hải Phòng", "task_ref": ref,
                        "task_content": content, "deadline_kind": kind, "period": period, "unit_ref": uid,
                        "unit_name": unit, "unit_kind": unit_kind, "role": role, "leader": leader, "status": status,
                        "due": due and D(due), "extended": extended, "closed_on": closed and D(closed),
                        "issued_on": issued})
    return pl.DataFrame(records, schema=ASSIGNMENT_SCHEMA)


def _reports() -> pl.DataFrame:
    return pl.DataFrame([(a, D(s), p, c, r) for a, s, p, c, r in REPORTS], schema=REPORT_SCHEMA, orient="row")


@pytest.fixture(scope="module")
def bucketed() -> pl.DataFrame:
    return with_buckets(_assignments(), as_of=AS_OF, calendar=CAL)


@pytest.fixture(scope="module")
def reports() -> pl.DataFrame:
    return _reports()


def _row(frame: pl.DataFrame, column: str, value: str) -> dict:
    rows = frame.filter(pl.col(column) == value).to_dicts()
    assert len(rows) == 1, (column, value, rows)
    return rows[0]


def _buckets(row: dict) -> list[int]:
    """The bucket counts of a view row, in LABELS order without "dự thảo"."""
    return [row[label] for key, label in LABELS.items() if key != "draft"]


# --- buckets -------------------------------------------------------------------------------------------

def test_buckets_of_the_dataset(bucketed):
    got = dict(bucketed.select("assignment_id", "bucket").iter_rows())
    expected = {"a01": "done_on_time", "a02": "done_late", "a03": "done_on_time", "a04": "overdue", "a05": "ongoing",
                "a06": "ongoing", "a07": "soon", "a08": "due", "a17": "done_on_time", "a09": "extended",
                "a10": "cancelled", "a11": "not_due", "a12": "unscheduled", "a13": "unscheduled", "a14": "ongoing",
                "a15": "overdue", "a16": "done_late"}
    assert got == expected
    assert bucketed["assignment_id"].to_list() == [r[0] for r in ROWS]  # row order kept


def test_vectorised_buckets_equal_assignment_status_row_by_row():
    # Every status × deadline kind × extension × closing day, dues from 10 days before to 25 after, on days
    # around weekends, 2/9 and Tết 2026 (a long run of days off) and on a Saturday.
    rows = []
    for as_of in (D("2025-08-29"), D("2025-10-20"), D("2026-02-10"), D("2026-02-13"), D("2025-10-25")):
        for offset, status, kind, extended, closed_shift in product(
                [None, *range(-10, 26)], ["open", "pending_review", "done", "cancelled"],
                ["date", "unresolved", "recurring"], [False, True], [None, -1, 0, 1]):
            due = None if offset is None else as_of + timedelta(days=offset)
            closed = None if closed_shift is None else (due or as_of) + timedelta(days=closed_shift)
            rows.append({"as_of": as_of, "status": status, "deadline_kind": kind, "due": due, "extended": extended,
                         "closed_on": closed})
    frame = pl.DataFrame(rows, schema={"as_of": pl.Date, "status": pl.String, "deadline_kind": pl.String,
                                       "due": pl.Date, "extended": pl.Boolean, "closed_on": pl.Date})
    seen = set()
    for (as_of,), part in frame.group_by("as_of", maintain_order=True):
        got = with_buckets(part, as_of=as_of, calendar=CAL)["bucket"].to_list()
        want = [assignment_status(status=r["status"], due=r["due"], deadline_kind=r["deadline_kind"],
                                  closed_on=r["closed_on"], extended=r["extended"], as_of=as_of, calendar=CAL)
                for r in part.iter_rows(named=True)]
        assert got == want, as_of
        seen.update(want)
    assert seen == set(LABELS) - {"draft"}


def test_empty_frames_give_empty_tables_with_their_columns():
    empty = with_buckets(pl.DataFrame(schema=ASSIGNMENT_SCHEMA), as_of=AS_OF, calendar=CAL)
    none = pl.DataFrame(schema=REPORT_SCHEMA)
    assert empty.columns[-1] == "bucket" and empty.height == 0
    assert by_unit(empty, none, as_of=AS_OF).columns[-2:] == ["Tổng", "Tiến độ TB (%)"]
    units, missing = warning_list(empty, none, month=OCTOBER, as_of=AS_OF)
    assert units.height == missing.height == 0 and "Báo cáo gần nhất" in missing.columns
    assert "Theo dõi" in summary_markdown(empty, none, month=OCTOBER, as_of=AS_OF)


# --- views (lead assignments only) ----------------------------------------------------------------------
#   bucket order: chưa đến hạn, đang thực hiện, sắp đến hạn, đến hạn, quá hạn, hoàn thành đúng hạn,
#                 hoàn thành quá hạn, đã gia hạn, đã hủy, chờ xác định thời hạn
# Progress: done → 100; else the latest non-returned report up to as_of, 0 without one; cancelled not averaged.
#   a01 100, a02 100, a03 100, a05 60, a06 40, a07 0, a08 100, a17 100 │ a09 20, a11 0 (report returned),
#   a12 0, a14 0 (report after as_of), a15 0, a16 100

def test_by_directive(bucketed, reports):
    view = by_directive(bucketed, reports, as_of=AS_OF)
    assert view.columns[:3] == ["Số văn bản", "Trích yếu", "Cơ quan ban hành"]
    assert view.columns[3:] == [v for k, v in LABELS.items() if k != "draft"] + ["Tổng", "Tiến độ TB (%)"]
    assert view["Số văn bản"].to_list() == ["12/CT-UBND", "45/KH-UBND"]
    d1, d2 = view.to_dicts()
    # D1 lead: a01 a03 a17 on time, a02 late, a05 a06 ongoing, a07 soon, a08 due; (100*6+60+40+0)/8 = 75.0
    assert _buckets(d1) == [0, 2, 1, 1, 0, 3, 1, 0, 0, 0] and d1["Tổng"] == 8 and d1["Tiến độ TB (%)"] == 75.0
    # D2 lead: a11 not due, a14 ongoing, a15 overdue, a16 late, a09 extended, a10 cancelled, a12 unscheduled
    # progress over 6 (a10 cancelled left out): (20+0+0+0+0+100)/6 = 20.0
    assert _buckets(d2) == [1, 1, 0, 0, 1, 0, 1, 1, 1, 1] and d2["Tổng"] == 7 and d2["Tiến độ TB (%)"] == 20.0


def test_by_task(bucketed, reports):
    view = by_task(bucketed, reports, as_of=AS_OF)
    assert view.columns[:4] == ["Số văn bản", "Mục", "Nội dung", "Lãnh đạo chủ trì"]
    assert view["Mục"].to_list() == ["1", "2", "3", "4", "I.1", "I.2", "I.3", "II.1"]
    expected = {  # Mục → (buckets, Tổng, Tiến độ)
        "1": ([0, 0, 0, 0, 0, 2, 1, 0, 0, 0], 3, 100.0),   # a04 (coordinating) not counted
        "2": ([0, 2, 0, 0, 0, 0, 0, 0, 0, 0], 2, 50.0),    # (60+40)/2
        "3": ([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], 1, 0.0),
        "4": ([0, 0, 0, 1, 0, 1, 0, 0, 0, 0], 2, 100.0),
        "I.1": ([1, 0, 0, 0, 0, 0, 0, 1, 1, 0], 3, 10.0),  # (20+0)/2, cancelled a10 left out
        "I.2": ([0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 1, 0.0),   # a13 (coordinating) not counted
        "I.3": ([0, 1, 0, 0, 0, 0, 0, 0, 0, 0], 1, 0.0),
        "II.1": ([0, 0, 0, 0, 1, 0, 1, 0, 0, 0], 2, 50.0),
    }
    for ref, (counts, total, progress) in expected.items():
        row = _row(view, "Mục", ref)
        assert (_buckets(row), row["Tổng"], row["Tiến độ TB (%)"]) == (counts, total, progress), ref
    assert _row(view, "Mục", "I.2")["Lãnh đạo chủ trì"] == "(chưa xác định)"
    assert _row(view, "Mục", "3")["Nội dung"] == "=cmd()| tổng hợp <b>số liệu</b>"


def test_by_unit(bucketed, reports):
    view = by_unit(bucketed, reports, as_of=AS_OF)
    assert view.columns[:2] == ["Đơn vị", "Loại đơn vị"]
    # departments first, then communes, each by name
    assert view["Đơn vị"].to_list() == ["Sở Nội vụ", "Sở Tài chính", "Phường Hồng Bàng", "Xã An Lão"]
    assert view["Loại đơn vị"].to_list() == ["Sở, ban, ngành"] * 2 + ["Xã, phường, đặc khu"] * 2
    expected = {
        "Sở Tài chính": ([0, 1, 0, 0, 1, 2, 0, 1, 0, 0], 5, 56.0),      # a01 a05 a17 a09 a15: (100+60+100+20+0)/5
        "Sở Nội vụ": ([0, 1, 0, 1, 0, 0, 1, 0, 1, 0], 4, 66.7),         # a02 a08 a10 a14: (100+100+0)/3
        "Phường Hồng Bàng": ([1, 1, 0, 0, 0, 1, 1, 0, 0, 0], 4, 60.0),  # a03 a06 a11 a16: (100+40+0+100)/4
        "Xã An Lão": ([0, 0, 1, 0, 0, 0, 0, 0, 0, 1], 2, 0.0),          # a07 a12; a04 coordinating
    }
    for unit, (counts, total, progress) in expected.items():
        row = _row(view, "Đơn vị", unit)
        assert (_buckets(row), row["Tổng"], row["Tiến độ TB (%)"]) == (counts, total, progress), unit


def test_by_leader(bucketed, reports):
    view = by_leader(bucketed, reports, as_of=AS_OF)
    assert view["Lãnh đạo chủ trì"].to_list() == ["Nguyễn Văn An", "Trần Thị Bình", "(chưa xác định)"]
    assert view["Tổng"].to_list() == [8, 6, 1]
    # Bình: a09 20, a11 0, a14 0, a15 0, a16 100 (a10 cancelled) → 24.0
    assert view["Tiến độ TB (%)"].to_list() == [75.0, 24.0, 0.0]
    assert _buckets(_row(view, "Lãnh đạo chủ trì", "Trần Thị Bình")) == [1, 1, 0, 0, 1, 0, 1, 1, 1, 0]


# --- rates and the warning list -------------------------------------------------------------------------

def test_on_time_rate(bucketed):
    view = on_time_rate(bucketed)
    assert view.columns == ["Đơn vị", "Đúng hạn", "Quá hạn", "Quá hạn chưa xong", "Tỷ lệ đúng hạn (%)"]
    assert view.rows() == [
        ("Sở Nội vụ", 0, 1, 0, 0.0),            # a02 late
        ("Sở Tài chính", 2, 0, 1, 66.7),        # a01 a17 on time, a15 overdue: 2/3
        ("Phường Hồng Bàng", 1, 1, 0, 50.0),    # a03 on time, a16 late: 1/2
        ("Xã An Lão", 0, 0, 0, None),           # nothing due yet (a04 overdue but coordinating)
    ]
    fig = key_figures(bucketed, _reports(), month=OCTOBER, as_of=AS_OF)
    assert (fig.on_time, fig.measured, fig.on_time_pct) == (3, 6, 50.0)


def test_monthly_update_rate_october(bucketed, reports):
    view = monthly_update_rate(bucketed, reports, month=OCTOBER, as_of=AS_OF)
    assert view.columns == ["Đơn vị", "Nhiệm vụ phải cập nhật", "Đã cập nhật", "Tỷ lệ cập nhật (%)"]
    assert view.rows() == [
        ("Sở Nội vụ", 3, 2, 66.7),          # a02 (closed 3/10) ✓, a08 ✓, a14 ✗ (report after as_of); a10 cancelled
        ("Sở Tài chính", 4, 2, 50.0),       # a05 ✓, a17 ✓, a09 ✗ (last in Sept), a15 ✗; a01 closed 25/9
        ("Phường Hồng Bàng", 3, 3, 100.0),  # a06 ✓, a11 ✓ (returned still counts), a16 ✓; a03 closed 30/9
        ("Xã An Lão", 2, 0, 0.0),           # a07 ✗, a12 ✗
    ]
    fig = key_figures(bucketed, reports, month=OCTOBER, as_of=AS_OF)
    assert (fig.updated, fig.must_update, fig.update_pct, fig.warned_units) == (7, 12, 58.3, 3)


def test_monthly_update_rate_september_and_issuance_cutoff(bucketed, reports):
    # September, seen on 20/10: all 14 uncancelled lead assignments; updates 25/9 a01, 20/9 a02, 30/9 a03,
    # 30/9 a05, 28/9 a09.
    view = monthly_update_rate(bucketed, reports, month=SEPTEMBER, as_of=AS_OF)
    assert view.rows() == [("Sở Nội vụ", 3, 1, 33.3), ("Sở Tài chính", 5, 3, 60.0),
                           ("Phường Hồng Bàng", 4, 1, 25.0), ("Xã An Lão", 2, 0, 0.0)]
    # Seen on 10/9: D2 (issued 15/9) is not active yet, and no report has come in.
    early = monthly_update_rate(bucketed, reports, month=SEPTEMBER, as_of=D("2025-09-10"))
    assert early.rows() == [("Sở Nội vụ", 2, 0, 0.0), ("Sở Tài chính", 3, 0, 0.0),
                            ("Phường Hồng Bàng", 2, 0, 0.0), ("Xã An Lão", 1, 0, 0.0)]


def test_warning_list_october(bucketed, reports):
    units, missing = warning_list(bucketed, reports, month=OCTOBER, as_of=AS_OF)
    # below 90 %, lowest first; Phường Hồng Bàng (100 %) is not on it
    assert units.rows() == [("Xã An Lão", 2, 0, 0.0), ("Sở Tài chính", 4, 2, 50.0), ("Sở Nội vụ", 3, 2, 66.7)]
    assert missing.columns == ["Đơn vị", "Số văn bản", "Mục", "Nội dung", "Thời hạn", "Báo cáo gần nhất"]
    assert missing.select("Đơn vị", "Số văn bản", "Mục", "Thời hạn", "Báo cáo gần nhất").rows() == [
        ("Sở Nội vụ", "45/KH-UBND", "I.3", "Thường xuyên", "chưa có"),
        ("Sở Tài chính", "45/KH-UBND", "I.1", "31/10/2025", "28/9/2025"),
        ("Sở Tài chính", "45/KH-UBND", "II.1", "10/10/2025", "chưa có"),
        ("Xã An Lão", "12/CT-UBND", "3", "23/10/2025", "chưa có"),
        ("Xã An Lão", "45/KH-UBND", "I.2", "chờ xác định thời hạn", "chưa có"),
    ]


def test_warning_threshold_is_compared_exactly(bucketed, reports):
    # Sở Nội vụ updates 2 of 3 (66.67 %): on the list below 2/3 + ε, off it at exactly 2/3.
    units, _ = warning_list(bucketed, reports, month=OCTOBER, as_of=AS_OF, threshold=2 / 3)
    assert "Sở Nội vụ" not in units["Đơn vị"].to_list()
    units, _ = warning_list(bucketed, reports, month=OCTOBER, as_of=AS_OF, threshold=0.6667)
    assert "Sở Nội vụ" in units["Đơn vị"].to_list()


def test_summary_markdown(bucketed, reports):
    text = summary_markdown(bucketed, reports, month=OCTOBER, as_of=AS_OF)
    assert "đến ngày 20/10/2025" in text
    assert "| chưa đến hạn | 1 |" in text and "| đang thực hiện | 3 |" in text and "| **Tổng** | 15 |" in text
    assert "50,0 % (3/6; mục tiêu 100 %)" in text
    assert "tháng 10/2025:** 58,3 % (7/12; mục tiêu từ 90,0 %)" in text
    assert "**Đơn vị thuộc diện cảnh báo:** 3" in text
    assert "## Diện cảnh báo: tỷ lệ cập nhật dưới 90,0 %\n" in text
    assert "| Xã An Lão | 2 | 0 | 0,0 % |" in text


def test_summary_markdown_escapes_names(bucketed, reports):
    odd = bucketed.with_columns(pl.col("unit_name").replace("Xã An Lão", "Xã <b>An</b> | Lão\nmới"))
    text = summary_markdown(odd, reports, month=OCTOBER, as_of=AS_OF, top=1)
    assert "| Xã &lt;b&gt;An&lt;/b&gt; \\| Lão mới | 2 | 0 | 0,0 % |" in text
    assert "<b>" not in text and "(1 đơn vị thấp nhất)" in text and "… và 2 đơn vị khác" in text


# --- workbook -------------------------------------------------------------------------------------------

def test_sheet_names_are_what_excel_accepts():
    names = sheet_names(["Tổng hợp", "Cập nhật 10/2025", "a" * 40, "A" * 40, "[Bảng]: *?\\", "'"])
    assert names == ["Tổng hợp", "Cập nhật 10-2025", "a" * 31, "A" * 27 + " (2)", "-Bảng-- ---", "Trang"]


def test_workbook_round_trip(tmp_path, bucketed, reports):
    sheets = monitoring_sheets(bucketed, reports, month=OCTOBER, as_of=AS_OF)
    sheets["Ngày"] = pl.DataFrame({"Ngày báo cáo": [D("2025-09-30")], "Ghi chú": ["=SUM(A1:A2)"]})
    figures = key_figures(bucketed, reports, month=OCTOBER, as_of=AS_OF).rows()
    path = write_workbook(tmp_path / "out" / "theo-doi.xlsx", sheets, title="Theo dõi văn bản chỉ đạo",
                          as_of=AS_OF, figures=figures)

    book = pl.read_excel(path, sheet_id=0)
    assert list(book) == ["Tổng hợp", "Theo văn bản", "Theo nhiệm vụ", "Theo đơn vị", "Theo lãnh đạo",
                          "Tỷ lệ đúng hạn", "Cập nhật tháng 10-2025", "Diện cảnh báo",
                          "Chưa cập nhật tháng 10-2025", "Ngày"]
    by_unit_sheet = book["Theo đơn vị"]
    assert by_unit_sheet.columns == sheets["Theo đơn vị"].columns
    assert _row(by_unit_sheet, "Đơn vị", "Sở Tài chính")["Tổng"] == 5
    rates = book["Tỷ lệ đúng hạn"]
    assert rates["Tỷ lệ đúng hạn (%)"].to_list() == [0.0, 66.7, 50.0, None]
    # typed text that looks like a formula stays text
    assert "=cmd()| tổng hợp <b>số liệu</b>" in book["Theo nhiệm vụ"]["Nội dung"].to_list()
    assert book["Ngày"].row(0) == (D("2025-09-30"), "=SUM(A1:A2)")

    summary = pl.read_excel(path, sheet_name="Tổng hợp", has_header=False).rows()
    assert summary[0][0] == "Theo dõi văn bản chỉ đạo" and summary[1][0] == "Số liệu tính đến ngày"
    assert str(summary[1][1]).startswith("2025-10-20")  # a real date cell, shown as 20/10/2025
    labels = {row[0]: row[1] for row in summary[2:]}
    assert float(labels["Lượt giao chủ trì"]) == 15
    assert float(labels["Tỷ lệ cập nhật tiến độ tháng 10/2025 (%)"]) == 58.3

    with zipfile.ZipFile(path) as z:
        xml = {n: z.read(n).decode() for n in z.namelist() if n.endswith(".xml")}
    sheets_xml = [x for n, x in xml.items() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in x for x in sheets_xml)  # no formula anywhere
    data_sheet = xml["xl/worksheets/sheet4.xml"]  # Theo đơn vị
    assert 'ySplit="1"' in data_sheet and 'state="frozen"' in data_sheet and "<autoFilter" in data_sheet
    assert 'formatCode="0.0"' in xml["xl/styles.xml"] and 'formatCode="dd/mm/yyyy"' in xml["xl/styles.xml"]
    assert _header_is_bold_and_filled(data_sheet, xml["xl/styles.xml"])


def _header_is_bold_and_filled(sheet_xml: str, styles_xml: str) -> bool:
    """The style of cell A1 has a bold font and a solid fill."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    style = int(re.search(r'<c r="A1" s="(\d+)"', sheet_xml).group(1))
    styles = ElementTree.fromstring(styles_xml)
    xf = styles.findall("m:cellXfs/m:xf", ns)[style]
    font = styles.findall("m:fonts/m:font", ns)[int(xf.get("fontId"))]
    fill = styles.findall("m:fills/m:fill", ns)[int(xf.get("fillId"))]
    return font.find("m:b", ns) is not None and fill.find("m:patternFill", ns).get("patternType") == "solid"
