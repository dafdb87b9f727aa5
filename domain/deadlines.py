"""The deadline grammar: a deadline as written in a directive → kind, due, effective due and period.

Pure: the working-day calendar and the issuance date come in as arguments.
"""

from __future__ import annotations

import calendar as _cal
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from domain.errors import DeadlineError
from domain.text import fold, nfc, quoted
from domain.workdays import WorkCalendar

Kind = Literal["date", "ongoing", "recurring", "unresolved"]
Period = Literal["daily", "weekly", "monthly", "quarterly", "half_yearly", "yearly"]
MAX_WRITTEN = 300  # characters of a deadline as written (the directive file's limit for short fields)

PERIOD_LABELS: dict[str, str] = {
    "daily": "hằng ngày",
    "weekly": "hằng tuần",
    "monthly": "hằng tháng",
    "quarterly": "hằng quý",
    "half_yearly": "6 tháng một lần",
    "yearly": "hằng năm",
}


@dataclass(frozen=True)
class Deadline:
    """A parsed deadline; `written` keeps the text exactly as the directive has it."""

    written: str
    kind: Kind
    due: date | None = None
    effective_due: date | None = None
    period: Period | None = None

    def as_json(self) -> dict:
        iso = lambda d: d.isoformat() if d else None
        return {"kind": self.kind, "due": iso(self.due), "effective_due": iso(self.effective_due), "period": self.period}


# Words that may precede a date or period without changing its meaning ("trước ngày", "hoàn thành trong").
_LEAD_IN = re.compile(
    r"^(?:(?:thoi gian|thoi han|han|hoan thanh|xong|bao cao|cham nhat|truoc|trong|vao|ngay|den|het|"
    r"cuoi|truoc ngay|trong thoi gian|trong vong|chi|nop|gui)\b[\s:,]*)*"
)
_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{4}))?$")
_DATE_WORDS = re.compile(r"^(\d{1,2}) thang (\d{1,2})(?: nam (\d{4}))?$")
_MONTH = re.compile(r"^(?:thang\s*)?(\d{1,2})\s*(?:/|nam|-)\s*(\d{4})$")
_QUARTER = re.compile(r"^quy\s*([ivxl1|]+|[1-4])\s*(?:/|nam|-)\s*(\d{4})$")
_YEAR = re.compile(r"^nam\s*(\d{4})$")
_WITHIN_DAYS = re.compile(r"^(\d{1,3}) ngay( lam viec)?(?: ke tu (?:ngay )?(?:ban hanh|ky|nhan).*)?$")
_ONGOING = re.compile(r"^thu?o?n?g xuyen$")
_RECURRING = [
    (re.compile(r"^hang ngay$"), "daily"),
    (re.compile(r"^hang tuan$"), "weekly"),
    (re.compile(r"^(?:hang|dinh ky hang|dinh ky) thang$"), "monthly"),
    (re.compile(r"^(?:hang|dinh ky hang|dinh ky) quy$"), "quarterly"),
    (re.compile(r"^(?:dinh ky )?(?:6|sau) thang(?: mot lan| 1 lan)?$"), "half_yearly"),
    (re.compile(r"^(?:hang|dinh ky hang|dinh ky) nam$"), "yearly"),
]
# Deadlines taken from another document: only an operator can set them, never a guess.
_DEFERRED = re.compile(r"^theo (?:thoi gian|tien do|ke hoach|yeu cau|lo trinh|chi dao|quy dinh|van ban)\b")


def parse_deadline(written: str, *, calendar: WorkCalendar, issued_on: date | None = None) -> Deadline:
    """Read a deadline as written; raise DeadlineError for text that is not one or an impossible date."""
    text = nfc(written or "")
    if not text:
        raise DeadlineError("thời hạn để trống")
    if len(text) > MAX_WRITTEN:
        raise DeadlineError(f"thời hạn dài quá {MAX_WRITTEN} ký tự ({len(text)}): {quoted(text)}")
    core = _core(text)

    if _DEFERRED.match(core):
        return Deadline(text, "unresolved")
    if _ONGOING.match(core):
        return _periodic(text, "ongoing", "monthly", calendar, issued_on)
    for pattern, period in _RECURRING:
        if pattern.match(core):
            return _periodic(text, "recurring", period, calendar, issued_on)

    due = _due_date(core, text, issued_on, calendar)
    if due is None:
        raise DeadlineError(f"không đọc được thời hạn “{text}”")
    return Deadline(text, "date", due, calendar.on_or_after(due))


