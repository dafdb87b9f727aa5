"""Reminder policies as data, and the moment an assignment notice goes out."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pendulum
from pydantic import BaseModel, ConfigDict, Field

from domain.workdays import WorkCalendar

TZ = pendulum.timezone("Asia/Ho_Chi_Minh")


class ReminderPolicy(BaseModel):
    """When units are told and reminded; counts are working days around the effective deadline D."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "default"
    description: str = ""
    step_time: time = time(8, 0)
    office_hours: tuple[time, time] = (time(7, 30), time(17, 0))
    before_days: tuple[int, ...] = Field(default=(3, 1))
    on_due: bool = True
    overdue_first: int = Field(default=1, ge=1)
    overdue_every: int = Field(default=2, ge=1)
    escalation_first: int = Field(default=3, ge=1)
    escalation_every: int = Field(default=5, ge=1)


def notice_at(moment: datetime, *, calendar: WorkCalendar, policy: ReminderPolicy) -> datetime:
    """When the assignment notice for something issued at `moment` goes out.

    At once inside office hours of a working day; otherwise at the step time of the next working day.
    """
    local = pendulum.instance(moment).in_timezone(TZ)
    day, start, end = local.date(), *policy.office_hours
    if calendar.is_working_day(day) and start <= local.time() < end:
        return local
    next_day = day if calendar.is_working_day(day) and local.time() < start else calendar.on_or_after(day + timedelta(days=1))
    return pendulum.datetime(next_day.year, next_day.month, next_day.day, policy.step_time.hour, policy.step_time.minute, tz=TZ)
