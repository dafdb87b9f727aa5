"""Numbered items of a letter's prose ("1.", "2.1.", "a)") → tasks, with lead and coordinating units read from
"Giao X chủ trì, phối hợp với Y", "Yêu cầu X …", "X chủ trì …" and the deadline from its phrase."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from drafting.deadline_text import aligned_fold, in_prose
from drafting.names import Hit, NameIndex, Token, names_from, tokenize
from drafting.normalise import Line, Passage, join, roman
from drafting.review import Found, TaskDraft, found, missing

_MARKERS = [
    ("roman", re.compile(r"^(?P<n>(?=[IVXl1|]*[IVX|])[IVXl1|]{1,4})\s*[.|]\s+(?=\S)")),
    ("sub", re.compile(r"^(?P<n>\d{1,2}\.\d{1,2})\.?\s+(?=\S)")),
    ("top", re.compile(r"^(?P<n>\d{1,2})[.)]\s+(?=\S)")),
    ("letter", re.compile(r"^(?P<n>[a-zđ])\)\s+(?=\S)")),
]
_LEVEL = {"roman": 0, "top": 1, "sub": 2, "letter": 3}
_END = re.compile(r"^(?:no\w? nh\w{1,2}n\b|tren day la\b|kt\.|tm\.|phu luc\b|.{0,80}\bthong bao (?:de|cho)\b)")
_LEAD_WORDS = ("giao", "yeu cau", "de nghi", "chi dao")
_REPORT_TO = re.compile(r"\bbao cao (?:ket qua )?(?:ve )?(?P<to>(?:uy ban nhan dan|ubnd) thanh pho|ban chi dao thanh pho|"
                        r"thuong truc thanh uy|chu tich (?:uy ban nhan dan|ubnd) thanh pho)\b")
_REPORT_NAMES = {"ban chi dao thanh pho": "Ban Chỉ đạo thành phố", "thuong truc thanh uy": "Thường trực Thành ủy"}


@dataclass
class Item:
    kind: str
    number: str
    level: int
    lines: list[Line] = field(default_factory=list)
    children: list[Item] = field(default_factory=list)
    parent: Item | None = None


def find_items(lines: list[Line]) -> list[Item]:
    """The numbered items of the prose in `lines`, as a tree (roots returned)."""
    roots: list[Item] = []
    stack: list[Item] = []
    for line in lines:
        if _END.match(line.key):
            break
        marker = _marker(line.text.strip())
        if marker is None:
            if stack and not line.blank:
                stack[-1].lines.append(line)
            continue
        kind, number = marker
        item = Item(kind, number, _LEVEL[kind], [line])
        while stack and stack[-1].level >= item.level:
            stack.pop()
        if stack:
            item.parent = stack[-1]
            stack[-1].children.append(item)
        else:
            roots.append(item)
        stack.append(item)
    return roots


def _marker(text: str) -> tuple[str, str] | None:
    for kind, pattern in _MARKERS:
        m = pattern.match(text)
        if m:
            if kind == "roman":
                value = roman(m["n"])
                return (kind, m["n"]) if value else None
            return kind, m["n"]
    return None


def _ref(item: Item) -> str:
    """"2.3" + "a)" → "2.3.a": a sub-item's number already holds its parent's."""
    parts = []
    node: Item | None = item
    while node is not None and node.kind != "roman":
        parts.append(node.number)
        if node.kind == "sub":
            break
        node = node.parent
    return ".".join(reversed(parts))


def tasks_from_items(roots: list[Item], *, index: NameIndex) -> list[TaskDraft]:
    """Items that assign work become tasks; a parent's lead passes to its sub-items that name none."""
    out: list[TaskDraft] = []

    def walk(item: Item, inherited: Found | None, section: str | None) -> None:
        passage = join(item.lines)
        body = _strip_marker(passage.text)
        lead, coordinating = _units(body, passage, index)
        if item.kind == "roman":
            section = body[:120]
        if lead.value is None and inherited is not None:
            lead = found(inherited.value, inherited.confidence, inherited.line, "theo mục cha")
        if item.children:
            for child in item.children:
                walk(child, lead if lead.value else inherited, section)
            return
        if item.kind == "roman" or (lead.value is None and not coordinating.value):
            return  # an item that gives no one anything to do is context, not a task
        out.append(_task(item, body, passage, lead, coordinating, section))

    for root in roots:
        walk(root, None, None)
    refs = [t.ref.value for t in out]
    if len(set(refs)) != len(refs):  # numbering restarts under each Roman section: keep refs unique
        for t in out:
            t.ref = found(f"{t.section.split('.')[0] if t.section else ''}.{t.ref.value}".lstrip("."), 1.0, t.ref.line)
    return out


