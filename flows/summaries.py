"""Markdown that operators read in Prefect artifacts."""

from __future__ import annotations

from domain.deadlines import PERIOD_LABELS
from domain.directive_file import TaskPlan
from domain.text import md_text, vn_date
from intake.service import ImportResult
from models.directives import DIRECTIVE_KINDS

_STATUS = {"issued": "đã ban hành", "draft": "đã lưu dự thảo (chưa tính thời hạn)", "validated": "hợp lệ (chạy thử)",
           "skipped": "đã có từ trước, bỏ qua"}


def directive_markdown(result: ImportResult) -> str:
    spec, tasks = result.plan.spec, result.plan.tasks
    lines = [
        f"# {md_text(spec.number or 'Dự thảo')}: {DIRECTIVE_KINDS.get(spec.kind, spec.kind)}",
        "",
        f"*{md_text(spec.subject)}*",
        "",
        f"- **Kết quả:** {_STATUS.get(result.status, result.status)} {result.message}".rstrip(),
        f"- **Cơ quan ban hành:** {md_text(spec.issuer)}",
        f"- **Ngày ban hành:** {vn_date(spec.issued_on)}",
        f"- **Lãnh đạo chủ trì:** {md_text(spec.leader_in_charge or '—')}",
        f"- **Nhiệm vụ:** {len(tasks)} · **Lượt giao cho đơn vị:** {result.assignments or result.plan.assignment_count}",
        f"- **Tệp nguồn:** {md_text(result.source)}",
        "",
        "| Mục | Thời hạn | Hạn thực tế | Chủ trì | Phối hợp | Nội dung |",
        "|---|---|---|---|---|---|",
    ]
    lines += [_task_row(t) for t in tasks]
    if result.held:
        lines += ["", "## Cần người vận hành xử lý", ""]
        lines += [f"- Mục {md_text(ref)}: {md_text(why)}" for ref, why in result.held]
    notes = [(t.ref, note) for t in tasks for note in t.notes]
    if notes:
        lines += ["", "## Ghi chú", ""]
        lines += [f"- Mục {md_text(ref)}: {md_text(note)}" for ref, note in notes]
    return "\n".join(lines) + "\n"


def _task_row(t: TaskPlan) -> str:
    d = t.deadline
    effective = vn_date(d.effective_due) if d.effective_due else (PERIOD_LABELS.get(d.period, "—") if d.period else "chờ xác định")
    units = lambda rs: "; ".join(f"{r.name} ({len(r.units)} đơn vị)" if r.kind == "group" else r.name for r in rs) or "—"
    content = t.content if len(t.content) <= 90 else t.content[:89] + "…"
    return (f"| {md_text(t.ref)} | {md_text(d.written)} | {effective} | {md_text(units(t.lead))} | {md_text(units(t.coordinating))} "
            f"| {md_text(content)} |")
