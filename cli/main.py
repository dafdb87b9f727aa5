"""dondoc: theo dõi, đôn đốc thực hiện văn bản chỉ đạo (see shared/spec/README.md for the contract)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.app import AsOfOpt, JsonOpt, actor, app
from cli.output import edge, out, parse_day, parse_moment, print_json
from config.loaders import load_calendar
from config.settings import get_settings
from domain.deadlines import PERIOD_LABELS, parse_deadline
from domain.policy import TZ
from domain.reminders import STEP_LABELS
from domain.text import vn_date, vn_weekday
from intake.readers import read_header
from intake.service import import_directive, issue_draft, load_plan
from models.crud import find_directive
from models.db import session_scope
from models.env import prepare
from models.messaging import CHANNEL_LABELS as CHANNELS
from models.messaging import OutboxStatus
from models.outbox import outbox_counts, undelivered
from models.queries import (
    directive_detail,
    directive_overview,
    directive_timeline,
    first_notice_at,
)


@app.command("import")
@edge
def import_cmd(
    path: Annotated[Path, typer.Argument(help="Tệp văn bản: .yaml/.json, hoặc .xlsx phụ lục")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, không ghi")] = False,
    header: Annotated[Path | None, typer.Option(help="Phần đầu văn bản (YAML) cho tệp .xlsx")] = None,
    number: Annotated[str | None, typer.Option(help="Số, ký hiệu (ghi đè)")] = None,
    issued_on: Annotated[str | None, typer.Option("--issued-on", help="Ngày ban hành YYYY-MM-DD (ghi đè)")] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Kiểm tra và đăng ký một văn bản (ban hành nếu có số và ngày, nếu không là dự thảo)."""
    now = parse_moment(as_of)
    env = prepare(now=now, actor=actor())
    head = read_header(header, max_bytes=env.settings.max_import_bytes) if header else None
    overrides = {"number": number, "issued_on": parse_day(issued_on, "--issued-on") if issued_on else None}
    plan, source = load_plan(env=env, path=path, header=head, overrides=overrides)
    result = import_directive(env=env, plan=plan, source=source, actor=actor(), now=now, dry_run=dry_run)
    spec = plan.spec
    if json_:
        print_json({"status": result.status, "id": result.directive_id, "number": spec.number, "kind": spec.kind,
                    "issued_on": spec.issued_on, "tasks": len(plan.tasks), "assignments": result.assignments,
                    "dry_run": dry_run, "held": [{"task": r, "reason": why} for r, why in result.held]})
        return
    what = "dự thảo" if plan.is_draft else f"văn bản số {spec.number} ngày {vn_date(spec.issued_on)}"
    verb = "Hợp lệ (chạy thử, không ghi gì)" if dry_run else ("Đã lưu" if plan.is_draft else "Đã ban hành")
    out.print(f"{verb}: {what} — {len(plan.tasks)} nhiệm vụ, {result.assignments} lượt giao cho đơn vị.")
    if result.directive_id:
        out.print(f"Mã: {result.directive_id}")
    if result.status == "issued":
        _say_when_notices_go(env, result.directive_id)
    for ref, why in result.held:
        out.print(Text.assemble("  ", ("Chờ người vận hành", "yellow"), f" mục {ref}: {why}"))


