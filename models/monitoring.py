"""The database as the monitoring's two frames (assignments and reports), read straight into Polars."""

from __future__ import annotations

import polars as pl
from sqlalchemy import String, and_, cast, exists, func, select
from sqlalchemy.engine import Engine

from domain.monitoring import ASSIGNMENT_SCHEMA, REPORT_SCHEMA
from domain.policy import TZ
from models.directives import Assignment, Directive, DirectiveStatus, Task
from models.reporting import Extension, ExtensionStatus, Report
from models.units import Person, Unit

A, T, D, U, P = (m.__table__ for m in (Assignment, Task, Directive, Unit, Person))
E, R = Extension.__table__, Report.__table__


def load_assignments(engine: Engine) -> pl.DataFrame:
    """Every assignment of an issued or closed directive, one row each, in domain.monitoring's schema."""
    granted = exists().where(and_(E.c.assignment_id == A.c.id, E.c.status == ExtensionStatus.GRANTED))
    query = (
        select(cast(A.c.id, String).label("assignment_id"), cast(D.c.id, String).label("directive_id"),
               D.c.number.label("directive_number"), D.c.subject.label("directive_subject"), D.c.issuer,
               T.c.ref.label("task_ref"), T.c.content.label("task_content"), T.c.deadline_kind, T.c.period,
               U.c.ref.label("unit_ref"), U.c.name.label("unit_name"), U.c.kind.label("unit_kind"), A.c.role,
               P.c.name.label("leader"), A.c.status, A.c.due, granted.label("extended"), A.c.closed_at, D.c.issued_on)
        .select_from(A.join(T, A.c.task_id == T.c.id).join(D, T.c.directive_id == D.c.id)
                     .join(U, A.c.unit_id == U.c.id)
                     .outerjoin(P, P.c.id == func.coalesce(T.c.leader_in_charge_id, D.c.leader_in_charge_id)))
        .where(D.c.status.in_([DirectiveStatus.ISSUED, DirectiveStatus.CLOSED]))
    )
    frame = _read(query, engine, {"closed_at": pl.Datetime("us")})
    frame = frame.with_columns(_local_day("closed_at").alias("closed_on"), pl.col("extended").cast(pl.Boolean))
    return _shaped(frame.drop("closed_at"), ASSIGNMENT_SCHEMA)


def load_reports(engine: Engine) -> pl.DataFrame:
    """Every report, one row each, in domain.monitoring's schema (the day is Hai Phong's)."""
    query = select(cast(R.c.assignment_id, String).label("assignment_id"), R.c.submitted_at, R.c.progress,
                   R.c.claims_completion, R.c.review_status)
    frame = _read(query, engine, {"submitted_at": pl.Datetime("us")})
    frame = frame.with_columns(_local_day("submitted_at").alias("submitted_on"),
                               pl.col("claims_completion").cast(pl.Boolean))
    return _shaped(frame.drop("submitted_at"), REPORT_SCHEMA)


def _read(query, engine: Engine, moments: dict) -> pl.DataFrame:
    with engine.connect() as connection:
        return pl.read_database(query, connection, schema_overrides=moments, infer_schema_length=None)


def _local_day(column: str) -> pl.Expr:
    """Stored moments are UTC (SQLite keeps them without a zone): the day they fall on in Hai Phong."""
    moment = pl.col(column)
    return moment.dt.replace_time_zone("UTC").dt.convert_time_zone(str(TZ.name)).dt.date()


def _shaped(frame: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """Exactly the schema's columns and types, also for an empty database."""
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
