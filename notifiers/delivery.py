"""What a channel says after one attempt to deliver one outbox row, and what it is handed to try."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol


@dataclass(frozen=True)
class Outcome:
    """sent; retry (the service may take it later); permanent (it never will: dead-letter at once)."""

    status: Literal["sent", "retry", "permanent"]
    error: str | None = None  # for people; never carries a secret
    retry_after: float | None = None  # seconds, when the service said how long to wait
    # The destination itself failed (refused or dropped the connection, did not answer in time, asked to slow
    # down), not this one message: its other messages of the run would only wait out the same failure.
    destination_down: bool = False


SENT = Outcome("sent")


class TokenSource(Protocol):
    """Zalo OA access tokens by OA id; `refresh` replaces a token the API refused (single-use refresh token)."""

    def access_token(self, oa_id: str) -> str: ...

    def refresh(self, oa_id: str, stale: str) -> str: ...


@dataclass
class SendContext:
    """What one attempt is handed: dondoc's own Apprise plugins (Zalo OA, ZNS) get it before `notify()` and
    leave an Outcome on it."""

    idempotency_key: str
    tokens: TokenSource | None = None
    template_data: dict[str, str] = field(default_factory=dict)  # ZNS template parameters
    zalo_api_url: str = "https://openapi.zalo.me"
    zns_api_url: str = "https://business.openapi.zalo.me"
    sent_at: datetime | None = None  # when the message leaves, as the sender decided: an email's Date
    outcome: Outcome | None = None
