"""Bad spreadsheets through `dondoc import` (a plan's appendix) and `dondoc report-import` (reports collected by the
office): exit 1, one "Lỗi:" message naming the problem (the cell, the column), the database byte-for-byte unchanged.
dondoc reads cell values only: formulas and macros are refused, never evaluated or trusted."""

from __future__ import annotations

import json
import unicodedata

import pytest
from bad_files import (  # noqa: F401  (the populated fixture)
    HEADER,
    STC,
    broken_xlsx,
    fingerprint,
    populated_fixture,
    write,
    xlsx,
    yaml_file,
    zip_bomb,
)
from conftest import make_cli

ROW = [1, "Rà soát số liệu", STC, "", "Quý I/2026"]
VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504  # the header of an OLE file, as vbaProject.bin is
REPORT_HEADER = ["Số văn bản", "Đơn vị", "Mục", "Tiến độ (%)", "Kết quả thực hiện"]
REPORT_ROW = ["77/VP-VX", STC, "2", 50, "Đã rà soát"]

# case: (make the file in a folder, extra environment, exit status, fragment of the message)
IMPORTS = {
    "not a zip": (lambda d: write(d / "fake.xlsx", "STT,Nội dung\n1,a\n"), {}, 1, "không phải tệp XLSX"),
    "binary named .xlsx": (lambda d: write(d / "b.xlsx", bytes(range(256)) * 40), {}, 1, "không phải tệp XLSX"),
    "damaged zip": (broken_xlsx, {}, 1, "không đọc được bảng tính"),
    "over the import limit (DONDOC_MAX_IMPORT_BYTES)": (xlsx([HEADER, ROW]), {"DONDOC_MAX_IMPORT_BYTES": "2048"}, 1,
                                                        "tệp quá lớn"),
    "zip bomb (unpacks to more than 10 × the limit)": (zip_bomb([HEADER, ROW], 2_000_000),
                                                        {"DONDOC_MAX_IMPORT_BYTES": "100000"}, 1,
                                                        "bảng tính giải nén ra 1,9 MB, quá giới hạn 977 KB"),
    "macro-enabled .xlsm": (xlsx([HEADER, ROW], name="plan.xlsm", vba=VBA), {}, 1, "bảng tính có macro (.xlsm)"),
    "macros inside a .xlsx (vbaProject.bin)": (xlsx([HEADER, ROW], vba=VBA), {}, 1, "bảng tính có macro (VBA)"),
    "old .xls": (lambda d: write(d / "plan.xls", VBA), {}, 1, "tệp .xls cũ không được nhận"),
    "formulas": (xlsx([HEADER, ROW, [None, "Tổng hợp", STC, "", "Quý I/2026"]],
                      formulas=[("A3", "=A2+1"), ("E2", '=HYPERLINK("http://x.example","Quý I/2026")')]), {}, 1,
                 "có công thức ở ô E2, A3; dondoc chỉ đọc giá trị"),
    "no header file": (xlsx([HEADER, ROW], header=None), {}, 1, "phần đầu"),
    "header file with an unknown key": (xlsx([HEADER, ROW], header="kind: ke_hoach\nissuer: X\nsubject: Thử\nmau: đỏ\n"),
                                        {}, 1, "mau: khóa không được hỗ trợ"),
    "header file with tasks": (xlsx([HEADER, ROW], header="kind: ke_hoach\nissuer: X\nsubject: Y\ntasks: []\n"), {}, 1,
                               "không được có “tasks”"),
    "missing column": (xlsx([["STT", "Tên nhiệm vụ", "Đơn vị chủ trì"], [1, "A", STC]]), {}, 1, "Thời hạn"),
    "unknown column": (xlsx([HEADER + ["Màu sắc"], ROW + ["đỏ"]]), {}, 1, "cột không nhận ra: “Màu sắc”"),
    "no rows": (xlsx([HEADER]), {}, 1, "không có dòng"),
    "no header row": (xlsx([["a", "b"], [1, 2]]), {}, 1, "dòng tiêu đề"),
    "bad unit and impossible date": (xlsx([HEADER, [1, "A", "Sở Giao thông", "", "31/4/2026"]]), {}, 1, "31/4/2026"),
    "30/02/2026": (xlsx([HEADER, [1, "A", STC, "", "30/02/2026"]]), {}, 1, "“30/02/2026” không phải một ngày có thật"),
    "overlong Vietnamese cell": (xlsx([HEADER, [1, "Rà soát, cập nhật số liệu chuyển đổi số. " * 500, STC, "",
                                                "Quý I/2026"]]), {}, 1, "tasks[1].content: quá dài (tối đa 20.000 ký tự)"),
    "unknown unit typed in NFD": (xlsx([HEADER, [1, "A", unicodedata.normalize("NFD", "Sở Giao thông"), "",
                                                 "Quý I/2026"]]), {}, 1, "không tìm thấy đơn vị “Sở Giao thông”"),
}


