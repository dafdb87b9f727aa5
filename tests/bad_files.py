"""What the bad-input tables share: a database as a user would have it, files written the way people get them
wrong, and the fingerprint that proves a refused command left the database byte-for-byte as it was."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from conftest import EXAMPLES, make_cli

GOOD = (EXAMPLES / "002-cong-van-du-thao.yaml").read_text(encoding="utf-8")
ISSUED = GOOD.replace("number: null", "number: 77/VP-VX").replace("issued_on: null", "issued_on: 2025-10-01")
HEADER = ["STT", "Tên nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn hoàn thành"]
PLAN_HEADER = "kind: ke_hoach\nissuer: Ban Chỉ đạo thành phố\nsubject: Thử\n"
STC = "Sở Tài chính"


@pytest.fixture(scope="module", name="populated")
def populated_fixture(tmp_path_factory):
    """A database holding an issued directive (77/VP-VX, due 30/9 and 15/10/2025) and a draft."""
    run = make_cli(tmp_path_factory.mktemp("bad") / "state")
    work = run.state.parent
    (work / "issued.yaml").write_text(ISSUED, encoding="utf-8")
    run("import", str(work / "issued.yaml"), "--as-of", "2025-10-01T09:00", check=True)
    run("import", str(EXAMPLES / "002-cong-van-du-thao.yaml"), check=True)
    return run


def fingerprint(db: Path) -> str:
    """The database file and its write-ahead log, hashed: any write changes it."""
    digest = hashlib.sha256()
    for part in (db, db.with_name(db.name + "-wal")):
        if part.exists():
            digest.update(part.read_bytes())
    return digest.hexdigest()


def write(path: Path, data) -> Path:
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")
    return path


def yaml_file(text: str, name: str = "in.yaml"):
    return lambda d: write(d / name, text)


def mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def xlsx(rows: list[list], header: str | None = PLAN_HEADER, *, name: str = "plan.xlsx", formulas=(),
         vba: bytes | None = None):
    """A spreadsheet as Excel writes one (xlsxwriter), with its header file beside it unless `header` is None."""
    def make(d: Path) -> Path:
        path = d / name
        written = path.with_suffix(".xlsm") if vba is not None else path  # xlsxwriter wants macros in an .xlsm
        book = xlsxwriter.Workbook(written, {"strings_to_formulas": False})
        sheet = book.add_worksheet()
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
        for cell, formula in formulas:
            sheet.write_formula(cell, formula)
        if vba is not None:
            (d / "vbaProject.bin").write_bytes(vba)
            book.add_vba_project(str(d / "vbaProject.bin"))
        book.close()
        written.rename(path)
        if header is not None:
            write(path.with_suffix(".yaml"), header)
        return path
    return make


def zip_bomb(rows: list[list], padding: int):
    """A valid spreadsheet whose sheet unpacks to `padding` more bytes (spaces, which compress to nothing)."""
    def make(d: Path) -> Path:
        plain = xlsx(rows, name="plain.xlsx")(d)
        path = d / "bomb.xlsx"
        with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(b"</sheetData>", b"</sheetData>" + b" " * padding)
                out.writestr(info.filename, data)
        write(d / "bomb.yaml", PLAN_HEADER)
        return path
    return make


def broken_xlsx(d: Path) -> Path:
    path = d / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='x'")
    return path
