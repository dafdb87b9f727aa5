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
from domain.monitoring_views import (
    BUCKETS,
    CONTENT,
    NUMBER,
    TASK,
    UNIT,
    by_directive,
    by_leader,
    by_task,
    by_unit,
    latest_progress,
    lead_only,
    unit_order,
)
from domain.status import LABELS, SOON_WORKING_DAYS
from domain.text import vn_date
from domain.workdays import WorkCalendar

__all__ = ["ASSIGNMENT_SCHEMA", "BUCKETS", "REPORT_SCHEMA", "KeyFigures", "by_directive", "by_leader", "by_task",
           "by_unit", "key_figures", "latest_progress", "monitoring_sheets", "month_bounds", "monthly_update_rate",
           "on_time_rate", "summary_markdown", "warning_list", "with_buckets"]

# What the loader hands over.
ASSIGNMENT_SCHEMA = {
    "assignment_id": pl.String, "directive_id": pl.String, "directive_number": pl.String,
    "directive_subject": pl.String, "issuer": pl.String, "task_ref": pl.String, "task_content": pl.String,
    "deadline_kind": pl.String, "period": pl.String, "unit_ref": pl.String, "unit_name": pl.String,
    "unit_kind": pl.String, "role": pl.String, "leader": pl.String, "status": pl.String, "due": pl.Date,
    "extended": pl.Boolean, "closed_on": pl.Date, "issued_on": pl.Date,
}
REPORT_SCHEMA = {"assignment_id": pl.String, "submitted_on": pl.Date, "progress": pl.Int64,
                 "claims_completion": pl.Boolean, "review_status": pl.String}

ON_TIME, DONE_LATE, OVERDUE_OPEN, ON_TIME_RATE = "Đúng hạn", "Quá hạn", "Quá hạn chưa xong", "Tỷ lệ đúng hạn (%)"
MUST_UPDATE, UPDATED, UPDATE_RATE = "Nhiệm vụ phải cập nhật", "Đã cập nhật", "Tỷ lệ cập nhật (%)"
DEADLINE, LAST_REPORT, NO_REPORT = "Thời hạn", "Báo cáo gần nhất", "chưa có"
WARNING_THRESHOLD = 0.9


# --- buckets --------------------------------------------------------------------------------------------

def with_buckets(assignments: pl.DataFrame, *, as_of: date, calendar: WorkCalendar) -> pl.DataFrame:
    """`assignments` plus `bucket`: the key domain.status.assignment_status gives each row on `as_of`."""
    due, day = pl.col("due"), pl.lit(as_of, dtype=pl.Date)
    late = (pl.col("closed_on") > due).fill_null(False)
    done = pl.when(late).then(pl.lit("done_late")).otherwise(pl.lit("done_on_time"))
    undated = pl.when(pl.col("deadline_kind") == "unresolved").then(pl.lit("unscheduled")).otherwise(pl.lit("ongoing"))
    bucket = (pl.when(pl.col("status") == "cancelled").then(pl.lit("cancelled"))
              .when(pl.col("status") == "done").then(done)
              .when(due.is_null()).then(undated)
              .when(day > due).then(pl.lit("overdue"))
              .when(pl.col("extended").fill_null(False)).then(pl.lit("extended"))
              .when(day == due).then(pl.lit("due"))
              # A due date beyond the ordinal table joins to null, which is "not soon".
              .when(pl.col("_working_days_left") <= SOON_WORKING_DAYS).then(pl.lit("soon"))
              .otherwise(pl.lit("not_due")))
    ordinals = _working_days_left(as_of=as_of, calendar=calendar)
    joined = assignments.join(ordinals, on="due", how="left", maintain_order="left")
    return joined.with_columns(bucket.alias("bucket")).drop("_working_days_left")


