"""Query results straight into Polars, SQLite and PostgreSQL alike, with no Python object per row of a large one.

Small results come through the driver's rows. A large one (a million assignments or reports) is handed over as
text that Polars' CSV reader parses in parallel: PostgreSQL's `COPY … TO STDOUT`, and on SQLite one
group_concat per chunk of rows, fields joined by the unit separator (\\x1f) and rows by the record separator
(\\x1e). Large queries hold ids, codes, numbers and dates, never free text, so nothing there needs quoting.
Through SQLAlchemy rows the same million rows took ~30 s. An Arrow driver (ADBC) is as fast, but on SQLite it
links a second copy of the library into the process, which breaks SQLite's POSIX locks for the connections
that write (https://www.sqlite.org/howtocorrupt.html, 2.2.1).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from sqlalchemy import String, cast, literal_column, type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from domain.policy import TZ

CHUNK = 250_000  # rows per group_concat on SQLite: ~30 MB of text, far below SQLite's 1 GB string limit
MAP_BYTES = 1 << 34  # SQLite maps at most this much of the file (and no more than the file)
_FIELD, _ROW = "\x1f", "\x1e"
# How moments come as text: SQLite stores UTC as "2026-06-15 01:00:00.000000"; PostgreSQL's COPY, with the
# session in UTC, writes "2026-06-15 01:00:00+00".
_MOMENT = {"sqlite": "%Y-%m-%d %H:%M:%S%.f", "postgresql": "%Y-%m-%d %H:%M:%S%.f%#z"}


def text_id(engine: Engine):
    """A uuid column as its text: PostgreSQL casts; SQLite stores it as text already (a CAST costs a call per row)."""
    if engine.dialect.name == "sqlite":
        return lambda column: type_coerce(column, String)
    return lambda column: cast(column, String)


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
    return typed(frame, schema, engine)


def read_bulk(engine: Engine, query: Select, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """A large result of one table (`query` selects from it alone; no free text), in `schema`."""
    names = list(schema)
    if engine.dialect.name == "sqlite":
        frames = [_parsed(text, names, sqlite=True) for text in _sqlite_chunks(engine, query)]
    elif engine.dialect.name == "postgresql":
        frames = [_parsed(_postgres_copy(engine, query), names, sqlite=False)]
    else:
        raise NotImplementedError(f"monitoring reads SQLite or PostgreSQL, not {engine.dialect.name}")
    frames = [frame for frame in frames if frame is not None]
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=dict.fromkeys(schema, pl.String))
    return typed(frame, schema, engine)


def _parsed(data: bytes | None, names: list[str], *, sqlite: bool) -> pl.DataFrame | None:
    """Delimited text as a frame of strings (None for no text)."""
    if not data:
        return None
    return pl.read_csv(data, has_header=False, new_columns=names, schema_overrides=dict.fromkeys(names, pl.String),
                       separator=_FIELD if sqlite else ",", eol_char=_ROW if sqlite else "\n",
                       quote_char=None if sqlite else '"')


def _sqlite_chunks(engine: Engine, query: Select) -> list[bytes | None]:
    """The rows as delimited text, one chunk of rowids at a time, in one read transaction. (Chunks read on two
    connections at once were slower: SQLite's allocator takes one lock for the whole process.)"""
    table = query.get_final_froms()[0].name
    fields = ", ".join(f'"{column.name}"' for column in query.selected_columns)
    line = f"printf('{_FIELD.join(['%s'] * len(query.selected_columns))}', {fields})"
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        # the table's pages mapped, not copied one read() at a time into SQLite's cache
        connection.execute(f"PRAGMA mmap_size={MAP_BYTES}")
        if not connection.in_transaction:
            connection.execute("BEGIN")
        # one min and one max each use the rowid index; both in one SELECT scan the whole table
        low, high = connection.execute(f"SELECT (SELECT min(rowid) FROM {table}), (SELECT max(rowid) FROM {table})"
                                       ).fetchone()
        texts = []
        for start in range(low or 0, (high or -1) + 1, CHUNK):
            inner = _compiled(query.where(literal_column(f"{table}.rowid").between(start, start + CHUNK - 1)), engine)
            # as a blob: the bytes as they are, not decoded into a str and encoded back
            sql = f"SELECT CAST(group_concat({line}, char(30)) AS BLOB) FROM ({inner})"
            texts.append(connection.execute(sql).fetchone()[0])
        return texts
    finally:
        if connection.in_transaction:
            connection.execute("COMMIT")
        connection.execute("PRAGMA mmap_size=0")  # the pooled connection as it was
        raw.close()


def _postgres_copy(engine: Engine, query: Select) -> bytes:
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            with cursor.copy(f"COPY ({_compiled(query, engine)}) TO STDOUT (FORMAT csv)") as copy:
                return b"".join(bytes(block) for block in copy)
    finally:
        raw.close()  # back to the pool, rolled back


def _compiled(query: Select, engine: Engine) -> str:
    return str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def local_day(column: str) -> pl.Expr:
    """A moment typed by `typed` (UTC) as the day it falls on in Hai Phong."""
    return pl.col(column).dt.convert_time_zone(str(TZ.name)).dt.date()


def typed(frame: pl.DataFrame, schema: Mapping[str, pl.DataType], engine: Engine) -> pl.DataFrame:
    """`frame` in `schema`'s types, from text where it came as text. A `pl.Datetime("us", "UTC")` column is a
    stored moment; a boolean comes as 0/1 (SQLite) or t/f (PostgreSQL)."""
    out = []
    for name, dtype in schema.items():
        column, given = pl.col(name), frame.schema[name]
        if given == pl.String and dtype == pl.Date:
            column = column.str.to_date("%Y-%m-%d")
        elif given == pl.String and isinstance(dtype, pl.Datetime):
            column = column.str.to_datetime(_MOMENT[engine.dialect.name], time_unit="us")
            column = column.dt.replace_time_zone("UTC") if engine.dialect.name == "sqlite" else column
        elif given == pl.String and dtype == pl.Boolean:
            column = pl.when(column.is_not_null()).then(column.is_in(["1", "t", "true"]))
        out.append(column.cast(dtype).alias(name))
    return frame.select(out)
