"""Commands for the office's side of reporting: record reports, decide on them, cancel, links, monitoring."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.app import AsOfOpt, JsonOpt, actor, app
from cli.flowrun import run_flow
from cli.output import edge, out, parse_day, parse_moment, print_json
from domain.errors import InputError, Problem, ValidationError
from domain.report_form import (
    Upload,
    check_uploads,
    validate_extension,
    validate_report,
)
from domain.text import vn_date
from intake.report_sheet import read_report_sheet
from models.crud import find_directive, find_unit
from models.db import session_scope
from models.env import planning_of, prepare
from models.evidence import store_evidence
from models.links import ensure_links, revoke_links
from models.reports import (
    find_work_by,
    request_extension,
    submit_report,
    waiting_decisions,
)

UnitArg = Annotated[str, typer.Argument(help="Tên đơn vị, ví dụ “Sở Tài chính”")]
DirectiveArg = Annotated[str, typer.Argument(help="Số hoặc mã văn bản")]
TaskOpt = Annotated[str, typer.Option("--task", help="Mục (số thứ tự nhiệm vụ trong văn bản)")]


@app.command("report")
@edge
def report_cmd(
    directive: DirectiveArg, unit: UnitArg, task: TaskOpt,
    progress: Annotated[int, typer.Option("--progress", help="Tiến độ, 0–100 (%)")],
    done: Annotated[str, typer.Option("--done", help="Kết quả thực hiện")],
    difficulties: Annotated[str, typer.Option("--difficulties", help="Khó khăn, vướng mắc")] = "",
    proposals: Annotated[str, typer.Option("--proposals", help="Đề xuất")] = "",
    link: Annotated[list[str] | None, typer.Option("--link", help="Đường dẫn minh chứng (lặp lại được)")] = None,
    file: Annotated[list[Path] | None, typer.Option("--file", help="Tệp minh chứng (lặp lại được)")] = None,
    complete: Annotated[bool, typer.Option("--complete", help="Đơn vị báo cáo đã hoàn thành")] = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Ghi báo cáo thay cho đơn vị (báo cáo giấy, qua điện thoại)."""
    now = parse_moment(as_of)
    env = prepare(now=now, actor=actor())
    form = validate_report({"progress": progress, "done_text": done, "difficulties": difficulties,
                            "proposals": proposals, "links": link or [], "claims_completion": complete})
    uploads = [_upload(p, env.settings.max_evidence_bytes) for p in file or []]
    if problems := check_uploads(uploads, max_bytes=env.settings.max_evidence_bytes):
        raise ValidationError("minh chứng", problems)
    with session_scope(env.url) as session:
        work = find_work_by(session=session, directive=find_directive(session=session, ref=directive),
                            unit=find_unit(session=session, registry=env.registry, name=unit), task_ref=task)
        report = submit_report(session=session, work=work, form=form, source="office", submitted_by=actor(), now=now,
                               evidence=store_evidence(env.settings.evidence_dir, uploads))
    result = {"id": str(report.id), "status": work.assignment.status, "files": len(uploads)}
    if json_:
        return print_json(result)
    waiting = " — chờ Văn phòng duyệt hoàn thành" if complete else ""
    out.print(f"Đã ghi báo cáo {progress}% của {work.unit.name}, mục {work.task.ref}{waiting}. Mã: {report.id}")


def _upload(path: Path, max_bytes: int) -> Upload:
    """A file to attach, read up to one byte past the limit: enough to know it is too big (/dev/zero never ends)."""
    if not path.is_file():
        raise InputError(f"{path} không phải là tệp" if path.exists() else f"không có tệp {path}")
    try:
        with path.open("rb") as f:
            return Upload(path.name, f.read(max_bytes + 1))
    except OSError as exc:
        raise InputError(f"không đọc được tệp {path}: {exc.strerror}") from None


