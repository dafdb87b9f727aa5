"""Engine, sessions and migrations: SQLite by default, PostgreSQL by URL, same code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, create_engine

import models  # noqa: F401  (registers the tables)
from domain.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


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
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
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
    """A session whose work is committed at the end, or rolled back entirely on any error."""
    with Session(engine_for(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision` ("base": no tables)."""
    command.downgrade(alembic_config(url), revision)
