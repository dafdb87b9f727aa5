"""Signed report links: a token names a link row and its expiry, and carries an HMAC of both.

The token says nothing a unit could change to reach another unit's work: the row it names holds the unit and
the directive, and the signature covers the row id and the expiry. Revocation is the row's; the clock is the
caller's (`now`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from datetime import UTC, datetime

from domain.errors import InputError

_TOKEN = re.compile(r"^([0-9a-f]{32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22,64})$")


class LinkError(InputError):
    """A report link that is malformed, forged, expired or revoked."""


def sign_link(link_id: uuid.UUID, expires_at: datetime, *, key: bytes) -> str:
    """The token of a link row: id.expiry.signature, URL-safe."""
    payload = f"{link_id.hex}.{int(expires_at.timestamp())}"
    return f"{payload}.{_signature(payload, key)}"


def read_link(token: str, *, key: bytes, now: datetime) -> uuid.UUID:
    """The link id a token names, if its signature holds and it has not expired; LinkError otherwise."""
    match = _TOKEN.match(token or "")
    if not match:
        raise LinkError("đường dẫn báo cáo không đúng (bị cắt hoặc sửa): hãy mở lại đường dẫn trong tin nhắn")
    payload = f"{match[1]}.{match[2]}"
    if not hmac.compare_digest(match[3], _signature(payload, key)):
        raise LinkError("đường dẫn báo cáo không hợp lệ (chữ ký không khớp): hãy mở lại đường dẫn trong tin nhắn")
    if datetime.fromtimestamp(int(match[2]), tz=UTC) <= now:
        raise LinkError("đường dẫn báo cáo đã hết hạn: đường dẫn mới có trong tin nhắc việc gần nhất, "
                        "hoặc đề nghị Văn phòng cấp lại")
    return uuid.UUID(match[1])


def _signature(payload: str, key: bytes) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
