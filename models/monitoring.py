"""The database as the monitoring's two frames (assignments and reports), read straight into Polars.

One narrow query per table (models.frames: the two large ones as bulk text), joined in Polars: the million
assignment rows carry only their own columns, and what they share with their task, directive and unit
(repeated a hundred times over) comes in as categorical codes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl
from sqlalchemy import select
from sqlalchemy.engine import Engine

from domain.monitoring import ASSIGNMENT_SCHEMA, REPORT_SCHEMA
from models.directives import Assignment, Directive, DirectiveStatus, Task
from models.frames import Bulk, local_day, read_bulks, read_rows, text_id
from models.reporting import Extension, ExtensionStatus, Report
from models.units import Person, Unit

A, T, D, U, P = (m.__table__ for m in (Assignment, Task, Directive, Unit, Person))
E, R = Extension.__table__, Report.__table__
CAT, MOMENT = pl.Categorical(), pl.Datetime("us", "UTC")
# hexadecimal digits of an id, as models.frames.text_id writes it on both databases: 60 random bits of a uuid4
KEY_CHARS = 16


def load_monitoring(engine: Engine, *, key_chars: int | None = KEY_CHARS) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(every assignment of an issued or closed directive, every report), one row each, in domain.monitoring's
    schemas. The two large tables are read at once (models.frames.read_bulks), the small ones meanwhile.

    Rows find each other by the first `key_chars` characters of their ids, which cost SQLite a sixth less to
    write out than whole ones; should two ids of a table share them, everything is read again with whole ids.
    An id is written as SQLite stores it (models.frames.text_id) whatever the database."""
    def cut(*names: str) -> dict[str, int]:
        return {} if key_chars is None else dict.fromkeys(names, key_chars)

    with ThreadPoolExecutor(1) as aside:  # the main thread mostly waits for the helpers or the server
        shared = aside.submit(_shared, engine, key_chars)
        assignments, reports = read_bulks(engine, [Bulk(select(
            A.c.id.label("assignment_id"), A.c.task_id, A.c.unit_id, A.c.role, A.c.status, A.c.due, A.c.closed_at,
        ), {"assignment_id": pl.String, "task_id": pl.String, "unit_id": pl.String, "role": CAT, "status": CAT,
            "due": pl.Date, "closed_at": MOMENT}, cut("assignment_id", "task_id", "unit_id")),
            Bulk(select(
                R.c.assignment_id, R.c.submitted_at, R.c.progress, R.c.claims_completion, R.c.review_status,
            ), {"assignment_id": pl.String, "submitted_at": MOMENT, "progress": pl.Int64,
                "claims_completion": pl.Boolean, "review_status": CAT}, cut("assignment_id"))],
            # the assignments are joined to what they share while the reports are still being read
            finish=[lambda rows: _with_shared(rows, shared.result(), key_chars), _with_days])
    if assignments is None:
        return load_monitoring(engine, key_chars=None)
    return assignments, reports


def _with_shared(assignments: pl.DataFrame, shared: tuple | None, key_chars: int | None) -> pl.DataFrame | None:
    """The assignments of issued or closed directives, with their task's, directive's and unit's columns; None
    when two ids cut to `key_chars` are alike."""
    if shared is None or (key_chars is not None and not _unique(assignments, "assignment_id")):
        return None
    tasks, units, extended = shared
    joined = _attach(assignments, {"task_id": tasks, "unit_id": units}, order=_document_order).with_columns(
        pl.col("assignment_id").is_in(extended["assignment_id"].implode()).alias("extended"),
        local_day("closed_at").alias("closed_on"))
    return joined.select([pl.col(name).cast(dtype) for name, dtype in ASSIGNMENT_SCHEMA.items()])


def _unique(frame: pl.DataFrame, column: str) -> bool:
    return frame.get_column(column).n_unique() == frame.height


