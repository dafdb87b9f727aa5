"""Appendix tables → tasks, when extraction interleaved the columns (seeds 003, 004).

Rows are found by their anchors: the STT numbers that survive (in sequence), else each row's single
deadline. A row whose number is missing, whose boundary is a guess, or whose cells cannot be read in full
is flagged; what cannot be read is left empty.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from drafting.cells import block_task, start_before, task_from_paragraphs
from drafting.deadline_text import in_cell
from drafting.grid import Found as GridFound
from drafting.grid import columns, names_in
from drafting.normalise import Line, join, looks_ocr, ocr_key, roman
from drafting.review import TaskDraft, found, missing
from drafting.tails import tails

_HEADER_WORDS = {"stt", "ten", "nhiem", "vu", "noi", "dung", "chu", "cha", "chi", "tri", "dao", "don", "vi", "donvi",
                 "donviphoi", "phoi", "phdi", "hop", "thoi", "gian", "thuc", "thue", "hien", "hoan", "thanh", "san",
                 "pham", "dau", "ra", "daura", "co", "quan", "tham", "muu", "han", "pon"}
_DEADLINE_WORDS = frozenset({"thuong", "xuyen", "quy", "thang", "nam", "theo", "thoi", "gian", "trong", "ke", "hoach"})
_OUTPUT_WORDS = frozenset({"van", "ban", "bao", "cao", "ke", "hoach", "phan", "mem", "quyet", "dinh", "he", "thong",
                           "tin", "cong", "ung", "dung", "san", "pham", "thiet", "bi", "lop", "tap", "huan", "chien", "luoc"})


@dataclass
class Row:
    number: int | None
    anchor: int  # index into the kept lines
    block: bool  # cells laid one after another (STT alone on its line), not interleaved
    read_number: str = ""  # the STT as OCR wrote it, when it is not the number in sequence
    section: str | None = None
    closing: bool = False  # anchored on its deadline alone on a line: the last cell of a cell-per-paragraph row


def find_appendix(lines: list[Line]) -> int | None:
    """Index of the appendix heading ("Phụ lục …") when a table header follows it, or of a pipe table's header."""
    for i, line in enumerate(lines):
        following = next((x for x in lines[i + 1:] if not x.blank), None)
        if re.match(r"^\|\s*stt\s*\|", line.text, re.IGNORECASE) and line.text.count("|") >= 4 \
                and following is not None and following.text.startswith("|"):
            return i
        if re.match(r"^phu luc\b", line.key.strip()):
            window = " ".join(x.key for x in lines[i:i + 14])
            if re.search(r"\bch\w tri\b", window) and ("stt" in window or "noi dung" in window or "ten nhiem vu" in window):
                return i
    return None


def tasks_from_table(lines: list[Line], *, vocabulary) -> list[TaskDraft]:
    lines, roles = _unpipe(lines)
    roles = roles or _block_roles(lines)
    breaks = {b.number for a, b in itertools.pairwise(lines) if a.blank and not b.blank}
    body = _without_headers(lines)
    body, sections = _sections(body)
    rows = _stt_rows(body)
    anchored = [r for r in rows if r.anchor >= 0]
    by_number = bool(anchored) and len(anchored) >= 0.6 * max(r.number for r in anchored)
    if not by_number:
        rows = _deadline_rows(body)
    for r in rows:
        r.section = next((name for at, name in reversed(sections) if at <= r.anchor), None)
    spans = _spans(rows, body, breaks, vocabulary.index, {line.number for line in lines if line.blank})
    head = " ".join(line.key for line in lines[:16])
    has_output = bool(re.search(r"\bsan\b|dau ?ra", head))
    has_leader = bool(re.search(r"\bchi dao\b", head))
    out = []
    for row, (a, b) in zip(rows, spans, strict=True):
        if row.block and roles:
            out.append(block_task(row, body[max(a, row.anchor):b], breaks, roles, vocabulary))
        elif (row.block or row.closing) and b > a:
            out.append(_paragraph_task(row, body[a:b], breaks, vocabulary, by_number))
        else:
            out.append(_task(row, body[a:b], vocabulary, by_number, has_output, has_leader))
    return out


_ROLES = [("stt", r"\bstt\b"), ("leader", r"chi dao"), ("coordinating", r"ph\w{1,2}i h\w?p"),
          ("lead", r"ch\w tri|th\w{1,2}c hi\w{0,2}n"), ("output", r"san pham|dau ra"),
          ("deadline", r"th\w{1,2}i (?:han|gian)"), ("content", r"n\w{1,2}i dung|nhiem vu")]


