"""Who a message goes to and at which addresses: units and people from the database, offices by the registry."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from domain.errors import InputError
from domain.text import name_key
from models.env import Planning
from models.units import Person, Unit


def addresses(*, session: Session, planning: Planning, recipients: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Contacts (Apprise URLs) of each recipient `(kind, name)`, keyed `kind:name`; kinds: unit, person, office,
    operator (the city office's operators, from the contacts file)."""
    wanted = set(recipients)
    names = {kind: {n for k, n in wanted if k == kind} for kind in ("unit", "person", "office")}
    units = {n: c for n, c in session.exec(select(Unit.name, Unit.contacts)).all()}
    people = {n: c for n, c in session.exec(select(Person.name, Person.contacts).where(
        Person.name.in_(names["person"]))).all()} if names["person"] else {}
    out = {f"unit:{n}": list(units.get(n) or []) for n in names["unit"]}
    out |= {f"person:{n}": list(people.get(n) or []) for n in names["person"]}
    for office in names["office"]:
        out[f"office:{office}"] = _office_contacts(office, units, planning)
    out |= {f"operator:{n}": list(planning.operators) for k, n in wanted if k == "operator"}
    return out


def _office_contacts(issuer: str, units: dict[str, list], planning: Planning) -> list[str]:
    """An issuing office is a unit of the registry when it resolves to one; else the contacts file names it."""
    try:
        resolved = planning.registry.resolve(issuer)
    except InputError:
        resolved = None
    if resolved is not None and resolved.kind == "unit":
        unit_name = planning.registry.units[resolved.units[0]].name
        if units.get(unit_name):
            return list(units[unit_name])
    return list(planning.office_contacts.get(name_key(issuer)) or [])