def _working_days_left(*, as_of: date, calendar: WorkCalendar) -> pl.DataFrame:
    """due → working days in (as_of, due], for every day up to the first that can no longer be "sắp đến hạn".

    One calendar look-up per day of that short window (about two weeks at most), never one per row.
    """
    last = calendar.add_working_days(as_of, SOON_WORKING_DAYS + 1)
    days = pl.date_range(as_of + timedelta(days=1), last, eager=True)
    worked = pl.Series([calendar.is_working_day(d) for d in days], dtype=pl.Int64)
    return pl.DataFrame({"due": days, "_working_days_left": worked.cum_sum()})


# --- rates ----------------------------------------------------------------------------------------------

def _percent(part: str | pl.Expr, whole: str | pl.Expr) -> pl.Expr:
    """part / whole in percent with one decimal; null when there is nothing to divide by."""
    part, whole = (pl.col(c) if isinstance(c, str) else c for c in (part, whole))
    return pl.when(whole > 0).then(part / whole * 100).round(1)


def _per_unit(assignments: pl.DataFrame, *aggs: pl.Expr) -> pl.DataFrame:
    """`aggs` per unit, units in the order people expect, under the header Đơn vị."""
    grouped = assignments.group_by(["unit_ref", "unit_kind", "unit_name"]).agg(*aggs)
    return grouped.sort(unit_order()).select(pl.col("unit_name").alias(UNIT), *[a.meta.output_name() for a in aggs])


def on_time_rate(bucketed: pl.DataFrame) -> pl.DataFrame:
    """Per unit: Đơn vị, Đúng hạn, Quá hạn (done late), Quá hạn chưa xong, Tỷ lệ đúng hạn (%).

    Lead assignments only. The rate is taken over those done or past their deadline (done on time + done
    late + overdue; cancelled left out); null when a unit has none yet.
    """
    counts = _per_unit(lead_only(bucketed), _count("done_on_time", ON_TIME), _count("done_late", DONE_LATE),
                       _count("overdue", OVERDUE_OPEN))
    measured = pl.col(ON_TIME) + pl.col(DONE_LATE) + pl.col(OVERDUE_OPEN)
    return counts.with_columns(_percent(ON_TIME, measured).alias(ON_TIME_RATE))


def _count(bucket: str, header: str) -> pl.Expr:
    return (pl.col("bucket") == bucket).sum().cast(pl.Int64).alias(header)


def month_bounds(month: date) -> tuple[date, date]:
    """First and last day of the month `month` falls in."""
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _month_activity(assignments: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date) -> pl.DataFrame:
    """The lead assignments that must update in `month`, with `_updated` and `_last_report` (both as of `as_of`)."""
    first, last = month_bounds(month)
    cutoff = min(last, as_of)
    active = lead_only(assignments).filter(
        (pl.col("status") != "cancelled") & (pl.col("issued_on") <= cutoff)
        & (pl.col("closed_on").is_null() | (pl.col("closed_on") >= first)))
    # Any report counts as an update, even one the office returned: the unit did report.
    seen = reports.filter(pl.col("submitted_on") <= as_of).group_by("assignment_id").agg(
        pl.col("submitted_on").max().alias("_last_report"),
        pl.col("submitted_on").is_between(first, cutoff).any().alias("_updated"))
    joined = active.join(seen, on="assignment_id", how="left", maintain_order="left")
    return joined.with_columns(pl.col("_updated").fill_null(False))


def monthly_update_rate(assignments: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date) -> pl.DataFrame:
    """Per unit: Đơn vị, Nhiệm vụ phải cập nhật, Đã cập nhật, Tỷ lệ cập nhật (%), for the month `month` falls in.

    Lead assignments only, active in the month: issued by its last day (or `as_of` if earlier), not closed
    before its first day, not cancelled. Updated: at least one report submitted in the month up to `as_of`.
    """
    activity = _month_activity(assignments, reports, month=month, as_of=as_of)
    counts = _per_unit(activity, pl.len().cast(pl.Int64).alias(MUST_UPDATE),
                       pl.col("_updated").sum().cast(pl.Int64).alias(UPDATED))
    return counts.with_columns(_percent(UPDATED, MUST_UPDATE).alias(UPDATE_RATE))


