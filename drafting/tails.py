"""Each line's tail in a table whose columns OCR interleaved: the trailing words narrow cells are made of.

A row's lines end with its narrow cells (lead units, coordinating units, output, deadline), after the wide
content column and, in some tables, a leader column. The tail of a line is the run of words at its end that
belong to those cells' vocabulary; OCR's damage is undone word by word (glued words, specks, misread
vowels), and in a table with a leader column the leader's text is cut off first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from drafting.normalise import Line, ocr_key, words

_EXPAND = {"ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "ubmttq": "uy ban mat tran to quoc",
           "mttq": "mat tran to quoc", "tp": "thanh pho", "uyban": "uy ban", "khcn": "khoa hoc va cong nghe", "skhcn": "so khoa hoc va cong nghe"}
_LEADER = ["uy", "ban", "nhan", "dan", "thanh", "pho"]  # the last line of "…, Phó Chủ tịch / Ủy ban nhân dân thành phố"


@dataclass(frozen=True)
class Cell:
    word: str
    line: int  # row-relative line index
    pos: int  # index in the line's tail
    chars: int  # length of the source token
    first: bool = False  # the first cell right of the leader column's text on its line
    slash: bool = False  # written right after a "/" in the same token ("Thành ủy/Công an"): the same cell goes on



def tails(lines: list[Line], vocabulary: frozenset[str], extra: frozenset[str] = frozenset(),
          right: frozenset[str] = frozenset(), leader: bool = False) -> list[list[Cell]]:
    """Each line's trailing words that belong to the cells' vocabulary (unit names, outputs, deadlines);
    `right`: words of the columns right of the units (output, deadline), dropped from the line ends;
    `leader`: the table has a "chủ trì chỉ đạo" column, whose fragments are cut from the line starts."""
    out: list[list[Cell]] = []
    known = vocabulary | extra
    for i, line in enumerate(lines):
        raws = line.text.split()
        cut = after_leader(line.key) if leader else 0
        raws = [raw for k, raw in enumerate(raws) if k < cut or not _cited_date(raws, k)]
        # a word's width is its raw token's, but never more than its own letters when the token held several
        tokens = _mend_thanh([(w, min(len(raw), len(w) + 1), slash) for raw in raws[cut:] for w, slash in _slashed(raw)])
        kept: list[tuple[str, int, bool]] = []
        tokens = [t for t in tokens if not _junk(t[0])]
        tokens = [part for t in tokens for part in _unglue(t, known)]
        if cut:
            # right of the leader stand only the narrow cells: garbage among them is dropped, not a boundary
            tokens = [t for t in tokens if t[0] in known or _near(t[0], known) or _DATE.fullmatch(t[0])]
        ok = [w in known or _near(w, known) or bool(re.fullmatch(r"\d{1,2}/?\d{1,2}/?\d{0,4}|\d{4,6}", w))
              for w, *_ in tokens]
        misses = 0
        for k in range(len(tokens) - 1, -1, -1):
            if ok[k]:
                kept.append(tokens[k])
                continue
            # one unread word inside a cell ("Cone nehe"), never two, and never at the tail's start
            if misses or k == 0 or not ok[k - 1]:
                break
            misses += 1
            if kept:
                kept.append(tokens[k])  # at the very end it is a garbled output or deadline word: skipped
        while kept and kept[-1][0] not in known and not _near(kept[-1][0], known) and not _DATE.fullmatch(kept[-1][0]):
            kept.pop()  # the tail never starts on an unread word (a deadline cell alone on its line is read)
        kept.reverse()
        kept = _drop_leader(kept)
        while right and kept and (kept[-1][0] in right or re.fullmatch(r"[\d/]+", kept[-1][0])):
            if len(kept) > 1 and kept[-1][0] == "ban" and (kept[-2][0] == "cac" or _vowel_slip("cac", kept[-2][0])):
                break  # "các ban": a unit cell's words, not the output's "Văn bản"
            kept.pop()
        out.append([Cell(w, i, p, size, bool(cut) and p == 0, slash) for p, (w, size, slash) in enumerate(kept)])
    return out


# The leader column's fragments (a person and the offices they hold): a unit name inside them ("Trưởng Ban Tổ chức
# Thành ủy", "Phó Chủ tịch Ủy ban nhân dân thành phố") is a title, not the lead cell to its right.
_LEADER_PARTS = (
    r"g\S{0,2} chi(?: [^\s,|]+){2,4},",  # "Đồng chí Hoàng Minh Cường," (OCR: "Péng", "Pdng", "D 61}g", "]?ongq")
    r"\b(?:u[yv]|yy) ?y?vi\S{1,2}n(?: ban thuong vu| ban chi dao| thuong truc| thanh \S{1,3}\b)?,?",
    r"\bban thuong vu thanh \S{1,3},",
    r"\bch\S? t\W?i?\W?c\W?h\b",  # "Chủ tịch", "Chu t}Ch", "Chi tich"
    r"(?<!phong )\bu[yv] ?ban nh\S{1,3} d\S{1,3}n thanh \S{2,4}\b",
    r"\btruong ban [^|]*?thanh \S{1,3}\b",
    r"\bbi thu(?: thuong truc)? thanh \S{1,3}\b",
    r"\bchu nhiem\b", r"\bgiam doc so \S+", r"\bchanh van phong\b",
)
_LEADER_TEXT = re.compile("|".join(_LEADER_PARTS))


def after_leader(key: str) -> int:
    """Index of the first whitespace token of a line after the last leader-column fragment (0 when none)."""
    end = 0
    for m in _LEADER_TEXT.finditer(key):
        end = m.end()
    return len(key[:end].split()) if end else 0


_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{4}")


def _mend_thanh(tokens: list[tuple[str, int, bool]]) -> list[tuple[str, int, bool]]:
    """"Thanh ty" → thanh uy: words() mends it within a token run, the tokens here come one raw word at a time."""
    out = list(tokens)
    for k in range(1, len(out)):
        if out[k - 1][0] == "thanh":
            mended = words("thanh " + out[k][0])
            if len(mended) == 2:
                out[k] = (mended[1], *out[k][1:])
    return out


def _unglue(token: tuple[str, int, bool], known: frozenset[str]) -> list[tuple[str, int, bool]]:
    """Two cell words OCR ran together ("Céacxa" = các xã, "hocva" = học và), when the token is no word itself."""
    w, _, slash = token
    if len(w) < 4 or w in known or _near(w, known) or not w.isalpha():
        return [token]
    for k in range(2, len(w) - 1):
        left, right = w[:k], w[k:]
        if (left in known or _near(left, known)) and (right in known or _near(right, known)):
            return [(left, len(left) + 1, slash), (right, len(right) + 1, False)]
    return [token]


def _cited_date(raws: list[str], k: int) -> bool:
    """A date right after "ngày" is a cited document's ("Thông báo số 46-TB/TGV, ngày 30/9/2025"), not a deadline cell."""
    return k > 0 and bool(re.search(r"\d/\d", raws[k])) and ocr_key(raws[k - 1]).strip(",.") == "ngay"


