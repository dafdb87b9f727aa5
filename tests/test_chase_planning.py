"""The chase's decisions as pure functions: what is due now, after downtime, in one digest per recipient."""

from __future__ import annotations

import re
from datetime import date

import pendulum

from config.loaders import load_calendar, load_policies
from domain.chase import ItemFacts, Tracked, decide, digests, message_key
from domain.policy import send_window
from domain.reminders import Item
from notifiers.render import ZALO_TEXT_LIMIT, pack, render_digest

CAL, POLICY = load_calendar(), load_policies()["default"]
TZ = "Asia/Ho_Chi_Minh"
LEADER, OFFICE = "Hoàng Minh Cường", "Văn phòng UBND thành phố Hải Phòng"


def at(day: int, month: int = 10, hour: int = 8, minute: int = 0):
    return pendulum.datetime(2025, month, day, hour, minute, tz=TZ)


def lead(key: str, unit: str, due: date | None, task: str = "1", period: str | None = None) -> Item:
    return Item(key, task, unit, "lead", due, period, LEADER, OFFICE)


def run(items, issued_at, as_of, planned_until=None):
    return [decide(Tracked(i, issued_at, planned_until, POLICY), as_of=as_of, calendar=CAL) for i in items]


def test_first_run_sends_the_notice_and_the_latest_due_step_together():
    [d] = run([lead("a", "Sở Tài chính", date(2025, 9, 30))], at(27, 9, 10), at(29, 9))
    assert [s.kind for s in d.steps] == ["notice", "before"]  # D−1 on Monday; D−3 was before issuance
    assert d.escalation is None and d.next_at == at(30, 9)


def test_after_a_three_day_outage_one_message_per_unit_with_the_latest_step():
    items = [lead("a", "Sở Tài chính", date(2025, 10, 15)), lead("b", "Sở Tài chính", date(2025, 10, 17), task="2"),
             lead("c", "Sở Nội vụ", date(2025, 10, 14), task="3")]
    # notices went on 1/10; the chase was down 13, 14 and 15/10 and runs again on 16/10
    decisions = run(items, at(1, hour=9), at(16), planned_until=at(10))
    kinds = {d.tracked.item.key: [s.kind for s in d.steps] for d in decisions}
    assert kinds == {"a": ["overdue"], "b": ["before"], "c": ["overdue"]}  # never before+due+overdue in a burst
    found = digests(decisions)
    assert [(g.recipient, len(g.steps)) for g in found] == [("unit:Sở Nội vụ", 1), ("unit:Sở Tài chính", 2)]
    again = run(items, at(1, hour=9), at(16), planned_until=at(16))
    assert all(not d.steps and d.escalation is None for d in again)  # the same moment twice sends nothing


def test_escalations_go_to_the_leader_and_the_office_grouped_by_unit():
    items = [lead("a", "Sở Tài chính", date(2025, 9, 30)), lead("b", "Sở Nội vụ", date(2025, 9, 30), task="2")]
    decisions = run(items, at(1, 9), at(3), planned_until=at(2))
    found = {g.recipient: g for g in digests(decisions)}
    assert set(found) == {"unit:Sở Nội vụ", "unit:Sở Tài chính", f"person:{LEADER}", f"office:{OFFICE}"}
    assert [s.item.unit for s in found[f"person:{LEADER}"].steps] == ["Sở Nội vụ", "Sở Tài chính"]
    rendered = render_digest(found[f"office:{OFFICE}"], facts=_facts(items), as_of=at(3), calendar=CAL,
                             public_url="https://dondoc.haiphong.gov.vn")
    assert "2 nhiệm vụ của 2 đơn vị" in rendered.title
    assert "1. Sở Nội vụ (1 nhiệm vụ)" in rendered.text and "Đã quá hạn 3 ngày làm việc." in rendered.text


def test_a_replay_of_an_earlier_moment_decides_nothing_and_keeps_the_next_step():
    [d] = run([lead("a", "Sở Tài chính", date(2025, 10, 15))], at(1, hour=9), at(2), planned_until=at(10))
    assert d.steps == () and d.escalation is None and d.next_at == at(14)  # D−1; D−3 (10/10) was decided


def test_coordinating_units_get_the_notice_only():
    item = Item("c", "1", "Sở Nội vụ", "coordinating", date(2025, 9, 30), None, LEADER, OFFICE)
    [d] = run([item], at(29, 9, 10), at(29, 9, 10))
    assert [s.kind for s in d.steps] == ["notice"] and d.next_at is None
    [later] = run([item], at(29, 9, 10), at(7), planned_until=at(29, 9, 10))
    assert later.steps == () and later.escalation is None