@pytest.mark.parametrize(("make", "env", "status", "expected"), IMPORTS.values(), ids=IMPORTS.keys())
def test_bad_spreadsheet_is_refused_cleanly(populated, tmp_path, make, env, status, expected):
    run = make_cli(populated.state, **env) if env else populated
    path = make(tmp_path)
    before = fingerprint(populated.db)
    done = run("import", str(path))
    assert done.returncode == status, (done.stdout, done.stderr)
    assert done.stderr.startswith("Lỗi:") and expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert fingerprint(populated.db) == before


REPORT_SHEETS = {
    "macro-enabled": (xlsx([REPORT_HEADER, REPORT_ROW], header=None, name="bc.xlsm", vba=VBA), 1, "có macro"),
    "binary named .xlsx": (lambda d: write(d / "bc.xlsx", bytes(range(256)) * 40), 1, "không phải tệp XLSX"),
    "not a spreadsheet": (yaml_file("a: 1\n", name="bc.yaml"), 1, "chỉ nhận tệp .xlsx"),
    "formulas": (xlsx([REPORT_HEADER, REPORT_ROW], header=None, name="bc.xlsx", formulas=[("D2", "=40+10")]), 1,
                 "có công thức ở ô D2"),
    "progress over 100": (xlsx([REPORT_HEADER, REPORT_ROW[:3] + [150, "Đã rà soát"]], header=None, name="bc.xlsx"), 1,
                          "dòng 2: progress: lớn hơn mức cho phép"),
    "control character in a cell": (xlsx([REPORT_HEADER, REPORT_ROW[:4] + ["Đã\x1b[31m rà soát"]], header=None,
                                          name="bc.xlsx"), 1, "có ký tự điều khiển U+001B"),
}


@pytest.mark.parametrize(("make", "status", "expected"), REPORT_SHEETS.values(), ids=REPORT_SHEETS.keys())
def test_bad_report_sheet_is_refused_cleanly(populated, tmp_path, make, status, expected):
    path = make(tmp_path)
    before = fingerprint(populated.db)
    done = populated("report-import", str(path), "--as-of", "2025-10-02T09:00")
    assert done.returncode == status, (done.stdout, done.stderr)
    assert done.stderr.startswith("Lỗi:") and expected in done.stderr, done.stderr
    assert fingerprint(populated.db) == before


def test_text_that_looks_like_a_formula_is_kept_as_text(populated, tmp_path):
    """A cell typed as text "=cmd|…" is text: imported as written, never a formula anywhere dondoc writes it."""
    content = "=HYPERLINK(\"http://x.example\",\"bấm vào\") rà soát"
    path = xlsx([HEADER, [1, content, STC, "", "Quý I/2026"]],
                header="number: 91/BCĐ\nissued_on: 2025-10-01\nkind: ke_hoach\nissuer: Ban Chỉ đạo\nsubject: Thử\n")(tmp_path)
    done = populated("import", str(path), "--as-of", "2025-10-01T09:00")
    assert done.returncode == 0, done.stderr
    status = json.loads(populated("status", "91/BCĐ", "--json").stdout)["directive"]
    assert status["tasks"][0]["content"] == content
