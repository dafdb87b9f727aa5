"""Digests rendered once per recipient: Vietnamese email HTML, plain text, Zalo parts, ZNS data, JSON items."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pendulum
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.chase import Digest, ItemFacts
from domain.deadlines import PERIOD_LABELS
from domain.policy import TZ
from domain.reminders import Step
from domain.text import vn_date, vn_weekday
from domain.workdays import WorkCalendar

ZALO_TEXT_LIMIT = 2000  # characters of message.text in Zalo OA's API
BACKLOG_LISTED = 20  # units named in an escalation's "still overdue" line; the rest are counted
BLOCK = "\x1e"  # the text templates mark where a Zalo message may be cut
KIND_LABELS = {"notice": "Giao nhiệm vụ mới", "before": "Sắp đến hạn", "due": "Đến hạn", "overdue": "Quá hạn",
               "escalation": "Quá hạn"}

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
_env.globals.update(vn_date=vn_date, vn_weekday=vn_weekday, sep=BLOCK)
_env.filters["clip"] = lambda text, short: text if not short or len(text) <= 280 else text[:279].rstrip() + "…"


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str
    html: str
    zalo_parts: tuple[str, ...]
    zns_data: dict[str, str]
    data: dict


def render_digest(digest: Digest, *, facts: dict[str, ItemFacts], as_of: datetime, calendar: WorkCalendar,
                  public_url: str) -> Rendered:
    """Every form of one recipient's message of one run."""
    local = pendulum.instance(as_of).in_timezone(TZ)
    day = date(local.year, local.month, local.day)  # a plain date: pendulum's date arithmetic is slow
    items = [_item(steps, facts[steps[0].item.key], day, calendar, public_url) for steps in _per_assignment(digest)]
    escalation = digest.kind != "unit"
    context = {"name": digest.name, "kind": digest.kind, "day": day, "items": items,
               "groups": _by_unit(items), "counts": _counts(items), "backlog": digest.backlog[:BACKLOG_LISTED],
               "backlog_total": sum(n for _, n in digest.backlog), "backlog_units": len(digest.backlog)}
    title = _title(escalation, context)
    return render_template("escalation" if escalation else "unit", title=title, context=context,
                           zns_data=_zns_data(digest, items, day), data=_data(digest, items, day, as_of))


def render_template(base: str, *, title: str, context: dict, zns_data: dict[str, str], data: dict) -> Rendered:
    """Every form of one message from the templates `base`.txt.j2 and `base`.html.j2."""
    text = _env.get_template(f"{base}.txt.j2").render(**context, title=title, short=False)
    short = _env.get_template(f"{base}.txt.j2").render(**context, title=title, short=True)
    return Rendered(
        title=title,
        text=nfc_lines(text.replace(BLOCK, "")),
        html=_env.get_template(f"{base}.html.j2").render(**context, title=title),
        zalo_parts=pack([title, *(nfc_lines(b) for b in short.split(BLOCK))], ZALO_TEXT_LIMIT),  # Zalo has no title
        zns_data=zns_data,
        data=data,
    )


def _per_assignment(digest: Digest) -> list[list[Step]]:
    """A notice and a reminder of the same assignment in one run are one item of the message."""
    grouped: dict[str, list[Step]] = {}
    for step in digest.steps:
        grouped.setdefault(step.item.key, []).append(step)
    return list(grouped.values())


def _item(steps: list[Step], f: ItemFacts, day: date, calendar: WorkCalendar, public_url: str) -> dict:
    step, item = steps[-1], steps[-1].item  # steps come in KINDS order: the last says most
    due = step.at.date() if item.period else item.due  # a recurring report is due at its step
    left = calendar.working_days_between(day, due) if due else None
    moved = bool(due and f.due_written and due != f.due_written and not item.period)
    return {
        "assignment_id": item.key, "kind": step.kind, "kinds": [s.kind for s in steps],
        "label": " · ".join(KIND_LABELS[s.kind] for s in steps), "role": item.role,
        "directive_id": f.directive_id, "directive": f.directive_number, "task": f.task_ref, "content": f.content,
        "unit": f.unit_name, "unit_ref": f.unit_ref, "deadline_written": f.deadline_written,
        "due_written": f.due_written, "effective_due": due, "period": item.period,
        "period_label": PERIOD_LABELS.get(item.period) if item.period else None,
        "days_left": left if left is not None and left > 0 else None,
        "days_overdue": -left if left is not None and left < 0 else None,
        "role_text": "chủ trì" if item.role == "lead" else "phối hợp",
        "deadline_text": _deadline_text(item.period, f.deadline_written, due, f.due_written, moved),
        "standing": _standing(due, day, left),
        "report_link": f.report_link or f"{public_url.rstrip('/')}/cong-khai",
    }


