"""`dondoc backup` and `dondoc restore`: a checked copy of the database, and putting one back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pendulum
import typer

from cli.app import JsonOpt, app
from cli.output import edge, out, print_json
from config.settings import get_settings
from domain.policy import TZ
from models.backup import Saved, backup_database, restore_database

ForceOpt = Annotated[bool, typer.Option("--force", help="Ghi đè / thay thế dù đã có")]
ROW_LABELS = {"directive": "văn bản", "task": "nhiệm vụ", "assignment": "lượt giao", "report": "báo cáo",
              "extension": "đề nghị gia hạn", "outboxmessage": "tin nhắn", "event": "mục nhật ký", "unit": "đơn vị"}


# Neither command runs models.env.prepare: a backup taken before an upgrade must not migrate the database first,
# and a restore must not write into the database it is about to replace.

@app.command("backup")
@edge
def backup_cmd(
    dest: Annotated[Path, typer.Argument(help="Tệp sao lưu, hoặc thư mục (tạo tệp dondoc-NGÀY-GIỜ.db trong đó)")],
    force: ForceOpt = False,
    json_: JsonOpt = False,
):
    """Sao lưu cơ sở dữ liệu (SQLite: bản sao nhất quán kể cả khi các flow đang ghi; PostgreSQL: pg_dump) và kiểm tra bản sao."""
    saved = backup_database(url=get_settings().db_url, dest=dest, force=force, now=pendulum.now(TZ))
    if json_:
        return print_json(saved.as_json())
    how = "pg_dump" if saved.kind == "pg_dump" else "SQLite"
    out.print(f"Đã sao lưu ({how}, đã kiểm tra) vào {saved.path}: {_size(saved.size)}, "
              f"phiên bản cơ sở dữ liệu {saved.revision}.", markup=False)
    out.print(_rows(saved), markup=False)


@app.command("restore")
@edge
def restore_cmd(
    src: Annotated[Path, typer.Argument(help="Tệp do dondoc backup tạo ra (SQLite)")],
    force: Annotated[bool, typer.Option("--force", help="Khôi phục dù cơ sở dữ liệu hiện tại có việc mà bản sao lưu không có")] = False,
    json_: JsonOpt = False,
):
    """Khôi phục cơ sở dữ liệu SQLite từ một bản sao lưu; cơ sở dữ liệu đang có được giữ lại bên cạnh."""
    saved = restore_database(url=get_settings().db_url, source=src, force=force, now=pendulum.now(TZ))
    if json_:
        return print_json(saved.as_json())
    out.print(f"Đã khôi phục {saved.path} từ {src} (phiên bản cơ sở dữ liệu {saved.revision}).", markup=False)
    out.print(_rows(saved), markup=False)
    if saved.kept:
        out.print(f"Cơ sở dữ liệu trước khi khôi phục được giữ ở {saved.kept}.", markup=False)
    if saved.later:
        out.print(f"Đã bỏ {len(saved.later)} mục nhật ký có sau bản sao lưu (--force).", markup=False)


def _rows(saved: Saved) -> str:
    return "Gồm: " + ", ".join(f"{n:,} {ROW_LABELS.get(t, t)}".replace(",", ".") for t, n in saved.rows.items()) + "."


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 2**20:.1f} MB".replace(".", ",")