@app.command("report-import")
@edge
def report_import_cmd(
    path: Annotated[Path, typer.Argument(help="Tệp .xlsx: mỗi dòng một báo cáo")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, không ghi")] = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Nhập báo cáo Văn phòng đã thu thập vào bảng tính (kiểm tra hết, sai một dòng thì không ghi dòng nào)."""
    now = parse_moment(as_of)
    env = prepare(now=now, actor=actor())
    rows = read_report_sheet(path, now=now, max_bytes=env.settings.max_import_bytes)
    problems, saved = [], 0
    with session_scope(env.url) as session:
        for row in rows:
            try:
                work = find_work_by(session=session, directive=find_directive(session=session, ref=row.directive),
                                    unit=find_unit(session=session, registry=env.registry, name=row.unit),
                                    task_ref=row.task)
                if not problems and not dry_run:
                    submit_report(session=session, work=work, form=row.form, evidence=[], source="xlsx",
                                  submitted_by=f"{actor()}:{path.name}", now=row.submitted_at or now)
                    saved += 1
            except InputError as exc:
                problems.append(Problem(f"dòng {row.line}", str(exc)))
        if problems:  # raising rolls the whole sheet back
            raise ValidationError(path.name, problems)
    result = {"rows": len(rows), "saved": saved, "dry_run": dry_run}
    if json_:
        return print_json(result)
    out.print(f"{path.name}: {len(rows)} báo cáo hợp lệ" + ("" if dry_run else f", đã ghi {saved}") + ".")


@app.command("reports")
@edge
def reports_cmd(
    directive: Annotated[str | None, typer.Argument(help="Số hoặc mã văn bản; bỏ trống: tất cả")] = None,
    json_: JsonOpt = False,
):
    """Báo cáo hoàn thành và đề nghị gia hạn đang chờ Văn phòng quyết định."""
    env = prepare(now=parse_moment(None), actor=actor())
    with session_scope(env.url) as session:
        directive_id = find_directive(session=session, ref=directive).id if directive else None
        waiting = waiting_decisions(session=session, directive_id=directive_id)
    if json_:
        return print_json(waiting)
    for title, rows, extra in (("Báo cáo hoàn thành chờ duyệt", waiting["reports"], "done"),
                               ("Đề nghị gia hạn chờ quyết định", waiting["extensions"], "reason")):
        table = Table(title=f"{title}: {len(rows)}")
        for col in ("Mã", "Văn bản", "Mục", "Đơn vị", "Hạn", "Nội dung"):
            table.add_column(col, overflow="fold")
        for r in rows:
            what = r[extra] if extra == "done" else f"đến {vn_date(r['requested_due'])}: {r['reason']}"
            table.add_row(r["id"][:8], r["directive"], r["task"], r["unit"], vn_date(r["due"]), what[:200])
        out.print(table)


@app.command("review")
@edge
def review_cmd(
    report: Annotated[str, typer.Argument(help="Mã báo cáo hoàn thành (8 ký tự đầu là đủ)")],
    accept: Annotated[bool, typer.Option("--accept", help="Chấp nhận")] = False,
    return_: Annotated[bool, typer.Option("--return", help="Trả lại (cần --reason)")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Lý do (đơn vị nhận được)")] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Duyệt báo cáo hoàn thành: chấp nhận hoặc trả lại (flow review_report; đơn vị được báo)."""
    if accept == return_:
        raise typer.BadParameter("chọn đúng một trong --accept, --return")
    run_flow("review", as_of=as_of, json_=json_, heading="Đã duyệt:", report=report,
             decision="chấp nhận" if accept else "trả lại", reason=reason)


@app.command("extension")
@edge
def extension_cmd(
    extension: Annotated[str, typer.Argument(help="Mã đề nghị gia hạn (8 ký tự đầu là đủ)")],
    grant: Annotated[bool, typer.Option("--grant", help="Đồng ý")] = False,
    refuse: Annotated[bool, typer.Option("--refuse", help="Không đồng ý (cần --reason)")] = False,
    to: Annotated[str | None, typer.Option("--to", help="Hạn mới YYYY-MM-DD (mặc định: ngày đơn vị đề nghị)")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Lý do")] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Quyết định một đề nghị gia hạn (flow decide_extension; đơn vị được báo, lịch nhắc dời theo hạn mới)."""
    if grant == refuse:
        raise typer.BadParameter("chọn đúng một trong --grant, --refuse")
    run_flow("extension", as_of=as_of, json_=json_, heading="Đã quyết định:", extension=extension,
             decision="đồng ý" if grant else "không đồng ý", new_due=parse_day(to, "--to") if to else None,
             reason=reason)


@app.command("extend")
@edge
def extend_cmd(
    directive: DirectiveArg, unit: UnitArg, task: TaskOpt,
    to: Annotated[str, typer.Option("--to", help="Hạn mới YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do đơn vị đề nghị")],
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Ghi đề nghị gia hạn của đơn vị (gửi bằng công văn, điện thoại) để Văn phòng quyết định."""
    now = parse_moment(as_of)
    env = prepare(now=now, actor=actor())
    with session_scope(env.url) as session:
        work = find_work_by(session=session, directive=find_directive(session=session, ref=directive),
                            unit=find_unit(session=session, registry=env.registry, name=unit), task_ref=task)
        form = validate_extension({"requested_due": to, "reason": reason}, current_due=work.assignment.due)
        ext = request_extension(session=session, work=work, form=form, source="office", requested_by=actor(), now=now)
    if json_:
        return print_json({"id": str(ext.id), "requested_due": ext.requested_due})
    out.print(f"Đã ghi đề nghị gia hạn đến {vn_date(ext.requested_due)}; quyết định bằng: dondoc extension {str(ext.id)[:8]} "
              "--grant (hoặc --refuse --reason …)")


@app.command("cancel")
@edge
def cancel_cmd(
    directive: DirectiveArg, unit: UnitArg, task: TaskOpt,
    reason: Annotated[str, typer.Option("--reason", help="Lý do hủy (đơn vị nhận được)")],
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Hủy nhiệm vụ đã giao cho một đơn vị (flow cancel_assignment)."""
    run_flow("cancel", as_of=as_of, json_=json_, heading="Đã hủy:", directive=directive, unit=unit, task=task,
             reason=reason)


@app.command("link")
@edge
def link_cmd(
    directive: DirectiveArg, unit: UnitArg,
    revoke: Annotated[bool, typer.Option("--revoke", help="Thu hồi các đường dẫn đang dùng (mất máy, đổi người)")] = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Đường dẫn báo cáo của một đơn vị cho một văn bản (để báo qua điện thoại), hoặc thu hồi nó."""
    now = parse_moment(as_of)
    env = prepare(now=now, actor=actor())
    with session_scope(env.url) as session:
        found = find_directive(session=session, ref=directive)
        target = find_unit(session=session, registry=env.registry, name=unit)
        if revoke:
            count = revoke_links(session=session, unit_id=target.id, directive_id=found.id, by=actor(), now=now)
            result = {"revoked": count}
        else:
            url = ensure_links(session=session, pairs={(target.ref, str(found.id))}, planning=planning_of(env),
                               now=now)[(target.ref, str(found.id))]
            result = {"url": url}
    if json_:
        return print_json(result)
    out.print(f"Đã thu hồi {result['revoked']} đường dẫn." if revoke else result["url"], soft_wrap=True)


@app.command("monitor")
@edge
def monitor_cmd(
    month: Annotated[str | None, typer.Option("--month", help="Tháng tính cập nhật, YYYY-MM (mặc định: tháng này)")] = None,
    no_warnings: Annotated[bool, typer.Option("--no-warnings", help="Không gửi diện cảnh báo")] = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Báo cáo theo dõi (flow monitoring_report): tình trạng, tỷ lệ, diện cảnh báo, tệp Excel."""
    first = parse_day(f"{month}-01", "--month") if month else None
    result = run_flow("monitor", as_of=as_of, json_=json_, heading="Báo cáo theo dõi đã lập", month=first,
                      send_warnings=not no_warnings)
    if not json_:
        out.print(f"Tệp Excel: {result['workbook']}\nDiện cảnh báo {result['month']}: {result['warned_units']} đơn vị; "
                  f"tỷ lệ đúng hạn {result['on_time_pct']} %, cập nhật {result['update_pct']} %.")
