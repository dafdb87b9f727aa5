"""Monitoring as pure Polars functions: status buckets, on-time and monthly-update rates, the warning list.

Frames in, frames out; `as_of` and the calendar are parameters, the clock is never read. Only LEAD
assignments are measured: coordinating units get the assignment notice and are neither chased nor counted.
The programme's targets (DOMAIN.md): 100 % of tasks on time; at least 90 % of tasks update their progress
every month, and the rest go on the warning list (*diện cảnh báo*).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from domain.deadlines import PERIOD_LABELS
from domain.monitoring_summary import KeyFigures, figures_of, summary_of
from domain.monitoring_views import (BUCKETS, CONTENT, DONE_LATE, MUST_UPDATE, NUMBER, ON_TIME, ON_TIME_RATE,
                                     OVERDUE_OPEN, TASK, UNIT, UPDATE_RATE, UPDATED, by_directive, by_leader, by_task,
                                     by_unit, directive_view, latest_progress, lead_only, leader_view,
                                     LATEST_KEY, latest_key, progress_of, task_view, unit_order, unit_view)
from domain.status import LABELS, SOON_WORKING_DAYS
from domain.workdays import WorkCalendar

__all__ = ["ASSIGNMENT_SCHEMA", "BUCKETS", "MUST_UPDATE", "REPORT_SCHEMA", "UNIT", "UPDATED", "UPDATE_RATE",
           "KeyFigures", "Overview", "by_directive", "by_leader", "by_task", "by_unit", "key_figures",
           "latest_progress", "monitoring_sheets", "month_bounds", "monthly_update_rate", "on_time_rate", "overview",
           "summary_markdown", "warning_list", "with_buckets"]

# What the loader hands over. Text shared by many rows (a task's, a unit's) is categorical: a million rows
# then hold codes, not copies. Every function here also takes plain strings.
_CAT = pl.Categorical()
ASSIGNMENT_SCHEMA = {
    "assignment_id": pl.String, "directive_id": _CAT, "directive_number": _CAT, "directive_subject": _CAT,
    "issuer": _CAT, "task_ref": _CAT, "task_content": _CAT, "deadline_kind": _CAT, "period": _CAT,
    "unit_ref": _CAT, "unit_name": _CAT, "unit_kind": _CAT, "role": _CAT, "leader": _CAT, "status": _CAT,
    "due": pl.Date, "extended": pl.Boolean, "closed_on": pl.Date, "issued_on": pl.Date,
}
REPORT_SCHEMA = {"assignment_id": pl.String, "submitted_on": pl.Date, "progress": pl.Int64,
                 "claims_completion": pl.Boolean, "review_status": _CAT}

DEADLINE, LAST_REPORT, NO_REPORT = "Thời hạn", "Báo cáo gần nhất", "chưa có"
WARNING_THRESHOLD = 0.9


# --- buckets --------------------------------------------------------------------------------------------

BUCKET = pl.Enum(BUCKETS)  # a code per row, not a string: every view compares it a dozen times


def with_buckets(assignments: pl.DataFrame, *, as_of: date, calendar: WorkCalendar) -> pl.DataFrame:
    """`assignments` plus `bucket`: the key domain.status.assignment_status gives each row on `as_of`."""
    due, day = pl.col("due"), pl.lit(as_of, dtype=pl.Date)
    key = _bucket
    late = (pl.col("closed_on") > due).fill_null(False)
    done = pl.when(late).then(key("done_late")).otherwise(key("done_on_time"))
    undated = pl.when(pl.col("deadline_kind") == "unresolved").then(key("unscheduled")).otherwise(key("ongoing"))
    days, left = _working_days_left(as_of=as_of, calendar=calendar)
    # A due date beyond that short table maps to null, which is "not soon".
    working_days_left = due.replace_strict(days, left, default=None, return_dtype=pl.Int64)
    bucket = (pl.when(pl.col("status") == "cancelled").then(key("cancelled"))
              .when(pl.col("status") == "done").then(done)
              .when(due.is_null()).then(undated)
              .when(day > due).then(key("overdue"))
              .when(pl.col("extended").fill_null(False)).then(key("extended"))
              .when(day == due).then(key("due"))
              .when(working_days_left <= SOON_WORKING_DAYS).then(key("soon"))
              .otherwise(key("not_due")))
    return assignments.with_columns(bucket.alias("bucket"))


def _bucket(name: str) -> pl.Expr:
    return pl.lit(name, dtype=BUCKET)


def _working_days_left(*, as_of: date, calendar: WorkCalendar) -> tuple[pl.Series, pl.Series]:
    """(due, working days in (as_of, due]) for every day up to the first that can no longer be "sắp đến hạn".

    One calendar look-up per day of that short window (about two weeks at most), never one per row.
    """
    last = calendar.add_working_days(as_of, SOON_WORKING_DAYS + 1)
    days = pl.date_range(as_of + timedelta(days=1), last, eager=True)
    worked = pl.Series([calendar.is_working_day(d) for d in days], dtype=pl.Int64)
    return days, worked.cum_sum()


# --- rates ----------------------------------------------------------------------------------------------

def _percent(part: str | pl.Expr, whole: str | pl.Expr) -> pl.Expr:
    """part / whole in percent with one decimal; null when there is nothing to divide by."""
    part, whole = (pl.col(c) if isinstance(c, str) else c for c in (part, whole))
    return pl.when(whole > 0).then(part / whole * 100).round(1)


def _per_unit(rows: pl.DataFrame, *aggs: pl.Expr) -> pl.DataFrame:
    """`aggs` per unit, units in the order people expect, under the header Đơn vị."""
    grouped = rows.group_by("unit_ref").agg(pl.col("unit_kind").first(), pl.col("unit_name").first(), *aggs)
    grouped = grouped.with_columns(pl.col("unit_kind", "unit_name").cast(pl.String))
    return grouped.sort(unit_order()).select(pl.col("unit_name").alias(UNIT), *[a.meta.output_name() for a in aggs])


def on_time_rate(bucketed: pl.DataFrame) -> pl.DataFrame:
    """Per unit: Đơn vị, Đúng hạn, Quá hạn (done late), Quá hạn chưa xong, Tỷ lệ đúng hạn (%).

    Lead assignments only. The rate is taken over those done or past their deadline (done on time + done
    late + overdue; cancelled left out); null when a unit has none yet.
    """
    return _on_time(lead_only(bucketed))


def _on_time(lead: pl.DataFrame) -> pl.DataFrame:
    counts = _per_unit(lead, _count("done_on_time", ON_TIME), _count("done_late", DONE_LATE),
                       _count("overdue", OVERDUE_OPEN))
    measured = pl.col(ON_TIME) + pl.col(DONE_LATE) + pl.col(OVERDUE_OPEN)
    return counts.with_columns(_percent(ON_TIME, measured).alias(ON_TIME_RATE))


def _count(bucket: str, header: str) -> pl.Expr:
    return (pl.col("bucket") == bucket).sum().cast(pl.Int64).alias(header)


def month_bounds(month: date) -> tuple[date, date]:
    """First and last day of the month `month` falls in."""
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def lead_facts(bucketed: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date) -> pl.DataFrame:
    """The lead assignments with what their reports up to `as_of` say: `progress` (as monitoring_views.measured),
    `_last_report` (any report), `_updated` (one in `month`), and `_row` (their place in `bucketed`)."""
    first, last = month_bounds(month)
    lead = lead_only(bucketed.with_row_index("_row")).with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_lead"))
    day, kept = pl.col("submitted_on"), pl.col("review_status") != "returned"
    # One hash join on the text ids gives each report its row's number; sorted by it, the reports of a row are
    # adjacent and the grouping is a single pass: ~4× faster than grouping and joining on the ids.
    numbered = reports.filter(day <= as_of).join(lead.select("assignment_id", "_lead"), on="assignment_id")
    numbered = numbered.sort("_lead").with_columns(
        # Any report counts as an update, even one the office returned: the unit did report.
        day.is_between(first, min(last, as_of)).alias("_updated"),
        pl.when(kept).then(latest_key(pl.col("progress"), day)).alias("_latest"))
    facts = numbered.group_by("_lead").agg(day.max().alias("_last_report"), pl.col("_updated").max(),
                                           (pl.col("_latest").max() % LATEST_KEY).cast(pl.Int64).alias("progress"))
    lead = lead.join(facts, on="_lead", how="left", maintain_order="left").drop("_lead")
    return lead.with_columns(progress_of(pl.col("bucket"), pl.col("progress")), pl.col("_updated").fill_null(False))


def _must_update(lead: pl.DataFrame, *, month: date, as_of: date) -> pl.DataFrame:
    """The lead rows that must update in `month`: issued by its last day (or `as_of` if earlier), not closed
    before its first day, not cancelled."""
    first, last = month_bounds(month)
    return lead.filter((pl.col("status") != "cancelled") & (pl.col("issued_on") <= min(last, as_of))
                       & (pl.col("closed_on").is_null() | (pl.col("closed_on") >= first)))


def monthly_update_rate(assignments: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date) -> pl.DataFrame:
    """Per unit: Đơn vị, Nhiệm vụ phải cập nhật, Đã cập nhật, Tỷ lệ cập nhật (%), for the month `month` falls in.

    Lead assignments only, active in the month: issued by its last day (or `as_of` if earlier), not closed
    before its first day, not cancelled. Updated: at least one report submitted in the month up to `as_of`.
    """
    active = _must_update(lead_facts(assignments, reports, month=month, as_of=as_of), month=month, as_of=as_of)
    return _update_rates(active)


def _update_rates(active: pl.DataFrame) -> pl.DataFrame:
    counts = _per_unit(active, pl.len().cast(pl.Int64).alias(MUST_UPDATE),
                       pl.col("_updated").sum().cast(pl.Int64).alias(UPDATED))
    return counts.with_columns(_percent(UPDATED, MUST_UPDATE).alias(UPDATE_RATE))


def warning_list(assignments: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date,
                 threshold: float = WARNING_THRESHOLD) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The *diện cảnh báo* of `month`: (units updating below `threshold`, lowest first; assignments not updated).

    Units: the columns of monthly_update_rate. Assignments: Đơn vị, Số văn bản, Mục, Nội dung, Thời hạn,
    Báo cáo gần nhất (d/m/yyyy or "chưa có").
    """
    active = _must_update(lead_facts(assignments, reports, month=month, as_of=as_of), month=month, as_of=as_of)
    missing, _ = _missing(active)
    return _warned(_update_rates(active), threshold), missing


