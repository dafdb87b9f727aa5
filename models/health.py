"""The checks of `dondoc doctor` that read the settings, the files, the database and the network.

Each returns Checks and never raises, so that one broken thing does not hide the next. Nothing is written (no
migration, no key file, no sync of units) and nothing is sent: a mail server or webhook is only connected to.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import ValidationError as PydanticError
from sqlalchemy import create_engine, select
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from config.loaders import (build_calendar, load_calendar, load_contacts, load_policies, load_registry,
                            read_yaml)
from config.settings import Settings
from domain import health
from domain.errors import ConfigError, problems_from
from domain.health import Check, error, ok, warning
from domain.policy import TZ
from domain.registry import Registry
from domain.text import name_key
from flows.prefect_env import HOST, PORT
from models.crud import split_person
from models.db import alembic_config, make_engine
from models.directives import Assignment, AssignmentStatus, Directive, Task
from models.units import Person, Unit
from models.health_channels import channels

DB_TIMEOUT = 5  # seconds to reach a database server
PREFECT_TIMEOUT = 2
OPEN = (AssignmentStatus.OPEN, AssignmentStatus.PENDING_REVIEW)
ASK_ADMIN = "báo cho người quản trị dondoc kèm thông báo này"


def run_checks(*, now: datetime) -> list[Check]:
    """Every check, in the order an operator fixes things: settings, files, database, services, coverage."""
    settings, found = load_settings()
    registry, check = _loaded("Danh mục đơn vị", lambda: load_registry(settings),
                              f"sửa {settings.units_file} hoặc {settings.registry_file} theo thông báo",
                              lambda r: f"{len(r.units)} đơn vị, {len(r.groups)} nhóm")
    found.append(check)
    found.append(_loaded("Lịch làm việc", lambda: load_calendar(settings),
                         f"sửa {settings.calendar_file} theo thông báo",
                         lambda c: f"đọc được {settings.calendar_file} ({len(c.makeup_days)} ngày làm bù)")[1])
    policies, check = _loaded("Chính sách nhắc việc", lambda: load_policies(settings),
                              f"sửa {settings.policies_file} theo thông báo (mẫu: config/policies.yaml)",
                              lambda p: f"có các chính sách: {', '.join(p)}")
    found.append(check)
    found += _guarded("Thư mục trạng thái", lambda: [state_folder(settings.state_dir)])
    contacts, entries, checks = _guarded("Tệp liên hệ", lambda: contacts_file(settings), failed=(None, []))
    found += checks
    db, checks = database(settings.db_url)
    found += checks
    found += _guarded("Khóa ký đường dẫn", lambda: [link_key(settings)])
    found.append(health.public_url(settings.public_url))
    found += _guarded("Prefect", lambda: [prefect()])
    found += _guarded("Kênh gửi", lambda: channels(entries, db=db, settings=settings, now=now))
    found += _guarded("Lịch nghỉ lễ", lambda: [calendar_coverage(settings, today=now.astimezone(TZ).date())])
    found += _guarded("Liên hệ của đơn vị", lambda: coverage(registry, contacts, policies, db=db))
    return _scrubbed(found, _secrets(settings, entries))


# --- Settings and files ------------------------------------------------------------------------------------------

def load_settings() -> tuple[Settings, list[Check]]:
    """The settings; each broken DONDOC_* value is reported and replaced by its default, so the other checks run."""
    try:
        return Settings(), [ok("Thiết lập", "các biến môi trường DONDOC_* hợp lệ")]
    except PydanticError as exc:
        found, bad = [], set()
        for raw, problem in zip(exc.errors(), problems_from(exc)):
            field_name = str(raw["loc"][0]) if raw.get("loc") else ""
            bad.add(field_name)
            found.append(_setting_error(field_name, problem.message, raw.get("input")))
    fields = Settings.model_fields
    defaults = {f: fields[f].get_default(call_default_factory=True) for f in bad if f in fields}
    try:
        return Settings(**defaults), found
    except PydanticError:  # cannot happen with every broken field at its default; kept so doctor never crashes
        return Settings.model_construct(), found


def _setting_error(field_name: str, message: str, value) -> Check:
    variable = f"DONDOC_{field_name.upper()}"
    shown = "" if "secret" in field_name or value is None else f" (giá trị “{str(value)[:60]}”)"
    return error(f"Thiết lập {variable}", f"{variable}: {message}{shown}; tạm dùng giá trị mặc định để kiểm tra tiếp",
                 f"sửa hoặc bỏ biến môi trường {variable}")


def _loaded(name: str, load: Callable, fix: str, say: Callable) -> tuple[object | None, Check]:
    """A configuration file loaded, or the error its loader gives (the loaders word them for people)."""
    try:
        value = load()
    except ConfigError as exc:
        return None, error(name, str(exc), fix)
    except Exception as exc:  # noqa: BLE001  (a file shaped unexpectedly: say so, go on with the other checks)
        return None, error(name, f"tệp cấu hình hỏng ({type(exc).__name__})", fix)
    return value, ok(name, say(value))


def state_folder(path: Path) -> Check:
    """The state folder holds the SQLite database, the evidence files, the workbooks and the link key."""
    name = "Thư mục trạng thái"
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return error(name, f"không ghi được vào {existing or path}: không lưu được cơ sở dữ liệu SQLite, minh chứng, "
                           "báo cáo Excel", f"cấp quyền ghi {path} cho người chạy dondoc, hoặc đặt DONDOC_STATE_DIR")
    if existing != path:
        return ok(name, f"{path} chưa có, sẽ được tạo khi cần")
    return ok(name, f"ghi được vào {path}")


def contacts_file(settings: Settings) -> tuple[dict | None, list[tuple[str, str, str]], list[Check]]:
    """The contacts file, its (kind, recipient, URL) entries, and what is wrong with its shape."""
    name, path = "Tệp liên hệ", settings.contacts_path
    if not path.exists():
        return {}, [], [warning(name, f"chưa có tệp liên hệ {path}: chưa gửi được tin nhắn cho ai",
                                f"chép config/contacts.example.yaml thành {path} và điền địa chỉ thật (hoặc đặt "
                                "DONDOC_CONTACTS_FILE)")]
    try:
        contacts = load_contacts(settings)
    except ConfigError as exc:
        return None, [], [error(name, str(exc), f"sửa {path} (mẫu: config/contacts.example.yaml)")]
    entries, problems = health.contact_entries(contacts)
    if any(p.status == health.ERROR for p in problems):
        return contacts, entries, problems
    who = len({(kind, recipient) for kind, recipient, _ in entries})
    return contacts, entries, problems + [ok(name, f"{len(entries)} địa chỉ của {who} người nhận trong {path}")]


# --- Database ---------------------------------------------------------------------------------------------------------

@dataclass
class Database:
    """What the checks after the database may read: an engine, or why not."""

    engine: Engine | None = None
    absent: bool = False  # no database yet (a fresh state folder): nothing is open, nothing to read

    def read(self, query: Callable[[Connection], object]):
        """The query's answer; None when the database cannot answer (its own check has said why)."""
        if self.engine is None:
            return None
        try:
            with self.engine.connect() as conn:
                return query(conn)
        except Exception:  # noqa: BLE001  (tables missing on an old database and the like)
            return None


