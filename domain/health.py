"""What `dondoc doctor` judges, as pure functions of data read elsewhere: each answer is a Check for an operator."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from urllib.parse import urlsplit

from domain.text import name_key

OK, WARNING, ERROR = "ok", "warning", "error"
CONTACT_KINDS = {"units": "đơn vị", "people": "lãnh đạo", "offices": "cơ quan"}
SHOWN = 10  # names listed in one message; the rest are counted
OVERRIDES_DUE = (10, 1)  # by 1 October the government has usually announced next year's swapped days
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it went, what a person reads, and what to do about it."""

    name: str
    status: str  # ok | warning | error
    message: str
    fix: str = ""

    def as_json(self) -> dict:
        return asdict(self)


def ok(name: str, message: str) -> Check:
    return Check(name, OK, message)


def warning(name: str, message: str, fix: str) -> Check:
    return Check(name, WARNING, message, fix)


def error(name: str, message: str, fix: str) -> Check:
    return Check(name, ERROR, message, fix)


def counts(checks: Iterable[Check]) -> dict[str, int]:
    """How many checks ended in each status."""
    found = {OK: 0, WARNING: 0, ERROR: 0}
    for check in checks:
        found[check.status] += 1
    return found


def listed(names: Iterable[str], noun: str, limit: int = SHOWN) -> str:
    """Up to `limit` names, then how many more: a message stays readable with 114 communes in it."""
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" và {len(names) - limit} {noun} khác" if len(names) > limit else "")


# --- The working calendar -----------------------------------------------------------------------------------------

def calendar_coverage(overrides: Mapping, *, today: date, days_off: Collection[date]) -> Check:
    """Public holidays known for this year and next (else deadlines move wrongly: error); the government's swapped
    days written down for this year, and for next year once it has usually announced them (else a warning)."""
    name = "Lịch nghỉ lễ"
    years = (today.year, today.year + 1)
    missing = [y for y in years if not _holidays_known(days_off, y)]
    if missing:
        return error(name, f"lịch nghỉ lễ của gói holidays không có năm {', '.join(map(str, missing))}: hạn chót "
                           "và ngày nhắc việc rơi vào ngày lễ sẽ không được dời",
                     "nâng cấp gói holidays và mở rộng CALENDAR_YEARS trong config/loaders.py")
    written = _override_years(overrides)
    due = [today.year] + ([today.year + 1] if (today.month, today.day) >= OVERRIDES_DUE else [])
    absent = [y for y in due if y not in written]
    if absent:
        which = ", ".join(map(str, absent))
        return warning(name, f"chưa có lịch nghỉ bù/làm bù năm {which} trong tệp lịch làm việc",
                       f"thêm các ngày nghỉ hoán đổi (days_off) và ngày làm bù (makeup_days) năm {which} theo thông "
                       "báo của Thủ tướng vào config/calendar_overrides.yaml; nếu năm đó không có ngày hoán đổi, "
                       f"ghi reviewed_years: [{which}]")
    return ok(name, f"có lịch nghỉ lễ năm {years[0]}–{years[1]} và lịch nghỉ bù/làm bù năm {', '.join(map(str, due))}")


def _holidays_known(days_off: Collection[date], year: int) -> bool:
    """The fixed holidays and a Lunar New Year (always between 20 January and 21 February) are all there."""
    fixed = {date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)}
    tet = any(date(year, 1, 20) <= d <= date(year, 2, 21) for d in days_off)
    return fixed <= set(days_off) and tet


def _override_years(overrides: Mapping) -> set[int]:
    years = {int(y) for y in overrides.get("reviewed_years") or [] if str(y).isdigit()}
    for section in ("days_off", "makeup_days"):
        for raw in overrides.get(section) or {}:
            day = _day(raw)
            if day is not None:
                years.add(day.year)
    return years


def _day(raw) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:  # the calendar's own check reports it
        return None


# --- Contacts -------------------------------------------------------------------------------------------------------

