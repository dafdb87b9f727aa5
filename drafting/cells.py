"""Rows of an appendix laid out one cell a paragraph, read without a header to go by (seed 003 rows 9-10,
004 rows 21-23: the header itself came out interleaved).

Each paragraph is told by what it holds: the STT alone, a leader ("Đồng chí …"), a list of registry names and
nothing else (a unit cell), output words, a deadline alone, or else content. The first unit cell is the lead
(Đơn vị chủ trì), the next the coordinating one: the columns stand in that order in every layout seen.
"""

from __future__ import annotations

import re

from drafting.deadline_text import in_cell
from drafting.names import NameIndex, names_from, tokenize
from drafting.normalise import Line, join, looks_ocr
from drafting.review import Found, TaskDraft, found, missing

_OUTPUT = frozenset({"van", "ban", "bao", "cao", "ke", "hoach", "phan", "mem", "quyet", "dinh", "he", "thong", "tin",
                     "cong", "ung", "dung", "san", "pham", "thiet", "bi", "lop", "tap", "huan", "chien", "luoc", "cac"})


def paragraphs(lines: list[Line], breaks: set[int]) -> list[list[Line]]:
    """Lines grouped at the blank lines of the source (`breaks`: numbers of lines that follow a blank)."""
    out: list[list[Line]] = []
    for line in lines:
        if not out or line.number in breaks:
            out.append([])
        out[-1].append(line)
    return out


def unit_cell(text: str, index: NameIndex) -> list | None:
    """The names a paragraph holds when it holds names and nothing else, else None."""
    tokens = tokenize(text)
    hits, end = names_from(index, text, tokens, 0)
    if not hits or any(t.word for t in tokens[end:]):
        return None
    return hits


def deadline_cell(lines: list[Line]) -> bool:
    text = join(lines).text
    return len(text.split()) <= 4 and bool(in_cell(text))


def start_before(body: list[Line], end: int, breaks: set[int], index: NameIndex) -> int | None:
    """Where a cell-per-paragraph row ending at body[end] (its deadline) starts: back over its unit cells and
    one content paragraph; None when no unit cell stands before the deadline (not this layout)."""
    paras = paragraphs(body[:end], breaks)
    units = 0
    k = len(paras) - 1
    while k >= 0 and unit_cell(join(paras[k]).text, index) is not None:
        units += 1
        k -= 1
    if not units or k < 0:
        return None
    return end - sum(len(p) for p in paras[k:])


def task_from_paragraphs(ref: str, lines: list[Line], breaks: set[int], index: NameIndex, *, ocr: bool,
                         section: str | None, problems: list[str]) -> TaskDraft:
    """A row whose cells are paragraphs, classified by their text."""
    from drafting.items import _as_found  # one rule for how sure a list of names is

    units: list[tuple[list, int]] = []
    deadlines: list[list[Line]] = []
    content: list[str] = []
    output: list[Line] | None = None
    for para in paragraphs(lines, breaks):
        text = join(para).text
        key = " ".join(x.key for x in para)
        if re.fullmatch(r"\W*\d{1,3}\W*", key):
            continue
        if deadline_cell(para):
            deadlines.append(para)
        elif key.lstrip().startswith(("dong chi", "d ng chi")) or re.match(r"^\W*\w{1,4}ng chi\b", key):
            continue  # the leader column: not scored, the operator reads it in the source
        elif (hits := unit_cell(text, index)) is not None:
            units.append((hits, para[0].number))
        elif set(re.findall(r"[a-z]+", key)) <= _OUTPUT and output is None and content:
            output = para
        else:
            if content and len(text.split()) <= 10:
                # a short paragraph after the content is a cell: one not read as names may be the lead
                problems = [*problems, f"ô không đọc được: “{text}”"]
            content.append(text)
    problems = list(problems)
    if not units:
        lead = missing("không thấy ô đơn vị chủ trì")
    else:
        lead = _as_found(units[0][0], units[0][1], "chủ trì")
    coordinating = _as_found(units[1][0], units[1][1], "phối hợp") if len(units) > 1 else found([], 0.9, None)
    if len(units) > 2:
        problems.append(f"dòng có {len(units)} ô tên đơn vị: cần kiểm tra cột chủ trì/phối hợp")
    deadline = _deadline(deadlines)
    first, last = lines[0].number, lines[-1].number
    task = TaskDraft(ref=found(ref, 0.9, first), content=found(" ".join(content) or None, 0.5 if ocr else 1.0, first),
                     lead=lead, coordinating=coordinating, deadline=deadline, lines=(first, last), section=section,
                     problems=problems)
    if output:
        task.output = found(join(output).text, 0.5, output[0].number)
    return task


