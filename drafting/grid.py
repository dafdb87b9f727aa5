"""Unit names in one row of a table whose columns OCR interleaved line by line.

Each line of such a row ends with the row's narrow cells, left to right: lead units, coordinating units,
output, deadline; the wide content column (and a leader column) comes first. The words of one unit name
are spread over consecutive lines, a few to a line. So: keep each line's tail (the trailing words that
cells are made of), find every registry name whose words can be read down the tails in order, and tell
lead from coordinating by which stands left of which on the lines they share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from drafting.names import Entry, NameIndex
from drafting.normalise import Line, ocr_key, words

_EXPAND = {"ubnd": "uy ban nhan dan", "hdnd": "hoi dong nhan dan", "ubmttq": "uy ban mat tran to quoc",
           "mttq": "mat tran to quoc", "tp": "thanh pho", "uyban": "uy ban", "khcn": "khoa hoc va cong nghe", "skhcn": "so khoa hoc va cong nghe"}
_LEADER = ["uy", "ban", "nhan", "dan", "thanh", "pho"]  # the last line of "…, Phó Chủ tịch / Ủy ban nhân dân thành phố"
CELL_WIDTH = 26  # characters: a narrow column never holds more on one line
MIN_SCORE = 0.8
ADJACENT = 0.001


@dataclass(frozen=True)
class Cell:
    word: str
    line: int  # row-relative line index
    pos: int  # index in the line's tail
    chars: int  # length of the source token
    first: bool = False  # the first cell right of the leader column's text on its line
    slash: bool = False  # written right after a "/" in the same token ("Thành ủy/Công an"): the same cell goes on


@dataclass(frozen=True)
class Found:
    entry: Entry
    score: float  # 0..1: share of the name's words read, weighted by how exactly
    cells: tuple[Cell, ...]
    words: int

    @property
    def lines(self) -> set[int]:
        return {c.line for c in self.cells}


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
_LEADER_TEXT = re.compile("|".join([
    r"g\S{0,2} chi(?: [^\s,|]+){2,4},",  # "Đồng chí Hoàng Minh Cường," (OCR: "Péng", "Pdng", "D 61}g", "]?ongq")
    r"\b(?:u[yv]|yy) ?y?vi\S{1,2}n(?: ban thuong vu| ban chi dao| thuong truc| thanh \S{1,3}\b)?,?",
    r"\bban thuong vu thanh \S{1,3},",
    r"\bch\S? t\W?i?\W?c\W?h\b",  # "Chủ tịch", "Chu t}Ch", "Chi tich"
    r"(?<!phong )\bu[yv] ?ban nh\S{1,3} d\S{1,3}n thanh \S{2,4}\b",
    r"\btruong ban [^|]*?thanh \S{1,3}\b",
    r"\bbi thu(?: thuong truc)? thanh \S{1,3}\b",
    r"\bchu nhiem\b", r"\bgiam doc so \S+", r"\bchanh van phong\b",
]))


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
    w, size, slash = token
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
        if sum(1 for a, b in zip(_LEADER, window, strict=True) if _sim(a, b) or a[0] == b[:1]) >= len(_LEADER) - 1:
            if start == 0 or ws[start - 1] != "phong":
                return kept[start + len(_LEADER):]
    return kept


def _sim(word: str, token: str) -> float:
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
    skeleton = lambda w: [(k, ch) for k, ch in enumerate(w) if ch not in _VOWELS]  # noqa: E731
    a, b = skeleton(word), skeleton(token)
    return [ch for _, ch in a] == [ch for _, ch in b] and a[:1] == b[:1] and (a[-1][0] == len(word) - 1) == (b[-1][0] == len(token) - 1)


_VOWELS = frozenset("aeiouy")


def embed(grid: list[list[Cell]], name: list[str], short_lines: set[int]) -> tuple[float, tuple[Cell, ...]]:
    """Best reading of a name's words down the tails: adjacent on a line, or continued on one of the next
    three lines; one word may be lost when the name has four or more."""
    cells = [c for row in grid for c in row]
    k = len(name)
    if not cells or k == 0:
        return 0.0, ()
    skips = 2 if k >= 7 else 1 if k >= 4 else 0  # words lost at line breaks: one in four, two in seven
    # best[(i, cell index, skipped)] = (score, path); a name read along one line beats the same words gathered
    # from lines apart (ADJACENT per pair of neighbours), so the other cell keeps its own words
    best: dict[tuple[int, int, int], tuple[float, tuple[int, ...]]] = {}
    for ci, c in enumerate(cells):
        for i in range(skips + 1):
            s = _sim(name[i], c.word)
            if s:
                best[(i, ci, i)] = (s, (ci,))
    for i in range(k - 1):
        for (ii, ci, sk), (score, path) in list(best.items()):
            if ii != i:
                continue
            c = cells[ci]
            for step in range(1, skips - sk + 2):
                j = i + step
                if j >= k:
                    continue
                for cj in range(ci + 1, len(cells)):
                    d = cells[cj]
                    if d.line == c.line and (d.pos != c.pos + 1 or step > 1):
                        continue  # a word lost from a name is lost at a line break: beside it stands the next cell
                    if d.line > c.line + 2:
                        break
                    s = _sim(name[j], d.word)
                    if not s:
                        continue
                    key = (j, cj, sk + step - 1)
                    total = score + s + (ADJACENT if d.line == c.line else 0.0)
                    if key not in best or best[key][0] < total:
                        best[key] = (total, path + (cj,))
    finals = [(score, path) for (i, _, sk), (score, path) in best.items() if i == k - 1 or (i == k - 2 and sk < skips)]
    if not finals:
        return 0.0, ()
    for score, path in sorted(finals, key=lambda f: f[0], reverse=True):
        chosen = tuple(cells[p] for p in path)
        if not _too_wide(chosen, short_lines):
            break
    else:
        return 0.0, ()
    return round(score * 5) / 5 / k, chosen  # word scores are fifths: rounding drops the adjacency bonus


def _too_wide(cells: tuple[Cell, ...], short_lines: set[int]) -> bool:
    """A run of words on one long line wider than a narrow column is content, not a cell."""
    by_line: dict[int, int] = {}
    for c in cells:
        by_line[c.line] = by_line.get(c.line, 0) + c.chars + 1
    return any(width > CELL_WIDTH for line, width in by_line.items() if line not in short_lines)


def names_in(grid: list[list[Cell]], index: NameIndex, short_lines: set[int]) -> list[Found]:
    """The registry names read in a row's tails, none sharing a word, longest and surest first."""
    candidates: list[Found] = []
    words_of: dict[int, list[str]] = {}  # id(found) → the name's words, to read it again around taken cells
    present = {c.word for row in grid for c in row}
    for key, entry in index.keys.items():
        if entry.kind == "unit" and index.registry.units.get(_ref(index, key)) is not None and \
                index.registry.units[_ref(index, key)].kind == "commune":
            continue
        name = key.split()
        if sum(1 for w in name if w in present or len(w) >= 3) < len(name) * 0.6:
            continue
        score, cells = embed(grid, name, short_lines)
        if score < (MIN_SCORE if len(name) < 7 else 0.68):
            continue
        stem = _definite_stem(index, key)
        kept = [c for c in cells if c.word not in ("lien", "quan") or c == cells[0]]
        if stem is not None and len(kept) >= 0.8 * (len(name) - 2):
            # the lead column names a body, never "… liên quan": those two words stand in the coordinating
            # cell beside it ("vi, dia lién quan" = lead "vị, địa" + coordinating "liên quan")
            entry, cells = stem, tuple(kept)
            name = name[:-2]
        else:
            words_of[len(candidates)] = name
        candidates.append(Found(entry, score, cells, len(name)))
    order = {id(f): k for k, f in enumerate(candidates)}
    # a body the registry names before a vague phrase: "… liên quan" is easily pieced together from two cells
    candidates.sort(key=lambda f: (f.entry.kind != "vague", f.score * f.words, f.score), reverse=True)
    chosen: list[Found] = []
    used: set[tuple[int, int]] = set()
    for f in candidates:
        if any(c.entry.name == f.entry.name for c in chosen):
            continue
        spots = {(c.line, c.pos) for c in f.cells}
        if spots & used:
            # its best reading took another name's word: read it again from the words left ("Céc co" taken by the
            # lead, "céac ban / ciia Thanh / uy" is still "Các ban của Thành ủy")
            name = words_of.get(order[id(f)])
            left = [[c for c in row if (c.line, c.pos) not in used] for row in grid]
            score, cells = embed(left, name, short_lines) if name else (0.0, ())
            if score < (MIN_SCORE if name is None or len(name) < 7 else 0.68):
                continue
            f = Found(f.entry, score, cells, f.words)
            spots = {(c.line, c.pos) for c in cells}
        chosen.append(f)
        used |= spots
    return chosen