def contact_entries(contacts: Mapping) -> tuple[list[tuple[str, str, str]], list[Check]]:
    """Every (kind, recipient, URL) of a contacts file, and what in its shape would break or be ignored."""
    entries: list[tuple[str, str, str]] = []
    problems: list[Check] = []
    name = "Tệp liên hệ"
    unknown = [str(k) for k in contacts if k not in CONTACT_KINDS]
    if unknown:
        problems.append(warning(name, f"mục không được đọc: {', '.join(unknown)} (chỉ có units, people, offices)",
                                "sửa tên mục trong tệp liên hệ (gõ sai?)"))
    for kind, label in CONTACT_KINDS.items():
        section = contacts.get(kind) or {}
        if not isinstance(section, Mapping):
            problems.append(error(name, f"mục {kind} phải là một bảng “tên: danh sách địa chỉ”",
                                  f"viết mục {kind} như config/contacts.example.yaml"))
            continue
        for who, urls in section.items():
            if urls is None:
                continue
            if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                problems.append(error(name, f"{label} {who}: địa chỉ phải là một danh sách URL",
                                      f"viết mỗi địa chỉ của {label} {who} trên một dòng bắt đầu bằng “- ”"))
                continue
            entries.extend((kind, str(who), url) for url in urls)
    return entries, problems


def recipient(kind: str, who: str) -> str:
    """A recipient as a person reads it: “đơn vị Sở Tài chính”."""
    return f"{CONTACT_KINDS.get(kind, kind)} {who}"


def unit_contacts(units: Mapping[str, str], contacts: Mapping) -> tuple[set[str], list[str]]:
    """Refs of the units the contacts file gives an address, and its keys that name no unit (matched as
    models.crud.sync_units matches them: the unit's name, whatever the spelling, or its official code)."""
    by_key = {name_key(n): ref for ref, n in units.items()} | {ref: ref for ref in units}
    covered: set[str] = set()
    unknown: list[str] = []
    section = contacts.get("units")
    for key, urls in (section.items() if isinstance(section, Mapping) else ()):
        ref = by_key.get(name_key(str(key)))
        if ref is None:
            unknown.append(str(key))
        elif urls:
            covered.add(ref)
    return covered, unknown


def contacts_coverage(units: Mapping[str, str], contacts: Mapping, *, assigned_refs: Collection[str]) -> list[Check]:
    """Units with open work but no address (their reminders go nowhere), and contact keys that match no unit."""
    name = "Liên hệ của đơn vị"
    covered, unknown = unit_contacts(units, contacts)
    found: list[Check] = []
    if unknown:
        found.append(warning(name, f"{len(unknown)} tên trong tệp liên hệ không khớp đơn vị nào của danh mục: "
                                   f"{listed(unknown, 'tên')}; địa chỉ của chúng không được dùng",
                             "viết đúng tên đơn vị như trong danh mục (hoặc mã xã, phường) trong tệp liên hệ"))
    bare = sorted(units[r] for r in set(assigned_refs) - covered if r in units)
    if bare:
        found.append(warning(name, f"{len(bare)} đơn vị đang có nhiệm vụ chưa xong nhưng chưa có địa chỉ liên hệ: "
                                   f"{listed(bare, 'đơn vị')}",
                             "thêm địa chỉ của các đơn vị này vào tệp liên hệ (mục units)"))
    if not found and not assigned_refs:
        found.append(ok(name, "chưa có đơn vị nào đang có nhiệm vụ"))
    elif not found:
        found.append(ok(name, f"mọi đơn vị đang có nhiệm vụ ({len(set(assigned_refs))}) đều có địa chỉ liên hệ"))
    return found


def leaders_coverage(leaders: Collection[str], people_keys: Collection[str]) -> Check:
    """Leaders in charge of open work without an address: overdue work escalates to nobody."""
    name = "Liên hệ của lãnh đạo"
    bare = sorted(n for n in set(leaders) if name_key(n) not in people_keys)
    if bare:
        return warning(name, f"{len(bare)} lãnh đạo phụ trách việc chưa xong chưa có địa chỉ liên hệ (không nhận "
                             f"được báo cáo việc quá hạn): {listed(bare, 'người')}",
                       "thêm địa chỉ của các lãnh đạo này vào tệp liên hệ (mục people)")
    if not leaders:
        return ok(name, "không có lãnh đạo nào được giao phụ trách việc chưa xong")
    return ok(name, f"mọi lãnh đạo phụ trách việc chưa xong ({len(set(leaders))}) đều có địa chỉ liên hệ")


# --- Other settings ---------------------------------------------------------------------------------------------------

