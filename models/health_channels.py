"""The channel checks of `dondoc doctor`: every contact URL readable, mail servers and webhooks reachable
(connected to, never sent to), Zalo OAs with a token. They never raise and never show a secret."""

from __future__ import annotations

import socket
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.engine import Connection

from config.settings import Settings
from domain import health
from domain.health import Check, error, ok, warning
from domain.policy import TZ
from models.messaging import ZaloToken
from notifiers.channels import address, instantiate

if TYPE_CHECKING:
    from models.health import Database

PROBE_TIMEOUT = 3  # seconds to reach a mail server or webhook
CHANNEL_NAMES = {"email": "email", "webhook": "webhook", "zalo": "Zalo OA", "zns": "Zalo ZNS", "other": "khác"}


@dataclass(frozen=True)
class Contact:
    kind: str
    who: str
    url: str
    channel: str
    display: str

    @property
    def recipient(self) -> str:
        return health.recipient(self.kind, self.who)


def channels(entries: list[tuple[str, str, str]], *, db: Database, settings: Settings, now: datetime) -> list[Check]:
    """Every contact URL read as the dispatcher reads it; servers connected to, Zalo tokens looked up; none sent."""
    name = "Kênh gửi"
    found: list[Check] = []
    usable: list[Contact] = []
    for kind, who, url in entries:
        where = address(url)
        contact = Contact(kind, who, url, where.channel, where.display)
        if where.problem:
            found.append(error(name, f"{contact.recipient}: địa chỉ {where.display} — {where.problem}",
                               f"sửa địa chỉ của {contact.recipient} trong tệp liên hệ "
                               "(mẫu: config/contacts.example.yaml)"))
        else:
            usable.append(contact)
    if usable:
        per_channel = Counter(CHANNEL_NAMES.get(c.channel, c.channel) for c in usable)
        said = ", ".join(f"{n} {c}" for c, n in per_channel.items())
        found.append(ok(name, f"{len(usable)} địa chỉ đọc được: {said}"))
    found += servers([c for c in usable if c.channel in ("email", "webhook")])
    found += zalo([c for c in usable if c.channel in ("zalo", "zns")], db=db, settings=settings, now=now)
    return found


def servers(contacts: list[Contact]) -> list[Check]:
    """A TCP connection to each mail server and webhook host, at once (so many hosts take one timeout)."""
    by_endpoint: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for contact in contacts:
        endpoint = _endpoint(contact)
        if endpoint is not None:
            by_endpoint[endpoint].append(contact.recipient)
    if not by_endpoint:
        return []
    with ThreadPoolExecutor(max_workers=min(16, len(by_endpoint))) as pool:
        reasons = dict(zip(by_endpoint, pool.map(lambda e: _unreachable(e[1], e[2]), by_endpoint)))
    found = [_server_down(endpoint, by_endpoint[endpoint], why) for endpoint, why in reasons.items() if why]
    up = [f"{host}:{port}" for (_, host, port), why in reasons.items() if not why]
    if up:
        found.append(ok("Máy chủ nhận tin", f"kết nối được (không gửi gì): {health.listed(up, 'máy chủ')}"))
    return found


def _endpoint(contact: Contact) -> tuple[str, str, int] | None:
    plugin = instantiate(contact.url)
    if plugin is None:
        return None
    if contact.channel == "email":
        host = getattr(plugin, "smtp_host", None) or getattr(plugin, "host", None)
        return ("email", host, int(plugin.port or 25)) if host else None
    return ("webhook", plugin.host, int(plugin.port or (443 if plugin.secure else 80))) if plugin.host else None


def _unreachable(host: str, port: int) -> str | None:
    """Why no TCP connection could be opened; None when it could (and was closed at once)."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            return None
    except TimeoutError:
        return "hết thời gian chờ"
    except socket.gaierror:
        return "không tìm thấy tên máy chủ"
    except OSError as exc:
        return "bị từ chối kết nối" if isinstance(exc, ConnectionRefusedError) else type(exc).__name__


def _server_down(endpoint: tuple[str, str, int], recipients: list[str], why: str) -> Check:
    kind, host, port = endpoint
    what = "máy chủ thư" if kind == "email" else "webhook"
    return warning(f"{what.capitalize()} {host}:{port}",
                   f"không kết nối được {what} {host}:{port} ({why}): tin cho {len(recipients)} địa chỉ sẽ không "
                   f"đến được ({health.listed(recipients, 'nơi')})",
                   f"kiểm tra tên máy chủ, cổng và tường lửa từ máy chạy dondoc tới {host}:{port}")


def zalo(contacts: list[Contact], *, db: Database, settings: Settings, now: datetime) -> list[Check]:
    """Each Official Account named by a contact has a stored token that has not expired; the app secret is set."""
    if not contacts:
        return []
    by_oa: dict[str, list[str]] = defaultdict(list)
    for contact in contacts:
        plugin = instantiate(contact.url)
        by_oa[plugin.oa_id].append(contact.recipient)
    tokens = {} if db.absent else db.read(_token_expiries)
    found = [_zalo_token(oa, recipients, tokens, now) for oa, recipients in sorted(by_oa.items())]
    if settings.zalo_app_secret is None:
        found.append(warning("Khóa ứng dụng Zalo", "chưa đặt DONDOC_ZALO_APP_SECRET: mã truy cập Zalo hết hạn (sau "
                                                   "khoảng 25 giờ) sẽ không được làm mới, tin Zalo ngừng gửi được",
                             "đặt DONDOC_ZALO_APP_SECRET là khóa bí mật (secret key) của ứng dụng Zalo"))
    return found


def _token_expiries(conn: Connection) -> dict[str, datetime]:
    """When each stored access token expires; the tokens themselves are never read."""
    return dict(conn.execute(select(ZaloToken.oa_id, ZaloToken.expires_at)).all())


def _zalo_token(oa: str, recipients: list[str], tokens: dict | None, now: datetime) -> Check:
    name = f"Zalo OA {oa}"
    grant = f"cấp quyền cho OA rồi chạy `dondoc zalo-token {oa} --app-id … --access-token … --refresh-token …`"
    if tokens is None:
        return warning(name, "không kiểm tra được mã truy cập: cơ sở dữ liệu không dùng được",
                       "sửa lỗi cơ sở dữ liệu rồi chạy lại dondoc doctor")
    if oa not in tokens:
        return error(name, f"chưa có mã truy cập Zalo cho OA {oa}: không gửi được tin cho {len(recipients)} địa chỉ "
                           f"({health.listed(recipients, 'nơi')})", grant)
    expires = tokens[oa] if tokens[oa].tzinfo else tokens[oa].replace(tzinfo=UTC)
    local = f"{expires.astimezone(TZ):%H:%M %d/%m/%Y}"
    if expires <= now:
        return warning(name, f"mã truy cập Zalo của OA {oa} đã hết hạn lúc {local}: sẽ được làm mới khi gửi tin tiếp "
                             "theo (cần DONDOC_ZALO_APP_SECRET)",
                       f"nếu việc làm mới thất bại: {grant}")
    return ok(name, f"có mã truy cập, còn hạn đến {local}")


# --- Calendar and coverage -----------------------------------------------------------------------------------------
