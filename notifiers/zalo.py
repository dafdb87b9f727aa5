"""dondoc's Apprise plugins for Zalo: OA text messages (zalo://) and ZNS template messages (zns://).

Both read a `SendContext` the dispatcher sets on `plugin.dondoc` and leave an `Outcome` on it, because Zalo
answers nearly every failure with HTTP 200 and a JSON `error` whose meaning (retry or give up) a bool loses.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from typing import Any, ClassVar

import requests
from apprise.common import NotifyType, OverflowMode
from apprise.manager_plugins import NotificationManager
from apprise.plugins.base import NotifyBase

from domain.errors import DondocError
from notifiers.delivery import SENT, Outcome, SendContext

TEXT_MAX = 2000  # Zalo's limit for message.text
OA_TYPES = ("cs", "transaction")
NO_TOKENS = "chưa cấu hình mã truy cập Zalo"
# Returned by a call whose token Zalo refused; it is final only once a refreshed token was refused too.
TOKEN_REFUSED = Outcome("retry", "Zalo vẫn từ chối mã truy cập sau khi làm mới: cần cấp quyền lại cho OA "
                                 "(chạy dondoc zalo-token)")

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TRACKING_ID = re.compile(r"[A-Za-z0-9]{1,48}")
_VN_MOBILE = re.compile(r"84[35789]\d{8}")
_PHONE_NOISE = re.compile(r"[\s.\-()]")

REFRESH, RETRY, PERMANENT = "refresh", "retry", "permanent"
# Limits of the app or the OA as a whole (rate, quota, night hours): every other message of the run would
# be refused the same way, so the dispatcher leaves them for its next run.
OA_WIDE = {-32, -211, -234, -133, -144}

# Zalo's error codes (OA API v3 and ZNS): what to do, and why in words an operator understands.
ERRORS: dict[int, tuple[str, str]] = {
    -216: (REFRESH, "mã truy cập không hợp lệ"),
    -220: (REFRESH, "mã truy cập đã hết hạn hoặc bị thu hồi"),
    -124: (REFRESH, "mã truy cập không hợp lệ"),
    -32: (RETRY, "vượt giới hạn số yêu cầu mỗi phút của ứng dụng"),
    -100: (RETRY, "lỗi không xác định phía Zalo"),
    -211: (RETRY, "OA đã hết hạn mức gửi tin"),
    -218: (RETRY, "OA đã đạt giới hạn số tin gửi tới người nhận này"),
    -234: (RETRY, "loại tin này không được gửi vào ban đêm"),
    -133: (RETRY, "ZNS không được gửi vào ban đêm (22h–6h)"),
    -144: (RETRY, "OA đã vượt giới hạn gửi ZNS trong ngày"),
    -201: (PERMANENT, "tham số không hợp lệ"),
    -210: (PERMANENT, "tham số vượt quá giới hạn cho phép"),
    -213: (PERMANENT, "người nhận chưa quan tâm OA"),
    -217: (PERMANENT, "người nhận đã chặn tin nhắn của OA"),
    -227: (PERMANENT, "tài khoản người nhận bị khóa hoặc không hoạt động quá 45 ngày"),
    -230: (PERMANENT, "người nhận không tương tác với OA trong 7 ngày qua"),
    -232: (PERMANENT, "người nhận chưa tương tác với OA hoặc tương tác đã hết hạn"),
    -233: (PERMANENT, "loại tin nhắn không được hỗ trợ"),
    -240: (PERMANENT, "API gửi tin này đã ngừng hoạt động"),
    -244: (PERMANENT, "người nhận đã từ chối nhận tin từ OA"),
    -108: (PERMANENT, "số điện thoại không hợp lệ"),
    -109: (PERMANENT, "mã mẫu ZNS không hợp lệ"),
    -111: (PERMANENT, "dữ liệu mẫu ZNS trống"),
    -112: (PERMANENT, "dữ liệu mẫu ZNS không hợp lệ"),
    -1121: (PERMANENT, "tham số mẫu ZNS vượt quá độ dài cho phép"),
    -1122: (PERMANENT, "tham số mẫu ZNS sai định dạng"),
    -114: (PERMANENT, "người nhận không nhận được ZNS (trạng thái tài khoản, tùy chọn nhận tin hoặc Zalo cũ)"),
    -118: (PERMANENT, "tài khoản Zalo không tồn tại hoặc đã bị vô hiệu hóa"),
    -119: (PERMANENT, "tài khoản này không nhận được ZNS"),
    -131: (PERMANENT, "mẫu ZNS chưa được phép gửi"),
    -139: (PERMANENT, "người nhận từ chối nhận loại ZNS này"),
    -141: (PERMANENT, "người nhận từ chối nhận ZNS từ OA"),
    -146: (PERMANENT, "mẫu ZNS đã bị vô hiệu hóa do chất lượng gửi thấp"),
    -147: (PERMANENT, "mẫu ZNS đã vượt giới hạn gửi"),
    -204: (PERMANENT, "OA đã bị xóa"),
    -205: (PERMANENT, "OA không tồn tại"),
    -209: (PERMANENT, "ứng dụng chưa được liên kết với OA"),
    -212: (PERMANENT, "OA chưa đăng ký dùng API này"),
    -219: (PERMANENT, "ứng dụng đã bị gỡ hoặc vô hiệu hóa"),
    -221: (PERMANENT, "OA chưa được xác thực"),
    -224: (PERMANENT, "OA chưa mua gói dịch vụ hoặc gói đã hết hạn"),
}


def normalise_phone(raw: str | None) -> str | None:
    """A Vietnamese mobile number as ZNS wants it (84…), from 0…, 84…, +84… with spaces or dots; else None."""
    digits = _PHONE_NOISE.sub("", raw or "")
    if digits.startswith("+84"):
        digits = digits[1:]
    elif digits.startswith("0"):
        digits = "84" + digits[1:]
    elif len(digits) == 9:  # a spreadsheet dropped the leading 0
        digits = "84" + digits
    return digits if _VN_MOBILE.fullmatch(digits) else None


def mask_phone(phone: str | None) -> str:
    """Only the last 3 digits: enough for a person to recognise the number, useless to anyone else."""
    return f"...{(phone or '')[-3:]}"


class _ZaloBase(NotifyBase):
    """What both plugins share: the context, the token, one POST and the reading of Zalo's answer."""

    service_url = "https://developers.zalo.me"
    request_rate_per_sec = 0.1  # a short pause between the calls of one message (the retry after a refresh)
    socket_read_timeout = 15.0  # Zalo is often slower than Apprise's 4-second default
    template_tokens: ClassVar[dict] = dict(NotifyBase.template_tokens, oa_id={
        "name": "OA ID", "type": "string", "required": True})

    def __init__(self, oa_id: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.oa_id = oa_id or ""
        if not _ID.fullmatch(self.oa_id):
            raise TypeError(f"{self.service_name}: mã OA không hợp lệ")

    def notify(self, *args: Any, **kwargs: Any) -> bool:
        """Apprise's notify, leaving an Outcome even when Apprise refuses before send() (an empty body)."""
        ctx = self._context()
        if ctx is not None:
            ctx.outcome = None
        ok = super().notify(*args, **kwargs)
        if ctx is not None and ctx.outcome is None:
            ctx.outcome = Outcome("permanent", "Apprise không chuyển tin đi (nội dung trống?)")
        return ok

    def send(self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO, **kwargs: Any) -> bool:
        """Deliver one message; the Outcome on the context says whether to retry."""
        ctx = self._context()
        outcome = Outcome("permanent", NO_TOKENS) if ctx is None or ctx.tokens is None else self._deliver(ctx, body)
        if ctx is not None:
            ctx.outcome = outcome
        if outcome.status == "sent":
            self.logger.info("Đã gửi %s: %s", self.service_name, self.url(privacy=True))
        else:
            self.logger.warning("Không gửi được %s %s (%s): %s", self.service_name, self.url(privacy=True),
                                outcome.status, outcome.error)
        return outcome.status == "sent"

    def _deliver(self, ctx: SendContext, body: str) -> Outcome:
        raise NotImplementedError

    def _context(self) -> SendContext | None:
        ctx = getattr(self, "dondoc", None)
        return ctx if isinstance(ctx, SendContext) else None

    def _post(self, ctx: SendContext, endpoint: str, payload: dict) -> Outcome:
        """POST once; when Zalo refuses the token, refresh it and POST once more, never in a loop."""
        try:
            token = ctx.tokens.access_token(self.oa_id)
        except Exception as exc:  # noqa: BLE001  (a token store failure is the message's outcome, not a crash)
            return _token_failure(exc)
        outcome = self._call(endpoint, payload, token)
        if outcome is not TOKEN_REFUSED:
            return outcome
        try:
            token = ctx.tokens.refresh(self.oa_id, token)
        except Exception as exc:  # noqa: BLE001
            return _token_failure(exc)
        return self._call(endpoint, payload, token)

    def _call(self, endpoint: str, payload: dict, token: str) -> Outcome:
        headers = {"User-Agent": self.app_id, "access_token": token, "Content-Type": "application/json"}
        self.throttle()
        try:
            # No redirects: requests would carry the access_token header to wherever a redirect points.
            answer = requests.post(endpoint, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                   headers=headers, timeout=self.request_timeout,
                                   verify=self.verify_certificate, allow_redirects=False)
        except requests.Timeout:
            return Outcome("retry", "Zalo không trả lời kịp (quá thời gian chờ)", destination_down=True)
        except requests.RequestException as exc:
            self.logger.debug("Zalo: lỗi kết nối %s", type(exc).__name__)
            return Outcome("retry", "không kết nối được tới Zalo", destination_down=True)
        return _read_answer(answer)


def _token_failure(exc: Exception) -> Outcome:
    """The token store's own messages are written for people and free of secrets; others are not shown."""
    if isinstance(exc, DondocError):
        return Outcome("retry", str(exc))
    return Outcome("retry", f"lỗi khi lấy mã truy cập Zalo ({type(exc).__name__})")


def _read_answer(answer: requests.Response) -> Outcome:
    if answer.status_code == 429:
        return Outcome("retry", "Zalo yêu cầu gửi chậm lại (HTTP 429)", _seconds(answer.headers.get("Retry-After")),
                       destination_down=True)
    if answer.status_code >= 500:
        return Outcome("retry", f"máy chủ Zalo đang lỗi (HTTP {answer.status_code})", destination_down=True)
    if answer.status_code != 200:
        return Outcome("retry", f"Zalo trả lời bất thường (HTTP {answer.status_code})")
    try:
        code = int(answer.json()["error"])
    except (ValueError, TypeError, KeyError):
        return Outcome("retry", "Zalo trả lời không đúng định dạng (không phải JSON có mã lỗi)")
    if code == 0:
        return SENT
    kind, reason = ERRORS.get(code, (RETRY, "lỗi chưa biết"))
    if kind == REFRESH:
        return TOKEN_REFUSED
    return Outcome(kind, f"Zalo báo lỗi {code}: {reason}", destination_down=code in OA_WIDE)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: the dispatcher's own backoff is good enough
        return None


def _text(body: str) -> str:
    """NFC (Vietnamese typed on some systems arrives decomposed) and LF (Apprise joins title and body by CRLF)."""
    return unicodedata.normalize("NFC", body.replace("\r\n", "\n"))


class NotifyZaloOA(_ZaloBase):
    """A text message from an Official Account to people who follow it: zalo://OA_ID/USER_ID[/USER_ID…]."""

    service_name = "Zalo OA"
    protocol = "zalo"
    setup_url = "https://developers.zalo.me/docs/official-account/tin-nhan/tong-quan"
    body_maxlen = TEXT_MAX
    title_maxlen = 0  # Zalo has no title: Apprise puts a non-empty one on the first line of the body
    templates = ("{schema}://{oa_id}/{targets}",)
    template_tokens: ClassVar[dict] = dict(_ZaloBase.template_tokens, targets={
        "name": "User IDs", "type": "list:string", "required": True})
    template_args: ClassVar[dict] = dict(NotifyBase.template_args, type={
        "name": "Message Type", "type": "choice:string", "values": OA_TYPES, "default": "cs", "map_to": "msg_type"})

    def __init__(self, oa_id: str | None = None, targets: list[str] | None = None, msg_type: str | None = None,
                 **kwargs: Any):
        super().__init__(oa_id, **kwargs)
        self.msg_type = (msg_type or "cs").lower()
        if self.msg_type not in OA_TYPES:
            raise TypeError(f"Zalo OA: loại tin “{msg_type}” không hợp lệ (cs hoặc transaction)")
        self.targets = list(targets or [])
        if not self.targets or not all(_ID.fullmatch(t) for t in self.targets):
            raise TypeError("Zalo OA: cần ít nhất một mã người nhận (user_id) hợp lệ")

    def _apply_overflow(self, body, title=None, overflow=None, body_format=None):
        # ?overflow=truncate|split would cut the text; dondoc splits digests itself and refuses what is too long.
        return super()._apply_overflow(body, title=title, overflow=OverflowMode.UPSTREAM, body_format=body_format)

    def _deliver(self, ctx: SendContext, body: str) -> Outcome:
        text = _text(body)
        if len(text) > TEXT_MAX:
            return Outcome("permanent", f"tin nhắn dài {len(text)} ký tự, vượt giới hạn {TEXT_MAX} ký tự của Zalo: "
                                        "cần chia thành nhiều phần trước khi gửi")
        endpoint = f"{ctx.zalo_api_url.rstrip('/')}/v3.0/oa/message/{self.msg_type}"
        results = []
        for user_id in self.targets:
            outcome = self._post(ctx, endpoint, {"recipient": {"user_id": user_id}, "message": {"text": text}})
            results.append((user_id, outcome))
            if outcome.status == "retry":  # Zalo is not taking messages now: the others would fail the same way
                break
        return _overall(results)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = {"type": self.msg_type, **self.url_parameters(*args, privacy=privacy, **kwargs)}
        targets = "/".join(self.quote(t, safe="") for t in self.targets)
        return f"{self.protocol}://{self.quote(self.oa_id, safe='')}/{targets}?{self.urlencode(params)}"

    @property
    def url_identifier(self):
        return (self.protocol, self.oa_id, self.msg_type)

    def __len__(self) -> int:
        return len(self.targets)

    @staticmethod
    def parse_url(url: str) -> dict | None:
        results = _parse(url)
        if results:
            results["targets"] = NotifyBase.split_path(results["fullpath"])
            results["msg_type"] = results["qsd"].get("type")
        return results


def _overall(results: list[tuple[str, Outcome]]) -> Outcome:
    """Sent when every recipient got it; else the first retry (so the others get another chance) or failure."""
    failed = [(who, o) for who, o in results if o.status != "sent"]
    if not failed:
        return SENT
    who, first = next(((w, o) for w, o in failed if o.status == "retry"), failed[0])
    if len(results) == 1:
        return first
    return Outcome(first.status, f"người nhận {who}: {first.error}", first.retry_after, first.destination_down)


class NotifyZaloZNS(_ZaloBase):
    """A ZNS template message to a phone number: zns://OA_ID/PHONE?template=TEMPLATE_ID."""

    service_name = "Zalo ZNS"
    protocol = "zns"
    setup_url = "https://developers.zalo.me/docs/zalo-notification-service/gui-tin-zns/gui-zns"
    templates = ("{schema}://{oa_id}/{phone}",)
    template_tokens: ClassVar[dict] = dict(_ZaloBase.template_tokens, phone={
        "name": "Phone", "type": "string", "required": True})
    template_args: ClassVar[dict] = dict(NotifyBase.template_args, template={
        "name": "Template ID", "type": "string", "required": True})

    def __init__(self, oa_id: str | None = None, phone: str | None = None, template: str | None = None,
                 **kwargs: Any):
        super().__init__(oa_id, **kwargs)
        self.phone = normalise_phone(phone)
        if self.phone is None:
            raise TypeError(f"Zalo ZNS: số điện thoại {mask_phone(phone)} không phải số di động Việt Nam hợp lệ")
        self.template = template or ""
        if not _ID.fullmatch(self.template):
            raise TypeError("Zalo ZNS: thiếu hoặc sai mã mẫu (?template=…)")

    def _deliver(self, ctx: SendContext, body: str) -> Outcome:
        key = ctx.idempotency_key or ""
        if not _TRACKING_ID.fullmatch(key):
            return Outcome("permanent", "mã theo dõi ZNS (tracking_id) phải gồm 1–48 chữ cái hoặc chữ số")
        data = {k: _text(v) if isinstance(v, str) else v for k, v in (ctx.template_data or {}).items()}
        payload = {"phone": self.phone, "template_id": self.template, "template_data": data, "tracking_id": key}
        return self._post(ctx, f"{ctx.zns_api_url.rstrip('/')}/message/template", payload)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = {"template": self.template, **self.url_parameters(*args, privacy=privacy, **kwargs)}
        phone = mask_phone(self.phone) if privacy else self.phone
        return f"{self.protocol}://{self.quote(self.oa_id, safe='')}/{phone}?{self.urlencode(params)}"

    @property
    def url_identifier(self):
        return (self.protocol, self.oa_id, self.template)

    def __len__(self) -> int:
        return 1

    @staticmethod
    def parse_url(url: str) -> dict | None:
        results = _parse(url)
        if results:
            results["phone"] = NotifyBase.unquote(results["fullpath"].strip("/"))
            results["template"] = results["qsd"].get("template")
        return results


def _parse(url: str) -> dict | None:
    """Apprise's reading of the URL, the host being the OA id (not a hostname to check)."""
    results = NotifyBase.parse_url(url, verify_host=False)
    if results:
        results["oa_id"] = NotifyBase.unquote(results["host"])
    return results


class MaskZnsPhones(logging.Filter):
    """Apprise logs a URL it could not load as written, and its masking keeps plain digits: hide the phone."""

    _PHONE = re.compile(r"(zns://[^/\s]*/|(?:phone|fullpath)=\")([^?\s\"']+)")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "zns://" in message:
            record.msg, record.args = self._PHONE.sub(lambda m: m[1] + mask_phone(m[2]), message), ()
        return True


_registering = threading.Lock()


def register() -> None:
    """Make zalo:// and zns:// known to Apprise; safe to call again, from any thread."""
    manager = NotificationManager()  # Apprise's process-wide singleton
    with _registering:
        for plugin in (NotifyZaloOA, NotifyZaloZNS):
            if plugin.protocol not in manager or manager[plugin.protocol] is not plugin:
                manager.add(plugin, schemas=plugin.protocol, force=True)  # force: a reloaded module replaces itself
        apprise_log = logging.getLogger("apprise")
        if not any(isinstance(f, MaskZnsPhones) for f in apprise_log.filters):
            apprise_log.addFilter(MaskZnsPhones())