def _deadline_text(period: str | None, written: str, due: date | None, due_written: date | None, moved: bool) -> str:
    """The deadline as written, and when it really falls (a recurring report: this period's)."""
    if period:
        return f"báo cáo {PERIOD_LABELS.get(period, period)} ({written}); kỳ này hạn {vn_weekday(due)}, {vn_date(due)}"
    if due:
        off = f", lùi vì {vn_date(due_written)} là ngày nghỉ" if moved else ""
        return f"{written} (hạn thực tế: {vn_weekday(due)}, {vn_date(due)}{off})"
    return f"{written} (chờ người vận hành xác định ngày)"


def _standing(due: date | None, day: date, left: int | None) -> str:
    """How the item stands today, in working days."""
    if left is not None and left < 0:
        return f"Đã quá hạn {-left} ngày làm việc."
    if due and due == day:
        return "Hạn là hôm nay."
    if left:
        return f"Còn {left} ngày làm việc."
    return ""


def _by_unit(items: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(item["unit"], []).append(item)
    return [{"unit": unit, "items": its} for unit, its in groups.items()]


def _counts(items: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        for kind in item["kinds"]:
            counts[kind] = counts.get(kind, 0) + 1
    return counts


_TITLE_WORDS = {"notice": "nhiệm vụ mới giao", "overdue": "quá hạn", "due": "đến hạn", "before": "sắp đến hạn"}


def _title(escalation: bool, c: dict) -> str:
    day, counts, n = vn_date(c["day"]), c["counts"], len(c["items"])
    if escalation:
        more = f"; còn {c['backlog_total']} nhiệm vụ quá hạn khác" if c["backlog_total"] else ""
        return f"[Đôn đốc] Nhiệm vụ quá hạn ngày {day}: {n} nhiệm vụ của {len(c['groups'])} đơn vị{more}"
    if set(counts) == {"notice"}:
        directives = sorted({i["directive"] for i in c["items"]})
        return f"[Đôn đốc] Thông báo giao {n} nhiệm vụ — văn bản {', '.join(directives)}"
    parts = [f"{counts[k]} {_TITLE_WORDS[k]}" for k in ("notice", "overdue", "due", "before") if counts.get(k)]
    return f"[Đôn đốc] Nhắc việc ngày {day}: " + ", ".join(parts)


def _zns_data(digest: Digest, items: list[dict], day: date) -> dict[str, str]:
    """Parameters for a ZNS template registered with Zalo (names documented in the README)."""
    dues = [i["effective_due"] for i in items if i["effective_due"]]
    return {
        "ten_don_vi": digest.name[:100], "ngay": vn_date(day), "so_nhiem_vu": str(len(items)),
        "so_qua_han": str(sum(1 for i in items if i["days_overdue"])),
        "han_gan_nhat": vn_date(min(dues)) if dues else "",
        "lien_ket": items[0]["report_link"] if digest.kind == "unit" else "",
    }


def _data(digest: Digest, items: list[dict], day: date, as_of: datetime) -> dict:
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {
        "type": "escalation" if digest.kind != "unit" else "reminder",
        "recipient": {"kind": digest.kind, "name": digest.name},
        "run_day": day.isoformat(), "as_of": pendulum.instance(as_of).in_timezone(TZ).isoformat(),
        "backlog": [{"unit": unit, "overdue": n} for unit, n in digest.backlog],
        "items": [{
            "assignment_id": i["assignment_id"], "kind": i["kind"], "kinds": i["kinds"], "unit": i["unit"],
            "directive": {"id": i["directive_id"], "number": i["directive"]}, "task": i["task"],
            "content": i["content"],
            "deadline": {"written": i["deadline_written"], "due": iso(i["due_written"]),
                         "effective_due": iso(i["effective_due"]), "period": i["period"]},
            "working_days_left": i["days_left"], "working_days_overdue": i["days_overdue"],
            "report_link": i["report_link"] if digest.kind == "unit" else None,
        } for i in items],
    }


def nfc_lines(text: str) -> str:
    """NFC text, lines kept, without the runs of blank lines templates leave behind."""
    out: list[str] = []
    for line in unicodedata.normalize("NFC", text).split("\n"):
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def pack(blocks: list[str], limit: int) -> tuple[str, ...]:
    """Cut a message into parts of at most `limit` characters at block boundaries, numbered when cut."""
    blocks = [b for b in blocks if b]
    whole = "\n\n".join(blocks)
    if len(whole) <= limit:
        return (whole,)
    room = limit - len("\n\n(phần 99/99)")
    parts: list[str] = []
    current = ""
    for block in blocks:
        for piece in _fit(block, room):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= room:
                current = candidate
            else:
                parts.append(current)
                current = piece
    parts.append(current)
    return tuple(f"{p}\n\n(phần {i}/{len(parts)})" for i, p in enumerate(parts, 1))


def _fit(block: str, room: int) -> list[str]:
    """A block longer than a whole part is cut at line ends (or, for one huge line, hard)."""
    if len(block) <= room:
        return [block]
    pieces, current = [], ""
    for line in block.split("\n"):
        while len(line) > room:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:room - 1] + "…")
            line = line[room - 1:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= room:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces
