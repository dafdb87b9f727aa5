"""Flow: the monitoring report — where every directive stands, per directive, task, unit and leader; on-time and
monthly-update rates; the warning list (diện cảnh báo), sent to the issuing offices; an Excel workbook."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from domain.monitoring import MUST_UPDATE, UNIT, UPDATE_RATE, UPDATED, KeyFigures, Overview, overview, with_buckets
from domain.text import vn_date
from flows.runtime import actor, moment, open_request
from flows.tasks import send_due_messages
from flows.workbook import write_workbook
from models.db import engine_for, session_scope
from models.env import Env, planning_of
from models.monitoring import load_monitoring
from models.notices import send_notice

LISTED_MISSING = 10  # tasks named per unit in a warning message; the workbook has them all
# Rows of the not-updated list in the workbook: past that a sheet is no longer read but filtered, and Excel
# stops at 1,048,576 rows anyway. The most urgent are kept; the whole list goes beside the workbook as CSV.
MISSING_ROWS = 10_000


@dataclass
class Monitoring:
    as_of: date
    month: date
    assignments: pl.DataFrame  # with buckets
    views: Overview
    markdown: str
    workbook: Path

    @property
    def figures(self) -> KeyFigures:
        return self.views.figures


@task(name="compute-monitoring", cache_policy=NO_CACHE)
def compute_monitoring(env: Env, as_of: date, month: date, missing_rows: int = MISSING_ROWS) -> Monitoring:
    """The whole database into Polars, every view once, and the workbook for officials."""
    assignments, reports = load_monitoring(engine_for(env.url))
    assignments = with_buckets(assignments, as_of=as_of, calendar=env.calendar)
    views = overview(assignments, reports, month=month, as_of=as_of)
    path = env.settings.state_dir / "bao-cao" / f"theo-doi-{as_of:%Y-%m-%d}.xlsx"
    sheets, notes, figures = dict(views.sheets), {}, views.figures.rows()
    name, missing = views.missing_sheet, views.missing
    full = path.with_name(f"{path.stem}-chua-cap-nhat.csv")
    full.unlink(missing_ok=True)  # an earlier run's list of the same day would mislead
    cut = missing.height > missing_rows
    if cut:
        sheets[name] = views.most_urgent(missing_rows)
        notes[name] = (f"Danh sách dài: bảng dưới ghi {_n(missing_rows)} trong {_n(missing.height)} nhiệm vụ chưa cập "
                       f"nhật, là những nhiệm vụ có thời hạn sớm nhất (quá hạn trước), xếp theo đơn vị. Danh sách đầy "
                       f"đủ ở tệp {full.name} cùng thư mục với tệp này.")
        figures["Danh sách đầy đủ nhiệm vụ chưa cập nhật"] = full.name
    with ThreadPoolExecutor(1) as aside:  # the CSV is written (without the GIL) while the workbook is
        written = aside.submit(_write_csv, missing, full) if cut else None
        write_workbook(path, sheets, title="Báo cáo theo dõi thực hiện văn bản chỉ đạo", as_of=as_of, figures=figures,
                       notes=notes)
    if written is not None:
        written.result()  # its error, if any
    return Monitoring(as_of, month, assignments, views, views.markdown(), path)


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, include_bom=True)  # the BOM makes Excel read the file as UTF-8


def _n(count: int) -> str:
    """20.000, as numbers are written here."""
    return f"{count:,}".replace(",", ".")


@task(name="send-warning-lists", cache_policy=NO_CACHE)
def send_warning_lists(env: Env, m: Monitoring, now: datetime, who: str) -> int:
    """Each issuing office is told which units of its directives are on the warning list; once a day."""
    planning, queued = planning_of(env), 0
    with session_scope(env.url) as session:
        for issuer in sorted(m.assignments["issuer"].unique().to_list()):
            units, missing = m.views.warnings_for(issuer)
            if units.is_empty():
                continue
            context = {"units": [_unit_line(row, missing) for row in units.iter_rows(named=True)],
                       "month_label": m.figures.month_label, "threshold": "90 %"}
            queued += send_notice(
                session=session, planning=planning, kind="office", name=issuer, template="warning",
                title=f"[Đôn đốc] Diện cảnh báo {m.figures.month_label}: {units.height} đơn vị cập nhật tiến độ dưới 90 %",
                context=context, basis=f"warning:{m.month:%Y-%m}:{m.as_of}:{issuer}", now=now,
                items=[{"task": u["unit"], "kind": "warning", "assignment_id": ""} for u in context["units"]])
    get_run_logger().info("đã gửi danh sách diện cảnh báo: %d tin", queued)
    return queued


def _unit_line(row: dict, missing: pl.DataFrame) -> dict:
    tasks = missing.filter(pl.col(UNIT) == row[UNIT])
    named = [f"văn bản {n}, mục {t}" for n, t in tasks.select("Số văn bản", "Mục").head(LISTED_MISSING).iter_rows()]
    if tasks.height > LISTED_MISSING:
        named.append(f"và {tasks.height - LISTED_MISSING} nhiệm vụ khác")
    rate = row[UPDATE_RATE]
    return {"unit": row[UNIT], "updated": row[UPDATED], "must": row[MUST_UPDATE],
            "rate": "—" if rate is None else f"{rate:.1f} %".replace(".", ","), "missing": named}


@flow(name="monitoring_report",
      description="Báo cáo theo dõi: tình trạng, tỷ lệ đúng hạn, cập nhật tháng, diện cảnh báo, tệp Excel / Monitoring report")
def monitoring_report(
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
    month: Annotated[date | None, Field(title="Tháng tính cập nhật", description="Một ngày bất kỳ trong tháng; để trống: tháng hiện tại")] = None,
    send_warnings: Annotated[bool, Field(title="Gửi diện cảnh báo", description="Gửi danh sách cho cơ quan ban hành")] = True,
):
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
        m = compute_monitoring(env, now.date(), month or now.date())
        queued = send_warning_lists(env, m, now, who) if send_warnings else 0
        sent = send_due_messages(env, now, who) if queued else None
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không lập được báo cáo theo dõi / monitoring failed: {exc}")
    create_markdown_artifact(key="monitoring-report", markdown=m.markdown + f"\nTệp Excel: `{m.workbook}`\n",
                             description=f"Theo dõi đến {vn_date(m.as_of)}: {m.figures.warned_units} đơn vị diện cảnh báo")
    create_table_artifact(key="monitoring-warning-list", table=_warned(m),
                          description=f"Diện cảnh báo {m.figures.month_label}")
    return {"as_of": now.isoformat(), "month": m.figures.month_label, "workbook": str(m.workbook),
            "on_time_pct": m.figures.on_time_pct, "update_pct": m.figures.update_pct,
            "warned_units": m.figures.warned_units, "messages": queued, "sent": sent.count("sent") if sent else 0}


def _warned(m: Monitoring) -> list[dict]:
    return m.views.warned.to_dicts() or [{UNIT: "Không có đơn vị nào dưới 90 %"}]