def _warned(rates: pl.DataFrame, threshold: float) -> pl.DataFrame:
    # Compare the exact ratio, not the rounded percentage: 89.96 % is below 90 %.
    return rates.filter(pl.col(UPDATED) / pl.col(MUST_UPDATE) < threshold).sort(UPDATE_RATE, maintain_order=True)


def _missing(active: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """(the rows not updated, by unit then directive, as people read them; their row numbers, most urgent first:
    earliest deadline first, none last)."""
    rows = active.filter(~pl.col("_updated")).select(
        "unit_ref", "unit_kind", "unit_name", "issued_on", "directive_number", "task_ref", "task_content", "due",
        "deadline_kind", "period", "_last_report", "_row")
    kind = unit_order()[0]
    rows = rows.sort([kind, _lexical_rank(rows["unit_name"]), "issued_on", _lexical_rank(rows["directive_number"]),
                      "_row"], nulls_last=True)
    urgent = rows.select(pl.int_range(pl.len(), dtype=pl.UInt32).sort_by("due", nulls_last=True, maintain_order=True))
    return rows.select(
        pl.col("unit_name").alias(UNIT), pl.col("directive_number").fill_null("(chưa có số)").alias(NUMBER),
        pl.col("task_ref").cast(pl.String).alias(TASK), pl.col("task_content").cast(pl.String).alias(CONTENT),
        _deadline_text().alias(DEADLINE), _vn_dates(pl.col("_last_report")).fill_null(NO_REPORT).alias(LAST_REPORT),
    ), urgent.to_series()


def _lexical_rank(values: pl.Series) -> pl.Series:
    """Each value's place among the distinct values in lexical order (equal values share it, null stays null):
    a million rows sort far faster on these numbers than on their text."""
    codes = values.cast(pl.Categorical)
    distinct = codes.unique().drop_nulls()
    in_order = distinct.gather(distinct.cast(pl.String).arg_sort()).to_physical()
    return codes.to_physical().replace_strict(in_order, pl.int_range(len(in_order), dtype=pl.UInt32, eager=True),
                                              default=None)


def _vn_dates(expr: pl.Expr) -> pl.Expr:
    """Dates as people write them (30/9/2025), as domain.text.vn_date does."""
    return pl.format("{}/{}/{}", expr.dt.day(), expr.dt.month(), expr.dt.year())


def _deadline_text() -> pl.Expr:
    """The deadline in words: its date, else Thường xuyên, the period of a recurring task, or not yet set."""
    period = pl.col("period").cast(pl.String).replace_strict(PERIOD_LABELS, default="định kỳ", return_dtype=pl.String)
    return (pl.when(pl.col("due").is_not_null()).then(_vn_dates(pl.col("due")))
            .when(pl.col("deadline_kind") == "ongoing").then(pl.lit("Thường xuyên"))
            .when(pl.col("deadline_kind") == "recurring").then(period.fill_null("định kỳ"))
            .otherwise(pl.lit(LABELS["unscheduled"])))


# --- every view once: the workbook's sheets, the key figures, the artifact --------------------------------

@dataclass(frozen=True)
class Overview:
    """Every view of one monitoring run, each computed once, for the workbook, the figures and the artifact."""

    month: date
    threshold: float
    sheets: dict[str, pl.DataFrame]  # sheet name → view, in the workbook's order
    figures: KeyFigures
    warned: pl.DataFrame
    missing: pl.DataFrame  # the last sheet: assignments not updated this month
    urgent: pl.Series  # row numbers of `missing`, most urgent first
    active: pl.DataFrame  # the lead rows that must update this month, with `_updated`

    @property
    def missing_sheet(self) -> str:
        """The name of `missing`'s sheet."""
        return list(self.sheets)[-1]

    def markdown(self, top: int = 10) -> str:
        return summary_of(self.figures, self.warned, threshold=self.threshold, top=top)

    def warnings_for(self, issuer: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """warning_list over the directives of one issuing office, from the rows already read."""
        mine = self.active.filter(pl.col("issuer") == issuer)
        return _warned(_update_rates(mine), self.threshold), _missing(mine)[0]

    def most_urgent(self, limit: int) -> pl.DataFrame:
        """At most `limit` rows of `missing`: the most urgent (earliest deadline first), in its order."""
        if self.missing.height <= limit:
            return self.missing
        return self.missing[self.urgent.head(limit).sort()]


def overview(bucketed: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date,
             threshold: float = WARNING_THRESHOLD) -> Overview:
    """Every view, computed once over one pass of the reports and one join of them to the lead assignments."""
    lead = lead_facts(bucketed, reports, month=month, as_of=as_of)
    active = _must_update(lead, month=month, as_of=as_of)
    on_time, updates = _on_time(lead), _update_rates(active)
    warned = _warned(updates, threshold)
    missing, urgent = _missing(active)
    tag = f"tháng {month.month}-{month.year}"  # "/" is not allowed in a sheet name
    sheets = {"Theo văn bản": directive_view(lead), "Theo nhiệm vụ": task_view(lead), "Theo đơn vị": unit_view(lead),
              "Theo lãnh đạo": leader_view(lead), "Tỷ lệ đúng hạn": on_time, f"Cập nhật {tag}": updates,
              "Diện cảnh báo": warned, f"Chưa cập nhật {tag}": missing}
    figures = figures_of(lead, on_time, updates, warned, month=month, as_of=as_of)
    return Overview(month, threshold, sheets, figures, warned, missing, urgent, active)


def monitoring_sheets(bucketed: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date,
                      threshold: float = WARNING_THRESHOLD) -> dict[str, pl.DataFrame]:
    """Every view under its Vietnamese sheet name, in the order of the workbook."""
    return overview(bucketed, reports, month=month, as_of=as_of, threshold=threshold).sheets


def key_figures(bucketed: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date,
                threshold: float = WARNING_THRESHOLD) -> KeyFigures:
    """The city's totals: lead assignments per bucket, on-time and update counts, units on the warning list."""
    return overview(bucketed, reports, month=month, as_of=as_of, threshold=threshold).figures


def summary_markdown(bucketed: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date,
                     threshold: float = WARNING_THRESHOLD, top: int = 10) -> str:
    """A short Vietnamese markdown for the Prefect artifact: buckets, rates, the warning list's worst units."""
    return overview(bucketed, reports, month=month, as_of=as_of, threshold=threshold).markdown(top)
