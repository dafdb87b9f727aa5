"""The artifacts operators read after a chase, an assignment or a dispatch: counts per channel, then details."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Failed

from domain.errors import DondocError
from domain.policy import TZ
from flows.runtime import actor, moment, open_request
from domain.text import md_text, vn_date, vn_weekday
from flows.tasks import record_decision, send_due_messages
from domain.reminders import STEP_LABELS as KINDS
from models.chase import ChaseResult
from models.messaging import CHANNEL_LABELS as CHANNELS
from models.messaging import STATUS_LABELS as STATUSES
from notifiers.dispatcher import DispatchResult

LISTED = 300  # rows of the recipients table; a run to every commune stays readable


def publish_run(*, key: str, heading: str, as_of: datetime, planned: ChaseResult | None,
                sent: DispatchResult | None) -> str:
    """Markdown and table artifacts of one run; returns the one-line summary (also the flow's result)."""
    counts = channel_counts(planned, sent)
    create_table_artifact(key=f"{key}-channels", table=[{"Kênh": CHANNELS.get(c, c), **row} for c, row in counts.items()],
                          description=f"{heading}: số tin nhắn theo kênh")
    summary = one_line(as_of, planned, sent)
    create_markdown_artifact(key=key, markdown=_markdown(heading, as_of, planned, sent, counts, summary),
                             description=summary)
    return summary


def channel_counts(planned: ChaseResult | None, sent: DispatchResult | None) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter] = {}
    for m in planned.messages if planned else []:
        counts.setdefault(m["channel"], Counter())["Lên lịch"] += 1
    for channel, outcomes in (sent.outcomes if sent else {}).items():
        c = counts.setdefault(channel, Counter())
        c["Đã gửi"] += outcomes["sent"]
        c["Lỗi, sẽ gửi lại"] += outcomes["failed"]
        c["Không gửi được"] += outcomes["dead"]
    columns = ("Lên lịch", "Đã gửi", "Lỗi, sẽ gửi lại", "Không gửi được")
    return {channel: {col: c[col] for col in columns} for channel, c in sorted(counts.items())}


def one_line(as_of: datetime, planned: ChaseResult | None, sent: DispatchResult | None) -> str:
    local = as_of.astimezone(TZ)
    parts = [f"{vn_date(local.date())} {local:%H:%M}"]
    if planned is not None:
        recipients = len({m["recipient"] for m in planned.messages})
        parts.append(f"{sum(planned.items.values())} việc cho {recipients} nơi nhận, {len(planned.messages)} tin lên lịch")
    if sent is not None:
        parts.append(f"đã gửi {sent.count('sent')}, lỗi {sent.count('failed')}, không gửi được {sent.count('dead')}")
    return "; ".join(parts)


