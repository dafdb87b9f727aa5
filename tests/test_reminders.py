"""Reminder planning (pure): the default policy of DOMAIN.md, step by step, for the example letter."""

from __future__ import annotations

import json
from datetime import date

import pendulum

from config.loaders import load_calendar, load_policies
from conftest import EXAMPLES
from domain.reminders import Item, latest_due, timeline, unit_steps

CAL, POLICY = load_calendar(), load_policies()["default"]
OFFICE, LEADER = "Văn phòng UBND thành phố Hải Phòng", "Hoàng Minh Cường"


def at(day: int, month: int = 10, hour: int = 8):
    return pendulum.datetime(2025, month, day, hour, 0, tz="Asia/Ho_Chi_Minh")


def seed_002_items():
    return [
        Item("a1", "1", "Sở Khoa học và Công nghệ", "lead", date(2025, 9, 30), None, LEADER, OFFICE),
        Item("a2", "1", "Xã An Thành", "coordinating", date(2025, 9, 30), None, LEADER, OFFICE),
        Item("a3", "2", "Sở Tài chính", "lead", date(2025, 10, 15), None, LEADER, OFFICE),
        Item("a4", "2", "Sở Khoa học và Công nghệ", "coordinating", date(2025, 10, 15), None, LEADER, OFFICE),
    ]


SKHCN, STC, XA = "Sở Khoa học và Công nghệ", "Sở Tài chính", "Xã An Thành"
# 9395/VP-VX signed Saturday 27/9/2025; deadlines 30/9 and 15/10; nobody ever reports. Every message to the
# departments, the leader in charge and the issuing office up to 22/10, day by day (the communes' daily
# reports come on top: tests/test_simulate.py).
LETTER_WINDOW = [
    # Monday: the notice (signed on a day off) with the "1 day left" of the same run; D−3 (25/9) was before
    # issuance and is skipped
    ("29/09", SKHCN, (("1", "notice"), ("1", "before"), ("2", "notice"))),
    ("29/09", STC, (("2", "notice"),)),
    ("30/09", SKHCN, (("1", "due"),)),
    ("01/10", SKHCN, (("1", "overdue"),)),  # D+1
    ("03/10", LEADER, (("1", "escalation"),)),  # D+3 to the leader in charge…
    ("03/10", SKHCN, (("1", "overdue"),)),  # …then every 2 working days
    ("03/10", OFFICE, (("1", "escalation"),)),  # …and to the issuing office
    ("07/10", SKHCN, (("1", "overdue"),)),
    ("09/10", SKHCN, (("1", "overdue"),)),
    ("10/10", LEADER, (("1", "escalation"),)),  # D+8: every 5 working days
    ("10/10", STC, (("2", "before"),)),  # D−3 of 15/10
    ("10/10", OFFICE, (("1", "escalation"),)),
    ("13/10", SKHCN, (("1", "overdue"),)),
    ("14/10", STC, (("2", "before"),)),  # D−1
    ("15/10", SKHCN, (("1", "overdue"),)),
    ("15/10", STC, (("2", "due"),)),
    ("16/10", STC, (("2", "overdue"),)),
    ("17/10", LEADER, (("1", "escalation"),)),
    ("17/10", SKHCN, (("1", "overdue"),)),
    ("17/10", OFFICE, (("1", "escalation"),)),
    ("20/10", LEADER, (("2", "escalation"),)),
    ("20/10", STC, (("2", "overdue"),)),
    ("20/10", OFFICE, (("2", "escalation"),)),
    ("21/10", SKHCN, (("1", "overdue"),)),
    ("22/10", STC, (("2", "overdue"),)),
]


def test_letter_signed_on_a_saturday_day_by_day():
    messages = timeline(seed_002_items(), issued_at=at(27, 9, 10), until=date(2025, 10, 22), calendar=CAL,
                        policy=POLICY)
    got = [(m.at.strftime("%d/%m"), m.to, m.items) for m in messages]
    assert got == LETTER_WINDOW[:2] + [("29/09", XA, (("1", "notice"),))] + LETTER_WINDOW[2:]  # coordinating: notice only


def test_issued_two_days_before_the_deadline_sends_no_three_days_left():
    item = Item("a", "1", "Sở Tài chính", "lead", date(2025, 10, 15))
    kinds = [(s.at.date(), s.kind) for s in unit_steps(item, issued_at=at(13, hour=10), until=date(2025, 10, 15),
                                                        calendar=CAL, policy=POLICY)]
    assert kinds == [(date(2025, 10, 13), "notice"), (date(2025, 10, 14), "before"), (date(2025, 10, 15), "due")]


def test_after_downtime_only_the_latest_step_is_due():
    item = Item("a", "1", "Sở Tài chính", "lead", date(2025, 10, 15))
    steps = list(unit_steps(item, issued_at=at(1), until=date(2025, 10, 31), calendar=CAL, policy=POLICY))
    # the chase last ran on 10/10; it was down 13–15/10 and runs again on 16/10
    step = latest_due(steps, after=at(10), as_of=at(16, hour=9))
    assert (step.at.date(), step.kind) == (date(2025, 10, 16), "overdue")
    assert latest_due(steps, after=at(16), as_of=at(16, hour=9)) is None  # nothing twice


def test_monthly_report_is_due_on_each_month_last_working_day():
    item = Item("a", "7", "Sở Y tế", "lead", None, "monthly")
    days = [s.at.date() for s in unit_steps(item, issued_at=at(1), until=date(2025, 12, 31), calendar=CAL,
                                            policy=POLICY) if s.kind == "due"]
    assert days == [date(2025, 10, 31), date(2025, 11, 28), date(2025, 12, 31)]


def test_timeline_command(cli):
    draft = json.loads(cli("import", str(EXAMPLES / "002-cong-van-du-thao.yaml"), "--json", check=True).stdout)
    cli("issue", draft["id"], "--number", "9395/VP-VX", "--issued-on", "2025-09-27", "--as-of", "2025-09-27T10:00",
        check=True)
    messages = json.loads(cli("timeline", "9395/VP-VX", "--until", "2025-10-03", "--json", check=True).stdout)
    skhcn = [m for m in messages if m["to"] == "Sở Khoa học và Công nghệ"]
    assert [m["at"] for m in skhcn] == ["2025-09-29T08:00:00+07:00", "2025-09-30T08:00:00+07:00",
                                        "2025-10-01T08:00:00+07:00", "2025-10-03T08:00:00+07:00"]
    assert skhcn[0]["items"] == [{"task": "1", "kind": "notice"}, {"task": "1", "kind": "before"},
                                 {"task": "2", "kind": "notice"}]
    communes_monday = [m for m in messages if m["at"].startswith("2025-09-29") and m["to"].startswith(("Xã", "Phường", "Đặc khu"))]
    assert len(communes_monday) == 114  # one message per commune, all its items in it
    assert all({"task": "3", "kind": "notice"} in m["items"] for m in communes_monday)
    assert cli("timeline", "không-có").returncode == 1
