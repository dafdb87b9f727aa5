"""Flow: renew every Zalo Official Account's access token before it expires (they live about 25 hours)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.states import Failed
from pydantic import Field
from sqlmodel import select

from domain.errors import DondocError
from domain.policy import TZ
from flows.runtime import actor, moment, open_request
from models.db import session_scope
from models.messaging import ZaloToken
from notifiers.zalo_tokens import ZaloTokens

AHEAD = timedelta(hours=26)  # renew what would expire before tomorrow's run


@flow(name="refresh_zalo_tokens", description="Làm mới mã truy cập Zalo OA / Renew Zalo OA access tokens")
def refresh_zalo_tokens(
    as_of: Annotated[datetime | None, Field(title="Coi như thời điểm", description="Để trống: bây giờ")] = None,
):
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
    except DondocError as exc:
        return Failed(message=f"Không làm mới được / refresh failed: {exc}")
    secret = env.settings.zalo_app_secret.get_secret_value() if env.settings.zalo_app_secret else None
    tokens = ZaloTokens(env.url, now=now, oauth_url=env.settings.zalo_oauth_url, app_secret=secret)
    with session_scope(env.url) as session:
        rows = [(t.oa_id, t.access_token, t.expires_at) for t in session.exec(select(ZaloToken)).all()]
    table, failures = [], []
    for oa_id, token, expires_at in rows:
        if expires_at > now + AHEAD:
            table.append({"OA": oa_id, "Kết quả": "còn hạn", "Hết hạn": f"{expires_at.astimezone(TZ):%d/%m/%Y %H:%M}"})
            continue
        try:
            tokens.refresh(oa_id, token)
            table.append({"OA": oa_id, "Kết quả": "đã làm mới", "Hết hạn": ""})
        except DondocError as exc:  # its message never carries a token
            failures.append(f"{oa_id}: {exc}")
            table.append({"OA": oa_id, "Kết quả": f"lỗi: {exc}", "Hết hạn": ""})
    create_table_artifact(key="zalo-tokens", table=table or [{"OA": "—", "Kết quả": "chưa có OA nào"}],
                          description=f"Mã truy cập Zalo: {len(rows)} OA, {len(failures)} lỗi")
    if failures:
        get_run_logger().error("; ".join(failures))
        return Failed(message="Không làm mới được mã truy cập Zalo / token refresh failed: " + "; ".join(failures))
    return {"oa": len(rows), "failed": 0}
