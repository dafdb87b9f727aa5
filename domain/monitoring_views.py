"""Counts per status bucket by directive, task, unit and leader: the tables people read.

Every view counts LEAD assignments only: coordinating units receive the assignment notice and nothing else,
so their assignments are neither chased nor measured (DOMAIN.md, default reminder policy).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from domain.status import LABELS

# The buckets users expect, in LABELS order; a draft starts no clock, so it never reaches these tables.
BUCKETS: tuple[str, ...] = tuple(key for key in LABELS if key != "draft")
DONE = ("done_on_time", "done_late")

# Column headers people read.
NUMBER, SUBJECT, ISSUER = "Số văn bản", "Trích yếu", "Cơ quan ban hành"
TASK, CONTENT = "Mục", "Nội dung"
UNIT, UNIT_KIND, LEADER = "Đơn vị", "Loại đơn vị", "Lãnh đạo chủ trì"
TOTAL, PROGRESS = "Tổng", "Tiến độ TB (%)"

NO_NUMBER, NO_LEADER = "(chưa có số)", "(chưa xác định)"
UNIT_KINDS = {"department": "Sở, ban, ngành", "commune": "Xã, phường, đặc khu", "other": "Cơ quan khác"}
_KIND_RANK = {kind: rank for rank, kind in enumerate(UNIT_KINDS)}


def lead_only(assignments: pl.DataFrame) -> pl.DataFrame:
    """The assignments that are measured: the lead ones."""
    return assignments.filter(pl.col("role") == "lead")


def unit_order() -> list[pl.Expr]:
    """Sort keys that list departments first, then communes, then other bodies, each by name."""
    return [pl.col("unit_kind").replace_strict(_KIND_RANK, default=len(_KIND_RANK), return_dtype=pl.Int64),
            pl.col("unit_name")]


def latest_progress(reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """assignment_id → progress of its latest report up to `as_of`.

    A returned report is left out: the office did not accept what it says.
    """
    kept = reports.filter((pl.col("submitted_on") <= as_of) & (pl.col("review_status") != "returned"))
    latest = pl.col("progress").sort_by(["submitted_on", "progress"]).last()
    return kept.group_by("assignment_id").agg(latest.alias("progress"))


def by_directive(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """One row per directive (lead assignments): Số văn bản, Trích yếu, Cơ quan ban hành, buckets, Tổng, Tiến độ."""
    ordered = bucketed.sort(["issued_on", "directive_number"], nulls_last=True, maintain_order=True)
    return _counts(ordered, reports, as_of=as_of, keys=["directive_id", NUMBER, SUBJECT, ISSUER])


def by_task(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """One row per task (lead assignments only): Số văn bản, Mục, Nội dung, Lãnh đạo chủ trì, buckets, Tổng, Tiến độ."""
    ordered = bucketed.sort(["issued_on", "directive_number"], nulls_last=True, maintain_order=True)
    leader = pl.col("leader").drop_nulls().first().fill_null(NO_LEADER).alias(LEADER)
    keys = ["directive_id", "task_ref", NUMBER, TASK, CONTENT]
    return _counts(ordered, reports, as_of=as_of, keys=keys, extra=[leader])


def by_unit(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """One row per unit (lead assignments only): Đơn vị, Loại đơn vị, buckets, Tổng, Tiến độ."""
    ordered = bucketed.sort(unit_order(), maintain_order=True)
    return _counts(ordered, reports, as_of=as_of, keys=["unit_ref", UNIT, UNIT_KIND])


def by_leader(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """One row per leader in charge (lead assignments; none named last): Lãnh đạo chủ trì, buckets, Tổng, Tiến độ."""
    ordered = bucketed.sort([pl.col("leader").is_null(), pl.col("leader")], maintain_order=True)
    return _counts(ordered, reports, as_of=as_of, keys=[LEADER])


def _counts(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date, keys: list[str],
            extra: list[pl.Expr] = ()) -> pl.DataFrame:
    """Lead assignments grouped by `keys` (in order of appearance): one column per bucket, Tổng, Tiến độ TB."""
    lead = lead_only(bucketed).join(latest_progress(reports, as_of=as_of), on="assignment_id", how="left",
                                    maintain_order="left")
    # Accepted completion means the work is finished, whatever figure the last report typed.
    progress = pl.when(pl.col("bucket").is_in(DONE)).then(100).otherwise(pl.col("progress").fill_null(0))
    counts = [(pl.col("bucket") == key).sum().cast(pl.Int64).alias(LABELS[key]) for key in BUCKETS]
    grouped = _readable(lead).group_by(keys, maintain_order=True).agg(
        *extra, *counts, pl.len().cast(pl.Int64).alias(TOTAL),
        # A cancelled assignment has no progress to speak of: it is counted, not averaged.
        progress.filter(pl.col("bucket") != "cancelled").mean().round(1).alias(PROGRESS),
    )
    return grouped.drop([k for k in keys if k in ("directive_id", "task_ref", "unit_ref")])


def _readable(assignments: pl.DataFrame) -> pl.DataFrame:
    """The identifying columns under the headers people read."""
    return assignments.with_columns(
        pl.col("directive_number").fill_null(NO_NUMBER).alias(NUMBER),
        pl.col("directive_subject").alias(SUBJECT),
        pl.col("issuer").alias(ISSUER),
        pl.col("task_ref").alias(TASK),
        pl.col("task_content").alias(CONTENT),
        pl.col("unit_name").alias(UNIT),
        pl.col("unit_kind").replace_strict(UNIT_KINDS, default=UNIT_KINDS["other"], return_dtype=pl.String)
        .alias(UNIT_KIND),
        pl.col("leader").fill_null(NO_LEADER).alias(LEADER),
    )