def database(url: str) -> tuple[Database, list[Check]]:
    """Reachable (the password never shown), then at which migration; creates nothing."""
    try:
        return _database(url)
    except Exception as exc:  # noqa: BLE001
        return Database(), [error("Cơ sở dữ liệu", f"không kiểm tra được ({type(exc).__name__})", ASK_ADMIN)]


def _database(url: str) -> tuple[Database, list[Check]]:
    name = "Cơ sở dữ liệu"
    fix = "kiểm tra DONDOC_DATABASE_URL: máy chủ đang chạy, địa chỉ, cổng, tên cơ sở dữ liệu, tài khoản và mật khẩu"
    try:
        parsed = _parse(url)
    except ConfigError as exc:
        return Database(), [error(name, str(exc), "sửa DONDOC_DATABASE_URL")]
    shown = parsed.render_as_string(hide_password=True)
    if _sqlite_file(parsed) and not Path(parsed.database).exists():
        return Database(absent=True), [warning(name, f"chưa có cơ sở dữ liệu {parsed.database}",
                                               "chạy `dondoc import TỆP`: lệnh đầu tiên tự tạo cơ sở dữ liệu")]
    try:
        engine = _engine(parsed, url)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        return Database(), [error(name, f"không kết nối được {shown}: {_reason(exc)}", fix)]
    return Database(engine), [ok(name, f"kết nối được {shown}"),
                              *_guarded("Phiên bản cơ sở dữ liệu", lambda: [migrations(engine, url)])]


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        make_engine(url)  # raises the project's ConfigError, which never echoes the password
        raise


