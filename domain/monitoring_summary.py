"""The city's key figures and the short markdown summary (the Prefect artifact), from views already computed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from domain.monitoring_views import BUCKETS, DONE_LATE, MUST_UPDATE, ON_TIME, OVERDUE_OPEN, UPDATED
from domain.status import LABELS
from domain.text import md_text, vn_date


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


def figures_of(lead: pl.DataFrame, on_time: pl.DataFrame, updates: pl.DataFrame, warned: pl.DataFrame, *,
               month: date, as_of: date) -> KeyFigures:
    """The city's totals from the lead rows (for the buckets) and the per-unit rate tables."""
    counts = lead.get_column("bucket").value_counts()
    per_bucket = dict(zip(counts["bucket"], counts["count"]))
    return KeyFigures(
        as_of=as_of, month=month, buckets={key: int(per_bucket.get(key, 0)) for key in BUCKETS},
        on_time=int(on_time[ON_TIME].sum()),
        measured=int(on_time[ON_TIME].sum() + on_time[DONE_LATE].sum() + on_time[OVERDUE_OPEN].sum()),
        must_update=int(updates[MUST_UPDATE].sum()), updated=int(updates[UPDATED].sum()), warned_units=warned.height)


def summary_of(fig: KeyFigures, warned: pl.DataFrame, *, threshold: float, top: int) -> str:
    """A short Vietnamese markdown for the Prefect artifact: buckets, rates, the warning list's worst units."""
    lines = [f"# Theo dõi thực hiện văn bản chỉ đạo đến ngày {vn_date(fig.as_of)}", "",
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
        lines += [f"| {md_text(u)} | {n} | {k} | {_pct(p)} |" for u, n, k, p in warned.head(top).iter_rows()]
        if warned.height > top:
            lines += ["", f"… và {warned.height - top} đơn vị khác (xem tệp Excel)."]
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    """66,7 % (Vietnamese decimal comma); — when there is nothing to measure."""
    return "—" if value is None else f"{value:.1f} %".replace(".", ",")

