"""`dondoc simulate`: replay a window of days for one directive through the real flows, into local sinks.

The directive is copied into a scratch database beside the real one (the real database is only read), every
recipient's contacts are pointed at an SMTP and an HTTP server on 127.0.0.1, and the flows run as the
scheduler would run them: the notices at issuance, then the chase at 08:00 of every working day. What the
sinks received is what an operator reads: who got what, when.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pendulum
import yaml
from sqlmodel import select

from config.loaders import load_contacts
from config.settings import Settings, get_settings
from domain.errors import InputError
from domain.policy import TZ, in_office_hours
from domain.reminders import KINDS, ref_order, step_moment
from domain.text import name_key
from models.crud import find_directive, get_or_create_person
from models.db import session_scope
from models.directives import Directive, Task
from models.env import prepare
from models.issuance import issue_directive
from models.messaging import OutboxMessage, OutboxStatus
from models.units import Person, Unit
from notifiers.sinks import HttpSink, SmtpSink


@dataclass
class Simulation:
    """Who got what when, as the sinks received it."""

    number: str
    issued_at: datetime
    start: date
    end: date
    messages: list[dict] = field(default_factory=list)  # {"to", "at", "items", "channels"}, like `timeline`
    runs: int = 0
    planned: int = 0
    delivered: int = 0
    undelivered: list[dict] = field(default_factory=list)
    without_contact: list[str] = field(default_factory=list)  # recipients a real run could not reach


def simulate(*, ref: str, start: date | None, end: date, issued_at: datetime | None = None,
             settings: Settings | None = None) -> Simulation:
    """Replay [start, end] for directive `ref`; a draft needs `issued_at` (when it would be signed)."""
    real = settings or get_settings()
    with tempfile.TemporaryDirectory(prefix="dondoc-simulate-") as scratch, SmtpSink() as smtp, HttpSink() as http:
        number, moment, unreachable = _copy_directive(real, Path(scratch), ref, issued_at, smtp, http)
        start = start or moment.date()
        if end < start:
            raise InputError(f"--to ({end}) phải sau --from ({start})")
        sim = Simulation(number, moment, start, end)
        with _settings_of(Path(scratch)) as scratch_settings:
            sim.runs = _replay(scratch_settings, moment, start, end)
            _collect(sim, scratch_settings, smtp, http)
    sim.without_contact = sorted({m["to"] for m in sim.messages} & unreachable)
    return sim


def _copy_directive(real: Settings, scratch: Path, ref: str, issued_at: datetime | None, smtp: SmtpSink,
                    http: HttpSink) -> tuple[str, datetime, set[str]]:
    """The directive and its tasks as a draft in the scratch database, issued there as it was (or will be)."""
    env = prepare(now=pendulum.now(TZ), actor="simulate", settings=real)
    with session_scope(env.url) as session:
        original = find_directive(session=session, ref=ref)
        if original.issued_at is None and issued_at is None:
            raise InputError(f"{original.number or 'bản dự thảo'} chưa ban hành: cho biết lúc ký bằng --issued-at")
        moment = pendulum.instance(issued_at or original.issued_at).in_timezone(TZ)
        tasks = session.exec(select(Task).where(Task.directive_id == original.id).order_by(Task.position)).all()
        people = {p.id: p for p in session.exec(select(Person)).all()}
        contacts, unreachable = _sink_contacts(session, original, smtp, http,
                                               offices=load_contacts(real).get("offices") or {})
        copy = Directive(**original.model_dump(exclude={"id", "status", "number", "issued_on", "issued_at"}))
        task_rows = [t.model_dump(exclude={"id", "directive_id", "leader_in_charge_id"}) for t in tasks]
        leaders = {t.leader_in_charge_id: people[t.leader_in_charge_id] for t in [original, *tasks]
                   if t.leader_in_charge_id}
    (scratch / "contacts.yaml").write_text(yaml.safe_dump(contacts, allow_unicode=True), encoding="utf-8")
    with _settings_of(scratch) as s:
        scratch_env = prepare(now=moment, actor="simulate", settings=s)
        with session_scope(scratch_env.url) as session:
            person_ids = {old: get_or_create_person(session=session, written=p.name).id for old, p in leaders.items()}
            copy.leader_in_charge_id = person_ids.get(copy.leader_in_charge_id)
            session.add(copy)
            session.flush()
            for row, t in zip(task_rows, tasks, strict=True):
                session.add(Task(**row, directive_id=copy.id, leader_in_charge_id=person_ids.get(t.leader_in_charge_id)))
            session.flush()
            number = original.number or "dự thảo"
            issue_directive(session=session, directive=copy, number=original.number or f"DT-{str(original.id)[:8]}",
                            issued_on=moment.date(), calendar=scratch_env.calendar,
                            policy=scratch_env.policies[copy.reminder_policy], actor="simulate", now=moment)
    return number, moment, unreachable


def _sink_contacts(session, directive: Directive, smtp: SmtpSink, http: HttpSink, *,
                   offices: dict) -> tuple[dict, set[str]]:
    """Each recipient's real channels, pointed at the sinks: email at the SMTP sink, any other channel (webhook,
    Zalo…) at the HTTP sink; a recipient with no contact yet is shown through the HTTP sink, and named."""
    unreachable: set[str] = set()

    def sink(urls: list[str], mailbox: str, name: str) -> list[str]:
        urls = urls or []
        if not urls:
            unreachable.add(name)
        out = [smtp.url(f"{mailbox}@dondoc.local")] if any(_is_mail(u) for u in urls) else []
        if not out or any(not _is_mail(u) for u in urls):
            out.append(http.url(mailbox))
        return out

    units = {u.ref: sink(u.contacts, f"unit-{u.ref}", u.name) for u in session.exec(select(Unit)).all()}
    people = {p.name: sink(p.contacts, f"person-{p.key.replace(' ', '-')}", p.name)
              for p in session.exec(select(Person)).all()}
    office_urls = next((v for k, v in offices.items() if name_key(str(k)) == name_key(directive.issuer)), [])
    mailbox = f"office-{name_key(directive.issuer).replace(' ', '-')[:40]}"
    issuer = {directive.issuer: sink(office_urls, mailbox, directive.issuer)}
    return {"units": units, "people": people, "offices": issuer}, unreachable


def _is_mail(url: str) -> bool:
    return url.lower().startswith(("mailto:", "mailtos:"))


def _replay(settings: Settings, issued_at: datetime, start: date, end: date) -> int:
    """The notices at issuance (inside office hours), then the chase at 08:00 of every working day."""
    from flows.assign_directive import assign_directive
    from flows.chase_deadlines import chase_deadlines

    env = prepare(now=issued_at, actor="simulate", settings=settings)
    runs, day = 0, start
    if start <= issued_at.date() <= end and in_office_hours(issued_at, calendar=env.calendar,
                                                            policy=env.policies["default"]):
        assign_directive(as_of=issued_at)
        runs += 1
    while day <= end:
        at = step_moment(day, env.policies["default"])
        if env.calendar.is_working_day(day) and at > issued_at:
            chase_deadlines(as_of=at)
            runs += 1
        day += timedelta(days=1)
    return runs


def _collect(sim: Simulation, settings: Settings, smtp: SmtpSink, http: HttpSink) -> None:
    """Messages as the sinks received them, grouped like `dondoc timeline`: one per recipient and moment."""
    arrived = {m.key for m in smtp.mails} | {b.get("idempotency_key") for b in http.received}
    grouped: dict[tuple[str, datetime], dict] = {}
    with session_scope(settings.db_url) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()
    for row in rows:
        sim.planned += 1
        if row.status != OutboxStatus.SENT or row.idempotency_key not in arrived:
            sim.undelivered.append({"to": row.recipient_name, "channel": row.channel, "status": row.status,
                                    "error": row.last_error})
            continue
        sim.delivered += 1
        at = pendulum.instance(row.sent_at).in_timezone(TZ)
        entry = grouped.setdefault((row.recipient_name, at), {"items": {}, "channels": set()})
        entry["channels"].add(row.channel)
        for item in row.payload["items"]:
            entry["items"][(item["task"], item["kind"])] = None
    sim.messages = [
        {"to": to, "at": at.isoformat(), "channels": sorted(e["channels"]),
         "items": [{"task": t, "kind": k} for t, k in sorted(e["items"], key=lambda i: (ref_order(i[0]), KINDS.index(i[1])))]}
        for (to, at), e in sorted(grouped.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


@contextmanager
def _settings_of(scratch: Path):
    """Point dondoc's settings (read by the flows from the environment) at the scratch folder for a while."""
    wanted = {"DONDOC_STATE_DIR": str(scratch), "DONDOC_DATABASE_URL": f"sqlite:///{scratch / 'simulate.db'}",
              "DONDOC_CONTACTS_FILE": str(scratch / "contacts.yaml")}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