@app.command("issue")
@edge
def issue_cmd(
    directive: Annotated[str, typer.Argument(help="Số hoặc mã của bản dự thảo")],
    number: Annotated[str, typer.Option("--number", help="Số, ký hiệu được cấp, ví dụ 9395/VP-VX")],
    issued_on: Annotated[str, typer.Option("--issued-on", help="Ngày ban hành YYYY-MM-DD")],
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Ban hành một bản dự thảo: cấp số, ngày và giao nhiệm vụ cho các đơn vị."""
    now = parse_moment(as_of)
    day = parse_day(issued_on, "--issued-on")
    env = prepare(now=now, actor=actor())
    directive_id, count = issue_draft(env=env, ref=directive, number=number, issued_on=day, actor=actor(), now=now)
    if json_:
        print_json({"status": "issued", "id": directive_id, "number": number, "issued_on": day, "assignments": count})
    else:
        out.print(f"Đã ban hành văn bản số {number} ngày {vn_date(day)}: {count} lượt giao cho đơn vị.")
        _say_when_notices_go(env, directive_id)


def _say_when_notices_go(env, directive_id: str) -> None:
    with session_scope(env.url) as session:
        due = first_notice_at(session=session, directive_id=directive_id)
    if due is not None:
        local = due.astimezone(TZ)
        out.print(f"Thông báo giao nhiệm vụ đến lượt lúc {local:%H:%M} {vn_weekday(local.date())} {vn_date(local.date())}; "
                  "các lịch của `make run` gửi khi đến lượt (chậm nhất 10 phút), hoặc chạy `dondoc assign` lúc đó.")


@app.command("deadline")
@edge
def deadline_cmd(
    text: Annotated[str, typer.Argument(help="Thời hạn như văn bản viết, ví dụ “trước ngày 30/9/2025”")],
    issued: Annotated[str | None, typer.Option("--issued", help="Ngày ban hành YYYY-MM-DD")] = None,
    json_: JsonOpt = False,
):
    """Đọc một thời hạn như văn bản viết; cho biết ngày đến hạn thực tế (ngày làm việc)."""
    issued_on = parse_day(issued, "--issued") if issued else None
    calendar = load_calendar(get_settings())
    parsed = parse_deadline(text, calendar=calendar, issued_on=issued_on)
    if json_:
        print_json(parsed.as_json())
        return
    kinds = {"date": "ngày cụ thể", "ongoing": "thường xuyên", "recurring": "định kỳ", "unresolved": "chưa xác định"}
    out.print(f"Loại: {kinds[parsed.kind]}")
    if parsed.period:
        out.print(f"Chu kỳ: {PERIOD_LABELS[parsed.period]}")
    if parsed.due:
        out.print(f"Hạn như viết: {vn_date(parsed.due)}")
        note = ""
        if parsed.effective_due != parsed.due:
            note = f" ({vn_date(parsed.due)} là ngày nghỉ: {calendar.why_off(parsed.due)})"
        out.print(f"Hạn thực tế: {vn_date(parsed.effective_due)}{note}")
    if parsed.kind == "unresolved":
        out.print("Thời hạn lấy theo văn bản khác: người vận hành cần đặt ngày.")


@app.command("timeline")
@edge
def timeline_cmd(
    directive: Annotated[str, typer.Argument(help="Số hoặc mã văn bản đã ban hành")],
    until: Annotated[str | None, typer.Option("--until", help="Đến ngày YYYY-MM-DD (mặc định: 30 ngày sau hạn cuối)")] = None,
    json_: JsonOpt = False,
):
    """Các tin nhắn chính sách nhắc việc sẽ gửi cho một văn bản (giả định không có báo cáo); không gửi gì."""
    env = prepare(now=parse_moment(None), actor=actor())
    with session_scope(env.url) as session:
        found, end, messages = directive_timeline(session=session, ref=directive, calendar=env.calendar,
                                                  until=parse_day(until, "--until") if until else None,
                                                  policies=env.policies)
    if json_:
        return print_json([m.as_json() for m in messages])
    table = Table(title=f"Lịch nhắc việc {found.number} đến {vn_date(end)}")
    for col in ("Lúc", "Gửi đến", "Nội dung"):
        table.add_column(col, overflow="fold")
    for m in messages:
        local = m.at.astimezone(TZ)
        table.add_row(f"{vn_weekday(local.date())} {vn_date(local.date())} {local:%H:%M}", m.to,
                      "; ".join(f"mục {task}: {STEP_LABELS[kind]}" for task, kind in m.items))
    out.print(table)


@app.command("status")
@edge
def status_cmd(
    directive: Annotated[str | None, typer.Argument(help="Số hoặc mã văn bản; bỏ trống để xem tất cả")] = None,
    as_of: AsOfOpt = None,
    assignments: Annotated[bool, typer.Option("--assignments", help="Liệt kê từng đơn vị")] = False,
    json_: JsonOpt = False,
):
    """Các văn bản, nhiệm vụ và lượt giao cùng tình trạng của chúng."""
    now = parse_moment(as_of)
    env = prepare(now=now, actor=actor())
    with session_scope(env.url) as session:
        if directive is None:
            data = directive_overview(session=session, as_of=now.date(), calendar=env.calendar)
            outbox = {"counts": outbox_counts(session=session),
                      "undelivered": undelivered(session=session, statuses=(OutboxStatus.DEAD, OutboxStatus.FAILED))}
            if json_:
                return print_json({"as_of": now.isoformat(), "directives": data, "outbox": outbox})
            _overview_table(data)
            return _outbox_table(outbox)
        found = find_directive(session=session, ref=directive)
        data = directive_detail(session=session, directive=found, as_of=now.date(), calendar=env.calendar)
    if json_:
        return print_json({"as_of": now.isoformat(), "directive": data})
    _detail_tables(data, assignments)


def _overview_table(rows: list[dict]) -> None:
    if not rows:
        out.print("Chưa có văn bản nào. Đăng ký bằng: dondoc import TỆP")
        return
    table = Table(title="Văn bản chỉ đạo", show_lines=False)
    for col in ("Số", "Loại", "Ngày BH", "Trích yếu", "NV", "Lượt giao", "Tình trạng"):
        table.add_column(col, overflow="fold")
    for d in rows:
        table.add_row(d["number"] or f"dự thảo {d['id'][:8]}", d["kind"], vn_date(d["issued_on"]),
                      d["subject"][:70], str(d["tasks"]), str(d["assignments"]),
                      ", ".join(f"{k}: {v}" for k, v in d["statuses"].items()) or "—")
    out.print(table)


def _outbox_table(outbox: dict) -> None:
    if not outbox["counts"]:
        return
    table = Table(title="Tin nhắn theo kênh")
    for col in ("Kênh", "Chờ gửi", "Đã gửi", "Lỗi, sẽ gửi lại", "Không gửi được", "Chưa có địa chỉ"):
        table.add_column(col)
    for channel, c in outbox["counts"].items():
        table.add_row(CHANNELS.get(channel, channel), *(str(c.get(k, 0)) for k in (
            OutboxStatus.PENDING, OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.DEAD, OutboxStatus.NO_CONTACT)))
    out.print(table)
    for u in outbox["undelivered"]:
        what = "không gửi được" if u["status"] == OutboxStatus.DEAD else "lỗi, sẽ gửi lại"
        out.print(Text.assemble("  ", (what, "red"), f" {u['recipient']} qua {CHANNELS.get(u['channel'], u['channel'])} "
                                f"{u['address']} (ngày {vn_date(u['run_day'])}, {u['attempts']} lần thử): {u['error']}"))


def _detail_tables(d: dict, with_assignments: bool) -> None:
    out.print(Text.assemble((d["number"] or "Dự thảo", "bold"), f" — {d['subject']}"))
    out.print(f"{d['issuer']} · ban hành {vn_date(d['issued_on'])} · {d['status']}")
    table = Table(show_lines=True)
    for col in ("Mục", "Nội dung", "Chủ trì", "Thời hạn", "Hạn thực tế", "Tình trạng"):
        table.add_column(col, overflow="fold")
    for t in d["tasks"]:
        lead = t["lead_written"] if len(t["lead_units"]) > 3 else "; ".join(t["lead_units"]) or t["lead_written"]
        status = Text(", ".join(f"{k}: {v}" for k, v in t["statuses"].items()) or "—")
        if t["held_reason"]:
            status.append(f"\nchờ người vận hành: {t['held_reason']}", style="yellow")
        table.add_row(t["ref"], t["content"][:120], lead, t["deadline"]["written"],
                      vn_date(t["deadline"]["effective_due"]), status)
    out.print(table)
    if with_assignments:
        for t in d["tasks"]:
            for a in t["assignments"]:
                out.print(f"  {t['ref']:>6}  {a['role']:<12} {a['unit']:<45} {vn_date(a['due']):>10}  {a['status']}")


from cli import backup, doctor, drafting, messaging, operations, reporting  # noqa: F401  (their commands are listed after these)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
