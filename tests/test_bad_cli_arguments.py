"""Bad command-line arguments, as shared/spec documents them: exit 1 for bad input (one "Lỗi:" message on stderr),
exit 2 for a usage error (Click's message: a missing argument, or an option value that is not a date, a
number…); never a traceback, and the database byte-for-byte unchanged either way."""

from __future__ import annotations

import json
import os

import pytest
from bad_files import STC, fingerprint, populated_fixture  # noqa: F401  (the populated fixture)

REPORT = ["report", "77/VP-VX", STC, "--task", "2", "--as-of", "2025-10-02T09:00"]
DONE = ["--progress", "50", "--done", "Đã rà soát"]

# case: (arguments, exit status, fragment of the message); {draft} is the stored draft's id, {dir} a scratch folder
CASES = {
    # bad input: exit 1
    "unknown directive": (["issue", "999/XX", "--number", "1/VP", "--issued-on", "2025-10-01"], 1, "không có văn bản"),
    "issue an issued directive": (["issue", "77/VP-VX", "--number", "80/VP", "--issued-on", "2025-10-01"], 1,
                                  "đã ban hành"),
    "overlong number": (["issue", "{draft}", "--number", "9395/" + "VP-" * 100, "--issued-on", "2025-10-01"], 1,
                        "dài quá 300 ký tự"),
    "terminal escape in a number": (["issue", "{draft}", "--number", "9395/VP\x1b[2J", "--issued-on", "2025-10-01"], 1,
                                    "có ký tự điều khiển U+001B"),
    "status of nothing": (["status", "không-có"], 1, "không có văn bản"),
    "a pasted page as a reference is quoted short": (["status", "Văn bản " * 200], 1,
                                                     "không có văn bản số hoặc mã “Văn bản Văn bản"),
    "impossible deadline": (["deadline", "31/4/2026"], 1, "không phải một ngày có thật"),
    "impossible deadline 30/02": (["deadline", "30/02/2026"], 1, "“30/02/2026” không phải một ngày có thật"),
    "ambiguous deadline": (["deadline", "05/06", "--issued", "2025-10-01"], 1, "hãy ghi rõ năm"),
    "overlong deadline": (["deadline", "trước ngày " + "30/9/2025 " * 40], 1, "thời hạn dài quá 300 ký tự"),
    "progress over 100": ([*REPORT, "--progress", "150", "--done", "Đã rà soát"], 1,
                          "progress: lớn hơn mức cho phép (nhiều nhất 100)"),
    "no result written": ([*REPORT, "--progress", "50", "--done", "   "], 1, "cần ghi kết quả thực hiện"),
    "javascript link": ([*REPORT, *DONE, "--link", "javascript:alert(1)"], 1, "phải bắt đầu bằng http"),
    "unknown unit": (["report", "77/VP-VX", "Sở Giao thông", "--task", "2", *DONE], 1, "không tìm thấy đơn vị"),
    "task not assigned": (["report", "77/VP-VX", STC, "--task", "9", *DONE], 1, "không được giao mục 9"),
    "file over the evidence limit": ([*REPORT, *DONE, "--file", "{dir}/lon.pdf"], 1, "tệp lớn hơn 10 MB"),
    "endless device as a file": ([*REPORT, *DONE, "--file", "/dev/zero"], 1, "/dev/zero không phải là tệp"),
    "path out of the folder": ([*REPORT, *DONE, "--file", "{dir}/../../../../../../etc/passwd"], 1,
                               "passwd: chỉ nhận tệp PDF"),
    "extension not after the deadline": (["extend", "77/VP-VX", STC, "--task", "2", "--to", "2025-10-10",
                                          "--reason", "Chờ số liệu"], 1, "ngày đề nghị phải sau hạn hiện tại"),
    "link for an unknown unit": (["link", "77/VP-VX", "Sở Không Có"], 1, "không tìm thấy đơn vị “Sở Không Có”"),
    # usage errors: exit 2
    "missing argument": (["import"], 2, "Missing argument"),
    "missing option": (["issue", "x"], 2, "Missing option"),
    "unknown command": (["nope"], 2, "No such command"),
    "--issued not a date": (["deadline", "Quý I/2026", "--issued", "hôm qua"], 2, "viết YYYY-MM-DD"),
    "--issued-on impossible": (["issue", "{draft}", "--number", "5/VP", "--issued-on", "2026-02-30"], 2,
                               "--issued-on “2026-02-30” không hợp lệ"),
    "--until impossible": (["timeline", "77/VP-VX", "--until", "31/4/2026"], 2, "--until “31/4/2026” không hợp lệ"),
    "--as-of impossible": (["status", "--as-of", "2026-02-30"], 2, "“2026-02-30” không phải ngày/giờ ISO"),
    "--as-of with Rich markup": (["status", "--as-of", "[/]"], 2, "“[/]” không phải ngày/giờ ISO"),
    "--progress not a number": ([*REPORT, "--progress", "năm mươi", "--done", "x"], 2,
                                "Invalid value for '--progress': Input should be a valid integer"),
}


@pytest.fixture(scope="module")
def draft(populated) -> str:
    listed = json.loads(populated("status", "--json").stdout)["directives"]
    return next(d["id"] for d in listed if d["number"] is None)


@pytest.mark.parametrize(("args", "status", "expected"), CASES.values(), ids=CASES.keys())
def test_bad_arguments_are_refused_cleanly(populated, draft, tmp_path, args, status, expected):
    with (tmp_path / "lon.pdf").open("wb") as f:  # sparse: 11 MB on paper, nothing on disk
        f.truncate(11 * 1024 * 1024)
    args = [a.replace("{draft}", draft).replace("{dir}", str(tmp_path)) for a in args]
    before = fingerprint(populated.db)
    done = populated(*args)
    assert done.returncode == status, (done.stdout, done.stderr)
    message = " ".join(done.stderr.replace("│", " ").split())  # Click's box, unwrapped
    assert expected in message, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    if status == 1:
        assert done.stderr.startswith("Lỗi:") and len(done.stderr) < 1000
    assert fingerprint(populated.db) == before


def test_json_error_output_stays_on_stderr(populated):
    done = populated("deadline", "31/4/2026", "--json")
    assert done.returncode == 1 and done.stdout == ""
    ok = populated("deadline", "trong tháng 11/2025", "--json")
    assert json.loads(ok.stdout) == {"kind": "date", "due": "2025-11-30", "effective_due": "2025-12-01", "period": None}


def test_unusable_database_url_is_one_message_without_its_password(cli):
    import subprocess
    import sys

    from conftest import ROOT

    for url, expected in [("not a url:s3cret@host", "DONDOC_DATABASE_URL"),
                          ("postgresql+psycopg://u:s3cret@127.0.0.1:1/db", "cơ sở dữ liệu")]:
        env = {**os.environ, "DONDOC_DATABASE_URL": url, "DONDOC_STATE_DIR": str(cli.state)}
        done = subprocess.run([sys.executable, "-m", "cli.main", "status"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 1 and expected in done.stderr
        assert "s3cret" not in done.stderr and "Traceback" not in done.stderr