def _core(text: str) -> str:
    """The folded text with lead-in words and trailing punctuation removed."""
    core = fold(text).rstrip(" .;,")
    core = re.sub(r"\s*([/.\-])\s*", r"\1", core)
    core = _LEAD_IN.sub("", core).strip()
    return core


def _due_date(core: str, text: str, issued_on: date | None, calendar: WorkCalendar) -> date | None:
    if m := (_DATE.match(core) or _DATE_WORDS.match(core)):
        day, month, year = int(m[1]), int(m[2]), m[3]
        if year is None:
            if issued_on is None:
                raise DeadlineError(f"“{text}” thiếu năm; cần ngày ban hành (--issued) để suy ra năm")
            due = _make_date(issued_on.year, month, day, text)
            if due < issued_on:  # this year's is already past, next year's is a guess: the writer must say
                raise DeadlineError(f"“{text}” thiếu năm, và ngày {day}/{month}/{issued_on.year} đã qua khi văn bản "
                                    f"ban hành ({issued_on.day}/{issued_on.month}/{issued_on.year}): hãy ghi rõ năm")
            return due
        return _make_date(int(year), month, day, text)
    if m := _MONTH.match(core):
        month, year = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise DeadlineError(f"“{text}”: không có tháng {month}")
        return date(year, month, _cal.monthrange(year, month)[1])
    if m := _QUARTER.match(core):
        quarter, year = _quarter_number(m[1], text), int(m[2])
        month = quarter * 3
        return date(year, month, _cal.monthrange(year, month)[1])
    if m := _YEAR.match(core):
        return date(int(m[1]), 12, 31)
    if m := _WITHIN_DAYS.match(core):
        if issued_on is None:
            raise DeadlineError(f"“{text}” tính từ ngày ban hành; cần ngày ban hành (--issued)")
        n = int(m[1])
        return calendar.add_working_days(issued_on, n) if m[2] else issued_on + timedelta(days=n)
    return None


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DeadlineError(f"“{text}” không phải một ngày có thật (ngày/tháng/năm)") from None


def _quarter_number(token: str, text: str) -> int:
    """Roman or Arabic quarter, tolerant of OCR's 1/l/| for I ("Quy I11/2025" is quarter III)."""
    token = re.sub(r"[l1|]", "i", token.lower())
    value = {"i": 1, "ii": 2, "iii": 3, "iv": 4}.get(token) or (int(token) if token.isdigit() else 0)
    if not 1 <= value <= 4:
        raise DeadlineError(f"“{text}”: quý phải từ I đến IV")
    return value


def period_end(day: date, period: Period) -> date:
    """Last calendar day of the period of `period` kind that contains `day`."""
    if period == "daily":
        return day
    if period == "weekly":
        return day + timedelta(days=6 - day.weekday())
    months = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}[period]
    last_month = ((day.month - 1) // months + 1) * months
    return date(day.year, last_month, _cal.monthrange(day.year, last_month)[1])


def _periodic(text: str, kind: Kind, period: Period, calendar: WorkCalendar, issued_on: date | None) -> Deadline:
    """A recurring report: each period's report is due on the period's last working day."""
    if issued_on is None:
        return Deadline(text, kind, period=period)
    due = period_end(issued_on, period)
    effective = calendar.on_or_before(due)
    while effective < issued_on:  # this period's working days are over: the first report is a later period's
        due = period_end(due + timedelta(days=1), period)
        effective = calendar.on_or_before(due)
    return Deadline(text, kind, due, effective, period)
