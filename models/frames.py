"""Query results straight into Polars, SQLite and PostgreSQL alike, with no Python object per row of a large one.

Small results come through the driver's rows. A large one (a million assignments or reports; through
SQLAlchemy rows they took ~30 s) comes without a Python object per row:
- PostgreSQL: its ADBC driver reads the binary COPY protocol into Arrow, one table per server process.
- SQLite: as text that Polars' CSV reader parses, one group_concat per chunk of rows, fields joined by the unit
  separator (\\x1f) and rows by the record separator (\\x1e), written by helper processes (models.sqlite_text),
  one per core. Large queries hold ids, codes, numbers and dates, never free text: nothing needs quoting. SQLite's
  ADBC driver is not used: it links a second copy of SQLite into the process, which breaks SQLite's POSIX locks
  for the connections that write (https://www.sqlite.org/howtocorrupt.html, 2.2.1).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import polars as pl
from sqlalchemy import String, cast, func, literal_column, type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from domain.policy import ICT
from models.sqlite_text import MAP_BYTES

CHUNK = 250_000  # rows per group_concat on SQLite: ~30 MB of text, far below SQLite's 1 GB string limit
_FIELD, _ROW = "\x1f", "\x1e"
_HELPER = Path(__file__).with_name("sqlite_text.py")
_OFFSET_SECONDS = int(ICT.utcoffset(None).total_seconds())
SCRATCH_BYTES = 1 << 30
# How moments come as text: SQLite stores UTC as "2026-06-15 01:00:00.000000" (PostgreSQL's come typed)
_MOMENT = "%Y-%m-%d %H:%M:%S%.f"


def text_id(engine: Engine):
    """A uuid column as SQLite stores it, 32 hexadecimal digits: SQLite's as it is (a CAST costs a call per row),
    PostgreSQL's text without its hyphens. read_bulks writes the uuids it reads the same way."""
    if engine.dialect.name == "sqlite":
        return lambda column: type_coerce(column, String)
    return lambda column: func.replace(cast(column, String), "-", "")


