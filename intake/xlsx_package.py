"""What an .xlsx holds besides the values of its cells, checked before a cell is read: macros, formulas, and how
big it unpacks. dondoc reads values only; a spreadsheet whose values it cannot trust is refused, never guessed."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from domain.errors import InputError
from domain.text import megabytes

UNPACKED_PER_PACKED = 10  # an .xlsx may unpack to 10 × the import limit: real sheets do, a zip bomb does not
FORMULAS_NAMED = 5  # cells named in the message; the rest are counted
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def check_package(path: Path, *, max_bytes: int) -> None:
    """Refuse a workbook with macros, one that unpacks to more than its share, or one whose first sheet (the
    one read) has formulas: their values are whatever the last program to save the file cached, if anything."""
    with zipfile.ZipFile(path) as package:
        names = [info.filename for info in package.infolist()]
        if any(n.lower().endswith("vbaproject.bin") or n.lower().startswith("xl/macrosheets/") for n in names):
            raise InputError(f"{path.name}: bảng tính có macro (VBA); dondoc không nhận tệp có macro: hãy lưu lại "
                             "thành .xlsx thường (Excel Workbook)")
        unpacked, limit = sum(i.file_size for i in package.infolist()), UNPACKED_PER_PACKED * max_bytes
        if unpacked > limit:
            raise InputError(f"{path.name}: bảng tính giải nén ra {megabytes(unpacked)}, quá giới hạn "
                             f"{megabytes(limit)} (tệp hỏng hoặc bom nén?)")
        sheet = _first_sheet(package)
        cells = _formula_cells(package, sheet) if sheet in names else []
    if cells:
        shown = ", ".join(cells[:FORMULAS_NAMED]) + (f" và {len(cells) - FORMULAS_NAMED} ô khác"
                                                     if len(cells) > FORMULAS_NAMED else "")
        raise InputError(f"{path.name}: có công thức ở ô {shown}; dondoc chỉ đọc giá trị, không tính công thức: "
                         "hãy chép cả bảng và dán dưới dạng giá trị (Paste Special → Values) rồi nhập lại")


def _first_sheet(package: zipfile.ZipFile) -> str:
    """The part of the workbook's first sheet (the one read), as workbook.xml and its relationships name it."""
    try:
        workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
        first = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
        rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target", "") for r in rels.iter(f"{_PACKAGE_REL}Relationship")
                      if r.get("Id") == first.get(f"{_REL}id"))
    except (KeyError, AttributeError, StopIteration, ElementTree.ParseError):
        return "xl/worksheets/sheet1.xml"  # a package this odd is for the reader to refuse, in its own words
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")


def _formula_cells(package: zipfile.ZipFile, sheet: str) -> list[str]:
    """References of the cells that hold a formula, read as a stream (a sheet may be large)."""
    found: list[str] = []
    try:
        with package.open(sheet) as stream:
            for _, element in ElementTree.iterparse(stream):
                if element.tag == f"{_MAIN}c":
                    if element.find(f"{_MAIN}f") is not None:
                        found.append(element.get("r") or "?")
                    element.clear()
                elif element.tag == f"{_MAIN}row":
                    element.clear()
    except ElementTree.ParseError:
        pass  # damaged XML: the reader says so
    return found