def _sqlite_file(parsed: URL) -> bool:
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


def _engine(parsed: URL, url: str) -> Engine:
    """SQLite through the project's engine (its pragmas); a server with a connect timeout and no pool."""
    if parsed.get_backend_name() == "sqlite":
        return make_engine(url)
    args = {"connect_timeout": DB_TIMEOUT} if parsed.get_backend_name() == "postgresql" else {}
    return create_engine(parsed, connect_args=args, poolclass=NullPool, hide_parameters=True)


def _reason(exc: Exception) -> str:
    """The driver's first line (a refused connection, a bad password…), never the URL."""
    text = str(exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first[:300]


def migrations(engine: Engine, url: str) -> Check:
    """Alembic's revision of the database against the code's, read without running any migration."""
    script = ScriptDirectory.from_config(alembic_config(url))
    known = {r.revision for r in script.walk_revisions()}
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return health.migration_state(current, heads=script.get_heads(), known=known)


@dataclass
class OpenWork:
    """What open assignments need: their units, their leaders, and the policies of their directives."""

    unit_refs: set[str] = field(default_factory=set)
    leaders: set[str] = field(default_factory=set)
    policies: dict[str, set[str]] = field(default_factory=dict)


def open_work(db: Database) -> OpenWork | None:
    """Read from the database; an absent one has no work yet, a broken one gives None."""
    if db.absent:
        return OpenWork()
    return db.read(_open_work)


def _open_work(conn: Connection) -> OpenWork:
    opened = Assignment.status.in_(OPEN)
    refs = conn.execute(select(Unit.ref).join(Assignment, Assignment.unit_id == Unit.id).where(opened).distinct())
    tasks = (select(Task.leader_in_charge_id, Directive.leader_in_charge_id, Directive.reminder_policy,
                    Directive.number, Directive.id)
             .join(Assignment, Assignment.task_id == Task.id).join(Directive, Directive.id == Task.directive_id)
             .where(opened).distinct())
    work = OpenWork(unit_refs=set(refs.scalars()))
    leader_ids = set()
    for task_leader, directive_leader, policy, number, directive_id in conn.execute(tasks):
        if task_leader or directive_leader:
            leader_ids.add(task_leader or directive_leader)
        work.policies.setdefault(policy, set()).add(number or f"dự thảo {str(directive_id)[:8]}")
    if leader_ids:
        work.leaders = set(conn.execute(select(Person.name).where(Person.id.in_(leader_ids))).scalars())
    return work


# --- Link key, Prefect --------------------------------------------------------------------------------------------

def link_key(settings: Settings) -> Check:
    """Read the key file as config.loaders.load_link_key would, without making one."""
    path = settings.state_dir / "link-secret"
    secret = settings.link_secret.get_secret_value() if settings.link_secret else None
    if secret is not None or not path.exists():
        return health.link_key(secret=secret, stored=None, path=str(path))
    try:
        stored = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        return health.link_key(secret=None, stored=None, path=str(path), unreadable=type(exc).__name__)
    return health.link_key(secret=None, stored=stored, path=str(path))


def prefect() -> Check:
    """The Prefect API named by PREFECT_API_URL (it must answer), else the `make run` server (it should)."""
    name = "Prefect"
    configured = os.environ.get("PREFECT_API_URL")
    url = (configured or f"http://{HOST}:{PORT}/api").rstrip("/")
    shown = _without_userinfo(url)
    if _healthy(url):
        return ok(name, f"Prefect API {shown} đang chạy")
    if configured:
        return error(name, f"PREFECT_API_URL {shown} không trả lời: các lịch chạy và lệnh chase, assign, dispatch, "
                           "simulate sẽ lỗi",
                     "khởi động máy chủ Prefect đó, hoặc bỏ PREFECT_API_URL để dùng máy chủ của `make run`")
    return warning(name, f"Prefect server không chạy ({shown}): `make run` chưa chạy nên các lịch tự động (đôn đốc "
                         "08:00, gửi tin, báo cáo) không chạy; các lệnh tạm dùng máy chủ riêng",
                   "chạy `make run` (trên máy chủ chính thức: chạy nó như một dịch vụ)")


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=PREFECT_TIMEOUT) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()


