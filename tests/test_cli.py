"""The dondoc command as a user runs it: import a draft, issue it, look at its status."""

from __future__ import annotations

import json

from conftest import EXAMPLES


def test_import_issue_status(cli):
    draft = json.loads(cli("import", str(EXAMPLES / "002-cong-van-du-thao.yaml"), "--json", check=True).stdout)
    assert (draft["status"], draft["tasks"], draft["assignments"]) == ("draft", 3, 0)

    listing = json.loads(cli("status", "--json", check=True).stdout)["directives"]
    assert [d["status"] for d in listing] == ["draft"]

    issued = cli("issue", draft["id"][:8], "--number", "9395/VP-VX", "--issued-on", "2025-09-27",
                 "--as-of", "2025-09-27T10:00", "--json", check=True)
    assert json.loads(issued.stdout)["assignments"] == 231

    detail = json.loads(cli("status", "9395/VP-VX", "--as-of", "2025-10-01", "--json", check=True).stdout)["directive"]
    tasks = {t["ref"]: t for t in detail["tasks"]}
    assert tasks["1"]["deadline"] == {"written": "trước ngày 30/9/2025", "kind": "date", "due": "2025-09-30",
                                      "effective_due": "2025-09-30", "period": None}
    lead = [a for a in tasks["1"]["assignments"] if a["role"] == "lead"]
    assert [(a["unit"], a["status"]) for a in lead] == [("Sở Khoa học và Công nghệ", "quá hạn")]
    assert tasks["2"]["statuses"] == {"chưa đến hạn": 2}
    assert len(tasks["3"]["assignments"]) == 114 and tasks["3"]["deadline"]["period"] == "daily"

    people = cli("status", "9395/VP-VX", "--as-of", "2025-10-01", check=True).stdout
    assert "Sở Khoa học và Công nghệ" in people and "quá hạn" in people


def test_dry_run_then_real_import_of_an_appendix(cli):
    path = str(EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx")
    dry = json.loads(cli("import", path, "--dry-run", "--json", check=True).stdout)
    assert dry["status"] == "validated" and dry["number"] == "01-KH/BCĐ"
    assert json.loads(cli("status", "--json", check=True).stdout)["directives"] == []
    real = json.loads(cli("import", path, "--json", check=True).stdout)
    assert real["status"] == "issued" and real["assignments"] == dry["assignments"]
    assert any("thời hạn" in h["reason"] for h in real["held"])
