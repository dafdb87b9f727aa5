"""Issuance as the CLI and the flows use it: read, validate, and store in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from domain.directive_file import DirectivePlan, validate_directive
from domain.errors import AlreadyRegisteredError
from intake.readers import read_directive, read_text
from models.crud import find_directive
from models.db import transaction
from models.env import Env
from models.issuance import issue_directive, register_directive


@dataclass
class ImportResult:
    plan: DirectivePlan
    source: str
    dry_run: bool
    directive_id: str | None = None
    status: str = "validated"  # validated | registered | issued | skipped
    assignments: int = 0
    held: list[tuple[str, str]] = field(default_factory=list)
    message: str = ""


def load_plan(*, env: Env, path: Path | None = None, text: str | None = None, header: dict | None = None,
              overrides: dict | None = None) -> tuple[DirectivePlan, str]:
    """Read and validate a directive from a file or pasted text; overrides replace header fields."""
    max_bytes = env.settings.max_import_bytes
    if path is not None:
        data, source = read_directive(path, max_bytes=max_bytes, header=header), path.name
    else:
        data, source = read_text(text or "", max_bytes=max_bytes), "văn bản dán vào"
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    plan = validate_directive(data, source=source, registry=env.registry, calendar=env.calendar, policies=env.policies)
    return plan, source


def import_directive(*, env: Env, plan: DirectivePlan, source: str, actor: str, now: datetime,
                     dry_run: bool = False, skip_existing: bool = False) -> ImportResult:
    """Register a validated directive (issued when it has number and date); nothing is written on error."""
    result = ImportResult(plan, source, dry_run, held=[(t.ref, r) for t in plan.tasks for r in t.held])
    if dry_run:
        result.assignments = plan.assignment_count
        result.message = "hợp lệ (chạy thử, không ghi gì)"
        return result
    policy = env.policies[plan.spec.reminder_policy]
    try:
        done = transaction(env.url, lambda session: register_directive(
            session=session, plan=plan, calendar=env.calendar, policy=policy, actor=actor, now=now,
            source_name=source))
        result.directive_id = str(done.directive.id)
        result.assignments = done.assignments
        result.status = "draft" if plan.is_draft else "issued"
    except AlreadyRegisteredError as exc:
        if not skip_existing:
            raise
        result.status, result.message = "skipped", str(exc)
    return result


def issue_draft(*, env: Env, ref: str, number: str, issued_on: date, actor: str, now: datetime) -> tuple[str, int]:
    """Issue a stored draft; returns its id and the number of assignments created."""
    def issue(session) -> tuple[str, int]:
        directive = find_directive(session=session, ref=ref)
        policy = env.policies[directive.reminder_policy]
        count = issue_directive(session=session, directive=directive, number=number, issued_on=issued_on,
                                calendar=env.calendar, policy=policy, actor=actor, now=now)
        return str(directive.id), count

    return transaction(env.url, issue)
