"""Unit names in one row of a table whose columns OCR interleaved line by line.

Each line of such a row ends with the row's narrow cells, left to right: lead units, coordinating units,
output, deadline; the wide content column (and a leader column) comes first. The words of one unit name
are spread over consecutive lines, a few to a line. So: take each line's tail (drafting/tails.py), find
every registry name whose words can be read down the tails in order, and tell lead from coordinating by
which stands left of which on the lines they share, which starts right after the leader's text, and which
goes on another name's cell ("/", "và", or right after a name's last word).
"""

from __future__ import annotations

from dataclasses import dataclass

from drafting.names import Entry, NameIndex
from drafting.tails import Cell, sim

CELL_WIDTH = 26  # characters: a narrow column never holds more on one line
MIN_SCORE = 0.8
ADJACENT = 0.001


@dataclass(frozen=True)
class Found:
    entry: Entry
    score: float  # 0..1: share of the name's words read, weighted by how exactly
    cells: tuple[Cell, ...]
    words: int

    @property
    def lines(self) -> set[int]:
        return {c.line for c in self.cells}



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
            s = sim(name[i], c.word)
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
                    s = sim(name[j], d.word)
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
    words_of: dict[int, list[str]] = {}  # candidate index → the name's words, to read it again around taken cells
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
        # an unrelated name joins the lead column when it sits as far from the line ends as a lead does
        if i not in related and i not in lead and not _after_a_name(found[i], grid, ends) and \
                _from_right(found[i], grid) >= min(_from_right(found[j], grid) for j in lead) - 0.5:
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