def _shared(engine: Engine, key_chars: int | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None:
    """(tasks of issued or closed directives with their directive's and leader's columns, units, the ids of
    assignments granted an extension): what the assignments share, a hundred rows for one task. Their keys cut
    to `key_chars`; None when two tasks or two units share theirs."""
    key, text = text_id(engine), pl.String
    people = read_rows(engine, select(key(P.c.id).label("leader_id"), P.c.name.label("leader")),
                       {"leader_id": text, "leader": text})
    directives = read_rows(engine, select(
        key(D.c.id).label("directive_id"), D.c.number.label("directive_number"),
        D.c.subject.label("directive_subject"), D.c.issuer, D.c.issued_on,
        key(D.c.leader_in_charge_id).label("directive_leader"),
    ).where(D.c.status.in_([DirectiveStatus.ISSUED, DirectiveStatus.CLOSED])), {
        "directive_id": text, "directive_number": text, "directive_subject": text, "issuer": text,
        "issued_on": pl.Date, "directive_leader": text})
    tasks = read_rows(engine, select(
        key(T.c.id).label("task_id"), key(T.c.directive_id).label("directive_id"), T.c.ref.label("task_ref"),
        T.c.content.label("task_content"), T.c.deadline_kind, T.c.period, T.c.position,
        key(T.c.leader_in_charge_id).label("task_leader"),
    ), {"task_id": text, "directive_id": text, "task_ref": text, "task_content": text, "deadline_kind": text,
        "period": text, "position": pl.Int64, "task_leader": text})
    units = read_rows(engine, select(key(U.c.id).label("unit_id"), U.c.ref.label("unit_ref"),
                                     U.c.name.label("unit_name"), U.c.kind.label("unit_kind")),
                      {"unit_id": text, "unit_ref": text, "unit_name": text, "unit_kind": text})
    extended = read_rows(engine, select(key(E.c.assignment_id).label("assignment_id"))
                         .where(E.c.status == ExtensionStatus.GRANTED).distinct(), {"assignment_id": text})
    if key_chars is not None:
        tasks, units, extended = (frame.with_columns(pl.col(column).str.slice(0, key_chars)) for frame, column in
                                  ((tasks, "task_id"), (units, "unit_id"), (extended, "assignment_id")))
        if not (_unique(tasks, "task_id") and _unique(units, "unit_id")):
            return None
    tasks = (tasks.join(directives, on="directive_id")  # only issued or closed directives
             .with_columns(pl.coalesce("task_leader", "directive_leader").alias("leader_id"))
             .join(people, on="leader_id", how="left"))
    return tasks, units, extended


def _attach(rows: pl.DataFrame, tables: dict[str, pl.DataFrame], *, order) -> pl.DataFrame:
    """`rows` with the columns of each small table of `tables` (key column → table) that its key finds, as
    categorical codes; rows whose key finds nothing are left out (an inner join). `order(places, first table)`
    gives each row its sort key from its place in the first table.

    One look-up per row into each small table, then plain gathers: a third of the cost of joining a million
    rows, which hashes and reorders both sides."""
    places = {key: rows.get_column(key).replace_strict(table.get_column(key), pl.int_range(table.height, dtype=pl.UInt32,
                                                       eager=True), default=None) for key, table in tables.items()}
    found = pl.all_horizontal([place.is_not_null() for place in places.values()])
    if not rows.select(found.all()).item():
        keep = rows.select(found).to_series()
        rows, places = rows.filter(keep), {key: place.filter(keep) for key, place in places.items()}
    first_key, first_table = next(iter(tables.items()))
    sort_key = order(places[first_key], first_table)
    if not sort_key.is_sorted():
        moved = pl.select(pl.int_range(sort_key.len(), dtype=pl.UInt32).sort_by(sort_key, maintain_order=True))
        rows, places = rows[moved.to_series()], {key: place.gather(moved.to_series()) for key, place in places.items()}
    columns = [_coded(table.get_column(c)).gather(places[key])
               for key, table in tables.items() for c in table.columns if c not in (key, "position")]
    return rows.with_columns(columns)


def _document_order(task: pl.Series, tasks: pl.DataFrame) -> pl.Series:
    """Each row's place in document order: directives as they first come, each one's tasks by position.

    A database hands rows over in the order it stores them, and PostgreSQL moves an updated row to the end;
    SQLite's order of insertion usually is document order already, and then no row moves."""
    firsts = task.arg_unique()  # the first row of each task
    seen = pl.DataFrame({"place": task.gather(firsts), "first": firsts}).with_columns(
        tasks.get_column("directive_id").gather(task.gather(firsts)).alias("directive"),
        tasks.get_column("position").gather(task.gather(firsts)).alias("position"))
    ranked = seen.sort(pl.col("first").min().over("directive"), "position", "first").get_column("place")
    rank = pl.Series(dtype=pl.UInt32, values=[0] * tasks.height).scatter(ranked, pl.int_range(len(ranked),
                                                                                             dtype=pl.UInt32, eager=True))
    return rank.gather(task)


def _coded(column: pl.Series) -> pl.Series:
    return column.cast(CAT) if column.dtype == pl.String else column


def _with_days(reports: pl.DataFrame) -> pl.DataFrame:
    """The reports with the day each was submitted on in Hai Phong."""
    return reports.with_columns(local_day("submitted_at").alias("submitted_on")).select(
        [pl.col(name).cast(dtype) for name, dtype in REPORT_SCHEMA.items()])
