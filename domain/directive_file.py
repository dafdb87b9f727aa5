"""The directive file (shared/spec): its schema, and validation into a plan ready to be stored.

Pure: the registry, calendar and policies come in; every problem is collected and reported at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticError

from domain.deadlines import Deadline, parse_deadline
from domain.errors import (
    DeadlineError,
    Problem,
    UnknownUnitError,
    ValidationError,
    problems_from,
)
from domain.policy import ReminderPolicy
from domain.registry import Registry, Resolved
from domain.text import nfc, refuse_controls
from domain.workdays import WorkCalendar

MAX_TASKS = 5000


def _text(value):
    """Numbers typed where text belongs ("ref: 1") are text; strings are NFC with spaces folded, and refused when
    they hold a control character (a YAML "\\x00" escape, text pasted from a binary file)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return nfc(refuse_controls(value)) if isinstance(value, str) else value


def _names(value):
    """A unit cell may be one string ("Sở Tài chính; Sở Nội vụ") or a list of names."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    return value


Text = Annotated[str, BeforeValidator(_text), StringConstraints(min_length=1, max_length=20000)]
ShortText = Annotated[str, BeforeValidator(_text), StringConstraints(min_length=1, max_length=300)]
# A blank name in the list is an error, not "no unit"; one spreadsheet cell may name a dozen units.
Names = Annotated[list[Annotated[str, BeforeValidator(_text), StringConstraints(min_length=1, max_length=2000)]],
                  BeforeValidator(_names)]


class TaskFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: ShortText
    content: Text
    lead: Names = Field(min_length=1)
    coordinating: Names = []
    deadline: ShortText
    report_to: ShortText | None = None
    output: ShortText | None = None
    leader_in_charge: ShortText | None = None
    section: ShortText | None = None


class DirectiveFile(BaseModel):
    """A directive as `dondoc import` accepts it (keys of shared/spec/directive.example.yaml)."""

    model_config = ConfigDict(extra="forbid")

    number: ShortText | None = None
    kind: Literal["cong_van", "ke_hoach", "thong_bao", "chuong_trinh", "quyet_dinh", "nghi_quyet"]
    issued_on: date | None = None
    issuer: ShortText
    signer: ShortText | None = None
    leader_in_charge: ShortText | None = None
    subject: Text
    implements: list[ShortText] = []
    reminder_policy: ShortText = "default"
    tasks: list[TaskFile] = Field(min_length=1, max_length=MAX_TASKS)


@dataclass(frozen=True)
class TaskPlan:
    ref: str
    position: int
    content: str
    deadline: Deadline
    lead: tuple[Resolved, ...]
    coordinating: tuple[Resolved, ...]
    lead_units: tuple[str, ...]  # unit refs
    coordinating_units: tuple[str, ...]  # unit refs, leads removed
    output: str | None = None
    report_to: str | None = None
    leader_in_charge: str | None = None
    section: str | None = None
    held: tuple[str, ...] = ()  # reasons an operator must act before this task's clocks can run
    notes: tuple[str, ...] = ()  # things an operator may want to complete; they block nothing


@dataclass(frozen=True)
class DirectivePlan:
    """A validated directive: what issuance writes, with nothing left to check but the database."""

    spec: DirectiveFile
    tasks: tuple[TaskPlan, ...]
    sha256: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def is_draft(self) -> bool:
        return self.spec.number is None

    @property
    def assignment_count(self) -> int:
        return sum(len(t.lead_units) + len(t.coordinating_units) for t in self.tasks)


def validate_directive(
    data: object,
    *,
    source: str,
    registry: Registry,
    calendar: WorkCalendar,
    policies: dict[str, ReminderPolicy],
) -> DirectivePlan:
    """Raw data (from YAML, JSON or a spreadsheet) → DirectivePlan, or ValidationError listing every problem."""
    if not isinstance(data, dict):
        raise ValidationError(source, [Problem("", "tệp phải là một văn bản (bảng khóa: giá trị), không phải danh sách hay chuỗi")])
    try:
        spec = DirectiveFile.model_validate(data)
    except PydanticError as exc:
        raise ValidationError(source, problems_from(exc)) from None

    problems: list[Problem] = []
    if (spec.number is None) != (spec.issued_on is None):
        problems.append(Problem("number/issued_on", "văn bản đã ban hành cần cả số và ngày ban hành; bản dự thảo để trống cả hai"))
    if spec.reminder_policy not in policies:
        problems.append(Problem("reminder_policy", f"không có chính sách “{spec.reminder_policy}” (có: {', '.join(policies)})"))
    if spec.number and spec.number.startswith("/"):
        problems.append(Problem("number", f"số “{spec.number}” thiếu phần số; bản dự thảo để trống số"))

    seen: dict[str, int] = {}
    tasks: list[TaskPlan] = []
    for i, task in enumerate(spec.tasks):
        where = f"tasks[{i + 1}] (mục {task.ref})"
        if task.ref in seen:
            problems.append(Problem(where, f"trùng số thứ tự với tasks[{seen[task.ref] + 1}]"))
        seen.setdefault(task.ref, i)
        plan = _task_plan(task, i, where, spec.issued_on, registry, calendar, problems)
        if plan:
            tasks.append(plan)
    if problems:
        raise ValidationError(source, problems)
    return DirectivePlan(spec, tuple(tasks), _content_hash(spec))


def _task_plan(task: TaskFile, position: int, where: str, issued_on: date | None, registry: Registry,
               calendar: WorkCalendar, problems: list[Problem]) -> TaskPlan | None:
    before = len(problems)
    lead = _resolve(task.lead, f"{where}.lead", registry, problems)
    coordinating = _resolve(task.coordinating, f"{where}.coordinating", registry, problems)
    try:
        deadline = parse_deadline(task.deadline, calendar=calendar, issued_on=issued_on)
    except DeadlineError as exc:
        problems.append(Problem(f"{where}.deadline", str(exc)))
    if len(problems) > before:
        return None

    lead_units = tuple(dict.fromkeys(u for r in lead for u in r.units))
    held: list[str] = []
    if not lead_units:
        held.append("chưa có đơn vị chủ trì cụ thể: " + "; ".join(f"“{r.written}”" for r in lead))
    if deadline.kind == "unresolved":
        held.append(f"thời hạn lấy từ văn bản khác (“{deadline.written}”): cần người vận hành đặt ngày")
    # Vague names beside real ones block nothing: the operator may add units later.
    notes = [f"“{r.written}” chưa chỉ rõ đơn vị" for r in (*lead, *coordinating) if r.kind == "vague" and lead_units]
    coordinating_units = tuple(u for u in dict.fromkeys(u for r in coordinating for u in r.units) if u not in lead_units)
    return TaskPlan(
        ref=task.ref, position=position, content=task.content, deadline=deadline,
        lead=tuple(lead), coordinating=tuple(coordinating), lead_units=lead_units,
        coordinating_units=coordinating_units, output=task.output, report_to=task.report_to,
        leader_in_charge=task.leader_in_charge, section=task.section, held=tuple(held), notes=tuple(notes),
    )


def _resolve(names: list[str], where: str, registry: Registry, problems: list[Problem]) -> list[Resolved]:
    try:
        return registry.resolve_list(names)
    except UnknownUnitError as exc:
        problems.append(Problem(where, str(exc)))
        return []


def _content_hash(spec: DirectiveFile) -> str:
    """Same directive content → same hash, whatever file format or key order it came in."""
    canonical = json.dumps(spec.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
