"""A frame's rows as SpreadsheetML, built column by column in Polars, for a worksheet that xlsxwriter lays out.

xlsxwriter spends ~3 µs of Python per cell (storing it, then writing its XML): 30 000 tasks × 16 columns took
1.5 s. Here each column becomes its cells' XML in one Polars expression, and the worksheet writes the
finished rows between the rows xlsxwriter wrote itself (title, header). Strings go in as inline strings,
always text (never a formula); dates as Excel serial days under the column's date format.
"""

from __future__ import annotations

import re

import polars as pl
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

_EXCEL_EPOCH = 25569  # 1970-01-01 as an Excel serial day (the 1900 date system)
# Characters XML cannot carry, and text that Excel would read as one of its own _xHHHH_ escapes.
_NEEDS_ESCAPE = r"[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|_x[0-9A-Fa-f]{4}_"


class FrameSheet(Worksheet):
    """A worksheet whose data rows come ready-made (`set_body`) after the rows written through xlsxwriter."""

    _body: str = ""
    _last: tuple[int, int] | None = None

    def set_body(self, frame: pl.DataFrame, *, first_row: int, formats: list) -> None:
        """`frame`'s rows from sheet row `first_row` (0-based), column i in `formats[i]` (an xlsxwriter Format or
        None)."""
        if frame.height and frame.width:
            styles = [f._get_xf_index() if f is not None else None for f in formats]  # as xlsxwriter's own cells do
            self._body = render_rows(frame, first_row=first_row, styles=styles)
            self._last = (first_row + frame.height - 1, frame.width - 1)

    def _write_dimension(self) -> None:
        if self._last is None:
            super()._write_dimension()
        else:
            self._xml_empty_tag("dimension", [("ref", f"A1:{xl_rowcol_to_cell(*self._last)}")])

    def _write_sheet_data(self) -> None:
        if not self._body:
            super()._write_sheet_data()
            return
        self._xml_start_tag("sheetData")
        if self.dim_rowmin is not None:
            self._write_rows()
        self.fh.write(self._body)
        self._xml_end_tag("sheetData")


def render_rows(frame: pl.DataFrame, *, first_row: int, styles: list[int | None]) -> str:
    """`<row>` elements for every row of `frame`; null cells are left out."""
    text = [name for name, dtype in frame.schema.items() if _kind(dtype) == "s"]
    frame = frame.with_columns(_safe_text(frame.get_column(name)) for name in text)
    number = pl.int_range(first_row + 1, first_row + 1 + frame.height, dtype=pl.Int64).cast(pl.String)
    cells = [_cells(name, frame.schema[name], xl_col_to_name(i), number, style)
             for i, (name, style) in enumerate(zip(frame.columns, styles))]
    rows = pl.concat_str([pl.lit('<row r="'), number, pl.lit('">'), *cells, pl.lit("</row>")])
    return frame.select(rows.str.join("")).item()


def _cells(name: str, dtype: pl.DataType, letter: str, number: pl.Expr, style: int | None) -> pl.Expr:
    """One column's `<c>` elements (empty text where the value is null)."""
    kind, value = _kind(dtype), _value(pl.col(name), dtype)
    open_tag = pl.concat_str([pl.lit(f'<c r="{letter}'), number, pl.lit('"' + (f' s="{style}"' if style else ""))])
    if kind == "s":
        # spaces at either end are kept only when the text says so
        space = pl.when(pl.col(name).cast(pl.String).str.contains(r"^\s|\s$")).then(pl.lit(' xml:space="preserve"'))
        body = pl.concat_str([pl.lit(' t="inlineStr"><is><t'), space.otherwise(pl.lit("")), pl.lit(">"), value,
                              pl.lit("</t></is></c>")])
    elif kind == "b":
        body = pl.concat_str([pl.lit(' t="b"><v>'), value, pl.lit("</v></c>")])
    else:
        body = pl.concat_str([pl.lit("><v>"), value, pl.lit("</v></c>")])
    return pl.concat_str([open_tag, body]).fill_null("")


def _kind(dtype: pl.DataType) -> str:
    """The cell type: "b" boolean, "n" number (dates too), "s" text (anything else, as its text)."""
    if dtype == pl.Boolean:
        return "b"
    if dtype == pl.Date or isinstance(dtype, pl.Datetime) or dtype.is_numeric():
        return "n"
    return "s"


def _value(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The value as written between the tags; null for none (and for a number that is not finite)."""
    if dtype == pl.Boolean:
        return column.cast(pl.Int8).cast(pl.String)
    if dtype == pl.Date:
        return (column.cast(pl.Int32) + _EXCEL_EPOCH).cast(pl.String)
    if isinstance(dtype, pl.Datetime):  # the wall-clock time, as xlsxwriter's remove_timezone writes it
        micros = column.dt.replace_time_zone(None).dt.cast_time_unit("us").cast(pl.Int64)
        return (micros / 86_400_000_000 + _EXCEL_EPOCH).cast(pl.String)
    if dtype.is_integer():
        return column.cast(pl.String)
    if dtype.is_numeric():
        number = column.cast(pl.Float64)
        return pl.when(number.is_finite()).then(number.cast(pl.String))
    return column


def _safe_text(values: pl.Series) -> pl.Series:
    """Text escaped for XML, and for Excel where XML cannot carry a character."""
    text = values.cast(pl.String)
    if text.str.contains(_NEEDS_ESCAPE).any():  # rare: done per value
        text = text.map_elements(_escape_control, return_dtype=pl.String, skip_nulls=True)
    return (text.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True).alias(values.name))


def _escape_control(text: str) -> str:
    """Excel's escape for a character XML cannot carry (_x0001_), and for text that looks like one."""
    return re.sub(_NEEDS_ESCAPE, lambda m: "_x005F" + m[0] if len(m[0]) > 1 else f"_x{ord(m[0]):04X}_", text)
