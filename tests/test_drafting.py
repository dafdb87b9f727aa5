"""`dondoc draft` (issue 9): letters and plans, clean and OCR'd, drafted into directive files; every value the
text does not give plainly is marked for the operator, none is guessed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES, ROOT, SOURCES

from config.loaders import load_calendar, load_registry
from domain.deadlines import parse_deadline
from drafting.render import draft_yaml
from intake.drafting import draft_letter

sys.path.insert(0, str(ROOT / "tests" / "drafting"))
from gold import GOLD, LETTERS, load, not_canonical, score, source_of
from ocr_noise import damage

REGISTRY, CALENDAR = load_registry(), load_calendar()
LETTER_FILES = sorted(LETTERS.glob("*.yaml"))


def _score(text: str, gold: dict):
    draft = draft_letter(text=text)
    flagged = [t.ref.value for t in draft.tasks if t.check]
    return draft, score(draft.directive(), gold, flagged=flagged, registry=REGISTRY, calendar=CALENDAR)


def _deadline(written):
    d = parse_deadline(written, calendar=CALENDAR)
    return d.kind, d.due, d.period


def test_seed_002_is_the_spec_example_with_nothing_plain_flagged():
    draft = draft_letter(path=SOURCES / "002_65c4f9b9ab2cb39f.txt")
    example = yaml.safe_load((SOURCES / "directive.example.yaml").read_text(encoding="utf-8"))
    got = draft.directive()
    assert [t["ref"] for t in got["tasks"]] == [t["ref"] for t in example["tasks"]]
    for mine, theirs in zip(got["tasks"], example["tasks"], strict=True):
        assert {r.name for r in REGISTRY.resolve_list(mine["lead"])} == {r.name for r in REGISTRY.resolve_list(theirs["lead"])}
        assert {r.name for r in REGISTRY.resolve_list(mine["coordinating"])} == \
            {r.name for r in REGISTRY.resolve_list(theirs.get("coordinating") or [])}
        assert _deadline(mine["deadline"]) == _deadline(theirs["deadline"])
    assert _deadline(got["tasks"][2]["deadline"]) == ("recurring", None, "daily")
    assert (got["number"], got["issued_on"], got["kind"]) == (None, None, "cong_van")
    assert got["implements"] == ["02-KH/BCĐTW"] and got["signer"] == "Phạm Quang Hưng"
    # only what the letter leaves blank is marked: its number and date (a draft)
    assert draft.tasks_to_check() == []
    assert [r["field"] for r in draft.review() if r["check"]] == ["number", "issued_on"]
    by_field = {r["field"]: r for r in draft.review()}
    assert by_field["number"]["line"] == 12 and by_field["tasks[1] (mục 1).deadline"]["line"] == 83


@pytest.mark.parametrize("name", ["003", "004"])
def test_seed_tables_never_silently_wrong(name):
    gold = load(GOLD / f"{name}.yaml")
    draft, result = _score(source_of(GOLD / f"{name}.yaml").read_text(encoding="utf-8"), gold)
    assert result.silent == [] and result.extra == []
    assert not_canonical(draft.directive(), REGISTRY) == []
    print(f"{name}: {len(result.matched)}/{result.rows} rows on lead and deadline")


@pytest.mark.parametrize("name", ["003", "004"])  # 9/10 and 36/40 (004 row 1 unreadable); every miss flagged
def test_seed_tables_match_the_gold_on_nine_rows_in_ten(name):
    gold = load(GOLD / f"{name}.yaml")
    _, result = _score(source_of(GOLD / f"{name}.yaml").read_text(encoding="utf-8"), gold)
    assert result.ratio >= 0.9, result.misses


@pytest.mark.parametrize("path", LETTER_FILES, ids=[p.stem for p in LETTER_FILES])
def test_new_letters_clean(path):
    draft, result = _score(source_of(path).read_text(encoding="utf-8"), load(path))
    assert result.silent == [] and result.misses == {}
    assert not_canonical(draft.directive(), REGISTRY) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("path", LETTER_FILES, ids=[p.stem for p in LETTER_FILES])
def test_new_letters_ocr_damaged_are_right_or_flagged(path, seed):
    text = damage(source_of(path).read_text(encoding="utf-8"), seed, 0.3)
    draft, result = _score(text, load(path))
    assert result.silent == [], result.misses
    assert not_canonical(draft.directive(), REGISTRY) == []  # registry spellings, never the OCR's


def test_a_cell_not_read_as_names_keeps_its_row_flagged():
    """Heavy damage ("Sở Văn hóa, Thể thao vé Du lịch") and a header lost: the cells are told by their text, and
    the one that is not names leaves the row to the operator instead of making the next cell the lead."""
    path = LETTERS / "L02_ke_hoach_binh_dan_hoc_vu_so.yaml"
    draft, result = _score(damage(source_of(path).read_text(encoding="utf-8"), 6, 1.0), load(path))
    assert result.silent == [], result.misses
    assert draft.tasks[0].check and any("ô không đọc được" in p for p in draft.tasks[0].problems)


def test_nothing_invented_for_what_the_text_lacks():
    draft = draft_letter(text="KẾ HOẠCH\nvề việc thử\n\n1. Giao Sở Tài chính chủ trì rà soát kinh phí.\n")
    got = draft.directive()
    assert got["number"] is None and got["issuer"] is None and got["signer"] is None
    [task] = got["tasks"]
    assert task["lead"] == ["Sở Tài chính"] and task["deadline"] is None
    assert draft.tasks_to_check() == [{"task": "1", "lines": "4–4", "reasons": ["thời hạn: không thấy thời hạn trong mục"]}]
    assert "# KIỂM TRA" in draft_yaml(draft).split("issuer:")[1].splitlines()[0]


def test_cli_draft_then_import_accepts_it(cli, tmp_path):
    out = tmp_path / "002.yaml"
    done = cli("draft", str(SOURCES / "002_65c4f9b9ab2cb39f.txt"), "--out", str(out), check=True)
    assert "3 nhiệm vụ, 0 cần kiểm tra" in done.stdout
    dry = json.loads(cli("import", str(out), "--dry-run", "--json", check=True).stdout)
    assert (dry["status"], dry["tasks"], dry["assignments"]) == ("validated", 3, 231)
    as_json = json.loads(cli("draft", str(LETTERS / "L01_cong_van_dat_dai.txt"), "--json", check=True).stdout)
    assert as_json["tasks"] == 5 and as_json["directive"]["kind"] == "cong_van"
    assert all({"field", "confidence", "line", "check"} <= set(r) for r in as_json["review"])


def test_cli_refusals(cli, tmp_path):
    missing = cli("draft", str(tmp_path / "none.txt"))
    assert missing.returncode == 1 and "Lỗi:" in missing.stderr
    wrong = tmp_path / "a.docx"
    wrong.write_text("x")
    assert cli("draft", str(wrong)).returncode == 1
    assert cli("draft").returncode == 2


def test_pdf_with_a_vietnamese_text_layer(tmp_path):
    fpdf = pytest.importorskip("fpdf")
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.exists():
        pytest.skip("DejaVuSans is not installed (.ci/run installs fonts-dejavu-core)")
    source = SOURCES / "002_65c4f9b9ab2cb39f.txt"
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", fname=str(font))
    pdf.set_font("DejaVu", size=10)
    for line in source.read_text(encoding="utf-8").splitlines():
        pdf.cell(0, 5, line.strip() or " ", new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "002.pdf"
    pdf.output(str(path))
    from_pdf, from_txt = draft_letter(path=path).directive(), draft_letter(path=source).directive()
    assert [(t["lead"], t["coordinating"], t["deadline"]) for t in from_pdf["tasks"]] == \
        [(t["lead"], t["coordinating"], t["deadline"]) for t in from_txt["tasks"]]
    assert from_pdf["subject"] == from_txt["subject"]


def test_examples_header_agrees_for_seed_003():
    got = draft_letter(path=SOURCES / "003_cea3dcdd10698959.txt").directive()
    header = yaml.safe_load((EXAMPLES / "003-ke-hoach-01-KH-BCD.yaml").read_text(encoding="utf-8"))
    assert (got["number"], got["issued_on"], got["kind"], got["issuer"]) == \
        (header["number"], str(header["issued_on"]), header["kind"], header["issuer"])
