"""Flow: replay a window of days for one directive into local sinks (the operator checks a policy first)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import pendulum
from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.states import Failed
from pydantic import Field

from domain.errors import DondocError
from domain.policy import TZ
from domain.reminders import STEP_LABELS
from domain.text import vn_date, vn_weekday
from flows.runtime import actor, moment, open_request
from flows.simulate import simulate


@flow(name="simulate_window", description="Chạy thử một khoảng ngày vào hộp thư thử / Replay a window into local sinks")
def simulate_window(
    directive: Annotated[str, Field(title="Văn bản", description="Số hoặc mã")],
    end: Annotated[date, Field(title="Đến ngày")],
    start: Annotated[date | None, Field(title="Từ ngày", description="Để trống: ngày ban hành")] = None,
    issued_at: Annotated[datetime | None, Field(title="Giả định ký lúc", description="Chỉ cho bản dự thảo")] = None,
):
    """Sends nothing to anyone: a scratch copy of the database, and an SMTP and HTTP server on 127.0.0.1."""
    now, who = moment(None), actor()
    try:
        env = open_request(now, who)
        signed = moment(issued_at) if issued_at else None
        sim = simulate(ref=directive, start=start, end=end, issued_at=signed, settings=env.settings)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"Không chạy thử được / simulation failed: {exc}")
    rows = []
    for m in sim.messages:
        at = pendulum.parse(m["at"]).in_timezone(TZ)
        rows.append({"Lúc": f"{vn_weekday(at.date())} {vn_date(at.date())} {at:%H:%M}", "Gửi đến": m["to"],
                     "Kênh": ", ".join(m["channels"]),
                     "Nội dung": "; ".join(f"mục {i['task']}: {STEP_LABELS[i['kind']]}" for i in m["items"])})
    create_table_artifact(key="simulation", table=rows or [{"Lúc": "—", "Gửi đến": "không có tin nào"}],
                          description=f"Chạy thử {sim.number} {vn_date(sim.start)}–{vn_date(sim.end)}: "
                                      f"{sim.delivered}/{sim.planned} tin đến nơi, "
                                      f"{len(sim.without_contact)} nơi nhận chưa có địa chỉ")
    return {"runs": sim.runs, "planned": sim.planned, "delivered": sim.delivered,
            "without_contact": sim.without_contact, "messages": len(sim.messages)}
