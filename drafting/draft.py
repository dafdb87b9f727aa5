"""A letter's text → a draft directive (the spec's keys) and its review list. Pure: names, calendar in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from domain.deadlines import parse_deadline
from domain.errors import DeadlineError
from domain.registry import Registry, match_key
from domain.workdays import WorkCalendar
from drafting.appendix import find_appendix, tasks_from_table
from drafting.header import Header, read_header
from drafting.items import find_items, tasks_from_items
from drafting.names import NameIndex
from drafting.normalise import split_lines
from drafting.review import Found, TaskDraft, found


@dataclass(frozen=True)
class Vocabulary:
    """What the drafting matches besides the units registry (config/drafting.yaml)."""

    index: NameIndex
    issuers: dict[str, str]  # match key → spelling
    outputs: tuple[str, ...] = ()

    @classmethod
    def build(cls, registry: Registry, data: dict) -> Vocabulary:
        issuers: dict[str, str] = {}
        for entry in data.get("issuers") or []:
            for spelling in (entry["name"], *(entry.get("aliases") or ())):
                issuers.setdefault(match_key(spelling), entry["name"])
        return cls(NameIndex(registry, tuple(data.get("vague_names") or ())), issuers, tuple(data.get("outputs") or ()))


@dataclass
class Draft:
    header: Header
    tasks: list[TaskDraft]
    source: str
    notes: list[str] = field(default_factory=list)  # about the whole document

    def directive(self) -> dict:
        """The draft in the keys of shared/spec/directive.example.yaml; what the text lacks is empty."""
        h = self.header
        data = {"number": h.number.value, "kind": h.kind.value, "issued_on": h.issued_on.value, "issuer": h.issuer.value,
                "signer": h.signer.value, "leader_in_charge": h.leader_in_charge.value, "subject": h.subject.value,
                "implements": h.implements.value or [], "reminder_policy": "default", "tasks": []}
        for t in self.tasks:
            task = {"ref": t.ref.value, "content": t.content.value, "lead": t.lead.value or [],
                    "coordinating": t.coordinating.value or [], "deadline": t.deadline.value}
            for key in ("report_to", "output", "leader_in_charge"):
                if getattr(t, key).value:
                    task[key] = getattr(t, key).value
            if t.section:
                task["section"] = t.section
            data["tasks"].append(task)
        return data

    def review(self) -> list[dict]:
        """Every field with its confidence, the source line it came from, and whether the operator must look."""
        rows = [_row(name, getattr(self.header, name)) for name in
                ("number", "issued_on", "kind", "issuer", "subject", "implements", "signer", "signer_title",
                 "leader_in_charge")]
        rows += [_row("recipients", r) for r in self.header.recipients]
        for i, t in enumerate(self.tasks, start=1):
            where = f"tasks[{i}] (mục {t.ref.value})"
            for name in ("ref", "lead", "coordinating", "deadline", "content", "output", "leader_in_charge"):
                f = getattr(t, name)
                if name in ("output", "leader_in_charge") and f.value is None and not f.note:
                    continue
                row = _row(f"{where}.{name}", f)
                if name == "coordinating" and not f.value and not f.note.startswith("không chắc"):
                    row["check"] = False  # a task without coordinating units is common and complete
                if name == "content" and not self.header.ocr:
                    row["check"] = False
                rows.append(row)
        return rows

    def tasks_to_check(self) -> list[dict]:
        return [{"task": t.ref.value, "lines": f"{t.lines[0]}–{t.lines[1]}", "reasons": t.reasons()}
                for t in self.tasks if t.check]

    @property
    def is_draft(self) -> bool:
        return self.header.number.value is None


def _row(name: str, f: Found) -> dict:
    return {"field": name, "value": f.value, "confidence": f.confidence, "line": f.line, "check": f.check, "note": f.note}


def draft_text(text: str, *, vocabulary: Vocabulary, calendar: WorkCalendar, source: str = "văn bản") -> Draft:
    """Read a letter or plan (clean or OCR'd) and propose its directive; nothing is guessed, doubts are flagged."""
    lines = split_lines(text)
    start = find_appendix(lines)
    body_end = start if start is not None else len(lines)
    header = read_header(lines, index=vocabulary.index, issuers=vocabulary.issuers, body_end=body_end)
    notes: list[str] = []
    if start is not None:
        tasks = tasks_from_table(lines[start:], vocabulary=vocabulary)
        notes.append(f"nhiệm vụ lấy từ bảng phụ lục (dòng {lines[start].number}); các mục trong phần lời văn không thành nhiệm vụ")
    else:
        tasks = tasks_from_items(find_items(lines[:body_end]), index=vocabulary.index)
    if header.ocr:
        for t in tasks:
            t.content = found(t.content.value, 0.5, t.content.line, "chữ đọc từ bản quét (mất dấu): cần gõ lại")
    issued = date.fromisoformat(header.issued_on.value) if header.issued_on.value else None
    for t in tasks:
        _check_deadline(t, calendar, issued)
    if not tasks:
        notes.append("không tìm thấy nhiệm vụ nào được giao (mục đánh số hoặc bảng phụ lục)")
    return Draft(header, tasks, source, notes)


def _check_deadline(task: TaskDraft, calendar: WorkCalendar, issued: date | None) -> None:
    """The deadline as the grammar reads it; one the grammar refuses is kept as written and flagged."""
    written = task.deadline.value
    if not written:
        return
    try:
        parsed = parse_deadline(str(written), calendar=calendar, issued_on=issued)
    except DeadlineError as exc:
        task.deadline = found(written, min(task.deadline.confidence, 0.3), task.deadline.line, str(exc))
        return
    task.due = parsed.due.isoformat() if parsed.due else None
    if parsed.kind == "unresolved":
        task.deadline = found(written, min(task.deadline.confidence, 0.5), task.deadline.line,
                              (task.deadline.note + "; " if task.deadline.note else "") +
                              "thời hạn lấy từ văn bản khác: người vận hành đặt ngày")


def ref_key(ref: str) -> str:
    return re.sub(r"\s+", "", ref)
