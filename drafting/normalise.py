"""Lines of a letter and the OCR-tolerant folded form on which every pattern of the drafting matches."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from domain.text import fold, nfc

# Vietnamese letters OCR reads wrongly, seen in the seeds: Đ as P ("Pang", "Pong chi", "PMST"), "số" and "Sở"
# as s6, sé, sd, sb, 36, $6, S&, S¢, S§ (a token on its own).
_SO = re.compile(r"^(?:[s$][6o0dbe&§¢]|36|so)$")
_P_FOR_D = re.compile(r"\bp(?=[aeiouy])")
# "Thành ủy" comes out as "Thanh ty/iy/ay/dy/uay/tuy"; "thành phố" as "thanh phd/pho6/ph6/phé/ohe".
_THANH = {"uy": re.compile(r"^(?:ty|iy|ay|dy|uay|tuy|ity|uy)$"), "pho": re.compile(r"^(?:ph[a-z0-9]?|ohe|pho\d)$")}
# Whole words OCR mangles the same way again and again ("Céc" for "Các", "Vin/Vian" for "Văn").
_WORD_FIXES = {"cec": "cac", "cc": "cac", "cic": "cac", "cdc": "cac", "c4c": "cac", "cae": "cac", "vin": "van", "vian": "van",
               "tinh": "tinh", "dpon": "don", "pon": "don", "phuon": "phuong", "phwong": "phuong", "huong": "huong"}
_DIACRITIC_LETTERS = re.compile(r"[à-ỹđÀ-ỸĐ]")


@dataclass(frozen=True)
class Line:
    """One line of the source: its 1-based number, its text (NFC, spaces folded) and its folded key."""

    number: int
    text: str
    key: str

    @property
    def blank(self) -> bool:
        return not self.key


def split_lines(text: str) -> list[Line]:
    """The source as numbered lines; numbering follows the source so the review can point at it."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [Line(i, nfc(raw), ocr_key(raw)) for i, raw in enumerate(text.split("\n"), start=1)]


def ocr_key(text: str) -> str:
    """fold() plus the OCR confusions of Vietnamese: lower case, no diacritics, Đ-read-as-P undone."""
    key = fold(text.replace("ﬁ", "fi").replace("ﬂ", "fl"))
    key = _P_FOR_D.sub("d", key)
    return key


def words(key: str) -> list[str]:
    """Tokens of a folded text for matching names: letters and digits, with OCR's spellings of "số/Sở",
    "Thành ủy" and "thành phố" mended."""
    raw = re.findall(r"[a-z0-9&§¢$]+", key)
    out: list[str] = []
    for token in raw:
        if _SO.match(token):
            token = "so"
        elif out and out[-1] == "thanh":
            for fixed, pattern in _THANH.items():
                if pattern.match(token):
                    token = fixed
        token = _WORD_FIXES.get(re.sub(r"[&§¢$]", "", token), re.sub(r"[&§¢$]", "", token))
        if token:
            out.append(token)
    return out


def looks_ocr(text: str) -> bool:
    """Whether a Vietnamese text lost its diacritics (OCR or typed without them): few accented letters."""
    letters = sum(c.isalpha() for c in text)
    if letters < 40:
        return not _DIACRITIC_LETTERS.search(text) and letters > 0
    return len(_DIACRITIC_LETTERS.findall(text)) / letters < 0.08


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}


def roman(token: str) -> int | None:
    """A Roman numeral as OCR writes it ("I11", "Il", "|", "\\Y%" aside) → its value, else None."""
    t = re.sub(r"[l1|]", "i", token.strip().lower())
    return _ROMAN.get(t)


def mend_date_token(token: str) -> str:
    """Digits OCR read as letters inside a date-like token: I/l/| → 1, O/o → 0 ("I8/1O/2025" → 18/10/2025)."""
    if not re.fullmatch(r"[\dIl|Oo]{1,2}/[\dIl|Oo]{1,2}(?:/[\dIl|Oo]{4})?|[\dIl|Oo]{1,2}/[\dIl|Oo]{4}", token):
        return token
    return token.translate(str.maketrans({"I": "1", "l": "1", "|": "1", "O": "0", "o": "0"}))


# Document symbols whose Đ OCR turns into D or P, and Q into O: mended against the ones directives cite.
KNOWN_SYMBOL_PARTS = ("BCĐ", "BCĐTW", "CQTTBCĐ", "QĐ", "NĐ", "ĐU", "ĐUK", "ĐĐBQH", "ĐTN", "CĐS")


def mend_symbol(symbol: str) -> str:
    """'07-TB/COTTBCP' → '07-TB/CQTTBCĐ': parts compared with Đ/D/P and Q/O made equal."""
    parts = re.split(r"([/-])", symbol.strip())
    known = {_symbol_key(p): p for p in KNOWN_SYMBOL_PARTS}
    return "".join(known.get(_symbol_key(p), p.upper() if p not in "/-" else p) for p in parts)


def _symbol_key(part: str) -> str:
    return re.sub(r"[ĐDP]", "D", part.upper()).replace("O", "Q")


@dataclass(frozen=True)
class Passage:
    """Lines joined into running text (a word cut by a line-end hyphen is rejoined), remembering which
    source line each character came from."""

    text: str
    starts: tuple[tuple[int, int], ...]  # (offset in text, source line number), ascending

    def line_at(self, offset: int) -> int:
        line = self.starts[0][1] if self.starts else 0
        for start, number in self.starts:
            if start > offset:
                break
            line = number
        return line


def join(lines: list[Line]) -> Passage:
    text, starts = "", []
    for line in lines:
        if line.blank:
            continue
        if text and not text.endswith("-"):
            text += " "
        starts.append((len(text), line.number))
        text += line.text
    return Passage(text, tuple(starts))
