"""Deadlines in running text and in table cells, written back in the form the deadline grammar reads.

A deadline is taken only after words that make it one ("trước ngày", "trong tháng", "hoàn thành trong Quý"):
the dates of cited documents ("Kế hoạch số 02-KH/BCĐTW ngày 19/6/2025") are not deadlines.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from domain.deadlines import PERIOD_LABELS
from drafting.normalise import roman

_ROMAN_OUT = {1: "I", 2: "II", 3: "III", 4: "IV"}
_DATE = r"(?P<d>[0-3]?\d)\s*/\s*(?P<m>[01]?\d)\s*/\s*(?P<y>20\d\d)"
_Q = r"quy\s*(?P<q>[ivxl1|]{1,4}|[1-4])\s*/?\s*(?P<qy>20\d\d)"
_PROSE = [
    ("date", re.compile(r"\b(?P<lead>truoc|cham nhat(?: la)?|han chot(?: la)?|han|den het|xong truoc|nop truoc)"
                        r"\s+(?:ngay\s+)?" + _DATE)),
    ("date_words", re.compile(r"\b(?P<lead>truoc|cham nhat(?: la)?)\s+ngay\s+(?P<d>[0-3]?\d)\s+thang\s+(?P<m>[01]?\d)"
                              r"\s+nam\s+(?P<y>20\d\d)")),
    ("month", re.compile(r"\b(?P<lead>trong|truoc het|den het|het|cuoi)?\s*thang\s*(?P<m>[01]?\d)\s*/\s*(?P<y>20\d\d)")),
    ("quarter", re.compile(r"\b(?P<lead>trong|cuoi|het)?\s*" + _Q)),
    ("year", re.compile(r"\b(?:hoan thanh|thuc hien xong|xong|thuc hien|thoi gian(?: thuc hien| hoan thanh)?\s*:?)"
                        r"\s+(?P<lead>trong)\s+nam\s+(?P<y>20\d\d)")),
    ("recurring", re.compile(r"\b(?:hang|hang) (?P<p>ngay|tuan|thang|quy|nam)\b")),
    ("ongoing", re.compile(r"\b(?:thoi gian(?: thuc hien)?|thoi han|thuc hien)\s*:?\s*thuong xuyen\b")),
    ("deferred", re.compile(r"\b(?:thoi gian(?: thuc hien| hoan thanh)?|thoi han)\s*:?\s*(?P<t>theo (?:thoi gian|tien do|"
                            r"ke hoach|lo trinh)[^.;]*)")),
]
_PERIODS = {"ngay": "daily", "tuan": "weekly", "thang": "monthly", "quy": "quarterly", "nam": "yearly"}
_LEADS = {"truoc": "trước ngày", "cham nhat": "chậm nhất ngày", "cham nhat la": "chậm nhất là ngày",
          "han chot": "trước ngày", "han chot la": "trước ngày", "han": "trước ngày", "den het": "đến hết ngày",
          "xong truoc": "trước ngày", "nop truoc": "trước ngày"}


@dataclass(frozen=True)
class DeadlineText:
    written: str  # what the draft writes: the grammar reads it
    start: int  # span in the searched text
    end: int
    mended: bool = False  # OCR damage repaired ("Quy I11/2025", "Quý 12026"): the operator should look


def aligned_fold(text: str) -> str:
    """Lower case without diacritics, one character for each of `text` (so spans map back)."""
    out = []
    for c in text:
        base = unicodedata.normalize("NFD", c)[0]
        base = {"đ": "d", "Đ": "d", "¢": "e", "§": "o", "$": "s"}.get(c, base).lower()
        out.append(base if len(base) == 1 else " ")
    return "".join(out)


def in_prose(text: str) -> list[DeadlineText]:
    """Every deadline phrase of a task's text, in order."""
    folded = aligned_fold(text)
    found: list[DeadlineText] = []
    taken: list[range] = []
    for kind, pattern in _PROSE:
        for m in pattern.finditer(folded):
            if any(m.start() in r or m.end() - 1 in r for r in taken):
                continue
            written, mended = _written(kind, m, text)
            if written:
                found.append(DeadlineText(written, m.start(), m.end(), mended))
                taken.append(range(m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def _written(kind: str, m: re.Match, text: str) -> tuple[str | None, bool]:
    g = m.groupdict()
    if kind in ("date", "date_words"):
        lead = _LEADS.get(re.sub(r"\s+", " ", g["lead"]), "trước ngày")
        return f"{lead} {int(g['d'])}/{int(g['m'])}/{g['y']}", False
    if kind == "month":
        lead = "trong tháng" if g.get("lead") in ("trong", None) else "đến hết tháng"
        return f"{lead} {int(g['m'])}/{g['y']}", False
    if kind == "quarter":
        number, mended = quarter(g["q"])
        if number is None:
            return None, False
        lead = "trong " if g.get("lead") == "trong" else ""
        return f"{lead}Quý {number}/{g['qy']}", mended
    if kind == "year":
        return f"trong năm {g['y']}", False
    if kind == "recurring":
        return PERIOD_LABELS[_PERIODS[g["p"]]], False
    if kind == "ongoing":
        return "Thường xuyên", False
    if kind == "deferred":
        return text[m.start("t"):m.end("t")].strip(" .,;"), False
    return None, False


def quarter(token: str) -> tuple[str | None, bool]:
    """A quarter numeral as written → the draft's spelling (Arabic kept, Roman restored) and whether OCR was mended."""
    token = token.strip()
    if token in ("1", "2", "3", "4"):
        return token, False
    value = roman(token)
    if value is None or value > 4:
        return None, False
    return _ROMAN_OUT[value], token.upper() != _ROMAN_OUT[value]


# --- table cells: the deadline column of an appendix ------------------------------------------------------

_CELL = [
    ("date", re.compile(r"(?<![\d/])(?P<d>[0-3]?\d)/(?P<m>[01]?\d)/(?P<y>20\d\d)(?![\d/])")),
    ("quarter", re.compile(r"\bquy\s*(?P<q>[ivxl1|]{1,4}|[1-4])\s*/?\s*(?P<qy>20\d\d)\b")),
    ("month", re.compile(r"\b(?:thang\s*)?(?P<m>1[0-2]|0?[1-9])\s*/?\s*(?P<y>202\d)(?![\d/])")),
    ("ongoing", re.compile(r"\bthu?o?n?g?\s*xu?y?e?n\b")),
    ("deferred", re.compile(r"\btheo\s+(?:thoi gian|tien do|ke hoach)")),
]


def in_cell(text: str, *, quarter_hint: bool = False, month_hint: bool = False) -> list[DeadlineText]:
    """Deadlines in the text of a table's deadline cell (possibly torn across lines by OCR)."""
    folded = aligned_fold(text)
    out: list[DeadlineText] = []
    for kind, pattern in _CELL:
        for m in pattern.finditer(folded):
            if any(d.start <= m.start() < d.end for d in out):
                continue
            g = m.groupdict()
            if kind == "date":
                out.append(DeadlineText(f"{int(g['d'])}/{int(g['m'])}/{g['y']}", m.start(), m.end()))
            elif kind == "quarter" or (kind == "month" and quarter_hint):
                q, qy = (g["q"], g["qy"]) if kind == "quarter" else (g["m"], g["y"])
                number, mended = quarter(q if kind == "quarter" else _as_roman(q))
                if number:
                    out.append(DeadlineText(f"Quý {number}/{qy}", m.start(), m.end(), mended or kind == "month"))
            elif kind == "month":
                slash = "/" in m.group()
                word = "Tháng " if month_hint or "thang" in m.group() else ""
                out.append(DeadlineText(f"{word}{int(g['m'])}/{g['y']}", m.start(), m.end(), not slash))
            elif kind == "ongoing":
                out.append(DeadlineText("Thường xuyên", m.start(), m.end(), m.group().replace(" ", "") != "thuongxuyen"))
            elif kind == "deferred":
                out.append(DeadlineText("Theo thời gian trong Kế hoạch", m.start(), m.end(), True))
    return sorted(out, key=lambda d: d.start)


def _as_roman(token: str) -> str:
    """'11' read after "Quý" is OCR's "II", '1' is "I", '111' is "III"."""
    return token.replace("1", "I") if set(token) <= {"1"} else token
