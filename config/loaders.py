"""Build the registry, calendar and policies from the YAML files named in the settings."""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path

import holidays
import yaml
from pydantic import ValidationError as PydanticError

from config.settings import Settings, get_settings
from domain.errors import ConfigError
from domain.policy import ReminderPolicy
from domain.registry import GroupEntry, Registry, UnitEntry, match_key
from domain.text import name_key, nfc
from domain.workdays import WorkCalendar

CALENDAR_YEARS = range(2024, 2031)


def read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"không đọc được tệp cấu hình {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"tệp cấu hình {path} phải là một bảng khóa: giá trị")
    return data


def build_registry(units_data: dict, extra: dict) -> Registry:
    """Registry from the city's units file and the registry file (other units, groups, aliases)."""
    aliases = {name_key(k): tuple(v or ()) for k, v in (extra.get("aliases") or {}).items()}
    units: dict[str, UnitEntry] = {}

    def add(entry: dict, kind: str) -> None:
        name = nfc(entry["name"])
        code = str(entry["code"]) if entry.get("code") else None
        ref = code or name_key(name).replace(" ", "-")
        if ref in units:
            raise ConfigError(f"đơn vị trùng trong danh mục: {name}")
        own = tuple(entry.get("aliases") or ())
        units[ref] = UnitEntry(ref, name, kind, code, entry.get("type"), entry.get("short"), own + aliases.get(name_key(name), ()))

    for entry in units_data.get("departments") or []:
        add(entry, "department")
    for entry in units_data.get("communes") or []:
        add(entry, "commune")
    for entry in extra.get("other_units") or []:
        add(entry, "other")

    by_key = {match_key(u.name): u.ref for u in units.values()}
    groups: dict[str, GroupEntry] = {}
    for g in extra.get("groups") or []:
        members = list(_members_by_kind(units, g.get("kinds") or []))
        for member in g.get("members") or []:
            ref = by_key.get(match_key(member))
            if ref is None:
                raise ConfigError(f"nhóm “{g['name']}”: không có đơn vị “{member}” trong danh mục")
            members.append(ref)
        groups[nfc(g["name"])] = GroupEntry(nfc(g["name"]), tuple(dict.fromkeys(members)), tuple(g.get("aliases") or ()))
    unknown = [k for k in aliases if match_key(k) not in by_key]
    if unknown:
        raise ConfigError(f"bí danh cho đơn vị không có trong danh mục: {', '.join(unknown)}")
    return Registry(units, groups, tuple(extra.get("vague") or ()))


def _members_by_kind(units: dict[str, UnitEntry], kinds: list[str]):
    return (u.ref for u in units.values() if u.kind in kinds)


def build_calendar(overrides: dict, years=CALENDAR_YEARS) -> WorkCalendar:
    """Vietnam's public holidays (the `holidays` package) plus the government's swapped days."""
    vn = holidays.Vietnam(years=list(years), language="vi")
    names = {d: str(n) for d, n in vn.items()}
    off = set(vn)
    for raw, why in (overrides.get("days_off") or {}).items():
        off.add(_as_date(raw))
        names[_as_date(raw)] = str(why)
    makeup = {_as_date(raw) for raw in (overrides.get("makeup_days") or {})}
    return WorkCalendar(frozenset(off), frozenset(makeup), names)


def _as_date(raw) -> date:
    try:
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        raise ConfigError(f"ngày không hợp lệ trong lịch làm việc: {raw!r} (cần YYYY-MM-DD)") from None


def build_policies(data: dict) -> dict[str, ReminderPolicy]:
    try:
        return {name: ReminderPolicy(name=name, **(body or {})) for name, body in data.items()}
    except (PydanticError, TypeError) as exc:
        raise ConfigError(f"chính sách nhắc việc không hợp lệ: {exc}") from None


def load_registry(settings: Settings | None = None) -> Registry:
    s = settings or get_settings()
    return _registry(s.units_file, s.registry_file)


def load_calendar(settings: Settings | None = None) -> WorkCalendar:
    return _calendar((settings or get_settings()).calendar_file)


def load_policies(settings: Settings | None = None) -> dict[str, ReminderPolicy]:
    return _policies((settings or get_settings()).policies_file)


@lru_cache
def _registry(units_file: Path, registry_file: Path) -> Registry:
    return build_registry(read_yaml(units_file), read_yaml(registry_file))


@lru_cache
def _calendar(calendar_file: Path) -> WorkCalendar:
    return build_calendar(read_yaml(calendar_file))


@lru_cache
def _policies(policies_file: Path) -> dict[str, ReminderPolicy]:
    policies = build_policies(read_yaml(policies_file))
    if "default" not in policies:
        raise ConfigError(f"{policies_file.name} phải có chính sách “default”")
    return policies


def load_contacts(settings: Settings | None = None) -> dict:
    """Contacts file (Apprise URLs); absent is fine: units then have no channel yet."""
    path = (settings or get_settings()).contacts_path
    return read_yaml(path) if path.exists() else {}


def load_link_key(settings: Settings | None = None) -> bytes:
    """The key that signs report links: DONDOC_LINK_SECRET, else one made once and kept in the state folder."""
    s = settings or get_settings()
    if s.link_secret:
        return s.link_secret.get_secret_value().encode()
    path = s.state_dir / "link-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: two processes starting together agree on one whole key.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".link-secret-")
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigError(f"khóa ký đường dẫn {path} hỏng (quá ngắn): xóa tệp để tạo lại, các đường dẫn cũ sẽ hết hiệu lực")
    return key.encode()