def test_a_daily_report_is_due_every_working_day():
    item = lead("x", "Xã An Thành", None, task="3", period="daily")
    [d] = run([item], at(27, 9, 10), at(29, 9))
    assert [s.kind for s in d.steps] == ["notice", "due"] and d.next_at == at(30, 9)
    [friday] = run([item], at(27, 9, 10), at(3), planned_until=at(2))
    assert [s.kind for s in friday.steps] == ["due"] and friday.next_at == at(6)  # Monday after the weekend


def test_message_keys_are_stable_short_and_alphanumeric():
    decisions = run([lead("a", "Sở Tài chính", date(2025, 9, 30))], at(27, 9, 10), at(29, 9))
    [digest] = digests(decisions)
    key = message_key(recipient=digest.recipient, address="mailto://x", run_day=date(2025, 9, 29), steps=digest.steps)
    assert key == message_key(recipient=digest.recipient, address="mailto://x", run_day=date(2025, 9, 29),
                              steps=tuple(reversed(digest.steps)))
    assert re.fullmatch(r"dd20250929[0-9a-f]{26}", key)  # fits ZNS's tracking_id (≤ 48 alphanumerics)
    assert key != message_key(recipient=digest.recipient, address="json://y", run_day=date(2025, 9, 29),
                              steps=digest.steps)


def test_quiet_hours_move_a_message_to_the_next_opening():
    assert send_window(at(3, hour=9), calendar=CAL, policy=POLICY) == at(3, hour=9)
    assert send_window(at(3, hour=18), calendar=CAL, policy=POLICY) == at(6, hour=7, minute=30)  # Friday → Monday
    assert send_window(at(6, hour=6), calendar=CAL, policy=POLICY) == at(6, hour=7, minute=30)
    assert send_window(pendulum.datetime(2025, 9, 1, 9, tz=TZ), calendar=CAL, policy=POLICY) == \
        pendulum.datetime(2025, 9, 3, 7, 30, tz=TZ)  # 1–2/9/2025: National Day holidays
    loud = POLICY.model_copy(update={"quiet_hours": False})
    assert send_window(at(3, hour=18), calendar=CAL, policy=loud) == at(3, hour=18)


def test_a_long_digest_is_split_for_zalo_at_item_boundaries():
    items = [lead(f"k{n}", "Xã An Thành", date(2025, 10, 15), task=str(n)) for n in range(1, 31)]
    [digest] = digests(run(items, at(1, hour=9), at(1, hour=9)))
    rendered = render_digest(digest, facts=_facts(items, content="Rà soát, cập nhật số liệu chuyển đổi số " * 6),
                             as_of=at(1, hour=9), calendar=CAL, public_url="https://dondoc.haiphong.gov.vn")
    parts = rendered.zalo_parts
    assert len(parts) > 1 and all(len(p) <= ZALO_TEXT_LIMIT for p in parts)
    assert all(p.endswith(f"(phần {i}/{len(parts)})") for i, p in enumerate(parts, 1))
    joined = "\n".join(parts)
    assert all(f"{n}. [Giao nhiệm vụ mới] Văn bản 9395/VP-VX, mục {n}" in joined for n in range(1, 31))
    assert parts[0].startswith("[Đôn đốc] Thông báo giao 30 nhiệm vụ")  # Zalo has no title: the first part says it
    assert pack(["a" * 10, "b" * 10], 2000) == ("a" * 10 + "\n\n" + "b" * 10,)


def test_text_typed_by_people_is_escaped_in_the_email_html():
    items = [lead("a", "Sở Tài chính", date(2025, 10, 15))]
    [digest] = digests(run(items, at(1, hour=9), at(1, hour=9)))
    rendered = render_digest(digest, facts=_facts(items, content='<script>alert("x")</script> & <b>'),
                             as_of=at(1, hour=9), calendar=CAL, public_url="https://dondoc.haiphong.gov.vn")
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert '<script>alert("x")</script>' in rendered.text  # plain text stays as typed
    assert rendered.data["items"][0]["deadline"] == {"written": "trước ngày 15/10/2025", "due": "2025-10-15",
                                                     "effective_due": "2025-10-15", "period": None}


def _facts(items, content="Rà soát các nhiệm vụ được giao"):
    return {i.key: ItemFacts("9c313712-ad6e-4132-9588-97b845ce7a7f", "9395/VP-VX", i.task, content,
                             f"trước ngày {i.due.day}/{i.due.month}/{i.due.year}" if i.due else "hằng ngày", i.due,
                             "so-tai-chinh", i.unit) for i in items}
