"""Zalo OA access tokens kept in the database, refreshed once per expiry however many workers need them.

Zalo's refresh token is single-use: two workers refreshing with the same one would leave one of them (and
then everyone) with a dead pair. So a refresh holds the row's lock from reading the pair to storing its
successor, and a worker that waited for the lock takes the token its predecessor stored.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import requests
from sqlalchemy import update
from sqlmodel import Session

from domain.errors import DondocError
from models.db import session_scope
from models.messaging import ZaloToken

EARLY = timedelta(minutes=5)  # refresh a little before Zalo would start refusing the token
OAUTH_PATH = "/v4/oa/access_token"

log = logging.getLogger(__name__)


class ZaloTokenError(DondocError):
    """A Zalo token is missing or could not be refreshed; the message never carries a secret."""


class ZaloTokens:
    """The `TokenSource` of the Zalo plugins: tokens from the `zalotoken` table, refreshed under a row lock."""

    def __init__(self, db_url: str, *, now: datetime, oauth_url: str, app_secret: str | None, timeout: float = 10):
        self.db_url, self.now, self.timeout = db_url, now, timeout
        self.oauth_url = oauth_url.rstrip("/")
        self._secret = app_secret

    def __repr__(self) -> str:
        return f"ZaloTokens(oauth_url={self.oauth_url!r})"  # never the secret

    def access_token(self, oa_id: str) -> str:
        """The OA's token, refreshed first when it expires within 5 minutes."""
        with session_scope(self.db_url) as session:
            row = session.get(ZaloToken, oa_id)
        if row is None:
            raise ZaloTokenError(_missing(oa_id))
        if row.expires_at <= self.now + EARLY:
            return self.refresh(oa_id, row.access_token)
        return row.access_token

    def refresh(self, oa_id: str, stale: str) -> str:
        """Replace `stale` (refused or expiring) with a new pair, unless another worker has done it already."""
        with session_scope(self.db_url) as session:
            row = _lock(session, oa_id)
            if row.access_token != stale:
                return row.access_token
            # Past this call Zalo has retired the old refresh token: a failure to store the new pair (rolled
            # back below) leaves the OA to be authorised again, which the error says.
            access, refresh, expires_in = self._exchange(row)
            row.access_token, row.refresh_token = access, refresh
            row.expires_at, row.updated_at = self.now + timedelta(seconds=expires_in), self.now
            session.add(row)
        log.info("Đã làm mới mã truy cập Zalo cho OA %s", oa_id)
        return access

    def _exchange(self, row: ZaloToken) -> tuple[str, str, int]:
        if not self._secret:
            raise ZaloTokenError("chưa cấu hình khóa bí mật của ứng dụng Zalo (DONDOC_ZALO_APP_SECRET): "
                                 f"không làm mới được mã truy cập cho OA {row.oa_id}")
        try:
            answer = requests.post(
                self.oauth_url + OAUTH_PATH,
                headers={"secret_key": self._secret, "Content-Type": "application/x-www-form-urlencoded"},
                data={"app_id": row.app_id, "grant_type": "refresh_token", "refresh_token": row.refresh_token},
                timeout=self.timeout, allow_redirects=False)  # a redirect would carry the secret elsewhere
        except requests.RequestException as exc:
            # `from None`: the requests exception holds the request, secret header included.
            raise ZaloTokenError(f"không làm mới được mã truy cập Zalo cho OA {row.oa_id}: không kết nối được "
                                 f"tới máy chủ xác thực ({type(exc).__name__})") from None
        return _read_pair(answer, row, self._secret)


def _lock(session: Session, oa_id: str) -> ZaloToken:
    """A no-op UPDATE first: it takes the row lock on PostgreSQL and the write lock on SQLite, then we read."""
    taken = session.exec(update(ZaloToken).where(ZaloToken.oa_id == oa_id)
                         .values(updated_at=ZaloToken.updated_at)
                         .execution_options(synchronize_session=False))
    if taken.rowcount == 0:
        raise ZaloTokenError(_missing(oa_id))
    return session.get(ZaloToken, oa_id)


def _read_pair(answer: requests.Response, row: ZaloToken, secret: str | None) -> tuple[str, str, int]:
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ZaloTokenError(f"không làm mới được mã truy cập Zalo cho OA {row.oa_id}: máy chủ xác thực trả lời "
                             f"không đúng định dạng (HTTP {answer.status_code})")
    access, refresh = body.get("access_token"), body.get("refresh_token")
    try:
        expires_in = int(body.get("expires_in"))  # Zalo sends it as a string ("90000")
    except (TypeError, ValueError):
        expires_in = 0
    if isinstance(access, str) and access and isinstance(refresh, str) and refresh and expires_in > 0:
        return access, refresh, expires_in
    reason = _scrub(str(body.get("error_name") or "không có mã truy cập mới"), row.refresh_token,
                    row.access_token, secret)
    code = f"lỗi {body['error']}: " if "error" in body else ""
    raise ZaloTokenError(f"Zalo từ chối làm mới mã truy cập cho OA {row.oa_id} ({code}{reason}): "
                         "cần cấp quyền lại, chạy dondoc zalo-token")


def _scrub(text: str, *secrets: str | None) -> str:
    """Zalo's words, cut short and without any secret it might echo."""
    for secret in filter(None, secrets):
        text = text.replace(secret, "***")
    return text[:120]


def _missing(oa_id: str) -> str:
    return f"chưa có mã truy cập Zalo cho OA {oa_id}: chạy dondoc zalo-token"


def save_zalo_token(*, session: Session, oa_id: str, app_id: str, access_token: str, refresh_token: str,
                    expires_at: datetime, now: datetime) -> ZaloToken:
    """Store (or replace) an OA's pair, e.g. from the authorisation the operator just did."""
    row = session.get(ZaloToken, oa_id) or ZaloToken(oa_id=oa_id)
    row.app_id, row.access_token, row.refresh_token = app_id, access_token, refresh_token
    row.expires_at, row.updated_at = expires_at, now
    session.add(row)
    session.flush()
    return row