def policies_in_use(policies: Collection[str], used: Mapping[str, Collection[str]]) -> Check:
    """Directives with open work whose policy left the policies file: the chase stops on them."""
    name = "Chính sách đang dùng"
    gone = {p: sorted(numbers) for p, numbers in used.items() if p not in policies}
    if gone:
        said = "; ".join(f"“{p}” ({listed(n, 'văn bản', 5)})" for p, n in sorted(gone.items()))
        return error(name, f"văn bản đang có việc dùng chính sách nhắc việc không còn trong cấu hình: {said}",
                     "thêm lại các chính sách này vào tệp chính sách nhắc việc")
    return ok(name, "mọi văn bản đang có việc đều dùng chính sách có trong cấu hình")


def migration_state(current: Collection[str], *, heads: Collection[str], known: Collection[str]) -> Check:
    """The database's Alembic revision against the code's: behind is repaired by any command, ahead is not."""
    name = "Phiên bản cơ sở dữ liệu"
    head = ", ".join(sorted(heads))
    if not current:
        return warning(name, "cơ sở dữ liệu chưa có bảng nào (chưa khởi tạo)",
                       "chạy `dondoc import TỆP` hoặc `dondoc status`: lệnh đầu tiên tự tạo các bảng")
    ahead = sorted(set(current) - set(known))
    if ahead:
        return error(name, f"cơ sở dữ liệu ở phiên bản {', '.join(ahead)}, mới hơn mã nguồn này (mới nhất: {head})",
                     "dùng bản dondoc đã nâng cấp cơ sở dữ liệu này; đừng chạy bản cũ trên nó")
    if set(current) != set(heads):
        return warning(name, f"cơ sở dữ liệu chưa nâng cấp: phiên bản {', '.join(sorted(current))}, mã nguồn cần "
                             f"{head}",
                       "chạy `dondoc status` (mọi lệnh tự nâng cấp cơ sở dữ liệu khi bắt đầu) trước lần chạy theo "
                       "lịch tiếp theo")
    return ok(name, f"phiên bản {head} (mới nhất)")


def link_key(*, secret: str | None, stored: str | None, path: str, unreadable: str | None = None) -> Check:
    """The key that signs report links: a set secret, else the key file made once in the state folder."""
    name = "Khóa ký đường dẫn"
    production = "môi trường chính thức nên đặt DONDOC_LINK_SECRET (ít nhất 32 ký tự ngẫu nhiên)"
    if secret is not None:
        if len(secret) < 32:
            return warning(name, f"DONDOC_LINK_SECRET chỉ có {len(secret)} ký tự: dễ bị đoán",
                           "đặt DONDOC_LINK_SECRET ít nhất 32 ký tự ngẫu nhiên (đổi khóa làm mọi đường dẫn đã gửi "
                           "hết hiệu lực)")
        return ok(name, "dùng DONDOC_LINK_SECRET")
    if unreadable:
        return error(name, f"không đọc được tệp khóa {path}: {unreadable}",
                     "cấp quyền đọc tệp cho người chạy dondoc, hoặc đặt DONDOC_LINK_SECRET")
    if stored is None:
        return warning(name, f"chưa có khóa: sẽ được tạo tự động trong {path} khi cần", production)
    if len(stored.strip()) < 32:
        return error(name, f"tệp khóa {path} hỏng (quá ngắn): không tạo được đường dẫn báo cáo",
                     "xóa tệp để tạo lại (các đường dẫn cũ hết hiệu lực), hoặc đặt DONDOC_LINK_SECRET")
    return warning(name, f"chỉ dùng khóa tự tạo trong {path}", production)


def public_url(url: str) -> Check:
    """Where the report links in messages point: units must be able to open them."""
    name = "Địa chỉ trang báo cáo"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return error(name, f"DONDOC_PUBLIC_URL “{url}” không phải địa chỉ web: đường dẫn báo cáo gửi đi sẽ hỏng",
                     "đặt DONDOC_PUBLIC_URL, ví dụ https://dondoc.haiphong.gov.vn")
    if parts.hostname in LOCAL_HOSTS:
        return warning(name, f"đường dẫn báo cáo trỏ tới {url}: chỉ mở được trên chính máy này",
                       "đặt DONDOC_PUBLIC_URL là địa chỉ các đơn vị truy cập được (https://…)")
    if parts.scheme == "http":
        return warning(name, f"đường dẫn báo cáo dùng http không mã hóa: {url}",
                       "dùng https cho DONDOC_PUBLIC_URL")
    return ok(name, f"đường dẫn báo cáo trỏ tới {url}")
