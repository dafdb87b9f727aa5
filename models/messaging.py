"""The transactional outbox and the append-only audit log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from models.types import aware, uuid_pk


class OutboxStatus:
    PENDING, SENDING, SENT, FAILED, DEAD = "pending", "sending", "sent", "failed", "dead"


class OutboxMessage(SQLModel, table=True):
    """One message to send; written in the same transaction as the decision to send it."""

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: uuid.UUID = uuid_pk()
    idempotency_key: str = Field(unique=True, max_length=128)
    channel: str = Field(max_length=20, description="email | zalo | webhook")
    recipient: str = Field(max_length=300, description="Unit ref or person key; URLs are looked up at send time")
    payload: dict = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=OutboxStatus.PENDING, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = aware()
    last_error: str | None = None
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = aware()
    created_at: datetime = aware(nullable=False)
    sent_at: datetime | None = aware()


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
