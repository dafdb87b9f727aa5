"""Keyword-only helpers that read and write the tables: verb_noun(*, session, ...)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from domain.errors import NotFoundError
from domain.registry import Registry
from domain.text import name_key, nfc, quoted
from models.directives import Directive
from models.messaging import Event
from models.units import Person, Unit, UnitGroup, UnitGroupMember


def create_event(*, session: Session, at: datetime, actor: str, action: str, entity: str,
                 entity_id: uuid.UUID | None = None, reason: str | None = None, data: dict | None = None) -> Event:
    event = Event(at=at, actor=actor, action=action, entity=entity, entity_id=entity_id, reason=reason, data=data or {})
    session.add(event)
    return event


def sync_units(*, session: Session, registry: Registry, contacts: dict, now: datetime, actor: str) -> int:
    """Make the unit and group tables match the registry; writes nothing when they already do."""
    by_ref = {u.ref: u for u in session.exec(select(Unit)).all()}
    unit_contacts = {name_key(str(k)): v for k, v in (contacts.get("units") or {}).items()}
    changed = 0
    for entry in registry.units.values():
        wanted = {
            "name": entry.name, "kind": entry.kind, "code": entry.code, "commune_type": entry.commune_type,
            "short": entry.short, "aliases": list(entry.aliases), "active": True,
            "contacts": list(unit_contacts.get(name_key(entry.name)) or unit_contacts.get(entry.ref) or []),
        }
        unit = by_ref.get(entry.ref)
        if unit is None:
            session.add(Unit(ref=entry.ref, **wanted))
            changed += 1
            continue
        diff = {k: v for k, v in wanted.items() if getattr(unit, k) != v}
        if diff:
            for key, value in diff.items():
                setattr(unit, key, value)
            changed += 1
    for ref, unit in by_ref.items():
        if ref not in registry.units and unit.active:
            unit.active = False  # kept: old assignments still point at it
            changed += 1
    session.flush()
    changed += _sync_groups(session=session, registry=registry)
    changed += _sync_people(session=session, people=contacts.get("people") or {})
    if changed:
        create_event(session=session, at=now, actor=actor, action="registry.synced", entity="unit",
                     data={"changed": changed})
    return changed


def _sync_groups(*, session: Session, registry: Registry) -> int:
    unit_ids = {u.ref: u.id for u in session.exec(select(Unit)).all()}
    groups = {g.name: g for g in session.exec(select(UnitGroup)).all()}
    changed = 0
    for entry in registry.groups.values():
        group = groups.get(entry.name)
        if group is None:
            group = UnitGroup(name=entry.name, aliases=list(entry.aliases))
            session.add(group)
            session.flush()
            changed += 1
        elif group.aliases != list(entry.aliases):
            group.aliases = list(entry.aliases)
            changed += 1
        have = set(session.exec(select(UnitGroupMember.unit_id).where(UnitGroupMember.group_id == group.id)).all())
        want = {unit_ids[ref] for ref in entry.members}
        for unit_id in want - have:
            session.add(UnitGroupMember(group_id=group.id, unit_id=unit_id))
        for unit_id in have - want:
            session.delete(session.get(UnitGroupMember, (group.id, unit_id)))
        changed += bool(want ^ have)
    return changed


def _sync_people(*, session: Session, people: dict) -> int:
    """People's contacts come from the contacts file; a leader named there exists before any directive names him."""
    changed = 0
    for written, urls in people.items():
        person = get_or_create_person(session=session, written=str(written))
        wanted = [str(u) for u in urls or []]
        if person.contacts != wanted:
            person.contacts = wanted
            changed += 1
    return changed


def get_or_create_person(*, session: Session, written: str) -> Person:
    """The person a leader's name as written stands for ("Đồng chí X, Phó Chủ tịch…" or "Phó Chủ tịch … X")."""
    name, title = split_person(written)
    key = name_key(name)
    person = session.exec(select(Person).where(Person.key == key)).first()
    if person is None:
        person = Person(key=key, name=name, title=title)
        session.add(person)
        session.flush()
    return person


_TITLES = ("Phó Chủ tịch UBND thành phố", "Chủ tịch UBND thành phố", "Phó Chủ tịch Ủy ban nhân dân thành phố",
           "Chủ tịch Ủy ban nhân dân thành phố", "Phó Bí thư Thường trực Thành ủy", "Bí thư Thành ủy")


def split_person(written: str) -> tuple[str, str | None]:
    """Name and title of a leader as directives write them."""
    text = nfc(written).strip(" .;,")
    folded = text.casefold()
    if folded.startswith("đồng chí "):
        name, _, title = text[len("đồng chí "):].partition(",")
        return name.strip(), title.strip() or None
    for title in _TITLES:
        if folded.startswith(title.casefold() + " "):
            return text[len(title):].strip(), title
    return text, None


def find_directive(*, session: Session, ref: str) -> Directive:
    """A directive by its number ("9395/VP-VX") or id (or an id prefix of 8+ characters)."""
    ref = nfc(ref)
    matches = session.exec(select(Directive).where(col(Directive.number).ilike(ref))).all()
    if not matches and len(ref) >= 8:
        matches = [d for d in session.exec(select(Directive)).all() if str(d.id).startswith(ref.lower())]
    if not matches:
        raise NotFoundError(f"không có văn bản số hoặc mã {quoted(ref)}")
    if len(matches) > 1:
        listing = "; ".join(f"{d.number or 'dự thảo'} của {d.issuer} (mã {str(d.id)[:8]})" for d in matches)
        raise NotFoundError(f"“{ref}” khớp nhiều văn bản: {listing}. Hãy dùng mã")
    return matches[0]



def find_unit(*, session: Session, registry: Registry, name: str) -> Unit:
    """A unit by its name as people write it (the registry's matching: diacritics, abbreviations, OCR damage)."""
    resolved = registry.resolve(name)
    if resolved.kind != "unit":
        raise NotFoundError(f"“{name}” là {'một nhóm' if resolved.kind == 'group' else 'cách gọi chung'}, "
                            "không phải một đơn vị: hãy ghi tên đơn vị cụ thể")
    unit = session.exec(select(Unit).where(Unit.ref == resolved.units[0])).first()
    if unit is None:
        raise NotFoundError(f"đơn vị “{resolved.name}” chưa có trong cơ sở dữ liệu")
    return unit
