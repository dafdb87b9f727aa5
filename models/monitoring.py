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
from models.frames import local_day, read_bulk, read_rows, text_id
from models.reporting import Extension, ExtensionStatus, Report
from models.units import Person, Unit

A, T, D, U, P = (m.__table__ for m in (Assignment, Task, Directive, Unit, Person))
E, R = Extension.__table__, Report.__table__
CAT, MOMENT = pl.Categorical(), pl.Datetime("us", "UTC")


def load_monitoring(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(load_assignments, load_reports), read at the same time on two connections: the database and the CSV
    reader work without the GIL. A report written in between is harmless: one for an assignment not read yet
    is ignored, an assignment read without its newest report shows the one before."""
    with ThreadPoolExecutor(2) as pool:
        reports = pool.submit(load_reports, engine)
        return load_assignments(engine), reports.result()


def load_assignments(engine: Engine) -> pl.DataFrame:
    """Every assignment of an issued or closed directive, one row each, in domain.monitoring's schema."""
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
    tasks = (tasks.join(directives, on="directive_id")  # only issued or closed directives
             .with_columns(pl.coalesce("task_leader", "directive_leader").alias("leader_id"))
             .join(people, on="leader_id", how="left")
             .sort("directive_id", "position").drop("position"))
    units = read_rows(engine, select(key(U.c.id).label("unit_id"), U.c.ref.label("unit_ref"),
                                     U.c.name.label("unit_name"), U.c.kind.label("unit_kind")),
                      {"unit_id": text, "unit_ref": text, "unit_name": text, "unit_kind": text})
    extended = read_rows(engine, select(key(E.c.assignment_id).label("assignment_id"))
                         .where(E.c.status == ExtensionStatus.GRANTED).distinct(), {"assignment_id": text})
    assignments = read_bulk(engine, select(
        key(A.c.id).label("assignment_id"), key(A.c.task_id).label("task_id"), key(A.c.unit_id).label("unit_id"),
        A.c.role, A.c.status, A.c.due, A.c.closed_at,
    ), {"assignment_id": text, "task_id": text, "unit_id": text, "role": CAT, "status": CAT, "due": pl.Date,
        "closed_at": MOMENT})
    joined = _attach(assignments, {"task_id": tasks, "unit_id": units}).with_columns(
        pl.col("assignment_id").is_in(extended["assignment_id"].implode()).alias("extended"),
        local_day("closed_at").alias("closed_on"))
    return joined.select([pl.col(name).cast(dtype) for name, dtype in ASSIGNMENT_SCHEMA.items()])


def _attach(rows: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """`rows` with the columns of each small table of `tables` (key column → table) that its key finds, as
    categorical codes, in the order of the first table; rows whose key finds nothing are left out (an inner
    join).

    One look-up per row into each small table, then plain gathers: a third of the cost of joining a million
    rows, which hashes and reorders both sides."""
    places = {key: rows.get_column(key).replace_strict(table.get_column(key), pl.int_range(table.height, dtype=pl.UInt32,
                                                       eager=True), default=None) for key, table in tables.items()}
    found = pl.all_horizontal([place.is_not_null() for place in places.values()]) if places else None
    if found is not None and not rows.select(found.all()).item():
        keep = rows.select(found).to_series()
        rows, places = rows.filter(keep), {key: place.filter(keep) for key, place in places.items()}
    # rows in the order of the first table (a database hands them over in whatever order it stores them)
    first = places[next(iter(tables))]
    order = None if first.is_sorted() else pl.select(pl.int_range(first.len(), dtype=pl.UInt32).sort_by(
        first, maintain_order=True)).to_series()
    if order is not None:
        rows, places = rows[order], {key: place.gather(order) for key, place in places.items()}
    columns = [_coded(table.get_column(c)).gather(places[key])
               for key, table in tables.items() for c in table.columns if c != key]
    return rows.with_columns(columns)


def _coded(column: pl.Series) -> pl.Series:
    return column.cast(CAT) if column.dtype == pl.String else column


def load_reports(engine: Engine) -> pl.DataFrame:
    """Every report, one row each, in domain.monitoring's schema (the day is Hai Phong's)."""
    key = text_id(engine)
    reports = read_bulk(engine, select(
        key(R.c.assignment_id).label("assignment_id"), R.c.submitted_at, R.c.progress, R.c.claims_completion,
        R.c.review_status,
    ), {"assignment_id": pl.String, "submitted_at": MOMENT, "progress": pl.Int64, "claims_completion": pl.Boolean,
        "review_status": CAT})
    return reports.with_columns(local_day("submitted_at").alias("submitted_on")).select(
        [pl.col(name).cast(dtype) for name, dtype in REPORT_SCHEMA.items()])
