"""Backups that can be trusted: SQLite's online backup into a checked copy, put in place atomically; restore.

A backup is one read transaction of SQLite's backup API, so it is a single moment of the database even while
flows write (WAL lets them go on meanwhile). The copy is written beside its destination under a temporary
name, checked (integrity, Alembic revision, rows), flushed to disk, and only then given its name: a crash
leaves either no backup or a whole one. PostgreSQL goes through pg_dump (models/pg_backup.py).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from domain.errors import ConfigError, ConflictError, InputError
from domain.policy import TZ
from models.db import alembic_config

# what a person checks a backup by; every table is copied
MAIN_TABLES = ("directive", "task", "assignment", "report", "extension", "outboxmessage", "event", "unit")
SQLITE_MAGIC = b"SQLite format 3\x00"
# written on every start from the configuration files, so not work a restore would lose
DERIVED_EVENTS = ("registry.synced",)


@dataclass(frozen=True)
class Saved:
    """A checked copy of the database."""

    path: Path
    size: int
    revision: str
    rows: dict[str, int]
    kind: str = "sqlite"
    kept: Path | None = None  # restore: where the database it replaced was kept
    later: list[str] = field(default_factory=list)  # restore --force: the audit entries it dropped

    def as_json(self) -> dict:
        return {"path": str(self.path), "size": self.size, "revision": self.revision, "rows": self.rows,
                "kind": self.kind, "kept": str(self.kept) if self.kept else None, "dropped_entries": len(self.later)}


def backup_database(*, url: str, dest: Path, force: bool, now: datetime) -> Saved:
    """Copy the database at `url` to `dest` (a file, or a folder to put a dated file in), checked."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        from models.pg_backup import pg_backup

        return pg_backup(url=url, dest=_destination(dest, now, ".dump"), force=force)
    db = sqlite_path(url)
    if not db.exists():
        raise InputError(f"chưa có cơ sở dữ liệu {db}: không có gì để sao lưu")
    target = _destination(dest, now, ".db")
    if target.resolve() == db.resolve():
        raise InputError(f"{target} là chính cơ sở dữ liệu đang dùng: chọn một tệp khác để sao lưu")
    return copy_sqlite(db, target, force=force)


def restore_database(*, url: str, source: Path, force: bool, now: datetime) -> Saved:
    """Put a backup in place of the SQLite database at `url`; the one it replaces is kept beside it."""
    if make_url(url).get_backend_name() != "sqlite":
        raise ConfigError("dondoc restore chỉ khôi phục SQLite; với PostgreSQL dùng pg_restore: "
                          "pg_restore --clean --if-exists --no-owner -d TÊN_CSDL TỆP.dump (xem README)")
    if not source.is_file():
        raise InputError(f"không có tệp sao lưu {source}")
    backup = describe_sqlite(source)
    known = [r.revision for r in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()]
    if backup.revision not in known:
        raise InputError(f"{source} ở phiên bản cơ sở dữ liệu {backup.revision}, mà bản dondoc này không biết "
                         "(sao lưu từ một bản dondoc mới hơn?): cập nhật dondoc rồi khôi phục")
    db = sqlite_path(url)
    if db.exists() and db.resolve() == source.resolve():
        raise InputError(f"{source} là chính cơ sở dữ liệu đang dùng")
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        restored = copy_sqlite(source, db, force=False, wal=True)
        return Saved(db, restored.size, restored.revision, restored.rows)
    later = _later_entries(db, source, force=force)
    kept = copy_sqlite(db, _free_name(db.with_name(f"{db.name}.before-restore-{_stamp(now)}")), force=False).path
    try:
        with closing(_open(source, readonly=True)) as src, closing(_open(db)) as dst:
            # one write transaction on the live file: other connections see the old database or the new one
            src.backup(dst)
    except sqlite3.Error as exc:
        raise ConfigError(f"không khôi phục được vào {db} ({exc}); cơ sở dữ liệu cũ vẫn còn ở {kept}") from None
    restored = describe_sqlite(db)
    if restored.revision != backup.revision or restored.rows != backup.rows:
        raise ConfigError(f"bản khôi phục ở {db} không khớp với {source}; cơ sở dữ liệu cũ vẫn còn ở {kept}")
    return Saved(db, db.stat().st_size, restored.revision, restored.rows, kept=kept, later=later)


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ConfigError("cơ sở dữ liệu SQLite trong bộ nhớ: không có gì để sao lưu hay khôi phục")
    return Path(database)


@dataclass(frozen=True)
class Described:
    revision: str
    rows: dict[str, int]


