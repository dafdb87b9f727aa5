"""Reminder policies as data, and the moment an assignment notice goes out."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from functools import lru_cache

import pendulum
from pydantic import BaseModel, ConfigDict, Field

from domain.workdays import WorkCalendar

TZ = pendulum.timezone("Asia/Ho_Chi_Minh")
# Việt Nam keeps UTC+7 all year (no daylight saving): for the many step moments of a chase a fixed offset is
# exact and far cheaper to build than a zone-aware pendulum DateTime.
ICT = timezone(timedelta(hours=7), "+07")


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
    quiet_hours: bool = Field(default=True, description="Nothing leaves outside office hours of a working day")


@lru_cache(maxsize=4096)  # the same for every assignment of a directive, and asked for each of them
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


def in_office_hours(moment: datetime, *, calendar: WorkCalendar, policy: ReminderPolicy) -> bool:
    local = pendulum.instance(moment).in_timezone(TZ)
    start, end = policy.office_hours
    return calendar.is_working_day(local.date()) and start <= local.time() < end


def send_window(moment: datetime, *, calendar: WorkCalendar, policy: ReminderPolicy) -> datetime:
    """The moment itself when a message may leave then, else the next opening of office hours."""
    if not policy.quiet_hours or in_office_hours(moment, calendar=calendar, policy=policy):
        return moment
    local = pendulum.instance(moment).in_timezone(TZ)
    start = policy.office_hours[0]
    day = local.date()
    if not (calendar.is_working_day(day) and local.time() < start):
        day = calendar.on_or_after(day + timedelta(days=1))
    return pendulum.datetime(day.year, day.month, day.day, start.hour, start.minute, tz=TZ)
