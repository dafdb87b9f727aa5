"""The monitoring workbook (.xlsx): a "Tổng hợp" sheet, then one formatted sheet per view.

xlsxwriter lays out each sheet (header, widths, frozen header, filters, formats); the data rows themselves
are rendered by flows.xlsx_rows in bulk.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import polars as pl
import xlsxwriter
import xlsxwriter.workbook

from flows.xlsx_rows import FrameSheet

SUMMARY_SHEET = "Tổng hợp"
MAX_SHEET_NAME = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MIN_WIDTH, _MAX_WIDTH = 8, 60
# Excel must never evaluate what a person typed: a unit name or a task that starts with "=" stays text.
# Every string is written with write_string anyway; these options guard any other write.
_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "remove_timezone": True, "in_memory": True}


class _QuickZipInfo(zipfile.ZipInfo):
    """A part of the workbook deflated at level 1: three times quicker than zlib's default level 6 on a sheet of
    ten thousand rows, for a file ~40 % larger (2.0 → 2.8 MB at a million assignments). xlsxwriter has no
    setting for it, and names ZipInfo for each part."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._compresslevel = 1  # Python 3.13 renames it compress_level and keeps this name as an alias


xlsxwriter.workbook.ZipInfo = _QuickZipInfo


def write_workbook(path: Path, sheets: Mapping[str, pl.DataFrame], *, title: str, as_of: date,
                   figures: Mapping[str, object] | None = None, notes: Mapping[str, str] | None = None) -> Path:
    """Write `sheets` (name → frame) after a "Tổng hợp" sheet with `title`, `as_of` and `figures` (label → value).

    Columns whose header ends in "(%)" and figures whose label does are shown with one decimal. A sheet named
    in `notes` gets that note in its first row, above the header.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = sheet_names([SUMMARY_SHEET, *sheets])
    with xlsxwriter.Workbook(str(path), _OPTIONS) as workbook:
        formats = _formats(workbook)
        _write_summary(workbook.add_worksheet(names[0]), formats, title=title, as_of=as_of, figures=figures or {})
        for name, (key, frame) in zip(names[1:], sheets.items()):
            sheet = workbook.add_worksheet(name, worksheet_class=FrameSheet)
            _write_frame(sheet, frame, formats, note=(notes or {}).get(key))
    return path


def sheet_names(wanted: list[str]) -> list[str]:
    """Names Excel accepts: no []:*?/\\, no quote at either end, at most 31 characters, unique whatever the case."""
    taken: set[str] = set()
    names = []
    for raw in wanted:
        base = _BAD_SHEET_CHARS.sub("-", str(raw)).strip().strip("'").strip() or "Trang"
        name, n = base[:MAX_SHEET_NAME], 1
        while name.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            name = base[:MAX_SHEET_NAME - len(suffix)] + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def _formats(workbook: xlsxwriter.Workbook) -> dict:
    add = workbook.add_format
    return {
        "title": add({"bold": True, "font_size": 14}),
        "label": add({"bold": True}),
        "header": add({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "vcenter"}),
        "date": add({"num_format": "dd/mm/yyyy", "align": "left"}),
        "datetime": add({"num_format": "dd/mm/yyyy hh:mm", "align": "left"}),
        "percent": add({"num_format": "0.0"}),
        "wrap": add({"text_wrap": True, "valign": "top"}),
        "note": add({"bold": True, "font_color": "#C00000"}),
        None: None,
    }


def _write_summary(sheet, formats: dict, *, title: str, as_of: date, figures: Mapping[str, object]) -> None:
    """Title, the day the figures are taken on, then one label and value per row."""
    sheet.write_string(0, 0, title, formats["title"])
    sheet.write_string(1, 0, "Số liệu tính đến ngày", formats["label"])
    sheet.write_datetime(1, 1, as_of, formats["date"])
    for row, (label, value) in enumerate(figures.items(), start=3):
        sheet.write_string(row, 0, str(label))
        kind = "percent" if str(label).endswith("(%)") else "date" if isinstance(value, date) else None
        _write_cell(sheet, row, 1, "—" if value is None else value, formats[kind])
    sheet.set_column(0, 0, 50)
    sheet.set_column(1, 1, 16)


def _write_frame(sheet: FrameSheet, frame: pl.DataFrame, formats: dict, *, note: str | None = None) -> None:
    """The note if any, a header row (bold, filled, frozen, with filters), then the rows, each column formatted
    by its type."""
    top = 0
    if note:
        sheet.write_string(0, 0, note, formats["note"])
        top = 1
    column_formats = []
    for col, (name, dtype) in enumerate(frame.schema.items()):
        sheet.write_string(top, col, name, formats["header"])
        width = _width(frame.get_column(name), name)
        sheet.set_column(col, col, width)
        column_formats.append(formats[_column_kind(name, dtype, wide=width >= _MAX_WIDTH)])
    sheet.set_body(frame, first_row=top + 1, formats=column_formats)
    sheet.freeze_panes(top + 1, 0)
    if frame.width:
        sheet.autofilter(top, 0, top + frame.height, frame.width - 1)


def _column_kind(name: str, dtype: pl.DataType, *, wide: bool) -> str | None:
    if name.endswith("(%)"):
        return "percent"
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Datetime:
        return "datetime"
    return "wrap" if wide else None


def _width(values: pl.Series, header: str) -> int:
    """Wide enough for the longest value (headers wrap past 16 characters), within 8–60."""
    if values.dtype in (pl.Date, pl.Datetime):
        longest = 16
    else:
        longest = values.cast(pl.String).str.len_chars().max() or 0
    return max(_MIN_WIDTH, min(_MAX_WIDTH, max(longest, min(len(header), 16)) + 2))


def _write_cell(sheet, row: int, col: int, value, cell_format) -> None:
    """One value with the writer of its type: strings always as text, never as a formula."""
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value, cell_format)
    elif isinstance(value, (int, float)) and math.isfinite(value):
        sheet.write_number(row, col, value, cell_format)
    elif isinstance(value, (date, datetime)):
        sheet.write_datetime(row, col, value, cell_format)
    else:
        sheet.write_string(row, col, str(value), cell_format)