def _definite_stem(index: NameIndex, key: str) -> Entry | None:
    """For a vague "X liên quan" whose X the registry names (a group or a unit): that entry."""
    if index.keys[key].kind != "vague" or not key.endswith(" lien quan"):
        return None
    stem = index.keys.get(key[: -len(" lien quan")])
    return stem if stem is not None and stem.kind != "vague" else None


def _ref(index: NameIndex, key: str) -> str:
    kind, ref = index.registry.spellings()[key]
    return ref if kind == "unit" else ""


def columns(found: list[Found], grid: list[list[Cell]], ends: frozenset[str] = frozenset(),
            _bodies_only: bool = False) -> tuple[list[Found], list[Found], bool]:
    """Split names into the lead column and the columns right of it; the flag says the split is sure.
    `ends`: last words of registry names — a name written right after one goes on a cell, it does not start one."""
    vague = [f for f in found if f.entry.kind == "vague"]
    if vague and len(vague) < len(found) and not _bodies_only:
        # the lead column names bodies; "các đơn vị liên quan" and the like are for coordinating (they still
        # tell which names stand left of them)
        lead, others, sure = columns(found, grid, ends, _bodies_only=True)
        bodies = [f for f in lead if f.entry.kind != "vague"]
        if bodies:
            return bodies, others + [f for f in lead if f.entry.kind == "vague"], sure
        lead, others, sure = columns([f for f in found if f.entry.kind != "vague"], grid, ends)
        return lead, others + vague, sure
    if len(found) <= 1:
        return list(found), [], True
    left_of: dict[int, set[int]] = {i: set() for i in range(len(found))}
    for a, fa in enumerate(found):
        for b, fb in enumerate(found):
            if a == b:
                continue
            for line in fa.lines & fb.lines:
                if max(c.pos for c in fa.cells if c.line == line) < min(c.pos for c in fb.cells if c.line == line):
                    left_of[a].add(b)
    starts = {i for i, f in enumerate(found) if any(c.first for c in f.cells)}
    # beside a leader column the unit columns are narrow: four words of a name on one line are content
    wide = {i for i, f in enumerate(found) if max(sum(1 for c in f.cells if c.line == n) for n in f.lines) >= 4}
    if starts and len(starts) < len(found) and \
            not any(a not in starts and a not in wide and left_of[a] & starts for a in left_of):
        # a name that starts a line right after the leader's text is in the lead column, the others are right of it
        lead = sorted(starts, key=lambda i: min(found[i].lines))
        lead += _continuing(found, lead, grid)
        return [found[i] for i in lead], [f for i, f in enumerate(found) if i not in lead], True
    has_left = {b for a in left_of for b in left_of[a]}
    related = {a for a in left_of if left_of[a]} | has_left
    lead = [i for i in range(len(found)) if i in related and i not in has_left]
    sure = len(related) == len(found)
    if not lead:  # nothing shares a line: the name further from the line ends stands left
        ranked = sorted(range(len(found)), key=lambda i: -_from_right(found[i], grid))
        lead = [ranked[0]]
        sure = False
    for i in range(len(found)):
        if i not in related and i not in lead and not _after_a_name(found[i], grid, ends):
            # an unrelated name joins the lead column when it sits as far from the line ends as a lead does
            if _from_right(found[i], grid) >= min(_from_right(found[j], grid) for j in lead) - 0.5:
                lead.append(i)
    lead += _continuing(found, lead, grid)
    others = [found[i] for i in range(len(found)) if i not in lead]
    return [found[i] for i in sorted(lead, key=lambda i: min(found[i].lines))], others, sure