def read_rows(engine: Engine, query: Select, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """A small result through the driver's rows (SQLAlchemy's own add a third), in `schema`."""
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        cursor.execute(_compiled(query, engine))
        rows = cursor.fetchall()
        cursor.close()
    finally:
        raw.close()
    frame = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
    return typed(frame, schema)


class Bulk(NamedTuple):
    """A large result of one table: `query` selects from it alone (no free text), typed by `schema`; a column
    named in `prefixes` comes cut to its first so many characters (a key, where the whole would cost more)."""

    query: Select
    schema: Mapping[str, pl.DataType]
    prefixes: Mapping[str, int] = {}


def read_bulks(engine: Engine, bulks: list[Bulk], finish: list[Callable | None] | None = None) -> list:
    """Each bulk read, the work spread over the cores: on SQLite over helper processes, on PostgreSQL over one
    server process per table. Each table is read in one snapshot of its own (on SQLite, one per helper: a row is
    read once, as it was at one moment). `finish[i]`, if given, is applied to the i-th frame as soon as that table
    is read, while the others still are; its result takes the frame's place."""
    finish = finish or [None] * len(bulks)
    results: list = [None] * len(bulks)

    def complete(index: int, chunks: list[pl.DataFrame | None]) -> None:
        bulk, parsed = bulks[index], [frame for frame in chunks if frame is not None]
        frame = pl.concat(parsed) if parsed else pl.DataFrame(schema=dict.fromkeys(bulk.schema, pl.String))
        frame = typed(frame, bulk.schema)
        results[index] = finish[index](frame) if finish[index] else frame

    if engine.dialect.name == "postgresql":
        with ThreadPoolExecutor(len(bulks)) as pool:
            list(pool.map(lambda index: complete(index, [_postgres_arrow(engine, bulks[index])]), range(len(bulks))))
    elif engine.dialect.name == "sqlite":
        _sqlite_parts(engine, bulks, complete)
    else:
        raise NotImplementedError(f"monitoring reads SQLite or PostgreSQL, not {engine.dialect.name}")
    return results


def _parsed(data: bytes | Path | None, names: list[str]) -> pl.DataFrame | None:
    """Delimited text (or a file of it) as a frame of strings (None for none)."""
    if not data or (isinstance(data, Path) and not data.stat().st_size):
        return None
    return pl.read_csv(data, has_header=False, new_columns=names, schema_overrides=dict.fromkeys(names, pl.String),
                       separator=_FIELD, eol_char=_ROW, quote_char=None)


def _sqlite_parts(engine: Engine, bulks: list[Bulk], complete: Callable[[int, list], None]) -> None:
    """Each query's rows in chunks of rowids, handed to `complete(index, chunks)` table by table: read by helper
    processes when the database is a file, else (a database in memory) here, in one read transaction."""
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        chunks = [_chunk_statements(connection, bulk, engine) for bulk in bulks]
        names = [list(bulk.schema) for bulk in bulks]
        database = connection.execute("PRAGMA database_list").fetchone()[2]  # "" for a database in memory
        if database and sum(map(len, chunks)) > 1:
            return _in_helpers(database, chunks, names, complete)
        # the table's pages mapped, not copied one read() at a time into SQLite's cache
        connection.execute(f"PRAGMA mmap_size={MAP_BYTES}")
        if not connection.in_transaction:
            connection.execute("BEGIN")
        # as blobs: the bytes as they are, not decoded into a str and encoded back
        for index, (statements, columns) in enumerate(zip(chunks, names)):
            complete(index, [_parsed(connection.execute(sql).fetchone()[0], columns) for sql in statements])
    finally:
        if connection.in_transaction:
            connection.execute("COMMIT")
        connection.execute("PRAGMA mmap_size=0")  # the pooled connection as it was
        raw.close()


def _chunk_statements(connection, bulk: Bulk, engine: Engine) -> list[str]:
    """One statement per CHUNK rowids of the query's table, each giving its rows as one blob."""
    query, names = bulk.query, [column.name for column in bulk.query.selected_columns]
    table = query.get_final_froms()[0].name
    # printf's precision cuts a prefix for less than substr() costs
    formats = [f"%.{bulk.prefixes[name]}s" if name in bulk.prefixes else "%s" for name in names]
    fields = ", ".join(f'"{name}"' for name in names)
    line = f"printf('{_FIELD.join(formats)}', {fields})"
    # one min and one max each use the rowid index; both in one SELECT scan the whole table
    low, high = connection.execute(f"SELECT (SELECT min(rowid) FROM {table}), (SELECT max(rowid) FROM {table})"
                                   ).fetchone()
    statements = []
    for start in range(low or 0, (high or -1) + 1, CHUNK):
        inner = _compiled(query.where(literal_column(f"{table}.rowid").between(start, start + CHUNK - 1)), engine)
        statements.append(f"SELECT CAST(group_concat({line}, char(30)) AS BLOB) FROM ({inner})")
    return statements


def _in_helpers(database: str, chunks: list[list[str]], names: list[list[str]],
                complete: Callable[[int, list], None]) -> None:
    """The statements run by one helper process per core (models.sqlite_text), each chunk parsed here as soon
    as its file is written, and each table completed as soon as its last chunk is, while the helpers go on."""
    jobs = [(q, c) for q, statements in enumerate(chunks) for c in range(len(statements))]
    count = max(1, min(os.cpu_count() or 1, len(jobs)))
    shares = [jobs[n::count] for n in range(count)]  # alternate chunks: every table's work is shared
    folder = Path(tempfile.mkdtemp(prefix="dondoc-frames-", dir=_scratch()))
    helpers = []
    try:
        for share in shares:
            helper = subprocess.Popen([sys.executable, "-I", "-S", str(_HELPER), database, str(folder)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            helpers.append(helper)
            helper.stdin.write(json.dumps([(f"{q}-{c}", chunks[q][c]) for q, c in share]).encode())
            helper.stdin.close()
        parts: list[list[pl.DataFrame | None]] = [[None] * len(statements) for statements in chunks]
        left = [len(statements) for statements in chunks]
        for index in (index for index, pending in enumerate(left) if not pending):  # an empty table
            complete(index, [])
        for turn in range(len(shares[0])):  # the helpers finish their n-th chunks at about the same time
            for helper, share in zip(helpers, shares):
                if turn < len(share):
                    q, c = share[turn]
                    if helper.stdout.readline().strip() != f"{q}-{c}".encode():
                        raise _failed(helper)
                    path = folder / f"{q}-{c}"
                    parts[q][c] = _parsed(path, names[q])
                    path.unlink()
                    left[q] -= 1
                    if not left[q]:
                        complete(q, parts[q])
        for helper in helpers:
            if helper.wait() != 0:
                raise _failed(helper)
    finally:
        for helper in helpers:
            if helper.poll() is None:
                helper.kill()
                helper.wait()
            for pipe in (helper.stdout, helper.stderr):
                pipe.close()
        shutil.rmtree(folder, ignore_errors=True)


def _scratch() -> str | None:
    """Where the helpers write: in memory (/dev/shm) when it has room, since each file is read once, right away,
    then removed; else the temporary folder. (A container's /dev/shm is 64 MB by default; a chunk is ~35 MB
    and the helpers may be a few chunks ahead of the parser.)"""
    try:
        if os.access("/dev/shm", os.W_OK) and shutil.disk_usage("/dev/shm").free >= SCRATCH_BYTES:
            return "/dev/shm"
    except OSError:
        pass
    return None


def _failed(helper: subprocess.Popen) -> sqlite3.Error:
    """The error a helper died of, as SQLite raised it there."""
    helper.wait()
    said = helper.stderr.read().decode(errors="replace").strip().splitlines()
    return sqlite3.OperationalError(said[-1] if said else f"monitoring read stopped (exit {helper.returncode})")


def _postgres_arrow(engine: Engine, bulk: Bulk) -> pl.DataFrame:
    """The bulk through PostgreSQL's ADBC driver, which reads the binary COPY protocol straight into Arrow: a
    million rows in ~0.5 s, where psycopg's text COPY hands Python one row at a time (~2 s). A uuid comes as its
    16 bytes and is written here as SQLite stores it, 32 hexadecimal digits."""
    import adbc_driver_manager
    import adbc_driver_postgresql

    uri = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with (adbc_driver_postgresql.connect(uri) as database, adbc_driver_manager.AdbcConnection(database) as connection,
          adbc_driver_manager.AdbcStatement(connection) as statement):
        statement.set_sql_query(_compiled(bulk.query, engine))
        stream, _ = statement.execute_query()
        frame = pl.DataFrame(stream)
    frame = frame.with_columns(pl.col(name).bin.encode("hex") for name, dtype in frame.schema.items()
                               if dtype == pl.Binary and bulk.schema[name] == pl.String)
    return frame.with_columns(pl.col(name).str.slice(0, chars) for name, chars in bulk.prefixes.items())


def _compiled(query: Select, engine: Engine) -> str:
    return str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def local_day(column: str) -> pl.Expr:
    """A moment typed by `typed` (UTC) as the day it falls on in Hai Phong: shifted by Việt Nam's fixed offset
    (domain.policy.ICT), six times cheaper than converting each value through the zone's rules."""
    return (pl.col(column).dt.replace_time_zone(None) + pl.duration(seconds=_OFFSET_SECONDS)).dt.date()


def typed(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """`frame` in `schema`'s types, from text where it came as text (SQLite's). A `pl.Datetime("us", "UTC")`
    column is a stored moment; a boolean comes as 0/1."""
    out = []
    for name, dtype in schema.items():
        column, given = pl.col(name), frame.schema[name]
        if given == pl.String and dtype == pl.Date:
            column = column.str.to_date("%Y-%m-%d")
        elif given == pl.String and isinstance(dtype, pl.Datetime):
            column = column.str.to_datetime(_MOMENT, time_unit="us").dt.replace_time_zone("UTC")
        elif given == pl.String and dtype == pl.Boolean:
            column = pl.when(column.is_not_null()).then(column.is_in(["1", "t", "true"]))
        out.append(column.cast(dtype).alias(name))
    return frame.select(out)
