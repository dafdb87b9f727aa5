"""Commands that send (or replay sending): chase, dispatch, assign, simulate; and Zalo's access tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import pendulum
import typer
from rich.table import Table
from rich.text import Text

from cli.app import AsOfOpt, JsonOpt, actor, app
from cli.flowrun import run_flow
from cli.output import edge, out, parse_day, parse_moment, print_json
from config.settings import get_settings
from domain.policy import TZ
from domain.reminders import STEP_LABELS
from domain.text import vn_date, vn_weekday
from models.env import prepare


@app.command("chase")
@edge
def chase_cmd(
    as_of: AsOfOpt = None,
    no_dispatch: Annotated[bool, typer.Option("--no-dispatch", help="Chỉ lên lịch, không gửi")] = False,
    json_: JsonOpt = False,
):
    """Đôn đốc như lịch 08:00: nhắc việc, báo lãnh đạo việc quá hạn, gửi tin (flow chase_deadlines)."""
    run_flow("chase", as_of=as_of, json_=json_, heading="Đôn đốc", dispatch=not no_dispatch)


@app.command("dispatch")
@edge
def dispatch_cmd(
    as_of: AsOfOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Gửi tối đa chừng này tin")] = None,
    json_: JsonOpt = False,
):
    """Gửi các tin nhắn đang chờ trong hàng đợi, kể cả tin gửi lại sau lỗi (flow dispatch_outbox)."""
    run_flow("dispatch", as_of=as_of, json_=json_, heading="Gửi tin", limit=limit)


@app.command("assign")
@edge
def assign_cmd(
    directive: Annotated[str | None, typer.Argument(help="Số hoặc mã văn bản; bỏ trống: mọi văn bản")] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
):
    """Gửi thông báo giao nhiệm vụ đã đến lượt (ngay trong giờ làm việc, nếu không thì 08:00 ngày làm việc sau)."""
    run_flow("assign", as_of=as_of, json_=json_, heading="Thông báo giao nhiệm vụ", directive=directive)


@app.command("simulate")
@edge
def simulate_cmd(
    directive: Annotated[str, typer.Argument(help="Số hoặc mã văn bản")],
    from_: Annotated[str | None, typer.Option("--from", help="Từ ngày YYYY-MM-DD (mặc định: ngày ban hành)")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Đến ngày YYYY-MM-DD (mặc định: 30 ngày sau)")] = None,
    issued_at: Annotated[str | None, typer.Option("--issued-at", help="Với bản dự thảo: giả định ký lúc này (ISO)")] = None,
    json_: JsonOpt = False,
):
    """Chạy thử từng ngày làm việc qua các flow thật, gửi vào hộp thư và máy chủ HTTP thử trên máy này."""
    from flows.prefect_env import use_prefect

    settings = get_settings()
    use_prefect(settings.state_dir)
    from flows.simulate import simulate

    start = parse_day(from_, "--from") if from_ else None
    end = parse_day(to, "--to") if to else (start or pendulum.now(TZ).date()) + timedelta(days=30)
    signed = parse_moment(issued_at) if issued_at else None
    sim = simulate(ref=directive, start=start, end=end, issued_at=signed, settings=settings)
    if json_:
        return print_json({"directive": sim.number, "from": sim.start, "to": sim.end, "runs": sim.runs,
                           "planned": sim.planned, "delivered": sim.delivered, "undelivered": sim.undelivered,
                           "without_contact": sim.without_contact, "messages": sim.messages})
    _print_simulation(sim)


def _print_simulation(sim) -> None:
    table = Table(title=f"Chạy thử {sim.number} từ {vn_date(sim.start)} đến {vn_date(sim.end)}: "
                        f"{sim.runs} lần chạy, {sim.delivered}/{sim.planned} tin đến nơi")
    for col in ("Lúc", "Gửi đến", "Kênh", "Nội dung"):
        table.add_column(col, overflow="fold")
    # Many communes get the same items at the same moment: one line for all of them.
    same: dict[tuple, list[dict]] = {}
    for m in sim.messages:
        same.setdefault((m["at"], tuple((i["task"], i["kind"]) for i in m["items"])), []).append(m)
    for (at, items), group in same.items():
        local = pendulum.parse(at).in_timezone(TZ)
        names = [m["to"] for m in group]
        who = "; ".join(names) if len(names) <= 3 else f"{len(names)} nơi nhận: {'; '.join(names[:3])}; …"
        channels = ", ".join(sorted({c for m in group for c in m["channels"]}))
        table.add_row(f"{vn_weekday(local.date())} {vn_date(local.date())} {local:%H:%M}", who, channels,
                      "; ".join(f"mục {task}: {STEP_LABELS[kind]}" for task, kind in items))
    out.print(table)
    if sim.without_contact:
        names = sim.without_contact
        shown = "; ".join(names[:5]) + ("; …" if len(names) > 5 else "")
        out.print(Text.assemble((f"{len(names)} nơi nhận chưa có địa chỉ liên hệ", "yellow"),
                                f" (ở đây thấy qua máy chủ HTTP thử; chạy thật sẽ không đến được họ, xem contacts.yaml): {shown}"))
    for u in sim.undelivered[:20]:
        out.print(Text.assemble(("Không đến nơi:", "yellow"), f" {u['to']} ({u['channel']}): {u['error'] or u['status']}"))


@app.command("zalo-token")
@edge
def zalo_token_cmd(
    oa_id: Annotated[str, typer.Argument(help="Mã Official Account (OA) của Zalo")],
    app_id: Annotated[str, typer.Option("--app-id", help="Mã ứng dụng Zalo (app_id)")],
    access_token: Annotated[str, typer.Option("--access-token", envvar="DONDOC_ZALO_ACCESS_TOKEN",
                                              help="Access token (hoặc biến môi trường DONDOC_ZALO_ACCESS_TOKEN)")],
    refresh_token: Annotated[str, typer.Option("--refresh-token", envvar="DONDOC_ZALO_REFRESH_TOKEN",
                                               help="Refresh token (hoặc biến môi trường DONDOC_ZALO_REFRESH_TOKEN)")],
    expires_in: Annotated[int, typer.Option("--expires-in", min=60, help="Access token còn hiệu lực (giây)")] = 90000,
    as_of: AsOfOpt = None,
):
    """Lưu cặp mã truy cập Zalo OA vào cơ sở dữ liệu (mã làm mới chỉ dùng một lần; dondoc tự làm mới)."""
    from models.db import session_scope
    from notifiers.zalo_tokens import save_zalo_token

    now = parse_moment(as_of)
    expires = now + timedelta(seconds=expires_in)
    env = prepare(now=now, actor=actor())
    with session_scope(env.url) as session:
        save_zalo_token(session=session, oa_id=oa_id, app_id=app_id, access_token=access_token,
                        refresh_token=refresh_token, expires_at=expires, now=now)
    out.print(f"Đã lưu mã truy cập của OA {oa_id}; hết hạn lúc {expires:%H:%M} {vn_date(expires.date())}.")
