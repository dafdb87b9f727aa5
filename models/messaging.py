"""The transactional outbox, the reminder steps it carries out, and the append-only audit log."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import aware, uuid_pk


class OutboxStatus:
    PENDING, SENDING, SENT, FAILED, DEAD = "pending", "sending", "sent", "failed", "dead"
    NO_CONTACT = "no_contact"  # the recipient has no address: kept so the operator sees who was not reached


CHANNEL_LABELS = {"email": "Email", "webhook": "Webhook (JSON)", "zalo": "Zalo OA", "zns": "Zalo ZNS",
                  "other": "Khác", "none": "Chưa có địa chỉ"}
STATUS_LABELS = {"pending": "chờ gửi", "sending": "đang gửi", "sent": "đã gửi", "failed": "lỗi, sẽ gửi lại",
                 "dead": "không gửi được", "no_contact": "chưa có địa chỉ"}


class OutboxMessage(SQLModel, table=True):
    """One message to one address; written in the same transaction as the decision to send it."""

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: uuid.UUID = uuid_pk()
    idempotency_key: str = Field(unique=True, max_length=128)
    channel: str = Field(max_length=20, description="email | webhook | zalo | zns | other | none")
    recipient: str = Field(max_length=300, description="unit:REF, person:KEY or office:KEY")
    recipient_name: str = Field(default="", max_length=300)
    target: str | None = Field(default=None, description="The Apprise URL (a secret: never shown)")
    target_display: str = Field(default="", max_length=300, description="The URL with its secrets masked")
    run_day: date | None = Field(default=None, description="The local day of the run that decided it")
    respect_quiet_hours: bool = True
    shard: int = Field(default=0, description="0–1023 from the recipient: dispatchers may split the outbox by it")
    payload: dict = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=OutboxStatus.PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = aware()
    last_error: str | None = None
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = aware()
    created_at: datetime = aware(nullable=False)
    sent_at: datetime | None = aware()


class ReminderStep(SQLModel, table=True):
    """One step of the policy (notice, before, due, overdue, escalation) decided for one assignment."""

    # The same step can never be decided twice, whatever runs overlap.
    __table_args__ = (UniqueConstraint("assignment_id", "kind", "step_at", name="uq_step_once"),)

    id: uuid.UUID = uuid_pk()
    assignment_id: uuid.UUID = Field(foreign_key="assignment.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    step_at: datetime = aware(nullable=False, description="The moment the policy names for the step")
    planned_at: datetime = aware(nullable=False, description="The run that decided it (as_of)")


class ZaloToken(SQLModel, table=True):
    """An Official Account's OAuth pair; the refresh token is single-use, so the pair is replaced atomically."""

    oa_id: str = Field(primary_key=True, max_length=64)
    app_id: str = Field(max_length=64)
    access_token: str
    refresh_token: str
    expires_at: datetime = aware(nullable=False)
    updated_at: datetime = aware(nullable=False)


class Lock(SQLModel, table=True):
    """A row whose update serialises work that must not overlap (two chases planning the same steps)."""

    name: str = Field(primary_key=True, max_length=40)
    holder: str | None = Field(default=None, max_length=100)
    taken_at: datetime | None = aware()


class Event(SQLModel, table=True):
    """Audit: what changed, when, by whom, why. Rows are only ever inserted."""

    id: uuid.UUID = uuid_pk()
    at: datetime = aware(nullable=False, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=60, index=True)
    entity: str = Field(max_length=40)
    entity_id: uuid.UUID | None = Field(default=None, index=True)
    reason: str | None = None
    data: dict = Field(default_factory=dict, sa_type=JSON)
