"""Engine, sessions and migrations: SQLite by default, PostgreSQL by URL, same code."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session, create_engine

import models  # noqa: F401  (registers the tables)
from config.settings import LockWaits
from domain.errors import ConfigError, DatabaseBusyError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
T = TypeVar("T")
log = logging.getLogger("dondoc.db")


def make_engine(url: str) -> Engine:
    """An engine with SQLite made safe for several processes (WAL, foreign keys, waiting on locks).

    Its errors never quote the values of a statement (`hide_parameters`): they may be contact URLs with their
    passwords, or Zalo tokens, and errors end up in logs, Prefect's UI and the CLI's message.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        shown = "***@" + url.rsplit("@", 1)[1] if "@" in url else url  # never echo a password
        raise ConfigError(f"DONDOC_DATABASE_URL không hợp lệ: “{shown}” (ví dụ sqlite:///dondoc.db)") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        busy_ms = LockWaits().sqlite_busy_timeout_ms
        engine = create_engine(url, connect_args={"timeout": busy_ms / 1000}, hide_parameters=True)
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms))
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(busy_ms: int, dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # how long one statement waits for another writer; `transaction` tries again after that, up to its limit
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # a chase touches thousands of pages in one transaction: SQLite's 2 MB default cache spills them to the
    # WAL mid-transaction and reads them back; 64 MB keeps a 1 M-assignment chase in memory
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


@lru_cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creating it when new)."""
    command.upgrade(alembic_config(url), revision)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session whose work is committed at the end, or rolled back entirely on any error; SQLite's "database
    is locked" comes out as DatabaseBusyError (a clear message, never a driver traceback)."""
    with Session(engine_for(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if _locked(exc):
                raise DatabaseBusyError(_BUSY) from exc
            raise
        except BaseException:
            session.rollback()
            raise


_BUSY = "cơ sở dữ liệu đang bị một tiến trình khác giữ quyền ghi; chưa ghi gì, hãy thử lại sau ít phút"


def transaction(url: str, work: Callable[[Session], T], *, limit: float | None = None) -> T:
    """`work(session)` in one transaction, tried again while another writer keeps SQLite locked beyond its
    busy timeout: after a growing, jittered pause, for at most `limit` seconds (the setting
    sqlite_lock_limit_seconds by default), then DatabaseBusyError. `work` must only touch the database: a
    try that fails is rolled back whole, so running it again is safe."""
    limit = LockWaits().sqlite_lock_limit_seconds if limit is None else limit
    started = time.monotonic()
    pause = 0.05
    while True:
        try:
            with session_scope(url) as session:
                return work(session)
        except DatabaseBusyError:
            waited = time.monotonic() - started
            if waited >= limit:
                raise DatabaseBusyError(f"cơ sở dữ liệu bị một tiến trình khác giữ quyền ghi suốt {waited:.1f} giây "
                                        f"(chờ tối đa {limit:g} giây); chưa ghi gì, hãy thử lại sau") from None
            wait = min(pause * random.uniform(0.5, 1.0), limit - waited)  # jittered: two writers do not retry in step
            log.info("cơ sở dữ liệu đang bị khóa ghi; thử lại sau %.2f giây", wait)
            time.sleep(wait)
            pause = min(pause * 2, 2.0)


def _locked(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision` ("base": no tables)."""
    command.downgrade(alembic_config(url), revision)
