"""What every command and flow needs besides its input: settings, the city's configuration, a ready database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from config.loaders import load_calendar, load_contacts, load_link_key, load_policies, load_registry
from config.settings import Settings, get_settings
from domain.policy import ReminderPolicy
from domain.registry import Registry
from domain.text import name_key
from domain.workdays import WorkCalendar
from models.crud import sync_units
from models.db import migrate, transaction

_READY: set[str] = set()


@dataclass(frozen=True)
class Env:
    settings: Settings
    registry: Registry
    calendar: WorkCalendar
    policies: dict[str, ReminderPolicy]

    @property
    def url(self) -> str:
        return self.settings.db_url


def prepare(*, now: datetime, actor: str, settings: Settings | None = None) -> Env:
    """Load the configuration and bring the database up to date (migrations, units, contacts) once per process."""
    s = settings or get_settings()
    env = Env(s, load_registry(s), load_calendar(s), load_policies(s))
    if env.url not in _READY:
        migrate(env.url)
        contacts = load_contacts(s)
        transaction(env.url, lambda session: sync_units(session=session, registry=env.registry, contacts=contacts,
                                                         now=now, actor=actor))
        _READY.add(env.url)
    return env


@dataclass(frozen=True)
class Planning:
    """The city's configuration as deciding and addressing messages needs it; its repr (in a traceback, a
    failed assertion, a log) leaves out the contact URLs and the link key, which are secrets."""

    registry: Registry
    calendar: WorkCalendar
    policies: dict[str, ReminderPolicy]
    public_url: str
    office_contacts: dict[str, list[str]] = field(repr=False)  # offices that are not units: folded name → URLs
    link_key: bytes = field(repr=False)  # signs the units' report links
    link_days: int = 90
    operators: tuple[str, ...] = field(default=(), repr=False)  # told when something needs them

    @property
    def default_policy(self) -> ReminderPolicy:
        return self.policies["default"]


def planning_of(env: Env) -> Planning:
    contacts = load_contacts(env.settings)
    offices = contacts.get("offices") or {}
    return Planning(env.registry, env.calendar, env.policies, env.settings.public_url,
                    {name_key(str(k)): [str(u) for u in v or []] for k, v in offices.items()},
                    load_link_key(env.settings), env.settings.link_days,
                    tuple(str(u) for u in contacts.get("operators") or []))
