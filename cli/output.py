"""How the CLI speaks: JSON for machines, Rich tables for people, one clear line on errors."""

from __future__ import annotations

import functools
import json
import sys
from datetime import date, datetime

import pendulum
import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from domain.errors import DondocError
from domain.policy import TZ

# No markup on stdout: what it prints (subjects, contents, names, errors) was typed by people, and a "[/]" in it
# would be read as a Rich tag (and crash). Styles are given as Text instead.
out = Console(highlight=False, soft_wrap=False, markup=False)
err = Console(stderr=True, highlight=False)
if not out.is_terminal:  # piped to a file or a pager: do not squeeze tables into 80 columns
    out.width = 180


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]Lỗi:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def edge(fn):
    """Turn dondoc's typed errors into one message on stderr and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DondocError as exc:
            fail(str(exc).replace("[", "\\["), exc.exit_code)
        except SQLAlchemyError as exc:  # a database that is down, locked or misnamed: say which, not a traceback
            fail(f"cơ sở dữ liệu không dùng được ({type(exc).__name__}): {str(exc).splitlines()[0][:300]}")

    return wrapper


def parse_moment(text: str | None) -> datetime:
    """--as-of: an ISO date or datetime in Asia/Ho_Chi_Minh (an explicit offset wins); now when absent."""
    if not text:
        return pendulum.now(TZ)
    try:
        moment = pendulum.parse(text, tz=TZ)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        raise typer.BadParameter(f"“{text}” không phải ngày/giờ ISO (ví dụ 2025-09-30 hoặc 2025-09-30T08:00)") from None
    if not isinstance(moment, datetime):
        raise typer.BadParameter(f"“{text}” không phải ngày/giờ")
    return moment


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{what} “{text}” không hợp lệ: viết YYYY-MM-DD, ví dụ 2025-09-27") from None
