"""Bad input through the CLI: one clear message, exit 1, and the database byte-for-byte unchanged."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from conftest import EXAMPLES, make_cli

GOOD = (EXAMPLES / "002-cong-van-du-thao.yaml").read_text(encoding="utf-8")
ISSUED = GOOD.replace("number: null", "number: 77/VP-VX").replace("issued_on: null", "issued_on: 2025-10-01")


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A database holding an issued directive (77/VP-VX) and a draft, as a user would have it."""
    run = make_cli(tmp_path_factory.mktemp("bad") / "state")
    work = run.state.parent
    (work / "issued.yaml").write_text(ISSUED, encoding="utf-8")
    run("import", str(work / "issued.yaml"), "--as-of", "2025-10-01T09:00", check=True)
    run("import", str(EXAMPLES / "002-cong-van-du-thao.yaml"), check=True)
    return run


def _yaml(text: str):
    return lambda d: _write(d / "in.yaml", text)


def _write(path: Path, data) -> Path:
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")
    return path


def _xlsx(rows: list[list], header: str | None = "kind: ke_hoach\nissuer: Ban Chỉ đạo thành phố\nsubject: Thử\n"):
    def make(d: Path) -> Path:
        path = d / "plan.xlsx"
        book = xlsxwriter.Workbook(path)
        sheet = book.add_worksheet()
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
        book.close()
        if header is not None:
            _write(d / "plan.yaml", header)
        return path
    return make


def _broken_xlsx(d: Path) -> Path:
    path = d / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='x'")
    return path


HEADER = ["STT", "Tên nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn hoàn thành"]

CASES = {
    "missing file": (lambda d: d / "nope.yaml", "không có tệp"),
    "directory": (lambda d: _mkdir(d / "dir.yaml"), "không phải là tệp"),
    "empty file": (lambda d: _write(d / "e.yaml", ""), "rỗng"),
    "blank file": (_yaml("   \n\n"), "rỗng"),
    "huge file": (lambda d: _write(d / "h.yaml", "# x\n" * 3_000_000), "quá lớn"),
    "binary file": (lambda d: _write(d / "b.yaml", bytes(range(256)) * 10), "UTF-8"),
    "NUL in text": (lambda d: _write(d / "n.yaml", "kind: cong_van\x00\n"), "NUL"),
    "bad YAML": (_yaml("kind: cong_van\ntasks: [\n  - a"), "YAML không hợp lệ"),
    "bad JSON": (lambda d: _write(d / "x.json", '{"kind": "cong_van",}'), "JSON không hợp lệ"),
    "list not mapping": (_yaml("- a\n- b\n"), "bảng khóa"),
    "unknown key": (_yaml(GOOD.replace("subject:", "subjet:")), "subjet"),
    "unknown task key": (_yaml(GOOD.replace("    output: Báo cáo", "    outpt: Báo cáo")), "outpt"),
    "tasks not a list": (_yaml(GOOD.split("tasks:")[0] + "tasks: nhiều việc\n"), "danh sách"),
    "empty tasks": (_yaml(GOOD.split("tasks:")[0] + "tasks: []\n"), "không được để trống"),
    "bad kind": (_yaml(GOOD.replace("kind: cong_van", "kind: cong-van")), "cong-van"),
    "missing subject": (_yaml(re.sub(r"subject: >-\n(  .*\n)+", "", GOOD)), "subject"),
    "date not ISO": (_yaml(ISSUED.replace("2025-10-01", "1/10/2025").replace("77/VP", "78/VP")), "YYYY-MM-DD"),
    "number without date": (_yaml(GOOD.replace("number: null", "number: 79/VP-VX")), "ngày ban hành"),
    "unknown unit": (_yaml(GOOD.replace("lead: [Sở Tài chính]", "lead: [Sở Giao thông vận tải]")), "Sở Giao thông vận tải"),
    "impossible date": (_yaml(GOOD.replace("trước ngày 15/10/2025", "trước ngày 31/4/2026")), "31/4/2026"),
    "unreadable deadline": (_yaml(GOOD.replace("trước ngày 15/10/2025", "càng sớm càng tốt")), "càng sớm càng tốt"),
    "duplicate task ref": (_yaml(GOOD.replace('ref: "2"', 'ref: "1"')), "trùng"),
    "duplicate number": (_yaml(ISSUED.replace("subject: >-", "subject: >-\n  Một văn bản khác,")), "77/VP-VX"),
    "same directive again": (_yaml(ISSUED), "đã được đăng ký"),
    "unknown policy": (_yaml(GOOD.replace("reminder_policy: default", "reminder_policy: gấp")), "gấp"),
    "wrong suffix": (lambda d: _write(d / "letter.docx", "x"), ".xlsx"),
    "xlsx not a zip": (lambda d: _write(d / "fake.xlsx", "STT,Nội dung\n1,a\n"), "XLSX"),
    "xlsx broken": (_broken_xlsx, "không đọc được bảng tính"),
    "xlsx without header file": (_xlsx([HEADER, [1, "A", "Sở Tài chính", "", "Quý I/2026"]], header=None), "phần đầu"),
    "xlsx missing column": (_xlsx([["STT", "Tên nhiệm vụ", "Đơn vị chủ trì"], [1, "A", "Sở Tài chính"]]), "Thời hạn"),
    "xlsx unknown column": (_xlsx([HEADER + ["Màu sắc"], [1, "A", "Sở Tài chính", "", "Quý I/2026", "đỏ"]]), "Màu sắc"),
    "xlsx no rows": (_xlsx([HEADER]), "không có dòng"),
    "xlsx no header row": (_xlsx([["a", "b"], [1, 2]]), "dòng tiêu đề"),
    "xlsx bad unit and date": (_xlsx([HEADER, [1, "A", "Sở Giao thông", "", "31/4/2026"]]), "31/4/2026"),
}


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _fingerprint(db: Path) -> str:
    digest = hashlib.sha256()
    for part in (db, db.with_name(db.name + "-wal")):
        if part.exists():
            digest.update(part.read_bytes())
    return digest.hexdigest()