# --- Channels -------------------------------------------------------------------------------------------------------

def calendar_coverage(settings: Settings, *, today) -> Check:
    """The `holidays` package's years, and the government's swaps written in the calendar file."""
    try:
        overrides = read_yaml(settings.calendar_file)
    except ConfigError:  # the calendar's load check has said why
        overrides = {}
    return health.calendar_coverage(overrides, today=today, days_off=build_calendar({}).days_off)


def coverage(registry: Registry | None, contacts: dict | None, policies: dict | None, *, db: Database) -> list[Check]:
    """Who has open work but no address, and directives whose policy is gone; skipped when their input is broken."""
    work = open_work(db)
    if work is None:
        return [warning("Liên hệ của đơn vị", "không kiểm tra được việc đang mở: cơ sở dữ liệu không dùng được",
                        "sửa lỗi cơ sở dữ liệu rồi chạy lại dondoc doctor")]
    found: list[Check] = []
    if registry is not None and contacts is not None:
        units = {ref: unit.name for ref, unit in registry.units.items()}
        found += health.contacts_coverage(units, contacts, assigned_refs=work.unit_refs)
        people = contacts.get("people")
        keys = {name_key(split_person(str(k))[0]) for k, v in (people.items() if isinstance(people, dict) else ()) if v}
        found.append(health.leaders_coverage(work.leaders, keys))
    if policies is not None:
        found.append(health.policies_in_use(policies, work.policies))
    return found


# --- Never raising, never leaking -----------------------------------------------------------------------------------

def _guarded(name: str, run: Callable, *, failed: tuple = ()):
    """A check that failed in a way nobody foresaw becomes an error of its own, and the others still run;
    `failed` is what a check that also returns data gives in its place."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001
        broken = [error(name, f"không kiểm tra được ({type(exc).__name__})", ASK_ADMIN)]
        return (*failed, broken) if failed else broken


def _secrets(settings: Settings, entries: list[tuple[str, str, str]]) -> list[str]:
    """The secrets in the configuration, so that no check's words can carry one out."""
    found = [s.get_secret_value() for s in (settings.link_secret, settings.zalo_app_secret) if s]
    for url in [settings.db_url, *(url for _, _, url in entries)]:
        try:
            password = urlsplit(url).password
        except ValueError:  # a URL too broken to split has been reported without quoting it
            password = None
        if password:
            found += [password, unquote(password)]
    # Longest first, so that a secret containing another is masked whole; a tiny one would mask ordinary words.
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def _scrubbed(checks: list[Check], secrets: list[str]) -> list[Check]:
    def clean(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***")
        return text

    return [Check(c.name, c.status, clean(c.message), clean(c.fix)) for c in checks]