def _markdown(heading: str, as_of: datetime, planned: ChaseResult | None, sent: DispatchResult | None,
              counts: dict, summary: str) -> str:
    local = as_of.astimezone(TZ)
    lines = [f"# {heading} — {vn_weekday(local.date())} {vn_date(local.date())} {local:%H:%M}", "", f"**{summary}**", ""]
    if counts:
        cols = list(next(iter(counts.values())))
        lines += ["| Kênh | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        lines += [f"| {CHANNELS.get(c, c)} | " + " | ".join(str(row[k]) for k in cols) + " |" for c, row in counts.items()]
        lines.append("")
    if planned is not None and planned.items:
        lines += ["Việc trong lần này: " + ", ".join(f"{KINDS[k]} {n}" for k, n in sorted(planned.items.items())), ""]
    if planned is not None and planned.duplicates:
        lines += [f"{planned.duplicates} tin đã được một lần chạy khác lên lịch trước: không lên lịch lại.", ""]
    if sent is not None and sent.problems:
        lines += ["## Tin chưa gửi được", "", "| Nơi nhận | Kênh | Địa chỉ | Lần thử | Tình trạng | Lỗi |", "|---|---|---|---|---|---|"]
        lines += [f"| {md_text(p['recipient'])} | {CHANNELS.get(p['channel'], p['channel'])} | {md_text(p['address'])} "
                  f"| {p['attempts']} | {STATUSES.get(p['status'], p['status'])} | {md_text(p['error'] or '')} |"
                  for p in sent.problems[:LISTED]]
        lines.append("")
    if planned is not None and planned.messages:
        final = sent.statuses if sent else {}
        lines += ["## Tin nhắn lên lịch", "", "| Nơi nhận | Kênh | Địa chỉ | Số việc | Tình trạng |", "|---|---|---|---|---|"]
        lines += [f"| {md_text(m['recipient'])} | {CHANNELS.get(m['channel'], m['channel'])} | {md_text(m['address'] or '—')} "
                  f"| {m['items']} | {STATUSES.get(final.get(m['key'], m['status']), m['status'])} |"
                  for m in planned.messages[:LISTED]]
        if len(planned.messages) > LISTED:
            lines.append(f"\n… và {len(planned.messages) - LISTED} tin khác (xem `dondoc status`).")
    return "\n".join(lines) + "\n"


DECISIONS = {"report_accepted": "Chấp nhận báo cáo hoàn thành", "report_returned": "Trả lại báo cáo hoàn thành",
             "extension_granted": "Đồng ý gia hạn", "extension_refused": "Không đồng ý gia hạn",
             "assignment_cancelled": "Hủy nhiệm vụ"}


def office_decision(decide, *, as_of: datetime | None, failed: str):
    """An office decision as its flow makes it: the request recorded with who asked, the decision and its
    messages in one transaction, the messages sent, the artifact; bad input fails the run with one message.
    `decide(session=, planning=, now=, who=)` finds what it is about and decides."""
    now, who = moment(as_of), actor()
    try:
        env = open_request(now, who)
        done = record_decision(env, lambda **kw: decide(**kw, who=who), now)
        sent = send_due_messages(env, now, who)
    except DondocError as exc:
        get_run_logger().error(str(exc))
        return Failed(message=f"{failed}: {exc}")
    return publish_decision(done, sent, as_of=now)


def publish_decision(done: dict, sent: DispatchResult, *, as_of: datetime) -> dict:
    """The artifact of an office decision: what was decided, who was told, and what closed with it."""
    heading = f"{DECISIONS[done['what']]}: văn bản {done['directive']}, mục {done['task']}, {done['unit']}"
    lines = [f"# {md_text(heading)}", "", f"- **Lúc:** {vn_date(as_of.astimezone(TZ).date())} {as_of.astimezone(TZ):%H:%M}",
             f"- **Tình trạng lượt giao:** {md_text(done['status'])}"
             + (f", hạn {vn_date(done['due'])}" if done["due"] else ""),
             f"- **Tin nhắn:** đã gửi {sent.count('sent')}, lỗi {sent.count('failed')}, "
             f"không gửi được {sent.count('dead')}"]
    if done["tasks_closed"]:
        lines.append(f"- **Nhiệm vụ đã đóng:** mục {', '.join(done['tasks_closed'])}")
    summary = done["summary"]
    if summary:
        lines += ["", closure_markdown(summary, level="##")]
    key = "directive-closed" if summary else "office-decision"
    create_markdown_artifact(key=key, markdown="\n".join(lines) + "\n", description=md_text(heading))
    return {**{k: v for k, v in done.items() if k != "summary"}, "heading": heading, "sent": sent.count("sent")}


def closure_markdown(summary: dict, *, level: str = "#") -> str:
    """A closed directive's outcome per task and lead unit, as the issuer was told it."""
    counts = summary["counts"]
    lines = [f"{level} Văn bản {md_text(summary['directive'])} đã hoàn thành", "",
             f"Đúng hạn {counts['done_on_time']}, quá hạn {counts['done_late']}, đã hủy {counts['cancelled']}; "
             f"tỷ lệ đúng hạn {summary['on_time_rate']}. Báo cáo tổng kết đã gửi cơ quan ban hành.", "",
             "| Mục | Đơn vị chủ trì | Kết quả | Ngày |", "|---|---|---|---|"]
    lines += [f"| {md_text(t['ref'])} | {md_text(a['unit'])} | {a['label']} | {vn_date(a['closed_on'])} |"
              for t in summary["tasks"] for a in t["assignments"]]
    return "\n".join(lines) + "\n"
