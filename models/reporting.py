"""What units send back: reports with their evidence, extension requests, and the signed links they use."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from models.types import aware, uuid_pk


class ReviewStatus:
    SUBMITTED, ACCEPTED, RETURNED = "submitted", "accepted", "returned"


class ReportBase(SQLModel):
    progress: int = Field(default=0, ge=0, le=100)
    done_text: str = ""
    difficulties: str = ""
    proposals: str = ""
    claims_completion: bool = False


class Report(ReportBase, table=True):
    id: uuid.UUID = uuid_pk()
    assignment_id: uuid.UUID = Field(foreign_key="assignment.id", index=True, ondelete="CASCADE")
    submitted_at: datetime = aware(nullable=False)
    period_end: date | None = Field(default=None, description="For a recurring task: the period it reports on")
    evidence: list[dict] = Field(default_factory=list, sa_type=JSON, description="Stored files and links")
    review_status: str = Field(default=ReviewStatus.SUBMITTED, max_length=20)
    reviewed_at: datetime | None = aware()
    reviewer: str | None = Field(default=None, max_length=200)
    review_reason: str | None = None
    source: str = Field(default="web", max_length=20, description="web | office | xlsx")
    submitted_by: str = Field(default="", max_length=200)


class ReportPublic(ReportBase):
    id: uuid.UUID
    assignment_id: uuid.UUID
    submitted_at: datetime
    period_end: date | None
    evidence: list[dict]
    review_status: str
    review_reason: str | None


class ExtensionStatus:
    REQUESTED, GRANTED, REFUSED = "requested", "granted", "refused"


class Extension(SQLModel, table=True):
    id: uuid.UUID = uuid_pk()
    assignment_id: uuid.UUID = Field(foreign_key="assignment.id", index=True, ondelete="CASCADE")
    requested_at: datetime = aware(nullable=False)
    requested_due: date
    reason: str = ""
    status: str = Field(default=ExtensionStatus.REQUESTED, max_length=20)
    decided_at: datetime | None = aware()
    decided_by: str | None = Field(default=None, max_length=200)
    decision_reason: str | None = None
    new_due: date | None = None
    source: str = Field(default="web", max_length=20)


class ReportLink(SQLModel, table=True):
    """A unit's way in to report on one directive: the signed URL names this row, which can be revoked."""

    id: uuid.UUID = uuid_pk()
    unit_id: uuid.UUID = Field(foreign_key="unit.id", index=True)
    directive_id: uuid.UUID = Field(foreign_key="directive.id", index=True, ondelete="CASCADE")
    created_at: datetime = aware(nullable=False)
    expires_at: datetime = aware(nullable=False)
    revoked_at: datetime | None = aware()
    revoked_by: str | None = Field(default=None, max_length=200)
