"""What the operator checks: every drafted value with its confidence and the source line it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

CHECK_BELOW = 0.85  # a value less sure than this is marked for the operator


@dataclass
class Found:
    """One drafted value: None when the text does not give it (never guessed)."""

    value: object = None
    confidence: float = 0.0
    line: int | None = None  # 1-based line of the source
    note: str = ""  # what the operator should know: the OCR reading, the alternatives, why it is empty

    @property
    def check(self) -> bool:
        return self.value in (None, "", [], ()) or self.confidence < CHECK_BELOW


def found(value, confidence: float, line: int | None, note: str = "") -> Found:
    return Found(value, round(confidence, 2), line, note)


def missing(note: str, line: int | None = None) -> Found:
    return Found(None, 0.0, line, note)


@dataclass
class TaskDraft:
    """One task as drafted: each field a Found; `lines` the span of the source it was read from."""

    ref: Found
    content: Found
    lead: Found
    coordinating: Found
    deadline: Found
    lines: tuple[int, int]
    section: str | None = None
    output: Found = field(default_factory=lambda: missing(""))
    report_to: Found = field(default_factory=lambda: missing(""))
    leader_in_charge: Found = field(default_factory=lambda: missing(""))
    due: str | None = None  # ISO date the deadline grammar gives, for the review
    problems: list[str] = field(default_factory=list)  # row-level doubts (boundaries, unread text)

    @property
    def check(self) -> bool:
        """Marked for the operator: units or deadline unresolved or unsure, or a doubt about the row."""
        return bool(self.problems) or any(f.check for f in (self.lead, self.deadline)) or self._coordinating_doubt()

    def _coordinating_doubt(self) -> bool:
        """No coordinating unit is a complete answer; a doubtful one is not."""
        c = self.coordinating
        return c.confidence < CHECK_BELOW and (bool(c.value) or c.note.startswith("không chắc"))

    def reasons(self) -> list[str]:
        out = list(self.problems)
        for label, f in (("chủ trì", self.lead), ("thời hạn", self.deadline)):
            if f.check:
                out.append(f"{label}: {f.note or 'chưa đọc được'}")
        if self._coordinating_doubt():
            out.append(f"phối hợp: {self.coordinating.note or 'không chắc'}")
        return out
