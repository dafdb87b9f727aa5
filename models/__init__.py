"""SQLModel tables of dondoc; importing this package registers every table on SQLModel.metadata."""

from models.directives import (  # noqa: F401
    Assignment,
    AssignmentStatus,
    Directive,
    DirectiveStatus,
    Extension,
    Report,
    Task,
)
from models.messaging import Event, Lock, OutboxMessage, OutboxStatus, ReminderStep, ZaloToken  # noqa: F401
from models.units import Person, Unit, UnitGroup, UnitGroupMember  # noqa: F401
