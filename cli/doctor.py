"""`dondoc doctor`: what is wrong with this installation and how to fix it; writes nothing, sends nothing."""

from __future__ import annotations

import pendulum
import typer
from rich.table import Table
from rich.text import Text

from cli.app import JsonOpt, app
from cli.output import edge, out, print_json
from domain.health import ERROR, OK, WARNING, Check, counts
from domain.policy import TZ
from models.health import run_checks

MARKS = {OK: ("✓", "green"), WARNING: ("!", "yellow"), ERROR: ("✗", "bold red")}


@app.command("doctor")
@edge
def doctor_cmd(json_: JsonOpt = False):
    """Kiểm tra cấu hình, cơ sở dữ liệu, Prefect, kênh gửi, lịch nghỉ, liên hệ; cho biết cần sửa gì (không ghi, không gửi)."""
    # Unlike the other commands, no models.env.prepare: a health check must not migrate or sync the database.
    checks = run_checks(now=pendulum.now(TZ))
    found = counts(checks)
    if json_:
        print_json({"ok": found[ERROR] == 0, "checks": [c.as_json() for c in checks]})
    else:
        out.print(_table(checks))
        out.print(_summary(found))
    raise typer.Exit(1 if found[ERROR] else 0)


def _table(checks: list[Check]) -> Table:
    table = Table(title="Kiểm tra dondoc", show_lines=True)
    table.add_column("Kiểm tra", overflow="fold")
    table.add_column("Kết quả", justify="center")
    table.add_column("Chi tiết", overflow="fold", ratio=3)
    table.add_column("Cách sửa", overflow="fold", ratio=2)
    for check in checks:
        mark, colour = MARKS[check.status]
        # Text, not markup: messages quote file contents and URLs, whose brackets are not Rich tags.
        table.add_row(Text(check.name), Text(mark, style=colour), Text(check.message), Text(check.fix))
    return table


def _summary(found: dict[str, int]) -> Text:
    if found[ERROR]:
        return Text(f"{found[ERROR]} lỗi, {found[WARNING]} cảnh báo: sửa các lỗi (✗) trước khi chạy dondoc.",
                    style="bold red")
    if found[WARNING]:
        return Text(f"Không có lỗi; {found[WARNING]} cảnh báo (!) nên xử lý trước khi dùng chính thức.", style="yellow")
    return Text(f"Mọi kiểm tra ({found[OK]}) đều đạt.", style="green")
