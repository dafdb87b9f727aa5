"""The deadline grammar over every form of DOMAIN.md, including effective due dates on days off."""

from __future__ import annotations

import calendar as cal
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.loaders import load_calendar
from domain.deadlines import parse_deadline
from domain.errors import DeadlineError

CAL = load_calendar()


@pytest.mark.parametrize(
    ("written", "kind", "due", "effective", "period"),
    [
        ("30/9/2025", "date", "2025-09-30", "2025-09-30", None),
        ("trước ngày 30/9/2025", "date", "2025-09-30", "2025-09-30", None),
        ("trước ngày 15/10/2025", "date", "2025-10-15", "2025-10-15", None),
        ("18/10/2025", "date", "2025-10-18", "2025-10-20", None),  # Saturday → Monday
        ("Tháng 3/2026", "date", "2026-03-31", "2026-03-31", None),
        ("trong tháng 11/2025", "date", "2025-11-30", "2025-12-01", None),  # DOMAIN.md's own example
        ("12/2026", "date", "2026-12-31", "2026-12-31", None),
        ("Quý I/2026", "date", "2026-03-31", "2026-03-31", None),
        ("Quý 1/2026", "date", "2026-03-31", "2026-03-31", None),
        ("Trong Quý I/2026", "date", "2026-03-31", "2026-03-31", None),
        ("Quý IV/2025", "date", "2025-12-31", "2025-12-31", None),
        ("trong năm 2025", "date", "2025-12-31", "2025-12-31", None),
        ("Năm 2026", "date", "2026-12-31", "2026-12-31", None),
        ("Thường xuyên", "ongoing", None, None, "monthly"),
        ("hằng ngày", "recurring", None, None, "daily"),
        ("hàng ngày", "recurring", None, None, "daily"),
        ("hằng tháng", "recurring", None, None, "monthly"),
        ("hằng quý", "recurring", None, None, "quarterly"),
        ("định kỳ 6 tháng", "recurring", None, None, "half_yearly"),
        ("Theo thời gian trong Kế hoạch và các Thông báo", "unresolved", None, None, None),
        # OCR damage as in the seeds
        ("Quy I/2026", "date", "2026-03-31", "2026-03-31", None),
        ("quy 111/2025", "date", "2025-09-30", "2025-09-30", None),
        ("Quy I11/2025", "date", "2025-09-30", "2025-09-30", None),
        ("truoc ngay 30/9/2025", "date", "2025-09-30", "2025-09-30", None),
        ("Thuong xuyén", "ongoing", None, None, "monthly"),
        ("Thang 3/2026", "date", "2026-03-31", "2026-03-31", None),
        # days off: public holidays move the effective date to the next working day
        ("2/9/2025", "date", "2025-09-02", "2025-09-03", None),
        ("30/4/2026", "date", "2026-04-30", "2026-05-04", None),
        ("Quý II/2026", "date", "2026-06-30", "2026-06-30", None),
        ("ngày 30 tháng 9 năm 2025", "date", "2025-09-30", "2025-09-30", None),
    ],
)
def test_every_written_form(written, kind, due, effective, period):
    got = parse_deadline(written, calendar=CAL).as_json()
    assert got == {"kind": kind, "due": due, "effective_due": effective, "period": period}


@pytest.mark.parametrize("written", ["31/4/2026", "29/2/2025", "32/1/2026", "13/2026", "Quý V/2026", "0/5/2026", "abc", "", "  "])
def test_impossible_or_unreadable_is_an_error_never_a_guess(written):
    with pytest.raises(DeadlineError):
        parse_deadline(written, calendar=CAL)


def test_issue_date_gives_recurring_tasks_their_first_due_day():
    # seed 002 was to be issued on a Saturday: the first daily update is due Monday
    daily = parse_deadline("hằng ngày", calendar=CAL, issued_on=date(2025, 9, 27))
    assert (daily.due, daily.effective_due) == (date(2025, 9, 29), date(2025, 9, 29))
    # a monthly report is due on the month's last working day (30/11/2025 is a Sunday)
    monthly = parse_deadline("Thường xuyên", calendar=CAL, issued_on=date(2025, 11, 3))
    assert (monthly.due, monthly.effective_due) == (date(2025, 11, 30), date(2025, 11, 28))


def test_date_without_year_takes_the_year_of_issue_and_needs_it():
    assert parse_deadline("trước ngày 30/9", calendar=CAL, issued_on=date(2025, 9, 1)).due == date(2025, 9, 30)
    with pytest.raises(DeadlineError, match="năm"):
        parse_deadline("trước ngày 30/9", calendar=CAL)


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@given(days, st.sampled_from(["{d}/{m}/{y}", "trước ngày {d}/{m}/{y}", "{d:02d}/{m:02d}/{y}", "truoc ngay {d}.{m}.{y}"]))
def test_day_round_trip(day, template):
    parsed = parse_deadline(template.format(d=day.day, m=day.month, y=day.year), calendar=CAL)
    assert parsed.due == day
    assert parsed.effective_due >= day and CAL.is_working_day(parsed.effective_due)
    assert (parsed.effective_due == day) == CAL.is_working_day(day)


@given(days)
def test_month_end(day):
    parsed = parse_deadline(f"Tháng {day.month}/{day.year}", calendar=CAL)
    assert parsed.due == date(day.year, day.month, cal.monthrange(day.year, day.month)[1])


@given(days, st.sampled_from(["I", "II", "III", "IV", "1", "2", "3", "4"]))
def test_quarter_end(day, q):
    parsed = parse_deadline(f"Quý {q}/{day.year}", calendar=CAL)
    n = {"I": 1, "II": 2, "III": 3, "IV": 4}.get(q) or int(q)
    assert parsed.due == date(day.year, 3 * n, cal.monthrange(day.year, 3 * n)[1])
    assert parsed.due.month in (3, 6, 9, 12)