def _role(text: str) -> str | None:
    return next((role for role, pattern in _ROLES if re.search(pattern, text)), None)


def _unpipe(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """A Markdown/pipe table → one cell a paragraph, as extraction lays out a table cell by cell."""
    if not lines or not lines[0].text.startswith("|"):
        return lines, []
    roles = [_role(ocr_key(c)) or "" for c in lines[0].text.strip().strip("|").split("|")]
    out: list[Line] = []
    for k, line in enumerate(lines[1:], start=1):
        if not line.text.startswith("|"):
            if any(x.text.startswith("|") for x in lines[k + 1:k + 4]):
                continue  # a page break or a stray line inside the table
            break
        cells = [c.strip() for c in line.text.strip().strip("|").split("|")]
        if all(re.fullmatch(r":?-+:?", c or "-") for c in cells) or cells[0].lower() == "stt":
            continue  # the rule under the header, or the header repeated on a new page
        for cell in cells:
            out += [Line(line.number, cell, ocr_key(cell)), Line(line.number, "", "")]
        if len(cells) == len(roles) and roles.count("stt") and not cells[roles.index("stt")]:
            continue
    return out, roles


def _block_roles(lines: list[Line]) -> list[str]:
    """Column roles from a header laid out one cell a line (STT / Nội dung / Cơ quan chủ trì / …)."""
    roles: list[str] = []
    for line in lines[:40]:
        if line.blank:
            continue
        if re.fullmatch(r"\d{1,3}[.,]?|[ivx]{1,4}", line.key.strip()) and roles:
            break
        role = _role(line.key)
        if role and len(line.text) < 40 and role not in roles:
            roles.append(role)
        elif roles and role is None and not _header_only(line):
            break
    return roles if "lead" in roles and "deadline" in roles else []


def _without_headers(lines: list[Line]) -> list[Line]:
    """Drop the table header, repeated on each page, and blank lines."""
    out: list[Line] = []
    start = next((i for i, line in enumerate(lines) if re.search(r"\bstt\b|noi dung|chu tri", line.key) and i > 0), 0)
    i = start
    while i < len(lines):
        line = lines[i]
        if line.blank:
            i += 1
            continue
        if _is_header(line):
            j = i + 1
            while j < len(lines) and (lines[j].blank or _header_only(lines[j])):
                j += 1
            i = j
            continue
        out.append(line)
        i += 1
    return out


def _is_header(line: Line) -> bool:
    key = line.key
    return bool(re.search(r"^\W*stt\b|\bsan thoi gian|hien/hoan|chu tri hop|^\W*daura|noi dung nhiem vu co quan", key))


def _header_only(line: Line) -> bool:
    tokens = re.findall(r"[a-z]+", line.key)
    return bool(tokens) and all(t in _HEADER_WORDS or len(t) <= 1 for t in tokens) and len(line.text) < 40


def _sections(body: list[Line]) -> tuple[list[Line], list[tuple[int, str]]]:
    """Lines naming a group of rows ("II | Về hoàn thiện thể chế…") come out as (position, name)."""
    out: list[Line] = []
    sections: list[tuple[int, str]] = []
    pending = False
    for line in body:
        key = line.key.strip()
        m = re.match(r"^[\\\W]*([ivxly1l|%]{1,4})?\W*\s*(?:\|\s*)?(ve|v&|chuyen doi so|an ninh|mot so|cong tac)\b", key)
        lone = re.fullmatch(r"[\\\W]*[ivx]{1,4}\W*", key)
        if lone:
            pending = True
            continue
        if pending and not re.match(r"^\d", key):
            sections.append((len(out), line.text.strip()))
            pending = False
            continue
        pending = False
        if m and (m.group(1) is None or roman(m.group(1).replace("y", "v").replace("%", "")) or m.group(2) == "ve") \
                and len(line.text) < 90 and not re.search(r"\d{1,2}/20\d\d", key):
            name = re.sub(r"^[^A-Za-zÀ-ỹĐđ]*(?:[IVXl1|]{1,4}\s*\|?\s*)?", "", line.text).strip()
            sections.append((len(out), name))
            continue
        out.append(line)
    return out, sections


def _stt_rows(body: list[Line]) -> list[Row]:
    """The longest run of row numbers in sequence at line starts; a number OCR misread between two in
    sequence is taken as the missing one (and flagged)."""
    cands = []
    for i, line in enumerate(body):
        m = re.match(r"^\s*(\d{1,2})\s*([.,]?)\s*(\|?)(.*)$", line.text)
        if m and 0 < int(m[1]) <= 300:
            alone = not m[4].strip()
            cands.append((i, int(m[1]), 1.5 if (m[2] or m[3] or alone) else 1.0, alone))
    best: list[tuple[float, list[int]]] = []
    for a, (_, n, w, _) in enumerate(cands):
        options = [(best[b][0] + w + (0.5 if cands[b][1] == n - 1 else 0), best[b][1] + [a])
                   for b in range(a) if cands[b][1] < n]
        best.append(max(options, default=(w, [a])))
    if not best:
        return []
    _, chain = max(best, key=lambda x: x[0])
    rows = [Row(cands[a][1], cands[a][0], cands[a][3]) for a in chain]
    filled: list[Row] = []
    for r, nxt in zip(rows, rows[1:] + [None], strict=True):
        filled.append(r)
        if nxt and nxt.number == r.number + 2:
            between = [c for c in cands if r.anchor < c[0] < nxt.anchor]
            if len(between) == 1:
                c = between[0]
                filled.append(Row(r.number + 1, c[0], c[3], read_number=str(c[1])))
    first = filled[0].number
    lost = [Row(n, -1, False) for n in range(1, first)]
    return lost + filled


def _deadline_rows(body: list[Line]) -> list[Row]:
    """No row numbers to go by: one row per deadline cell, numbered in order."""
    rows: list[Row] = []
    for i, line in enumerate(body):
        tail = " ".join(line.text.split()[-3:])
        found_here = [d for d in in_cell(tail) if "/" in d.written or d.written.startswith("Theo")]
        if found_here and not (rows and rows[-1].anchor >= i - 1 and body[rows[-1].anchor].text.startswith("Theo")):
            alone = len(line.text.split()) <= 2
            rows.append(Row(len(rows) + 1, i, False, closing=alone))
    return rows


def _blank_run(body: list[Line], i: int, blanks: set[int]) -> int:
    """How many blank source lines stand between body[i] and the next kept line."""
    return sum(1 for n in range(body[i].number + 1, body[i + 1].number) if n in blanks) if i + 1 < len(body) else 0


def _spans(rows: list[Row], body: list[Line], breaks: set[int], index, blanks: set[int]) -> list[tuple[int, int]]:
    """Line ranges of the rows: an interleaved row is centred on its anchor, a block row starts at it, a
    closing row ends at it."""
    spans: list[tuple[int, int]] = []
    placed = [r for r in rows if r.anchor >= 0]
    bounds: list[int] = [0]
    for r, nxt in itertools.pairwise(placed):
        if nxt.block:
            bounds.append(nxt.anchor)
        elif r.block:
            end = next((i + 1 for i in range(r.anchor, nxt.anchor) if _deadline_line(body[i])), (r.anchor + nxt.anchor + 1) // 2)
            bounds.append(end)
        else:
            gaps = [i + 1 for i in range(r.anchor, nxt.anchor) if _blank_run(body, i, blanks) >= 3]
            # a run of blank lines between two rows' anchors is where one ends and the next begins
            bounds.append(gaps[0] if len(gaps) == 1 else (r.anchor + nxt.anchor + 1) // 2)
    bounds.append(len(body))
    for k, r in enumerate(placed):
        if not r.closing:
            continue
        prev = placed[k - 1] if k else None
        start = prev.anchor + 1 if prev is not None and prev.closing else start_before(body, r.anchor, breaks, index)
        if start is not None and start >= (prev.anchor + 1 if prev else 0):
            bounds[k] = start
        bounds[k + 1] = r.anchor + 1
    if placed and not placed[0].block and len(placed) > 1:  # rows above the first number: lost, or the one before it
        bounds[0] = max(0, placed[0].anchor - (placed[1].anchor - placed[0].anchor) // 2)
    k = 0
    for r in rows:
        if r.anchor < 0:
            before = r.number == placed[0].number - 1 and bounds[0] > 0 if placed else False
            spans.append((0, bounds[0]) if before else (0, 0))
            continue
        spans.append((bounds[k], bounds[k + 1]))
        k += 1
    return spans


def _paragraph_task(row: Row, lines: list[Line], breaks: set[int], vocabulary, by_number: bool) -> TaskDraft:
    problems = [f"số thứ tự đọc được “{row.read_number}”, theo thứ tự là {row.number}"] if row.read_number else []
    if not by_number:
        problems.append("không thấy số thứ tự: đánh số theo thứ tự dòng")
    return task_from_paragraphs(str(row.number), lines, breaks, vocabulary.index, ocr=looks_ocr(join(lines).text),
                                section=row.section, problems=problems)


def _deadline_line(line: Line) -> bool:
    return any("/" in d.written for d in in_cell(" ".join(line.text.split()[-2:])))


def _task(row: Row, lines: list[Line], vocabulary, by_number: bool, has_output: bool, has_leader: bool) -> TaskDraft:
    ref = str(row.number)
    first, last = (lines[0].number, lines[-1].number) if lines else (0, 0)
    problems: list[str] = []
    if not lines:
        problems.append(f"dòng {ref} của phụ lục không đọc được trong bản quét")
        return TaskDraft(found(ref, 0.5, None), missing("không đọc được"), missing("không đọc được"),
                         missing(""), missing("không đọc được"), (0, 0), row.section, problems=problems)
    if row.read_number:
        problems.append(f"số thứ tự đọc được “{row.read_number}”, theo thứ tự là {ref}")
    if by_number and row.anchor == -1:
        problems.append("không thấy số thứ tự: ranh giới dòng không chắc")
    index = vocabulary.index
    short = {i for i, line in enumerate(lines) if len(line.text) <= 32}
    full = tails(lines, index.vocabulary, _DEADLINE_WORDS | _OUTPUT_WORDS)
    right = _DEADLINE_WORDS | (_OUTPUT_WORDS if has_output else frozenset())
    grid = tails(lines, index.vocabulary, _DEADLINE_WORDS | _OUTPUT_WORDS, right, leader=has_leader)
    names = names_in(grid, index, short)
    lead_names, other, sure = columns(names, grid, frozenset(k.rsplit(" ", 1)[-1] for k in index.keys))
    deadline = _deadline(full, lines)
    lead = _units(lead_names, lines, sure, "chủ trì")
    coordinating = _units(other, lines, sure, "phối hợp") if other else found([], 0.9, None)
    if not sure and names:
        problems.append("không chắc cột chủ trì/phối hợp: " + ", ".join(f.entry.name for f in names))
    elif len(names) == 1:
        problems.append("chỉ đọc được một đơn vị trong dòng: cột phối hợp chưa rõ")
    used = {(c.line, c.pos) for f in names for c in f.cells}
    loose = [c.word for row in grid for c in row if (c.line, c.pos) not in used and c.word in index.vocabulary
             and len(c.word) > 2]
    if len(loose) > 2:
        problems.append("còn chữ trong các cột đơn vị chưa đọc ra tên: " + " ".join(loose[:12]))
    content = " ".join(line.text for line in lines)
    return TaskDraft(ref=found(ref, 0.9 if not row.read_number else 0.6, lines[0].number if row.anchor >= 0 else None),
                     content=found(content, 0.4, first), lead=lead, coordinating=coordinating, deadline=deadline,
                     lines=(first, last), section=row.section, problems=problems)


def _units(names: list[GridFound], lines: list[Line], sure: bool, role: str):
    if not names:
        return missing(f"không đọc được đơn vị {role}")
    score = min(f.score for f in names)
    line = lines[min(c.line for f in names for c in f.cells)].number
    confidence = (0.95 if score >= 0.95 else 0.86 if score >= 0.85 else 0.7) * (1 if sure else 0.8)
    note = "; ".join(f"{f.entry.name} ({round(f.score * 100)}%)" for f in names if f.score < 0.95)
    return found([f.entry.name for f in names], confidence, line, f"đọc gần đúng: {note}" if note else "")


def _deadline(grid, lines: list[Line]):
    last_words = []
    for cells, line in zip(grid, lines, strict=True):
        if cells:
            last_words.append((line.number, " ".join(c.word for c in cells[-3:])))
    text = " ".join(w for _, w in last_words)
    quarter = bool(re.search(r"\bquy\b", text))
    month = bool(re.search(r"\bthang\b", text))
    hits = [d for d in in_cell(text, quarter_hint=quarter, month_hint=month) if not d.written.startswith("Thường") or
            re.search(r"\bthu?o?ng?\b", text)]
    if not hits and re.search(r"\bthuon?g?\b", text):
        hits = [d for d in in_cell("thuong xuyen")]
        hits = [type(hits[0])(hits[0].written, 0, 0, True)]
    distinct = list(dict.fromkeys(d.written for d in hits))
    if not distinct:
        return missing("không đọc được thời hạn", lines[len(lines) // 2].number)
    line = next((n for n, w in last_words if w), None)
    if len(distinct) > 1:
        return found(distinct[-1], 0.4, line, "nhiều thời hạn đọc được: " + "; ".join(distinct))
    pick = hits[0]
    return found(pick.written, 0.7 if pick.mended else 0.95, line, "sửa từ bản quét" if pick.mended else "")