def warning_list(assignments: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date,
                 threshold: float = WARNING_THRESHOLD) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The *diện cảnh báo* of `month`: (units updating below `threshold`, lowest first; assignments not updated).

    Units: the columns of monthly_update_rate. Assignments: Đơn vị, Số văn bản, Mục, Nội dung, Thời hạn,
    Báo cáo gần nhất (d/m/yyyy or "chưa có").
    """
    rates = monthly_update_rate(assignments, reports, month=month, as_of=as_of)
    # Compare the exact ratio, not the rounded percentage: 89.96 % is below 90 %.
    units = rates.filter(pl.col(UPDATED) / pl.col(MUST_UPDATE) < threshold).sort(UPDATE_RATE, maintain_order=True)
    missing = _month_activity(assignments, reports, month=month, as_of=as_of).filter(~pl.col("_updated"))
    missing = missing.sort([*unit_order(), "issued_on", "directive_number"], nulls_last=True, maintain_order=True)
    return units, missing.select(
        pl.col("unit_name").alias(UNIT), pl.col("directive_number").fill_null("(chưa có số)").alias(NUMBER),
        pl.col("task_ref").alias(TASK), pl.col("task_content").alias(CONTENT), _deadline_text().alias(DEADLINE),
        _vn_dates(pl.col("_last_report")).fill_null(NO_REPORT).alias(LAST_REPORT))


def _vn_dates(expr: pl.Expr) -> pl.Expr:
    """Dates as people write them (30/9/2025)."""
    return expr.map_elements(vn_date, return_dtype=pl.String, skip_nulls=True)


def _deadline_text() -> pl.Expr:
    """The deadline in words: its date, else Thường xuyên, the period of a recurring task, or not yet set."""
    period = pl.col("period").replace_strict(PERIOD_LABELS, default="định kỳ", return_dtype=pl.String)
    return (pl.when(pl.col("due").is_not_null()).then(_vn_dates(pl.col("due")))
            .when(pl.col("deadline_kind") == "ongoing").then(pl.lit("Thường xuyên"))
            .when(pl.col("deadline_kind") == "recurring").then(period.fill_null("định kỳ"))
            .otherwise(pl.lit(LABELS["unscheduled"])))


# --- the city's figures, the artifact and the workbook's sheets ------------------------------------------

@dataclass(frozen=True)
class KeyFigures:
    """The city's key numbers on `as_of` (lead assignments only)."""

    as_of: date
    month: date
    buckets: dict[str, int]
    on_time: int
    measured: int
    must_update: int
    updated: int
    warned_units: int

    @property
    def on_time_pct(self) -> float | None:
        return round(self.on_time / self.measured * 100, 1) if self.measured else None

    @property
    def update_pct(self) -> float | None:
        return round(self.updated / self.must_update * 100, 1) if self.must_update else None

    @property
    def month_label(self) -> str:
        return f"tháng {self.month.month}/{self.month.year}"

    def rows(self) -> dict[str, int | float | None]:
        """Label → value, for the "Tổng hợp" sheet (labels ending in "(%)" are percentages)."""
        return {"Lượt giao chủ trì": sum(self.buckets.values()),
                **{f"– {LABELS[key]}": n for key, n in self.buckets.items()},
                "Tỷ lệ hoàn thành đúng hạn (%)": self.on_time_pct,
                f"Tỷ lệ cập nhật tiến độ {self.month_label} (%)": self.update_pct,
                "Số đơn vị thuộc diện cảnh báo": self.warned_units}


def key_figures(bucketed: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date,
                threshold: float = WARNING_THRESHOLD) -> KeyFigures:
    """The city's totals: lead assignments per bucket, on-time and update counts, units on the warning list."""
    counts = lead_only(bucketed).get_column("bucket").value_counts()
    per_bucket = dict(zip(counts["bucket"], counts["count"]))
    on_time, updates = on_time_rate(bucketed), monthly_update_rate(bucketed, reports, month=month, as_of=as_of)
    warned, _ = warning_list(bucketed, reports, month=month, as_of=as_of, threshold=threshold)
    return KeyFigures(
        as_of=as_of, month=month, buckets={key: int(per_bucket.get(key, 0)) for key in BUCKETS},
        on_time=int(on_time[ON_TIME].sum()),
        measured=int(on_time[ON_TIME].sum() + on_time[DONE_LATE].sum() + on_time[OVERDUE_OPEN].sum()),
        must_update=int(updates[MUST_UPDATE].sum()), updated=int(updates[UPDATED].sum()), warned_units=warned.height)


