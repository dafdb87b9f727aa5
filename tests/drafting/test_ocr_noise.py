"""ocr_noise.damage: deterministic by seed, seed-like damage at level 1, lines kept roughly, names still findable."""

from __future__ import annotations

import re
import unicodedata

import pytest
from gold import LETTERS
from ocr_noise import damage, damage_with_map

from config.loaders import load_registry
from domain.errors import UnknownUnitError

TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in sorted(LETTERS.glob("*.txt"))}


def marked_share(text: str) -> float:
    """Share of letters that carry a Vietnamese mark (or are đ)."""
    letters = [c for c in text if c.isalpha()]
    marked = [c for c in letters if c in "đĐ" or len(unicodedata.normalize("NFD", c)) > 1]
    return len(marked) / len(letters)


@pytest.mark.parametrize("name", TEXTS)
def test_same_seed_same_damage_other_seed_other_damage(name):
    text = TEXTS[name]
    assert damage(text, 7) == damage(text, 7)
    assert damage(text, 7) != damage(text, 8)
    assert damage(text, 7, 0) == text


@pytest.mark.parametrize("name", TEXTS)
def test_level_one_strips_most_marks_and_keeps_the_line_count_roughly(name):
    text = TEXTS[name]
    before = len(text.split("\n"))
    damaged, origin = damage_with_map(text, 11, 1.0)
    lines = damaged.split("\n")
    assert len(lines) == len(origin)
    assert 0.95 * before <= len(lines) <= 1.35 * before
    assert set(origin) - {0} == set(range(1, before + 1))  # every source line is still there, in order
    assert [n for n in origin if n] == sorted(n for n in origin if n)
    assert marked_share(damaged) < 0.25 * marked_share(text)
    light = damage(text, 11, 0.3)
    assert marked_share(damaged) < marked_share(light) < marked_share(text)


def test_the_seeds_own_confusions_appear():
    text = "\n".join(TEXTS.values()) * 3
    damaged = damage(text, 1, 1.0)
    for mark in ("é", "¢", "s6", " 1a ", "Quy "):
        assert mark in damaged, mark
    assert "Pang" in damage("Đảng " * 40, 3), "Đ read as P"
    assert re.search(r"\b1[1I]?/20\d\d|\b11I\.", damaged + damage("III. Quý III/2025", 2)), "Roman I read as 1"


def test_dates_mostly_survive():
    text = "\n".join(TEXTS.values())
    dates = re.findall(r"\b\d{1,2}/\d{1,2}/\d{4}\b", text)
    damaged = damage(text, 5, 1.0)
    kept = [d for d in dates if d in damaged]
    assert len(kept) >= 0.8 * len(dates)


def test_damaged_unit_names_resolve_right_or_not_at_all():
    """The registry's OCR tolerance on this noise: most names resolve, none to the wrong unit."""
    registry = load_registry()
    names = [u.name for u in registry.units.values() if u.kind != "commune"] + list(registry.groups)
    right = 0
    for seed in range(5):
        for name in names:
            try:
                found = registry.resolve(damage(name, seed, 1.0)).name
            except UnknownUnitError:
                continue
            assert found == name
            right += 1
    assert right >= 0.6 * 5 * len(names)
