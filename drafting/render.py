"""The draft as a directive file an operator edits (YAML, comments on what to check) and the review as
Markdown and table rows for Prefect artifacts."""

from __future__ import annotations

import textwrap

import yaml

from drafting.draft import Draft

_HEAD = ("number", "kind", "issued_on", "issuer", "signer", "leader_in_charge", "subject", "implements", "reminder_policy")
_TASK = ("ref", "content", "lead", "coordinating", "deadline", "report_to", "output", "leader_in_charge", "section")
_REQUIRED = {"kind", "issuer", "subject", "lead", "deadline"}


def draft_yaml(draft: Draft) -> str:
    """The directive file: `dondoc import` reads it once the operator has filled what is marked KIỂM TRA."""
    data = draft.directive()
    h = draft.header
    lines = [f"# Bản nháp do `dondoc draft` đọc từ {draft.source}: người vận hành kiểm tra các dòng “KIỂM TRA”,",
             "# điền phần còn trống, rồi `dondoc import` (dự thảo nếu chưa có số và ngày)."]
    lines += [f"# {n}" for n in draft.notes]
    for key in _HEAD:
        f = getattr(h, key, None)
        lines += _entry(key, data.get(key), f.check if f is not None and key != "implements" else False,
                        f.note if f is not None else "", indent="")
    lines.append("tasks:")
    for task, t in zip(data["tasks"], draft.tasks, strict=True):
        reasons = t.reasons()
        if reasons:
            lines.append(f"  # KIỂM TRA mục {t.ref.value} (dòng {t.lines[0]}–{t.lines[1]}): " + "; ".join(reasons))
        first = True
        for key in _TASK:
            if key not in task:
                continue
            value = task[key]
            f = getattr(t, key, None)
            doubt = key in ("lead", "deadline") and f is not None and f.check
            out = _entry(key, value, doubt, "", indent="    ")
            if first:
                out[0] = "  - " + out[0][4:]
                first = False
            lines += out
    return "\n".join(lines) + "\n"


def _entry(key: str, value, check: bool, note: str, *, indent: str) -> list[str]:
    mark = f"  # KIỂM TRA{': ' + note if note else ''}" if check else ""
    if value in (None, []) and key in _REQUIRED:
        mark = mark or "  # KIỂM TRA: chưa đọc được, cần điền"
    if isinstance(value, str) and len(value) > 90:
        body = textwrap.wrap(value, 100, break_long_words=False, break_on_hyphens=False)
        return [f"{indent}{key}: >-{mark}"] + [f"{indent}  {line}" for line in body]
    return [f"{indent}{key}: {_scalar(value)}{mark}"]


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    text = yaml.safe_dump(value, allow_unicode=True, width=10**6, default_flow_style=True).strip()
    text = text.removesuffix("\n...").removesuffix("...").strip()
    if isinstance(value, str) and ("," in value or text != value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def review_markdown(draft: Draft) -> str:
    """The review list for an operator: the tasks to look at first, then every field with its line."""
    check = draft.tasks_to_check()
    lines = [f"# Bản nháp văn bản từ {draft.source}", "",
             (f"- **Số:** {draft.header.number.value or 'chưa có (dự thảo)'} · **Loại:** {draft.header.kind.value or '—'}"
              f" · **Nhiệm vụ:** {len(draft.tasks)} · **Cần kiểm tra:** {len(check)}"), ""]
    lines += [f"- {n}" for n in draft.notes]
    if check:
        lines += ["", "## Nhiệm vụ cần người vận hành kiểm tra", "", "| Mục | Dòng | Lý do |", "|---|---|---|"]
        lines += [f"| {_cell(c['task'])} | {c['lines']} | {_cell('; '.join(c['reasons']))} |" for c in check]
    lines += ["", "## Từng trường", "", "| Trường | Giá trị | Độ tin cậy | Dòng | Kiểm tra | Ghi chú |", "|---|---|---|---|---|---|"]
    for r in draft.review():
        lines.append(f"| {_cell(r['field'])} | {_cell(_short(r['value']))} | {r['confidence']:.2f} | {r['line'] or '—'} | "
                     f"{'⚠' if r['check'] else ''} | {_cell(r['note'])} |")
    return "\n".join(lines) + "\n"


def review_rows(draft: Draft) -> list[dict]:
    """The review as table rows (Prefect table artifact)."""
    return [{"Trường": r["field"], "Giá trị": _short(r["value"]), "Độ tin cậy": r["confidence"], "Dòng": r["line"],
             "Kiểm tra": "⚠" if r["check"] else "", "Ghi chú": r["note"]} for r in draft.review()]


def _short(value) -> str:
    if value is None:
        return "—"
    text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
