"""The working-day calendar and the units registry as the city configures them."""

from __future__ import annotations

from datetime import date

import pytest

from config.loaders import build_calendar, load_calendar, load_registry
from domain.errors import UnknownUnitError

CAL = load_calendar()
REG = load_registry()


def test_public_holidays_swapped_days_and_make_up_saturdays():
    assert not CAL.is_working_day(date(2025, 9, 2))  # Quốc khánh
    assert not CAL.is_working_day(date(2025, 5, 2))  # swapped day off
    assert CAL.is_working_day(date(2025, 4, 26))  # make-up Saturday from config
    assert not CAL.is_working_day(date(2026, 2, 17))  # Tết
    assert CAL.on_or_after(date(2025, 11, 30)) == date(2025, 12, 1)
    assert CAL.on_or_before(date(2025, 9, 2)) == date(2025, 8, 29)
    assert CAL.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 3)
    assert CAL.add_working_days(date(2025, 9, 30), -3) == date(2025, 9, 25)


def test_override_file_adds_days_off():
    extra = build_calendar({"days_off": {"2025-10-10": "Nghỉ đột xuất"}})
    assert not extra.is_working_day(date(2025, 10, 10))
    assert extra.why_off(date(2025, 10, 10)) == "Nghỉ đột xuất"


def test_registry_has_the_real_units_of_hai_phong():
    communes = [u for u in REG.units.values() if u.kind == "commune"]
    assert len(communes) == 114
    assert sum(u.commune_type == "xa" for u in communes) == 67
    assert sum(u.commune_type == "phuong" for u in communes) == 45
    assert sum(u.commune_type == "dac_khu" for u in communes) == 2
    assert len(REG.groups["UBND các xã, phường, đặc khu"].members) == 114


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Sé Tai chinh", "Sở Tài chính"),
        ("S¢ Khoa hoc va Cong nghé", "Sở Khoa học và Công nghệ"),
        ("Sở KH&CN", "Sở Khoa học và Công nghệ"),
        ("Cong an thanh pho", "Công an thành phố"),
        ("Văn phòng HĐND thành phố", "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân thành phố"),
        ("UBND xã An Thành", "Xã An Thành"),
        ("Phuong Thuy Nguyen", "Phường Thủy Nguyên"),
        ("So\u0309 Tài chính", "Sở Tài chính"),  # NFD input
        ("Ủy ban nhân dân các xã, phường, đặc khu", "UBND các xã, phường, đặc khu"),
    ],
)
def test_names_as_written_resolve(written, name):
    assert REG.resolve(written).name == name


def test_lists_split_where_names_end():
    got = REG.resolve_list("Sở KH&CN, Sở Văn hóa, Thể thao và Du lịch và UBND các xã, phường, đặc khu")
    assert [r.name for r in got] == ["Sở Khoa học và Công nghệ", "Sở Văn hóa, Thể thao và Du lịch", "UBND các xã, phường, đặc khu"]
    assert [r.name for r in REG.resolve_list(["UBND các xã", "phường", "đặc khu"])] == ["UBND các xã, phường, đặc khu"]
    assert [r.kind for r in REG.resolve_list("Sở Tài chính; Các đơn vị liên quan")] == ["unit", "vague"]


def test_a_long_name_never_swallows_the_names_after_it():
    # found by the soak: a fuzzy match of the whole list took it for its first, longest name alone
    delegation = "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân thành phố"
    assert [r.name for r in REG.resolve_list([delegation, "Sở Y tế"])] == [delegation, "Sở Y tế"]
    got = REG.resolve_list([delegation, "Sở Văn hóa, Thể thao và Du lịch", "Sở Y tế"])
    assert [r.name for r in got] == [delegation, "Sở Văn hóa, Thể thao và Du lịch", "Sở Y tế"]
    assert [r.name for r in REG.resolve_list("Sở Tài chínhh, Sở Y tế")] == ["Sở Tài chính", "Sở Y tế"]  # a typo


def test_unknown_unit_lists_close_matches():
    with pytest.raises(UnknownUnitError) as info:
        REG.resolve("Sở Giao thông vận tải")
    assert info.value.suggestions and "Sở Giao thông vận tải" in str(info.value)


def test_working_days_are_counted_as_a_walk_would_count_them():
    import random
    from datetime import timedelta

    from config.loaders import load_calendar

    calendar, rng = load_calendar(), random.Random(57)
    for _ in range(3000):
        a = date(2024, 1, 1) + timedelta(days=rng.randint(0, 2300))
        b = a + timedelta(days=rng.randint(-400, 400))
        lo, hi = sorted((a, b))
        walked = sum(calendar.is_working_day(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
        assert calendar.working_days_between(a, b) == (walked if a <= b else -walked), (a, b)
