"""One-off messages (review decisions, closure summaries, warning lists) written to the outbox in the caller's
transaction, so that the decision and the message to say it are stored together or not at all."""

from __future__ import annotations

from datetime import datetime

import pendulum
from sqlmodel import Session

from domain.policy import TZ, send_window
from domain.text import vn_date
from models.env import Planning
from models.outbox import insert_outbox
from models.recipients import addresses
from notifiers.outbox import notice_rows
from notifiers.render import render_template


def send_notice(*, session: Session, planning: Planning, kind: str, name: str, template: str, title: str,
                context: dict, basis: str, items: list[dict], now: datetime, quiet: bool = True) -> int:
    """Render `template` for recipient (`kind`, `name`) and queue it to each of its addresses; returns rows."""
    day = pendulum.instance(now).in_timezone(TZ).date()
    recipient = f"{kind}:{name}"
    rendered = render_template(template, title=title, context={"name": name, "day": day, **context},
                               zns_data={"ten_don_vi": name[:100], "ngay": vn_date(day), "so_nhiem_vu": str(len(items)),
                                         "so_qua_han": "0", "han_gan_nhat": "", "lien_ket": context.get("link") or ""},
                               data={"type": template, "recipient": {"kind": kind, "name": name},
                                     "run_day": day.isoformat(), **_json_safe(context)})
    urls = addresses(session=session, planning=planning, recipients=[(kind, name)]).get(recipient, [])
    send_at = send_window(now, calendar=planning.calendar, policy=planning.default_policy) if quiet else now
    rows = notice_rows(recipient=recipient, name=name, rendered=rendered, urls=urls, basis=basis, items=items,
                       run_day=day, as_of=now, send_at=send_at, quiet=quiet)
    return insert_outbox(session=session, rows=rows)


def _json_safe(value):
    """The context as the webhook body carries it: dates as ISO text, nothing that JSON cannot hold."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
