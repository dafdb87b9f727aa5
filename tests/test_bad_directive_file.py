"""Bad directive files (YAML, JSON) through `dondoc import`: exit 1 (shared/spec: bad input), one "Lỗi:" message
on stderr naming the problem, and the database byte-for-byte unchanged."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from bad_files import (  # noqa: F401
    GOOD,
    ISSUED,
    STC,
    fingerprint,
    mkdir,
    populated_fixture,
    write,
    yaml_file,
)

LONG = "Rà soát, tổng hợp, báo cáo kết quả thực hiện chuyển đổi số của các sở, ban, ngành thành phố; "  # 93 characters: × 220 is over 20,000
TASK2 = "    lead: [Sở Tài chính]"


def _task2(old: str, new: str) -> str:
    return GOOD.replace(old, new)


def _json(data: dict):
    return lambda d: write(d / "in.json", json.dumps(data, ensure_ascii=False))


def _json_text(text: str):
    return lambda d: write(d / "in.json", text)


JSON_OK = {"kind": "cong_van", "issuer": "Văn phòng UBND thành phố", "subject": "Thử",
           "tasks": [{"ref": "1", "content": "Việc", "lead": [STC], "deadline": "trước ngày 30/10/2025"}]}

# case: (make the file in a folder, exit status, fragment of the message)
CASES = {
    # the file itself
    "missing file": (lambda d: d / "nope.yaml", 1, "không có tệp"),
    "directory": (lambda d: mkdir(d / "dir.yaml"), 1, "không phải là tệp"),
    "empty file": (lambda d: write(d / "e.yaml", ""), 1, "rỗng"),
    "blank file": (yaml_file("   \n\n"), 1, "rỗng"),
    "huge file (over DONDOC_MAX_IMPORT_BYTES, 10 MB)": (lambda d: write(d / "h.yaml", "# x\n" * 3_000_000), 1,
                                                         "tệp quá lớn (11,4 MB, tối đa 10 MB)"),
    "binary file": (lambda d: write(d / "b.yaml", bytes(range(256)) * 10), 1, "UTF-8"),
    "NUL in text": (lambda d: write(d / "n.yaml", "kind: cong_van\x00\n"), 1, "NUL"),
    "wrong suffix": (lambda d: write(d / "letter.docx", "x"), 1, ".xlsx"),
    # the syntax
    "bad YAML": (yaml_file("kind: cong_van\ntasks: [\n  - a"), 1, "YAML không hợp lệ"),
    "bad JSON": (_json_text('{"kind": "cong_van",}'), 1, "JSON không hợp lệ"),
    "list not mapping": (yaml_file("- a\n- b\n"), 1, "bảng khóa"),
    "python tag": (yaml_file("kind: !!python/object/apply:os.system ['echo x']\n"), 1, "could not determine"),
    "bad explicit tag": (yaml_file(GOOD.replace('ref: "2"', "ref: !!int hai")), 1, "giá trị không đọc được"),
    "key given twice (YAML)": (yaml_file(GOOD.replace("kind: cong_van", "kind: cong_van\nkind: ke_hoach")), 1,
                               "khóa “kind” có hai lần"),
    "key given twice (JSON)": (_json_text('{"kind": "cong_van", "kind": "ke_hoach"}'), 1, "khóa “kind” có hai lần"),
    # unknown keys
    "unknown key": (yaml_file(GOOD.replace("subject:", "subjet:")), 1, "subjet: khóa không được hỗ trợ"),
    "unknown task key": (yaml_file(GOOD.replace("    output: Báo cáo", "    outpt: Báo cáo")), 1, "outpt"),
    "unknown key (JSON)": (_json(JSON_OK | {"ngay": "1/10/2025"}), 1, "ngay: khóa không được hỗ trợ"),
    # wrong types
    "tasks not a list": (yaml_file(GOOD.split("tasks:")[0] + "tasks: nhiều việc\n"), 1, "danh sách"),
    "empty tasks": (yaml_file(GOOD.split("tasks:")[0] + "tasks: []\n"), 1, "không được để trống"),
    "a list where text belongs": (yaml_file(GOOD.replace("issuer: Văn phòng UBND thành phố Hải Phòng",
                                                         "issuer: [Văn phòng, UBND thành phố]")), 1,
                                  "issuer: phải là văn bản"),
    "a mapping where units belong": (yaml_file(_task2(TASK2, "    lead: {Sở: Tài chính}")), 1,
                                     "tasks[2].lead: phải là danh sách"),
    "a date where the deadline text belongs": (yaml_file(_task2("trước ngày 15/10/2025", "2025-10-15")), 1,
                                               "tasks[2].deadline: phải là văn bản"),
    "a boolean task ref": (yaml_file(GOOD.replace('ref: "2"', "ref: yes")), 1, "tasks[2].ref: phải là văn bản"),
    "wrong types (JSON)": (_json(JSON_OK | {"subject": 12.5e3, "implements": "57-NQ/TW"}), 1,
                           "implements: phải là danh sách"),
    "bad kind": (yaml_file(GOOD.replace("kind: cong_van", "kind: cong-van")), 1, "cong-van"),
    "missing subject": (yaml_file(re.sub(r"subject: >-\n(  .*\n)+", "", GOOD)), 1, "subject: thiếu trường"),
    "blank unit name": (yaml_file(_task2(TASK2, "    lead: ['  ']")), 1, "tasks[2].lead[1]: không được để trống"),
    # dates
    "date not ISO": (yaml_file(ISSUED.replace("2025-10-01", "1/10/2025").replace("77/VP", "78/VP")), 1, "YYYY-MM-DD"),
    "impossible issue date (YAML date)": (yaml_file(ISSUED.replace("2025-10-01", "2026-02-30")), 1,
                                          "“2026-02-30” không phải một ngày có thật"),
    "impossible issue date (JSON)": (_json(JSON_OK | {"number": "5/VP", "issued_on": "2026-02-30"}), 1,
                                     "issued_on: ngày không hợp lệ"),
    "number without date": (yaml_file(GOOD.replace("number: null", "number: 79/VP-VX")), 1, "ngày ban hành"),
    "impossible deadline 31/4": (yaml_file(_task2("trước ngày 15/10/2025", "trước ngày 31/4/2026")), 1, "31/4/2026"),
    "impossible deadline 31/2": (yaml_file(_task2("trước ngày 15/10/2025", "31/2/2026")), 1,
                                 "“31/2/2026” không phải một ngày có thật"),
    "impossible deadline 30/02 without year": (yaml_file(ISSUED.replace("trước ngày 15/10/2025", "trước ngày 30/02")),
                                               1, "“trước ngày 30/02” không phải một ngày có thật"),
    "ambiguous deadline 05/06 (no year, before issuance)": (
        yaml_file(ISSUED.replace("trước ngày 15/10/2025", "05/06")), 1,
        "“05/06” thiếu năm, và ngày 5/6/2025 đã qua khi văn bản ban hành (1/10/2025): hãy ghi rõ năm"),
    "year-less deadline in a draft": (yaml_file(_task2("trước ngày 15/10/2025", "15/10")), 1, "“15/10” thiếu năm"),
    "unreadable deadline": (yaml_file(_task2("trước ngày 15/10/2025", "càng sớm càng tốt")), 1, "càng sớm càng tốt"),
    # units, policies, duplicates
    "unknown unit": (yaml_file(_task2(TASK2, "    lead: [Sở Giao thông vận tải]")), 1, "Sở Giao thông vận tải"),
    "unknown unit typed in NFD is named in NFC": (
        yaml_file(_task2(TASK2, f"    lead: [{unicodedata.normalize('NFD', 'Sở Giao thông vận tải')}]")), 1,
        "không tìm thấy đơn vị “Sở Giao thông vận tải”"),
    "unknown policy": (yaml_file(GOOD.replace("reminder_policy: default", "reminder_policy: gấp")), 1, "gấp"),
    "duplicate task ref": (yaml_file(GOOD.replace('ref: "2"', 'ref: "1"')), 1, "trùng"),
    "duplicate number": (yaml_file(ISSUED.replace("subject: >-", "subject: >-\n  Một văn bản khác,")), 1, "77/VP-VX"),
    "same directive again": (yaml_file(ISSUED), 1, "đã được đăng ký"),
    # text nobody types, and text too long (limits: 20,000 characters for subject and content, 300 for short fields)
    "NUL escape in a field": (yaml_file(GOOD.replace("output: Báo cáo", 'output: "Báo\\x00cáo"')), 1,
                              "tasks[1].output: có ký tự điều khiển U+0000"),
    "terminal escape in the subject": (yaml_file(GOOD.replace("subject: >-", 'subject: "\\e[31mĐỎ"\nx: >-')), 1,
                                       "subject: có ký tự điều khiển U+001B"),
    "overlong Vietnamese content": (yaml_file(_task2("    content: >-\n      Tiếp tục", f"    content: >-\n      {LONG * 220}")),
                                    1, "tasks[2].content: quá dài (tối đa 20.000 ký tự)"),
    "overlong Vietnamese subject": (yaml_file(GOOD.replace("subject: >-", f"subject: {LONG * 220}\nx: >-")), 1,
                                    "subject: quá dài (tối đa 20.000 ký tự)"),
    "overlong issuer": (yaml_file(GOOD.replace("issuer: Văn phòng", f"issuer: {'Ủy ban ' * 50}Văn phòng")), 1,
                        "issuer: quá dài (tối đa 300 ký tự)"),
}


@pytest.mark.parametrize(("make", "status", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_directive_file_is_refused_cleanly(populated, tmp_path, make, status, expected):
    path = make(tmp_path)
    before = fingerprint(populated.db)
    done = populated("import", str(path))
    assert done.returncode == status, (done.stdout, done.stderr)
    assert done.stderr.startswith("Lỗi:") and expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert fingerprint(populated.db) == before


def test_nfd_unit_names_match_the_registry(populated, tmp_path):
    """"Sở Tài chính" typed decomposed (a Mac, some Vietnamese keyboards) is the registry's unit, not a new one."""
    nfd = unicodedata.normalize("NFD", STC)
    assert nfd != STC
    text = ISSUED.replace("number: 77/VP-VX", "number: 90/VP-VX").replace(TASK2, f"    lead: [{nfd}]")
    done = populated("import", str(write(tmp_path / "nfd.yaml", text)), "--as-of", "2025-10-01T09:00", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(populated("status", "90/VP-VX", "--json").stdout)["directive"]
    [task2] = [t for t in status["tasks"] if t["ref"] == "2"]
    assert task2["lead_units"] == [STC]
    link = populated("link", "90/VP-VX", nfd)  # an NFD name on the command line finds the unit too
    assert link.returncode == 0 and "/bao-cao/" in link.stdout
