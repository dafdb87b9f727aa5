"""The `dondoc` Typer app and what every command shares: options, and who acts in the audit log."""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from config.settings import get_settings

app = typer.Typer(
    name="dondoc",
    help="Theo dõi, đôn đốc thực hiện văn bản chỉ đạo của UBND thành phố Hải Phòng.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Coi như thời điểm này (ISO, giờ Việt Nam)")]


def actor() -> str:
    return get_settings().actor or f"cli:{os.environ.get('USER') or getpass.getuser()}"