def _strip_marker(text: str) -> str:
    for _, pattern in _MARKERS:
        m = pattern.match(text)
        if m:
            return text[m.end():].strip()
    return text.strip()


def _task(item: Item, body: str, passage: Passage, lead: Found, coordinating: Found, section: str | None) -> TaskDraft:
    first, last = item.lines[0].number, item.lines[-1].number
    deadlines = in_prose(body)
    offset = len(passage.text) - len(body)
    if not deadlines:
        deadline = missing("không thấy thời hạn trong mục", first)
    else:
        distinct = list(dict.fromkeys(d.written for d in deadlines))
        pick = deadlines[-1]
        line = passage.line_at(offset + pick.start)
        if len(distinct) > 1:
            deadline = found(pick.written, 0.6, line, "mục có nhiều thời hạn: " + "; ".join(distinct))
        else:
            deadline = found(pick.written, 0.7 if pick.mended else 1.0, line,
                             f"sửa từ bản quét: “{body[pick.start:pick.end]}”" if pick.mended else "")
    task = TaskDraft(ref=found(_ref(item), 1.0, first), content=found(body, 1.0, first), lead=lead,
                     coordinating=coordinating, deadline=deadline, lines=(first, last), section=section)
    folded = aligned_fold(body)
    m = _REPORT_TO.search(folded)
    if m:
        to = m["to"]
        task.report_to = found(_REPORT_NAMES.get(to, "Chủ tịch UBND thành phố" if to.startswith("chu tich") else "UBND thành phố"),
                               1.0, passage.line_at(offset + m.start()))
        if deadlines and re.search(r"\bbao cao\b[^.;]*$", folded[:deadlines[-1].start]):
            task.output = found("Báo cáo", 0.9, task.report_to.line)
    return task


def _units(body: str, passage: Passage, index: NameIndex) -> tuple[Found, Found]:
    tokens = tokenize(body)
    offset = len(passage.text) - len(body)
    leads: list[Hit] = []
    coords: list[Hit] = []
    i = 0
    while i < len(tokens):
        word = tokens[i].word
        two = f"{word} {tokens[i + 1].word}" if i + 1 < len(tokens) else word
        if word in _LEAD_WORDS or two in _LEAD_WORDS:
            k = i + (2 if two in _LEAD_WORDS and word not in _LEAD_WORDS else 1)
            hits, end = names_from(index, body, tokens, k)
            if hits:
                leads.extend(hits)
                i = end
                continue
        if two == "phoi hop" or word == "phoi":
            k = _after(tokens, i + 2, ("voi",))
            hits, end = names_from(index, body, tokens, k)
            if hits:
                coords.extend(hits)
                i = end
                continue
        if i == 0 or tokens[i - 1].punct in (",", ";", ":"):
            hits, end = names_from(index, body, tokens, i)
            if hits and end < len(tokens) and (i == 0 or _chu_tri(tokens, end)):
                leads.extend(hits)
                i = end
                continue
        i += 1
    at = lambda hits: passage.line_at(offset + tokens[hits[0].start].start) if hits else None
    return _as_found(leads, at(leads), "chủ trì"), _as_found(coords, at(coords), "phối hợp")


def _after(tokens: list[Token], i: int, words: tuple[str, ...]) -> int:
    while i < len(tokens) and (tokens[i].word in words or tokens[i].punct):
        i += 1
    return i


def _chu_tri(tokens: list[Token], i: int) -> bool:
    i = _after(tokens, i, ())
    nxt = " ".join(t.word for t in tokens[i:i + 3])
    return nxt.startswith(("chu tri", "co trach nhiem", "thuc hien", "khan truong", "tham muu"))


def _as_found(hits: list[Hit], line: int | None, role: str) -> Found:
    if not hits:
        return missing(f"không thấy đơn vị {role}")
    unknown = [h for h in hits if h.entry is None]
    names = list(dict.fromkeys(h.entry.name for h in hits if h.entry is not None))
    if unknown:
        said = "; ".join(f"“{h.written}”" + (f" (có thể: {', '.join(h.alternatives)})" if h.alternatives else "") for h in unknown)
        return found(names or None, 0.4, line, f"không chắc tên đơn vị {said}")
    score = min(h.score for h in hits)
    confidence = 1.0 if score == 100 else 0.9 if score >= 92 else 0.8
    note = "" if score == 100 else "khớp gần đúng với danh mục: " + "; ".join(f"“{h.written}” → {h.entry.name}" for h in hits if h.score < 100)
    return found(names, confidence, line, note)