def _after_a_name(f: Found, grid: list[list[Cell]], ends: frozenset[str]) -> bool:
    """"phuong; Sở Khoa / học và Công nghệ": the name stands in the cell of the unread name whose end precedes it."""
    start = min(f.cells, key=lambda c: (c.line, c.pos))
    before = [c for c in grid[start.line] if c.pos == start.pos - 1]
    return bool(before) and before[0].word in ends


def _continuing(found: list[Found], lead: list[int], grid: list[list[Cell]]) -> list[int]:
    """Names the lead cell goes on with: "Văn phòng Thành ủy/Công an thành phố", "Sở KHCN và Công an thành phố" —
    right after a lead name on its last line, joined by "/" or "và"."""
    out: list[int] = []
    ends = [max(found[i].cells, key=lambda c: (c.line, c.pos)) for i in lead]
    for b, fb in enumerate(found):
        if b in lead:
            continue
        start = min(fb.cells, key=lambda c: (c.line, c.pos))
        for end in ends:
            between = [c.word for c in grid[start.line] if end.pos < c.pos < start.pos] if end.line == start.line else None
            before = [c.word for c in grid[start.line] if c.pos == start.pos - 1]
            if (between is not None and ((start.slash and len(between) <= 1) or between == ["va"])) or \
                    (end.line < start.line <= end.line + 2 and before == ["va"]):  # "… Công nghệ" / "và Sở Tài chính"
                out.append(b)
                break
    return out


def _from_right(f: Found, grid: list[list[Cell]]) -> float:
    return sum(len(grid[c.line]) - c.pos for c in f.cells) / len(f.cells)
