"""An appendix spreadsheet (one row a task, Vietnamese headers as in the seeds) → task dicts."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import polars as pl

from domain.errors import InputError, Problem, ValidationError
from domain.text import fold, nfc
from intake.xlsx_package import check_package

# Folded header words → task field. Order matters: "chủ trì chỉ đạo" (leader) before "chủ trì" (lead).
COLUMNS: list[tuple[str, str]] = [
    ("stt", "ref"),
    ("so thu tu", "ref"),
    ("lanh dao chu tri", "leader_in_charge"),
    ("chu tri chi dao", "leader_in_charge"),
    ("lanh dao phu trach", "leader_in_charge"),
    ("phoi hop", "coordinating"),
    ("chu tri", "lead"),
    ("san pham", "output"),
    ("thoi han", "deadline"),
    ("thoi gian", "deadline"),
    ("bao cao ve", "report_to"),
    ("noi dung", "content"),
    ("ten nhiem vu", "content"),
    ("nhiem vu", "content"),
    ("ghi chu", "_note"),
]
REQUIRED = {"ref": "STT", "content": "Nội dung/Tên nhiệm vụ", "lead": "Đơn vị chủ trì", "deadline": "Thời hạn hoàn thành"}
_ROMAN = re.compile(r"^[IVXLC]+\.?$")
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?: 00:00:00)?$")


def read_appendix(path: Path, *, max_bytes: int) -> list[dict]:
    """Task dicts from the first sheet; section rows (Roman STT, no unit) label the rows after them."""
    rows = sheet_rows(path, max_bytes=max_bytes)
    header_at, columns = _find_header(rows, path.name)
    tasks: list[dict] = []
    problems: list[Problem] = []
    section: str | None = None
    for raw in rows[header_at + 1:]:
        row = {columns[i]: cell_text(v) for i, v in enumerate(raw) if i in columns and cell_text(v)}
        row.pop("_note", None)
        if not row:
            continue
        ref = row.get("ref", "")
        if _ROMAN.match(ref) and not row.get("lead") and not row.get("deadline"):
            section = f"{ref.rstrip('.')}. {row.get('content', '')}".strip()
            continue
        if not ref:
            problems.append(Problem(f"dòng “{row.get('content', '')[:40]}…”", "thiếu STT"))
            continue
        row["ref"] = ref.rstrip(".")
        if section:
            row["section"] = section
        tasks.append(row)
    if problems:
        raise ValidationError(path.name, problems)
    if not tasks:
        raise InputError(f"{path.name}: bảng tính không có dòng nhiệm vụ nào dưới dòng tiêu đề")
    return tasks


def sheet_rows(path: Path, *, max_bytes: int) -> list[tuple]:
    """The first sheet's rows, as values; `max_bytes` is the import limit (an .xlsx unpacks to a few times it)."""
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path.name}: không phải tệp XLSX (Excel 2007 trở lên); tệp .xls cũ hãy lưu lại thành .xlsx")
    try:
        check_package(path, max_bytes=max_bytes)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path.name}: không đọc được bảng tính ({type(exc).__name__}: {str(exc)[:200]})") from None
    try:
        frame = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0)
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise InputError(f"{path.name}: không đọc được bảng tính ({type(exc).__name__}: {str(exc)[:200]})") from None
    return frame.rows()


def _find_header(rows: list[tuple], name: str) -> tuple[int, dict[int, str]]:
    """The first row among the first 20 that names the required columns; column index → field."""
    for at, raw in enumerate(rows[:20]):
        columns: dict[int, str] = {}
        unknown: list[str] = []
        for i, value in enumerate(raw):
            text = fold(cell_text(value))
            if not text:
                continue
            field = next((f for words, f in COLUMNS if words in text), None)
            if field is None:
                unknown.append(cell_text(value))
            elif field not in columns.values():
                columns[i] = field
        if {"ref", "content"} <= set(columns.values()):
            missing = [label for f, label in REQUIRED.items() if f not in columns.values()]
            if missing or unknown:
                problems = [Problem("dòng tiêu đề", f"thiếu cột “{label}”") for label in missing]
                problems += [Problem("dòng tiêu đề", f"cột không nhận ra: “{u}”") for u in unknown]
                raise ValidationError(name, problems)
            return at, columns
    raise InputError(f"{name}: không tìm thấy dòng tiêu đề (cần các cột {', '.join(REQUIRED.values())})")


def cell_text(value) -> str:
    """A cell as text; dates typed as Excel dates read back as D/M/YYYY, the way people write them."""
    if value is None:
        return ""
    text = nfc(str(value))
    if m := _DATETIME.match(text):
        return f"{int(m[3])}/{int(m[2])}/{m[1]}"
    if re.fullmatch(r"\d+\.0", text):
        return text[:-2]
    return text
