"""PostgreSQL's backup: pg_dump (custom format) of the very snapshot whose revision and rows are reported.

The password goes to pg_dump in its environment (PGPASSWORD), never on its command line, where any user of
the machine could read it, and never in a message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import create_engine

from domain.errors import ConfigError
from models.backup import MAIN_TABLES, Saved, fsync_path, place_file, refuse_existing

DUMP_TIMEOUT = 6 * 3600


def pg_backup(*, url: str, dest: Path, force: bool) -> Saved:
    """pg_dump -Fc of the database at `url` into `dest`, written beside it first and checked by pg_restore."""
    dump = shutil.which("pg_dump")
    if dump is None:
        raise ConfigError("không tìm thấy pg_dump trên PATH: cài gói postgresql-client (cùng phiên bản chính với "
                          "máy chủ PostgreSQL hoặc mới hơn) rồi chạy lại")
    refuse_existing(dest, force)
    if not dest.parent.is_dir():
        raise ConfigError(f"không có thư mục {dest.parent}")
    parsed = make_url(url)
    password = parsed.password
    conninfo = make_conninfo(host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database,
                             **{k: v for k, v in parsed.query.items() if isinstance(v, str)})
    env = {**os.environ, "PGPASSWORD": password} if password else dict(os.environ)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    engine = create_engine(parsed, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            # pg_dump reads the snapshot this transaction holds: the counts and the revision are the dump's
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            rows = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in MAIN_TABLES}
            _run([dump, "--format=custom", f"--snapshot={snapshot}", f"--file={tmp}", f"--dbname={conninfo}"],
                 env, password)
        _check_archive(Path(dump).with_name("pg_restore"), tmp, env, password)
        fsync_path(tmp)
        place_file(tmp, dest, force)
    except SQLAlchemyError as exc:
        raise ConfigError(f"không đọc được cơ sở dữ liệu PostgreSQL: {_masked(_first_line(exc), password)}") from None
    finally:
        engine.dispose()
        tmp.unlink(missing_ok=True)
    return Saved(dest, dest.stat().st_size, revision, rows, kind="pg_dump")


def _check_archive(restore: Path, path: Path, env: dict, password: str | None) -> None:
    """pg_restore reads the archive's table of contents: every main table's data is in it."""
    listing = _run([str(restore) if restore.exists() else "pg_restore", "--list", str(path)], env, password)
    present = {line.split()[-2] for line in listing.splitlines() if " TABLE DATA " in line}
    missing = set(MAIN_TABLES) - present
    if missing:
        raise ConfigError(f"bản pg_dump thiếu dữ liệu của bảng {', '.join(sorted(missing))}")


def _run(command: list[str], env: dict, password: str | None) -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"{Path(command[0]).name} không chạy được: {_masked(str(exc), password)}") from None
    if done.returncode != 0:
        reason = "; ".join(done.stderr.strip().splitlines()[:3]) or f"mã thoát {done.returncode}"
        raise ConfigError(f"{Path(command[0]).name} thất bại: {_masked(reason, password)}")
    return done.stdout


def _masked(message: str, password: str | None) -> str:
    return message.replace(password, "***") if password else message


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(exc).__name__])[0][:300]
