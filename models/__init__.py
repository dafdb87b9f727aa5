"""SQLModel tables of dondoc; importing this package registers every table on SQLModel.metadata."""

from models.directives import Assignment, AssignmentStatus, Directive, DirectiveStatus, Task  # noqa: F401
from models.messaging import Event, Lock, OutboxMessage, OutboxStatus, ReminderStep, ZaloToken  # noqa: F401
from models.reporting import Extension, Report, ReportLink  # noqa: F401
from models.units import Person, Unit, UnitGroup, UnitGroupMember  # noqa: F401