@pytest.mark.parametrize("case", list(CASES))
def test_bad_import_is_refused_cleanly(populated, tmp_path, case):
    make, expected = CASES[case]
    path = make(tmp_path)
    before = _fingerprint(populated.db)
    done = populated("import", str(path))
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.startswith("Lỗi:"), done.stderr
    assert expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert _fingerprint(populated.db) == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["issue", "999/XX", "--number", "1/VP", "--issued-on", "2025-10-01"], "không có văn bản"),
        (["issue", "77/VP-VX", "--number", "80/VP", "--issued-on", "2025-10-01"], "đã ban hành"),
        (["status", "không-có"], "không có văn bản"),
        (["deadline", "31/4/2026"], "không phải một ngày có thật"),
    ],
)
def test_bad_arguments_give_exit_1(populated, args, expected):
    before = _fingerprint(populated.db)
    done = populated(*args)
    assert (done.returncode, done.stderr.startswith("Lỗi:")) == (1, True), done.stderr
    assert expected in done.stderr
    assert _fingerprint(populated.db) == before


@pytest.mark.parametrize("args", [["import"], ["issue", "x"], ["deadline", "Quý I/2026", "--issued", "hôm qua"], ["nope"]])
def test_usage_errors_give_exit_2(populated, args):
    assert populated(*args).returncode == 2


def test_json_error_output_stays_on_stderr(populated):
    done = populated("deadline", "31/4/2026", "--json")
    assert done.returncode == 1 and done.stdout == ""
    ok = populated("deadline", "trong tháng 11/2025", "--json")
    assert json.loads(ok.stdout) == {"kind": "date", "due": "2025-11-30", "effective_due": "2025-12-01", "period": None}


def test_unusable_database_url_is_one_message_without_its_password(cli):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    for url, expected in [("not a url:s3cret@host", "DONDOC_DATABASE_URL"),
                          ("postgresql+psycopg://u:s3cret@127.0.0.1:1/db", "cơ sở dữ liệu")]:
        env = {**os.environ, "DONDOC_DATABASE_URL": url, "DONDOC_STATE_DIR": str(cli.state)}
        done = subprocess.run([sys.executable, "-m", "cli.main", "status"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and expected in done.stderr
        assert "s3cret" not in done.stderr and "Traceback" not in done.stderr
