"""Set-based writes of many plain rows, for the few places that write a hundred thousand rows at once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert
from sqlmodel import Session


def insert_plain(*, session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> int:
    """Insert rows (tuples of Python values in `columns` order) with one executemany; returns how many.

    SQLAlchemy converts every value of every row (UUID to text on SQLite, aware datetimes to UTC) and builds a
    parameter dict per row: for a directive to every commune that was most of the import's time. The same
    task ids, unit ids, dates and moments repeat across rows, so each distinct value is converted once here,
    by the column's own type for this database, and the driver gets ready rows.
    """
    if not rows:
        return 0
    columns = list(columns)
    dialect = session.get_bind().dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=columns)
    if set(compiled.binds) != set(columns):  # a column with a Python-side default was left out
        raise ValueError(f"insert_plain into {table.name}: give every column of {sorted(compiled.binds)}")
    by_column = dict(zip(columns, zip(*rows, strict=True), strict=True))
    order = list(compiled.positiontup) if compiled.positiontup is not None else columns
    ready = list(zip(*(_converted(by_column[name], table.c[name].type, dialect) for name in order)))
    if compiled.positiontup is None:  # named parameters (psycopg)
        names = [compiled.escaped_bind_names.get(name, name) for name in order]
        ready = [dict(zip(names, row)) for row in ready]
    session.connection().exec_driver_sql(compiled.string, ready)
    return len(ready)


def _converted(values: tuple, type_, dialect) -> Sequence:
    """A column's values as the driver takes them, by the type's own bind conversion; once per distinct value
    when values repeat (task ids, dates, moments), each in turn when they look distinct (new ids)."""
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    try:
        if len(set(values[:8])) == len(values[:8]):
            return list(map(process, values))
        done = {value: process(value) for value in dict.fromkeys(values)}
    except TypeError:  # unhashable values (JSON)
        return list(map(process, values))
    return list(map(done.__getitem__, values))
