"""Directives, their tasks, and the assignments of tasks to units."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import aware, uuid_pk


class DirectiveStatus:
    DRAFT, ISSUED, CLOSED = "draft", "issued", "closed"


DIRECTIVE_KINDS = {
    "cong_van": "Công văn",
    "ke_hoach": "Kế hoạch",
    "thong_bao": "Thông báo",
    "chuong_trinh": "Chương trình",
    "quyet_dinh": "Quyết định",
    "nghi_quyet": "Nghị quyết",
}


class DirectiveBase(SQLModel):
    number: str | None = Field(default=None, max_length=80, index=True)
    kind: str = Field(max_length=20)
    issued_on: date | None = None
    issuer: str = Field(max_length=300)
    signer: str | None = Field(default=None, max_length=200)
    subject: str
    reminder_policy: str = Field(default="default", max_length=60)


class DirectiveCreate(DirectiveBase):
    implements: list[str] = []
    leader_in_charge: str | None = None


class DirectiveUpdate(SQLModel):
    number: str | None = None
    issued_on: date | None = None
    signer: str | None = None
    reminder_policy: str | None = None


class Directive(DirectiveBase, table=True):
    # Numbers are unique per issuer; drafts (number NULL) never collide.
    __table_args__ = (UniqueConstraint("issuer_key", "number", name="uq_directive_issuer_number"),)

    id: uuid.UUID = uuid_pk()
    issuer_key: str = Field(max_length=300)
    status: str = Field(default=DirectiveStatus.DRAFT, max_length=20, index=True)
    implements: list[str] = Field(default_factory=list, sa_type=JSON)
    leader_in_charge_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")
    issued_at: datetime | None = aware()
    source_name: str | None = Field(default=None, max_length=300)
    source_sha256: str = Field(max_length=64, index=True, description="Hash of the validated content")
    closed_at: datetime | None = aware(description="When its last task closed")
    created_at: datetime = aware(nullable=False)
    updated_at: datetime = aware(nullable=False)


class DirectivePublic(DirectiveBase):
    id: uuid.UUID
    status: str
    implements: list[str]
    issued_at: datetime | None
    created_at: datetime


class TaskBase(SQLModel):
    ref: str = Field(max_length=40)
    position: int
    section: str | None = Field(default=None, max_length=300)
    content: str
    output: str | None = Field(default=None, max_length=300)
    report_to: str | None = Field(default=None, max_length=300)
    deadline_written: str = Field(max_length=300)
    deadline_kind: str = Field(max_length=20, description="date | ongoing | recurring | unresolved")
    due: date | None = None
    effective_due: date | None = None
    period: str | None = Field(default=None, max_length=20)


class TaskCreate(TaskBase):
    lead: list[str] = []
    coordinating: list[str] = []


class Task(TaskBase, table=True):
    __table_args__ = (UniqueConstraint("directive_id", "ref"),)

    id: uuid.UUID = uuid_pk()
    directive_id: uuid.UUID = Field(foreign_key="directive.id", index=True, ondelete="CASCADE")
    leader_in_charge_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")
    lead_written: str = ""
    coordinating_written: str = ""
    lead_units: list[str] = Field(default_factory=list, sa_type=JSON, description="Unit refs, groups expanded")
    coordinating_units: list[str] = Field(default_factory=list, sa_type=JSON)
    held_reason: str | None = Field(default=None, description="Why an operator must act before clocks run")
    closed_at: datetime | None = aware(description="When its last lead assignment closed")


class TaskPublic(TaskBase):
    id: uuid.UUID
    held_reason: str | None


class AssignmentStatus:
    OPEN = "open"  # assigned, being worked on
    PENDING_REVIEW = "pending_review"  # a completion report waits for acceptance
    DONE = "done"
    CANCELLED = "cancelled"


class AssignmentBase(SQLModel):
    role: str = Field(max_length=20, description="lead | coordinating")
    status: str = Field(default=AssignmentStatus.OPEN, max_length=20)
    due: date | None = Field(default=None, description="Effective deadline (moves with extensions)")


class Assignment(AssignmentBase, table=True):
    __table_args__ = (
        UniqueConstraint("task_id", "unit_id"),
        Index("ix_assignment_next_action", "next_action_at"),
    )

    id: uuid.UUID = uuid_pk()
    task_id: uuid.UUID = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True)
    next_action_at: datetime | None = aware(description="When the chase must next look at it")
    notified_at: datetime | None = aware(description="When its assignment notice was decided")
    planned_until: datetime | None = aware(description="Every step up to here has been decided (sent or skipped)")
    closed_at: datetime | None = aware()
    created_at: datetime = aware(nullable=False)


class AssignmentPublic(AssignmentBase):
    id: uuid.UUID
    task_id: uuid.UUID
    unit_id: uuid.UUID
    next_action_at: datetime | None
