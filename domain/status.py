"""Statuses people see (chưa đến hạn … đã hủy), derived from stored facts and `as_of`."""

from __future__ import annotations

from collections import Counter
from datetime import date

from domain.workdays import WorkCalendar

SOON_WORKING_DAYS = 3  # "sắp đến hạn" from D−3, when the first reminder goes out

LABELS = {
    "draft": "dự thảo",
    "not_due": "chưa đến hạn",
    "ongoing": "đang thực hiện",
    "soon": "sắp đến hạn",
    "due": "đến hạn",
    "overdue": "quá hạn",
    "done_on_time": "hoàn thành đúng hạn",
    "done_late": "hoàn thành quá hạn",
    "extended": "đã gia hạn",
    "cancelled": "đã hủy",
    "unscheduled": "chờ xác định thời hạn",
}


def assignment_status(*, status: str, due: date | None, deadline_kind: str, closed_on: date | None,
                      extended: bool, as_of: date, calendar: WorkCalendar) -> str:
    """The status key of one assignment on day `as_of` (see LABELS)."""
    if status == "cancelled":
        return "cancelled"
    if status == "done":
        return "done_late" if due and closed_on and closed_on > due else "done_on_time"
    if due is None:
        return "unscheduled" if deadline_kind == "unresolved" else "ongoing"
    if as_of > due:
        return "overdue"
    if extended:
        return "extended"
    if as_of == due:
        return "due"
    if calendar.working_days_between(as_of, due) <= SOON_WORKING_DAYS:
        return "soon"
    return "not_due"


def roll_up(statuses: list[str]) -> dict[str, int]:
    """Counts per status key, in the order of LABELS, zeros left out."""
    counts = Counter(statuses)
    return {key: counts[key] for key in LABELS if counts[key]}