def describe_sqlite(path: Path) -> Described:
    """The revision and main tables' rows of a dondoc SQLite file, after SQLite's integrity check."""
    not_ours = f"{path} không phải cơ sở dữ liệu dondoc"
    with open(path, "rb") as f:
        if f.read(16) != SQLITE_MAGIC:
            raise InputError(f"{not_ours} (không phải tệp SQLite)")
    try:
        with closing(_open(path, readonly=True)) as conn:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = {"alembic_version", *MAIN_TABLES} - tables
            if missing:
                raise InputError(f"{not_ours} (thiếu bảng {', '.join(sorted(missing))})")
            checked = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if checked != ["ok"]:
                raise InputError(f"{path} bị hỏng (SQLite integrity_check: {'; '.join(checked[:3])})")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if revision is None:
                raise InputError(f"{not_ours} (không có phiên bản Alembic)")
            rows = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in MAIN_TABLES}
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{not_ours} hoặc bị hỏng ({exc})") from None
    return Described(revision[0], rows)


def copy_sqlite(db: Path, dest: Path, *, force: bool, wal: bool = False) -> Saved:
    """SQLite's online backup of `db` to `dest`: temporary file, checked, flushed, then renamed."""
    refuse_existing(dest, force)
    if not dest.parent.is_dir():
        raise InputError(f"không có thư mục {dest.parent}")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        try:
            with closing(_open(db)) as src, closing(sqlite3.connect(tmp)) as dst:
                src.backup(dst)  # all pages in one step: one read transaction, one moment of the database
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, nothing beside it
                source_revision = src.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error as exc:
            raise ConfigError(f"không sao lưu được {db}: {exc}") from None
        copy = describe_sqlite(tmp)
        if source_revision is None or copy.revision != source_revision[0]:
            raise ConflictError("cơ sở dữ liệu được nâng cấp (migrate) trong lúc sao lưu: chạy lại lệnh")
        fsync_path(tmp)
        place_file(tmp, dest, force)
    finally:
        tmp.unlink(missing_ok=True)
    if wal:  # a database dondoc will run on, as models/db.py opens it
        with closing(_open(dest)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    return Saved(dest, dest.stat().st_size, copy.revision, copy.rows)


def _later_entries(db: Path, source: Path, *, force: bool) -> list[str]:
    """The audit-log entries of the current database that the backup lacks: the work a restore would undo."""
    try:
        describe_sqlite(db)
        with closing(_open(db, readonly=True)) as current, closing(_open(source, readonly=True)) as backup:
            have = {row[0] for row in backup.execute("SELECT id FROM event")}
            marks = ", ".join("?" * len(DERIVED_EVENTS))
            entries = [(at, action) for eid, at, action in current.execute(
                f"SELECT id, at, action FROM event WHERE action NOT IN ({marks}) ORDER BY at", DERIVED_EVENTS)
                if eid not in have]
    except (InputError, sqlite3.Error) as exc:
        if force:
            return []
        raise ConflictError(f"cơ sở dữ liệu hiện tại {db} không đọc được ({exc}); thêm --force để thay nó bằng "
                            "bản sao lưu (nó vẫn được giữ lại bên cạnh)") from None
    if entries and not force:
        at, action = entries[-1]
        raise ConflictError(
            f"cơ sở dữ liệu hiện tại có {len(entries)} mục nhật ký mà bản sao lưu không có (mới nhất: {action} "
            f"lúc {_local(at)}): khôi phục sẽ xóa phần việc đó. Thêm --force nếu chắc chắn "
            "(cơ sở dữ liệu hiện tại vẫn được giữ lại bên cạnh)")
    return [action for _at, action in entries]


def _destination(dest: Path, now: datetime, suffix: str) -> Path:
    return dest / f"dondoc-{_stamp(now)}{suffix}" if dest.is_dir() else dest


def refuse_existing(dest: Path, force: bool) -> None:
    if dest.exists() and not force:
        raise ConflictError(f"{dest} đã có: không ghi đè (thêm --force để thay nó)")
    if dest.is_dir():
        raise InputError(f"{dest} là một thư mục")


def place_file(tmp: Path, dest: Path, force: bool) -> None:
    """Give the checked copy its name; without --force never over a file that appeared meanwhile."""
    if force:
        os.replace(tmp, dest)
    else:
        try:
            os.link(tmp, dest)  # fails if dest exists, atomically
        except FileExistsError:
            raise ConflictError(f"{dest} đã có: không ghi đè (thêm --force để thay nó)") from None
        except OSError:  # a file system without hard links
            refuse_existing(dest, force)
            os.replace(tmp, dest)
    fsync_path(dest.parent)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    return sqlite3.connect(path, timeout=30)


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _stamp(now: datetime) -> str:
    return now.astimezone(TZ).strftime("%Y%m%d-%H%M%S")


def _local(stored: str) -> str:
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC).astimezone(TZ)
    return f"{moment:%H:%M %d/%m/%Y}"
