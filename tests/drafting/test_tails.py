"""Line tails of interleaved tables: OCR's damage undone word by word, the leader column's text cut off."""

from __future__ import annotations

from drafting.appendix import _DEADLINE_WORDS, _OUTPUT_WORDS
from drafting.normalise import ocr_key, split_lines
from drafting.tails import Cell, after_leader, sim, tails
from intake.drafting import vocabulary


def grid_of(texts: list[str], *, leader: bool = False) -> list[list[Cell]]:
    """Tails of hand-written lines, as the appendix reader makes them."""
    return tails(split_lines("\n".join(texts)), vocabulary().index.vocabulary, _DEADLINE_WORDS | _OUTPUT_WORDS,
                 leader=leader)


def test_leader_text_is_cut_from_the_line_start():
    line = "Tiép tuc thyc hién nghiém | Pong chi Hoang Minh Cuong, Céc co Van"
    kept = line.split()[after_leader(ocr_key(line)):]
    assert kept == ["Céc", "co", "Van"]
    line = "trén Hé thong la mot Uv ban nhan dan thanh ohé vi, dia lién quan cho xuyén"
    assert line.split()[after_leader(ocr_key(line)):][:2] == ["vi,", "dia"]
    assert after_leader(ocr_key("Van phong Uy ban nhan dan thanh pho")) == 0  # a unit's name, not a title


def test_ocr_damage_undone_word_by_word():
    words = [c.word for c in grid_of(["x | Pong chi Hoang Minh Cuong, Céacxa, SoNai vu qua.n,d(.iO‘n |Céc s6,"],
                                     leader=True)[0]]
    # glued, specked and run-together words come apart; "ceac", "nai", "dion" are left for sim() to read
    assert words == ["ceac", "xa", "so", "nai", "vu", "quan", "dion", "cac", "so"]
    assert sim("cac", "ceac") == sim("noi", "nai") == 0.8


def test_short_name_words_read_exactly_or_with_vowels_misread():
    assert sim("cac", "cac") == 1.0 and sim("cac", "cao") == 0.0 and sim("stc", "st") == 0.0
    assert sim("dac", "dic") == 0.8 and sim("don", "dion") == 0.8 and sim("cua", "ciia") == 0.8


def test_cited_dates_are_not_deadline_cells():
    [cells] = grid_of(["Théng bao s6 46-TB/TGV, ngay 30/9/2025"])
    assert "30/9/2025" not in [c.word for c in cells]
    [cells] = grid_of(["KH/BCDTW, ngay b 15/12/2025"])
    assert [c.word for c in cells][-1:] == ["15/12/2025"]
