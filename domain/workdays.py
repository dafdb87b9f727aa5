"""The working-day calendar: Monday–Friday, minus public holidays and swapped days off, plus make-up days."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked; built by config.calendar from `holidays` and the yearly override file."""

    days_off: frozenset[date] = field(default_factory=frozenset)
    makeup_days: frozenset[date] = field(default_factory=frozenset)
    names: dict[date, str] = field(default_factory=dict, compare=False, hash=False)

    def __hash__(self) -> int:  # computed once: calendars key the caches of the planning's hot paths
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.days_off, self.makeup_days))
            object.__setattr__(self, "_hash", cached)
        return cached

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_days:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def on_or_after(self, day: date) -> date:
        """The day itself if worked, else the next working day (Civil Code art. 148(5) for deadlines)."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def on_or_before(self, day: date) -> date:
        """The day itself if worked, else the working day before it (where reminders move)."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after (n > 0) or before (n < 0) `day`; n == 0 gives `day` itself."""
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start. Counted, not walked: a chase asks
        this for every item of every digest, some overdue for months."""
        if end < start:
            return -self.working_days_between(end, start)
        off, extra = self._sorted()
        weekday_offs = bisect_right(off, end) - bisect_right(off, start)
        weekend_makeups = bisect_right(extra, end) - bisect_right(extra, start)
        return _weekdays(start, end) - weekday_offs + weekend_makeups

    def _sorted(self) -> tuple[list[date], list[date]]:
        """Days off that fall on weekdays, and make-up days that fall on weekends, sorted (built once)."""
        cached = self.__dict__.get("_sorted_days")
        if cached is None:
            cached = (sorted(d for d in self.days_off if d.weekday() < 5 and d not in self.makeup_days),
                      sorted(d for d in self.makeup_days if d.weekday() >= 5))
            object.__setattr__(self, "_sorted_days", cached)
        return cached

    def why_off(self, day: date) -> str | None:
        """Why a day is not worked, in Vietnamese, or None when it is worked."""
        if self.is_working_day(day):
            return None
        return self.names.get(day) or ("Chủ nhật" if day.weekday() == 6 else "Thứ Bảy")


def _weekdays(start: date, end: date) -> int:
    """Monday–Friday days in (start, end]."""
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    first = (start.weekday() + 1) % 7
    return weeks * 5 + sum(1 for i in range(rest) if (first + i) % 7 < 5)
