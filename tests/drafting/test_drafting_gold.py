"""The gold and expected-draft files hold together: registry names, deadlines the grammar reads the same
way, line numbers inside their sources, titles found in the letters, seed 002 equal to the spec example."""

from __future__ import annotations

import unicodedata

import pytest
import yaml
from gold import (
    GOLD,
    LETTERS,
    SOURCES,
    load,
    norm_ref,
    not_canonical,
    score,
    source_of,
    unit_keys,
)

from config.loaders import load_calendar, load_registry

REGISTRY = load_registry()
CALENDAR = load_calendar()
FILES = sorted(GOLD.glob("*.yaml")) + sorted(LETTERS.glob("*.yaml"))
SPEC = SOURCES / "directive.example.yaml"

DIRECTIVE_KEYS = {"number", "kind", "issued_on", "issuer", "signer", "signer_title", "leader_in_charge",
                  "subject", "implements", "implements_mentioned", "recipients", "addressees", "lines",
                  "monitoring_rule"}
TASK_KEYS = {"ref", "section", "lines", "title", "leader", "lead", "coordinating", "output", "deadline",
             "deadline_kind", "due", "period", "report_to", "uncertain", "note", "unreadable", "absent"}


def ids(paths):
    return [p.parent.name + "/" + p.stem for p in paths]


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_schema(path):
    data = load(path)
    assert set(data) <= {"source", "directive", "absent", "uncertain", "tasks"}, set(data)
    assert source_of(path).exists()
    assert set(data["directive"]) <= DIRECTIVE_KEYS, set(data["directive"]) - DIRECTIVE_KEYS
    for name in data.get("absent") or []:
        assert data["directive"][name] in (None, []), f"{name} is listed absent but has a value"
    refs = [norm_ref(t["ref"]) for t in data["tasks"]]
    assert len(refs) == len(set(refs)), "two rows with one ref"
    for task in data["tasks"]:
        assert set(task) <= TASK_KEYS, set(task) - TASK_KEYS
        assert set(task.get("uncertain") or []) <= TASK_KEYS
        if task.get("unreadable"):
            assert task.get("note") and task["lead"] is None and task["deadline"] is None
        elif task["deadline"] is None:
            assert task.get("absent") == ["deadline"] and task["deadline_kind"] is None


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_unit_names_are_the_registrys(path):
    for task in load(path)["tasks"]:
        for key in ("lead", "coordinating"):
            for name in task.get(key) or []:
                found = REGISTRY.resolve(name)
                if found.kind == "vague":
                    assert any(ord(c) > 127 for c in name), f"{name!r}: a vague phrase keeps its diacritics"
                else:
                    assert found.name == name, f"row {task['ref']}: {name!r} is spelled {found.name!r} in the registry"


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_deadlines_read_as_the_grammar_reads_them(path):
    data = load(path)
    gold_as_draft = {"tasks": [{"ref": t["ref"], "lead": t["lead"], "deadline": t["deadline"]} for t in data["tasks"]]}
    result = score(gold_as_draft, data, registry=REGISTRY, calendar=CALENDAR,
                   flagged=[t["ref"] for t in data["tasks"] if t.get("unreadable")])
    readable = [t for t in data["tasks"] if not t.get("unreadable")]
    assert len(result.matched) == len(readable), result.misses
    assert not result.silent and not result.extra


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_lines_lie_inside_the_source_and_letter_titles_are_in_the_text(path):
    data = load(path)
    text = unicodedata.normalize("NFC", source_of(path).read_text(encoding="utf-8"))
    count = len(text.split("\n"))
    for task in data["tasks"]:
        first, last = task["lines"]
        assert 1 <= first <= last <= count, task["ref"]
    if path.parent == LETTERS:
        flat = " ".join(text.split())
        for task in data["tasks"]:
            title = task["title"].split("…")[0].strip()
            assert title.lower() in flat.lower(), f"row {task['ref']}: title not in the letter"


def test_seed_002_gold_is_the_spec_example():
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    gold = load(GOLD / "002.yaml")
    assert [norm_ref(t["ref"]) for t in gold["tasks"]] == [norm_ref(t["ref"]) for t in spec["tasks"]]
    result = score(spec, gold, registry=REGISTRY, calendar=CALENDAR)
    assert result.ratio == 1.0, result.misses
    for mine, theirs in zip(gold["tasks"], spec["tasks"], strict=True):
        assert unit_keys(mine["coordinating"], REGISTRY) == unit_keys(theirs.get("coordinating") or [], REGISTRY)


def test_score_counts_misses_and_catches_silent_ones():
    gold = load(GOLD / "003.yaml")
    draft = {"tasks": [{"ref": t["ref"], "lead": t["lead"], "deadline": t["deadline"]} for t in gold["tasks"]]}
    draft["tasks"][0]["lead"] = ["Sở Tài chính"]
    draft["tasks"][5]["deadline"] = "15/12/2025"  # a guess where the text defers to other documents
    draft["tasks"].append({"ref": "STT 11", "lead": ["Sở Y tế"], "deadline": "Quý I/2026"})
    result = score(draft, gold, flagged=["1"], registry=REGISTRY, calendar=CALENDAR)
    assert result.rows == 10 and result.ratio == 0.8
    assert set(result.misses) == {"1", "6"} and result.silent == ["6"] and result.extra == ["11"]


def test_ocr_spelling_in_a_draft_is_caught():
    draft = {"tasks": [{"ref": "1", "lead": ["S¢ Khoa hoc va Cong nghé"], "coordinating": ["Sở Tài chính"]}]}
    assert not_canonical(draft, REGISTRY) == ["1: 'S¢ Khoa hoc va Cong nghé' (registry: 'Sở Khoa học và Công nghệ')"]
