"""Column types: timezone-aware datetimes that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class TZDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; SQLite (which has no zone) stores UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is not timezone.utc:  # bulk writes pass UTC already: skip the costly conversion
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"naive datetime {value!r}: dondoc stores only timezone-aware datetimes")
            value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def uuid_pk():
    return Field(default_factory=uuid.uuid4, primary_key=True)


def aware(*, nullable: bool = True, index: bool = False, **kw):
    """A timezone-aware datetime column."""
    return Field(default=None if nullable else ..., sa_type=TZDateTime, nullable=nullable, index=index, **kw)


def utc(moment: datetime) -> datetime:
    """A plain UTC datetime for bulk rows (pendulum instances convert slowly, row by row)."""
    return datetime.fromtimestamp(moment.timestamp(), tz=timezone.utc)
