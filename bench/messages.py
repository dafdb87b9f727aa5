"""Outbox rows made directly, for measures and tests of sending alone (no directive behind them)."""

from __future__ import annotations

from datetime import datetime

from models.db import session_scope
from models.outbox import insert_outbox
from notifiers.outbox import notice_rows
from notifiers.render import render_template


def fill_outbox(env, as_of: datetime, urls: list[str], *, basis: str) -> set[str]:
    """One reminder of a realistic length to each address (a recipient each), due at `as_of`; their keys."""
    detail = "Đề nghị đơn vị khẩn trương báo cáo kết quả thực hiện nhiệm vụ chuyển đổi số. " * 12
    rendered = render_template("alert", title="Nhắc việc", context={"name": "Sở Khoa học và Công nghệ",
                               "day": as_of.date(), "what": "Nhắc việc", "detail": detail}, zns_data={}, data={"n": 1})
    rows = []
    for n, url in enumerate(urls):
        rows += notice_rows(recipient=f"unit:{n}", name=f"Đơn vị {n}", rendered=rendered, urls=[url],
                            basis=f"{basis}-{n}", items=[], run_day=as_of.date(), as_of=as_of, send_at=as_of)
    with session_scope(env.url) as session:
        insert_outbox(session=session, rows=rows)
    return {r["idempotency_key"] for r in rows}