def _slashed(raw: str) -> list[tuple[str, bool]]:
    """The words of a raw token, each with whether it directly follows a "/" (dates stay whole)."""
    if re.search(r"\d/\d", raw):
        return [(w, False) for w in _words(raw)]
    return [(w, j > 0 and m == 0) for j, part in enumerate(raw.split("/")) for m, w in enumerate(_words(part))]


def _words(raw: str) -> list[str]:
    if "/" in raw and re.search(r"\d/\d", raw):
        return [re.sub(r"[^\d/]", "", raw)]
    raw = raw.strip("|")  # a column rule glued to a word ("|Céc s6, ban,|") is not a letter l
    # OCR specks inside a word ("qua.n,d(.iO‘n" = "quan, don") and words run together ("SoNai vu", "hocvaCong")
    raw = re.sub(r"(?<=\w)[.(){}\[\]'‘’`]+(?=\w)", "", raw)
    raw = "".join(" " + ch if 0 < k < len(raw) - 2 and ch.isupper() and raw[k - 1].islower() and
                  raw[k + 1:k + 3].isalpha() and raw[k + 1:k + 3].islower() else ch for k, ch in enumerate(raw))
    out: list[str] = []
    for w in words(ocr_key(raw)):
        out.extend(_EXPAND.get(w, w).split())
    return out


def _junk(word: str) -> bool:
    return len(word) <= 1 and not word.isdigit()


def _near(word: str, known: frozenset[str]) -> bool:
    if len(word) < 3:
        return False
    if len(word) <= 4 and any(len(k) == 3 and _vowel_slip(k, word) for k in known):
        return True
    return any(len(k) >= 4 and k[0] == word[0] and abs(len(k) - len(word)) <= 1
               and Levenshtein.distance(word, k, score_cutoff=1) <= 1 for k in known)


def _drop_leader(kept: list[tuple[str, int, bool]]) -> list[tuple[str, int, bool]]:
    ws = [w for w, *_ in kept]
    for start in range(len(ws) - len(_LEADER) + 1):
        window = ws[start:start + len(_LEADER)]
        if sum(1 for a, b in zip(_LEADER, window, strict=True) if sim(a, b) or a[0] == b[:1]) >= len(_LEADER) - 1 \
                and (start == 0 or ws[start - 1] != "phong"):
            return kept[start + len(_LEADER):]
    return kept


def sim(word: str, token: str) -> float:
    """How well an OCR'd token reads as a name's word: 1, 0.8, 0.6 or 0 (always in fifths)."""
    if word == token:
        return 1.0
    if len(word) <= 3:
        # "cao" is not "cac", nor "st" "stc": a short word is read exactly, or with one vowel misread ("dic" → dac)
        return 0.8 if len(word) == 3 and _vowel_slip(word, token) else 0.0
    if len(word) == 4 and token[:1] != word[:1]:
        return 0.0
    if len(word) >= 3 and len(token) >= 2:
        d = Levenshtein.distance(word, token, score_cutoff=2)
        if d <= 1:
            return 0.8
        if d == 2 and len(word) >= 6:
            return 0.6
    return 0.0


def _vowel_slip(word: str, token: str) -> bool:
    """Only the vowels misread, one too many at most: "dic" → dac, "dion" → don, "ciia" → cua (OCR's ủ)."""
    if not 0 <= len(token) - len(word) <= 1 or token == word:
        return False
    a, b = _skeleton(word), _skeleton(token)
    return [ch for _, ch in a] == [ch for _, ch in b] and a[:1] == b[:1] and (a[-1][0] == len(word) - 1) == (b[-1][0] == len(token) - 1)


_VOWELS = frozenset("aeiouy")


def _skeleton(word: str) -> list[tuple[int, str]]:
    return [(k, ch) for k, ch in enumerate(word) if ch not in _VOWELS]
