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
ON_TIME, DONE_LATE, OVERDUE_OPEN, ON_TIME_RATE = "Đúng hạn", "Quá hạn", "Quá hạn chưa xong", "Tỷ lệ đúng hạn (%)"
MUST_UPDATE, UPDATED, UPDATE_RATE = "Nhiệm vụ phải cập nhật", "Đã cập nhật", "Tỷ lệ cập nhật (%)"

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
    """assignment_id → progress of its latest report up to `as_of` (the highest, when several share that day).

    A returned report is left out: the office did not accept what it says.
    """
    kept = reports.filter((pl.col("submitted_on") <= as_of) & (pl.col("review_status") != "returned"))
    latest = latest_key(pl.col("progress"), pl.col("submitted_on")).max() % LATEST_KEY
    return kept.group_by("assignment_id").agg(latest.cast(pl.Int64).alias("progress"))


LATEST_KEY = 1000  # above any progress (0–100)


def latest_key(progress: pl.Expr, day: pl.Expr) -> pl.Expr:
    """day·1000 + progress: its maximum is the latest day's report, the highest of that day; its remainder by
    1000 that report's progress. One max instead of sorting each assignment's reports."""
    return day.cast(pl.Int32).cast(pl.Int64) * LATEST_KEY + progress


def measured(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """The lead assignments with `progress` (latest report, 0 without one; 100 when done; null when cancelled,
    which is counted, not averaged) and `_row` (their order in `bucketed`)."""
    lead = lead_only(bucketed.with_row_index("_row"))
    lead = lead.join(latest_progress(reports, as_of=as_of), on="assignment_id", how="left", maintain_order="left")
    return lead.with_columns(progress_of(pl.col("bucket"), pl.col("progress")))


def progress_of(bucket: pl.Expr, reported: pl.Expr) -> pl.Expr:
    """Accepted completion means the work is finished, whatever figure the last report typed."""
    return (pl.when(bucket == "cancelled").then(None).when(bucket.is_in(DONE)).then(100)
            .otherwise(reported.fill_null(0)).alias("progress"))


def by_directive(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """One row per directive (lead assignments): Số văn bản, Trích yếu, Cơ quan ban hành, buckets, Tổng, Tiến độ."""
    return directive_view(measured(bucketed, reports, as_of=as_of))


def by_task(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """One row per task (lead assignments only): Số văn bản, Mục, Nội dung, Lãnh đạo chủ trì, buckets, Tổng, Tiến độ."""
    return task_view(measured(bucketed, reports, as_of=as_of))


def by_unit(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """One row per unit (lead assignments only): Đơn vị, Loại đơn vị, buckets, Tổng, Tiến độ."""
    return unit_view(measured(bucketed, reports, as_of=as_of))


def by_leader(bucketed: pl.DataFrame, reports: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """One row per leader in charge (lead assignments; none named last): Lãnh đạo chủ trì, buckets, Tổng, Tiến độ."""
    return leader_view(measured(bucketed, reports, as_of=as_of))


# Each view on `measured` rows: groups in the order of a stable sort of the rows (ties: first seen first).

def directive_view(rows: pl.DataFrame) -> pl.DataFrame:
    out = _counts(rows, keys=["directive_id"], first=["directive_number", "directive_subject", "issuer", "issued_on"],
                  order=[pl.col("issued_on"), pl.col("directive_number")])
    return out.select(_number(), pl.col("directive_subject").alias(SUBJECT), pl.col("issuer").alias(ISSUER), *_TAIL)


def task_view(rows: pl.DataFrame) -> pl.DataFrame:
    out = _counts(rows, keys=["directive_id", "task_ref"], first=["directive_number", "task_content", "issued_on"],
                  order=[pl.col("issued_on"), pl.col("directive_number")], leader=True)
    return out.select(_number(), pl.col("task_ref").alias(TASK), pl.col("task_content").alias(CONTENT),
                      pl.col("leader").fill_null(NO_LEADER).alias(LEADER), *_TAIL)


def unit_view(rows: pl.DataFrame) -> pl.DataFrame:
    out = _counts(rows, keys=["unit_ref"], first=["unit_name", "unit_kind"], order=unit_order())
    return out.select(pl.col("unit_name").alias(UNIT), _unit_kind().alias(UNIT_KIND), *_TAIL)


def leader_view(rows: pl.DataFrame) -> pl.DataFrame:
    out = _counts(rows, keys=["leader"], first=[], order=[pl.col("leader").is_null(), pl.col("leader")])
    return out.select(pl.col("leader").fill_null(NO_LEADER).alias(LEADER), *_TAIL)


_TAIL = [*(LABELS[key] for key in BUCKETS), TOTAL, PROGRESS]


def _counts(rows: pl.DataFrame, *, keys: list[str], first: list[str], order: list[pl.Expr],
            leader: bool = False) -> pl.DataFrame:
    """Rows grouped by `keys`: one column per bucket, Tổng, Tiến độ TB, the `first` columns as text.

    Counted per key and bucket first (one pass over the rows, few groups), then spread into columns.
    """
    firsts = [pl.col(c).first() for c in first] + ([pl.col("leader").drop_nulls().first()] if leader else [])
    per_bucket = rows.group_by([*keys, "bucket"]).agg(
        pl.len().alias("_n"), pl.col("_row").min(), pl.col("progress").sum().alias("_sum"),
        pl.col("progress").count().alias("_of"), *firsts)
    counts = [pl.col("_n").filter(pl.col("bucket") == key).sum().cast(pl.Int64).alias(LABELS[key]) for key in BUCKETS]
    grouped = per_bucket.group_by(keys).agg(
        pl.col("_row").min(), *firsts, *counts, pl.col("_n").sum().cast(pl.Int64).alias(TOTAL),
        # cancelled assignments have a null progress: counted, not averaged
        pl.when(pl.col("_of").sum() > 0).then(pl.col("_sum").sum() / pl.col("_of").sum()).round(1).alias(PROGRESS))
    text = [pl.col(c).cast(pl.String) for c, t in grouped.schema.items() if t == pl.Categorical]
    return grouped.with_columns(text).sort([*order, pl.col("_row")], nulls_last=True)


def _number() -> pl.Expr:
    return pl.col("directive_number").fill_null(NO_NUMBER).alias(NUMBER)


def _unit_kind() -> pl.Expr:
    return pl.col("unit_kind").replace_strict(UNIT_KINDS, default=UNIT_KINDS["other"], return_dtype=pl.String)