def _deadline(cells: list[list[Line]]) -> Found:
    if len(cells) != 1:
        return missing("không thấy ô thời hạn" if not cells else "nhiều ô thời hạn trong dòng")
    hits = in_cell(join(cells[0]).text)
    if len(hits) != 1:
        return found(None, 0.0, cells[0][0].number, f"không đọc được thời hạn “{join(cells[0]).text}”")
    return found(hits[0].written, 0.7 if hits[0].mended else 0.95, cells[0][0].number,
                 "sửa từ bản quét" if hits[0].mended else "")


def block_task(row, lines: list[Line], breaks: set[int], roles: list[str], vocabulary) -> TaskDraft:
    """A row laid out cell after cell: paragraphs in the header's column order (`row`: an appendix Row)."""
    paragraphs: list[list[Line]] = []
    for line in lines[1:]:
        if not paragraphs or line.number in breaks:
            paragraphs.append([])
        paragraphs[-1].append(line)
    cols = [r for r in roles if r != "stt"]
    ref, first, last = str(row.number), lines[0].number, lines[-1].number
    problems = [] if len(paragraphs) == len(cols) else [f"dòng có {len(paragraphs)} ô, bảng có {len(cols)} cột: cần kiểm tra"]
    cells = dict(zip(cols, paragraphs, strict=False))
    if len(paragraphs) == len(cols) - 1 and "coordinating" in cols:  # an empty coordinating cell leaves no paragraph
        rest = [c for c in cols if c != "coordinating"]
        cells, problems = dict(zip(rest, paragraphs, strict=False)), []
    text = {k: join(v).text for k, v in cells.items()}
    ocr = looks_ocr(" ".join(text.values()))
    lead = cell_names(text.get("lead"), cells.get("lead"), vocabulary, "chủ trì")
    coordinating = cell_names(text.get("coordinating"), cells.get("coordinating"), vocabulary, "phối hợp")
    deadline = cell_deadline(text.get("deadline"), cells.get("deadline"), ocr)
    task = TaskDraft(ref=found(ref, 1.0, first), content=found(text.get("content"), 0.5 if ocr else 1.0, first,
                     "chữ đọc từ bản quét (mất dấu)" if ocr else ""), lead=lead, coordinating=coordinating,
                     deadline=deadline, lines=(first, last), section=row.section, problems=problems)
    if text.get("output"):
        task.output = found(text["output"], 0.5 if ocr else 1.0, cells["output"][0].number)
    return task


def cell_names(text: str | None, cell: list[Line] | None, vocabulary, role: str):
    if not text:
        return missing(f"ô {role} để trống") if role == "chủ trì" else found([], 1.0, None)
    from drafting.items import _as_found  # one rule for how sure a list of names is

    tokens = tokenize(text)
    hits, end = names_from(vocabulary.index, text, tokens, 0)
    rest = [t for t in tokens[end:] if t.word]
    result = _as_found(hits, cell[0].number, role)
    if rest:
        return found(result.value, min(result.confidence, 0.5), cell[0].number,
                     f"không đọc hết ô “{text}”" + (f"; {result.note}" if result.note else ""))
    return result


def cell_deadline(text: str | None, cell: list[Line] | None, ocr: bool):
    if not text:
        return missing("ô thời hạn để trống")
    if not ocr:
        return found(text.strip(" ."), 1.0, cell[0].number)
    hits = in_cell(text)
    if len(hits) != 1:
        return found(None, 0.0, cell[0].number, f"không đọc được thời hạn “{text}”")
    return found(hits[0].written, 0.7 if hits[0].mended else 0.9, cell[0].number, "sửa từ bản quét" if hits[0].mended else "")
