"""`dondoc draft`: propose a directive file from the text of a letter (clean or OCR'd, .txt or PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.app import JsonOpt, app
from cli.output import edge, out, print_json
from domain.errors import InputError


@app.command("draft")
@edge
def draft_cmd(
    path: Annotated[Path, typer.Argument(help="Văn bản cần đọc: .txt hoặc .pdf có lớp chữ")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Ghi bản nháp (YAML) vào tệp này; mặc định in ra")] = None,
    json_: JsonOpt = False,
):
    """Đọc một công văn/kế hoạch (kể cả bản quét OCR) và đề xuất tệp văn bản để kiểm tra rồi `dondoc import`."""
    from drafting.render import draft_yaml
    from intake.drafting import draft_letter

    draft = draft_letter(path=path)
    text = draft_yaml(draft)
    if out_file is not None:
        try:
            out_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"không ghi được {out_file}: {exc.strerror}") from None
    check = draft.tasks_to_check()
    if json_:
        return print_json({"directive": draft.directive(), "is_draft": draft.is_draft, "out": str(out_file) if out_file else None,
                           "tasks": len(draft.tasks), "tasks_to_check": check, "notes": draft.notes,
                           "review": draft.review()})
    if out_file is None:
        out.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        out.print(f"Đã ghi bản nháp vào {out_file}: {len(draft.tasks)} nhiệm vụ, {len(check)} cần kiểm tra.")
    for n in draft.notes:
        out.print(f"  {n}", markup=False)
    for c in check:
        out.print(f"  [yellow]Kiểm tra[/] mục {c['task']} (dòng {c['lines']}): " + "; ".join(c["reasons"]).replace("[", "\\["))
    fields = [r for r in draft.review() if r["check"] and not r["field"].startswith("tasks")]
    for r in fields:
        out.print(f"  [yellow]Kiểm tra[/] {r['field']}: {r['note'] or 'chưa đọc được'}".replace("[y", "[y"), markup=True)
