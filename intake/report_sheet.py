"""Reports the office collected in a spreadsheet (one row a report) → checked rows, every problem at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pendulum

from domain.errors import DondocError, InputError, Problem, ValidationError
from domain.policy import TZ
from domain.report_form import ReportForm, validate_report
from domain.text import fold
from intake.readers import OTHER_SPREADSHEETS, check_file
from intake.xlsx import cell_text, sheet_rows

COLUMNS: list[tuple[str, str]] = [  # folded header words → field; the first that matches wins
    ("so van ban", "directive"), ("so ky hieu", "directive"), ("van ban", "directive"),
    ("don vi", "unit"), ("muc", "task"), ("nhiem vu so", "task"),
    ("tien do", "progress"), ("ket qua", "done_text"), ("kho khan", "difficulties"), ("de xuat", "proposals"),
    ("hoan thanh", "claims_completion"), ("minh chung", "links"), ("ngay bao cao", "submitted_on"),
]
REQUIRED = {"directive": "Số văn bản", "task": "Mục", "unit": "Đơn vị", "progress": "Tiến độ (%)",
            "done_text": "Kết quả thực hiện"}
_YES = {"co", "x", "1", "true", "dung", "da hoan thanh", "hoan thanh", "yes"}
_NO = {"", "khong", "0", "false", "chua", "chua hoan thanh", "no"}


@dataclass(frozen=True)
class SheetReport:
    line: int  # the spreadsheet's row number, as the person sees it
    directive: str
    unit: str
    task: str
    form: ReportForm
    submitted_at: datetime | None


def read_report_sheet(path: Path, *, now: datetime, max_bytes: int) -> list[SheetReport]:
    """The sheet's reports; ValidationError listing every bad row (by its row number) when any is bad."""
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"{path.name}: {OTHER_SPREADSHEETS.get(path.suffix.lower(), 'chỉ nhận tệp .xlsx')}")
    check_file(path, max_bytes)
    rows = sheet_rows(path, max_bytes=max_bytes)
    header_at, columns = _header(rows, path.name)
    out, problems = [], []
    for offset, raw in enumerate(rows[header_at + 1:], start=header_at + 2):
        row = {columns[i]: cell_text(v) for i, v in enumerate(raw) if i in columns and cell_text(v)}
        if not row:
            continue
        try:
            out.append(_report(offset, row, now))
        except DondocError as exc:
            problems += [Problem(f"dòng {offset}", p.message if p.where == "" else f"{p.where}: {p.message}")
                         for p in getattr(exc, "problems", [Problem("", str(exc))])]
    if problems:
        raise ValidationError(path.name, problems)
    if not out:
        raise InputError(f"{path.name}: không có dòng báo cáo nào dưới dòng tiêu đề")
    return out


def _report(line: int, row: dict, now: datetime) -> SheetReport:
    # an empty "Kết quả thực hiện" is for validate_report to say, in its own words
    missing = [label for field, label in REQUIRED.items() if field != "done_text" and not row.get(field)]
    if missing:
        raise ValidationError("", [Problem("", f"thiếu {', '.join(missing)}")])
    claims = fold(row.get("claims_completion", ""))
    if claims not in _YES | _NO:
        raise ValidationError("", [Problem("Hoàn thành", f"“{row['claims_completion']}” phải là có hoặc không")])
    form = validate_report({"progress": row.get("progress", ""), "done_text": row.get("done_text", ""),
                            "difficulties": row.get("difficulties"), "proposals": row.get("proposals"),
                            "links": row.get("links"), "claims_completion": claims in _YES})
    submitted = _moment(row["submitted_on"]) if row.get("submitted_on") else None
    if submitted is not None and submitted > now:
        raise ValidationError("", [Problem("Ngày báo cáo", "ngày báo cáo ở tương lai")])
    return SheetReport(line, row["directive"], row["unit"], row["task"].rstrip("."), form, submitted)


def _moment(text: str) -> datetime:
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    try:
        day = date(int(m[3]), int(m[2]), int(m[1])) if m else date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError("", [Problem("Ngày báo cáo", f"“{text}” không phải ngày (viết 30/9/2025)")]) from None
    return pendulum.instance(datetime.combine(day, time(12, 0)), tz=TZ)


def _header(rows: list[tuple], name: str) -> tuple[int, dict[int, str]]:
    for at, raw in enumerate(rows[:20]):
        columns: dict[int, str] = {}
        for i, value in enumerate(raw):
            text = fold(cell_text(value))
            field = next((f for words, f in COLUMNS if text and words in text), None)
            if field and field not in columns.values():
                columns[i] = field
        if {"directive", "unit", "progress"} <= set(columns.values()):
            missing = [label for field, label in REQUIRED.items() if field not in columns.values()]
            if missing:
                raise ValidationError(name, [Problem("dòng tiêu đề", f"thiếu cột “{label}”") for label in missing])
            return at, columns
    raise InputError(f"{name}: không tìm thấy dòng tiêu đề (cần các cột {', '.join(REQUIRED.values())})")