def summary_markdown(bucketed: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date,
                     threshold: float = WARNING_THRESHOLD, top: int = 10) -> str:
    """A short Vietnamese markdown for the Prefect artifact: buckets, rates, the warning list's worst units."""
    fig = key_figures(bucketed, reports, month=month, as_of=as_of, threshold=threshold)
    warned, _ = warning_list(bucketed, reports, month=month, as_of=as_of, threshold=threshold)
    lines = [f"# Theo dõi thực hiện văn bản chỉ đạo đến ngày {vn_date(as_of)}", "",
             "Chỉ tính lượt giao chủ trì (đơn vị phối hợp chỉ nhận thông báo, không tính).", "",
             "| Trạng thái | Số lượt |", "|---|---:|"]
    lines += [f"| {LABELS[key]} | {n} |" for key, n in fig.buckets.items()]
    lines += [f"| **Tổng** | {sum(fig.buckets.values())} |", "",
              (f"- **Tỷ lệ hoàn thành đúng hạn (toàn thành phố):** {_pct(fig.on_time_pct)} "
               f"({fig.on_time}/{fig.measured}; mục tiêu 100 %)"),
              (f"- **Tỷ lệ cập nhật tiến độ {fig.month_label}:** {_pct(fig.update_pct)} "
               f"({fig.updated}/{fig.must_update}; mục tiêu từ {_pct(threshold * 100)})"),
              f"- **Đơn vị thuộc diện cảnh báo:** {fig.warned_units}"]
    if warned.height:
        shown = "" if warned.height <= top else f" ({top} đơn vị thấp nhất)"
        lines += ["", f"## Diện cảnh báo: tỷ lệ cập nhật dưới {_pct(threshold * 100)}{shown}", "",
                  "| Đơn vị | Phải cập nhật | Đã cập nhật | Tỷ lệ |", "|---|---:|---:|---:|"]
        lines += [f"| {_md_cell(u)} | {n} | {k} | {_pct(p)} |" for u, n, k, p in warned.head(top).iter_rows()]
        if warned.height > top:
            lines += ["", f"… và {warned.height - top} đơn vị khác (xem tệp Excel)."]
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    """66,7 % (Vietnamese decimal comma); — when there is nothing to measure."""
    return "—" if value is None else f"{value:.1f} %".replace(".", ",")


def _md_cell(text: object) -> str:
    """Text safe inside a markdown table cell: no pipes, no new lines, no raw HTML (as flows.summaries.md_cell)."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.replace("|", "\\|").split())


def monitoring_sheets(bucketed: pl.DataFrame, reports: pl.DataFrame, *, month: date, as_of: date,
                      threshold: float = WARNING_THRESHOLD) -> dict[str, pl.DataFrame]:
    """Every view under its Vietnamese sheet name, in the order of the workbook."""
    tag = f"tháng {month.month}-{month.year}"  # "/" is not allowed in a sheet name
    warned, missing = warning_list(bucketed, reports, month=month, as_of=as_of, threshold=threshold)
    return {"Theo văn bản": by_directive(bucketed, reports, as_of=as_of),
            "Theo nhiệm vụ": by_task(bucketed, reports, as_of=as_of),
            "Theo đơn vị": by_unit(bucketed, reports, as_of=as_of),
            "Theo lãnh đạo": by_leader(bucketed, reports, as_of=as_of),
            "Tỷ lệ đúng hạn": on_time_rate(bucketed),
            f"Cập nhật {tag}": monthly_update_rate(bucketed, reports, month=month, as_of=as_of),
            "Diện cảnh báo": warned,
            f"Chưa cập nhật {tag}": missing}
