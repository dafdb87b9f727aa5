"""`dondoc doctor` as an operator runs it (the demo is clean, a broken setup lists every problem), and its checks."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import date, timedelta

import pytest
import yaml
from conftest import EXAMPLES, make_cli

from domain import health
from notifiers.sinks import free_port  # nothing listens there

DEMO = ("002-cong-van-du-thao.yaml", "003-ke-hoach-01-KH-BCD.xlsx", "004-chuong-trinh-2026.xlsx")
MAIL_PASSWORD = "MailPassw0rd"
DB_PASSWORD = "S3cretDbPassw0rd"


def doctor(cli) -> tuple[int, dict, str]:
    done = cli("doctor", "--json")
    return done.returncode, json.loads(done.stdout), done.stdout + done.stderr


def named(report: dict, name: str) -> list[dict]:
    return [c for c in report["checks"] if c["name"] == name]


def status_of(report: dict, name: str) -> set[str]:
    return {c["status"] for c in named(report, name)}


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A fresh state folder after `dondoc import` of the three examples, as `make run` would leave it."""
    cli = make_cli(tmp_path_factory.mktemp("demo") / "state")
    for name in DEMO:
        cli("import", str(EXAMPLES / name), "--json", check=True)
    return cli


# --- The CLI ---------------------------------------------------------------------------------------------------------

def test_demo_setup_is_clean_apart_from_expected_warnings(demo):
    before = digest(demo.db)
    code, report, _ = doctor(demo)

    assert code == 0 and report["ok"] is True
    assert not [c for c in report["checks"] if c["status"] == "error"]
    for name in ("Thiết lập", "Danh mục đơn vị", "Lịch làm việc", "Chính sách nhắc việc", "Cơ sở dữ liệu",
                 "Phiên bản cơ sở dữ liệu", "Chính sách đang dùng"):
        assert status_of(report, name) == {"ok"}, name
    # What a demo lacks and production needs: contacts, a public address, a set link key.
    for name in ("Tệp liên hệ", "Liên hệ của đơn vị", "Khóa ký đường dẫn", "Địa chỉ trang báo cáo"):
        assert status_of(report, name) == {"warning"}, name
    assert status_of(report, "Prefect") <= {"ok", "warning"}  # up when `make run` runs on this machine
    assert status_of(report, "Lịch nghỉ lễ") <= {"ok", "warning"}  # next year's swaps are due from October
    assert "đơn vị đang có nhiệm vụ chưa xong nhưng chưa có địa chỉ" in named(report, "Liên hệ của đơn vị")[0]["message"]
    assert all(c["fix"] for c in report["checks"] if c["status"] != "ok")
    # A health check changes nothing: not the database, not the state folder.
    assert digest(demo.db) == before and not (demo.state / "link-secret").exists()


def test_demo_setup_as_a_table(demo):
    done = demo("doctor")
    assert done.returncode == 0
    assert "Cách sửa" in done.stdout and "Tệp liên hệ" in done.stdout
    assert "Không có lỗi" in done.stdout.splitlines()[-1]


def broken_files(folder, *, mail_port: int) -> dict[str, str]:
    """A policies file without `default` and a contacts file with several faults; their DONDOC_* variables."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policies.yaml").write_text("khan:\n  step_time: '08:00'\n", encoding="utf-8")
    contacts = {
        "units": {
            "Sở Tài chính": [f"mailto://vanthu:{MAIL_PASSWORD}@127.0.0.1:{mail_port}?from=a@hp.gov.vn&to=b@hp.gov.vn"],
            "Sở Y tế": ["khongphaiurl://abc"],
            "Sở Khoa học và Công nghệ": ["zalo://OA123/USER1"],
            "Sở Tai chinh nham": ["json://127.0.0.1:8080/hook"],
        },
    }
    (folder / "contacts.yaml").write_text(yaml.safe_dump(contacts, allow_unicode=True), encoding="utf-8")
    return {"DONDOC_POLICIES_FILE": str(folder / "policies.yaml"), "DONDOC_CONTACTS_FILE": str(folder / "contacts.yaml"),
            "DONDOC_LINK_DAYS": "abc", "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"}


def test_misconfigured_setup_lists_every_problem(tmp_path):
    files = broken_files(tmp_path / "conf", mail_port=free_port())
    url = f"postgresql+psycopg://dondoc:{DB_PASSWORD}@127.0.0.1:{free_port()}/dondoc"
    code, report, output = doctor(make_cli(tmp_path / "state", DONDOC_DATABASE_URL=url, **files))

    assert code == 1 and report["ok"] is False
    errors = {c["name"]: c for c in report["checks"] if c["status"] == "error"}
    assert {"Thiết lập DONDOC_LINK_DAYS", "Chính sách nhắc việc", "Cơ sở dữ liệu", "Kênh gửi", "Prefect"} <= set(errors)
    assert "DONDOC_LINK_DAYS" in errors["Thiết lập DONDOC_LINK_DAYS"]["fix"]
    assert "default" in errors["Chính sách nhắc việc"]["message"]
    assert "dondoc:***@127.0.0.1" in errors["Cơ sở dữ liệu"]["message"]
    assert "Sở Y tế" in errors["Kênh gửi"]["message"] and "khongphaiurl://" in errors["Kênh gửi"]["message"]
    assert "PREFECT_API_URL" in errors["Prefect"]["message"]
    warnings = {c["name"]: c for c in report["checks"] if c["status"] == "warning"}
    mail = next(c for name, c in warnings.items() if name.startswith("Máy chủ thư 127.0.0.1"))
    assert "Sở Tài chính" in mail["message"]
    # The database is down: what needs it says so instead of guessing.
    assert "cơ sở dữ liệu không dùng được" in warnings["Zalo OA OA123"]["message"]
    assert "Khóa ứng dụng Zalo" in warnings
    assert all(c["fix"] for c in report["checks"] if c["status"] != "ok")
    assert DB_PASSWORD not in output and MAIL_PASSWORD not in output


def test_broken_setup_on_a_database_newer_than_the_code(demo, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy(demo.db, state / "dondoc.db")
    with sqlite3.connect(state / "dondoc.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    files = broken_files(tmp_path / "conf", mail_port=free_port())
    code, report, output = doctor(make_cli(state, **files))

    assert code == 1
    errors = {c["name"]: c for c in report["checks"] if c["status"] == "error"}
    assert "9999" in errors["Phiên bản cơ sở dữ liệu"]["message"]
    assert "OA123" in errors["Zalo OA OA123"]["message"] and "dondoc zalo-token" in errors["Zalo OA OA123"]["fix"]
    unknown = [c for c in named(report, "Liên hệ của đơn vị") if "không khớp" in c["message"]]
    assert unknown and "Sở Tai chinh nham" in unknown[0]["message"]
    assert MAIL_PASSWORD not in output


# --- The I/O checks in process -----------------------------------------------------------------------------------------

def test_database_behind_the_code_and_an_expired_zalo_token(sqlite_settings, now):
    from models.db import migrate, session_scope
    from models.health import database
    from models.health_channels import Contact, zalo
    from notifiers.zalo_tokens import save_zalo_token

    url = sqlite_settings.db_url
    migrate(url, "0003")
    db, checks = database(url)
    assert [c.status for c in checks] == ["ok", "warning"] and "chưa nâng cấp" in checks[1].message

    migrate(url)
    with session_scope(url) as session:
        save_zalo_token(session=session, oa_id="OA1", app_id="app", access_token="tok-secret", refresh_token="r",
                        expires_at=now - timedelta(hours=1), now=now - timedelta(hours=26))
    contacts = [Contact("units", "Sở Tài chính", "zalo://OA1/U1", "zalo", "zalo://OA1/U1")]
    db, _ = database(url)
    found = zalo(contacts, db=db, settings=sqlite_settings, now=now)
    assert [(c.name, c.status) for c in found] == [("Zalo OA OA1", "warning"), ("Khóa ứng dụng Zalo", "warning")]
    assert "đã hết hạn" in found[0].message and "tok-secret" not in repr(found)
    assert zalo(contacts, db=db, settings=sqlite_settings, now=now - timedelta(hours=2))[0].status == "ok"


@pytest.mark.postgres
def test_postgresql_before_and_after_its_first_command(postgres_settings):
    from models.db import migrate
    from models.health import database

    url = postgres_settings.db_url
    _, checks = database(url)
    assert [c.status for c in checks] == ["ok", "warning"] and "chưa khởi tạo" in checks[1].message
    migrate(url)
    db, checks = database(url)
    assert [c.status for c in checks] == ["ok", "ok"] and db.engine is not None


# --- The pure checks ---------------------------------------------------------------------------------------------------

def days_off(*years: int) -> set[date]:
    """What the holidays package gives: the fixed holidays and a Lunar New Year."""
    return {d for y in years for d in (date(y, 1, 1), date(y, 2, 6), date(y, 4, 30), date(y, 5, 1), date(y, 9, 2))}


@pytest.mark.parametrize(("today", "overrides", "status", "said"), [
    (date(2026, 5, 4), {"makeup_days": {"2026-08-22": "làm bù"}}, "ok", "năm 2026"),
    (date(2026, 5, 4), {"makeup_days": {"2025-04-26": "làm bù"}}, "warning", "năm 2026"),
    (date(2026, 9, 30), {"makeup_days": {"2026-08-22": "làm bù"}}, "ok", ""),
    (date(2026, 10, 1), {"makeup_days": {"2026-08-22": "làm bù"}}, "warning", "chưa có lịch nghỉ bù/làm bù năm 2027"),
    (date(2026, 10, 1), {"makeup_days": {"2026-08-22": "x"}, "days_off": {date(2027, 2, 12): "y"}}, "ok", ""),
    (date(2026, 12, 1), {"makeup_days": {"2026-08-22": "x"}, "reviewed_years": [2027]}, "ok", ""),
])
def test_calendar_coverage_of_swapped_days(today, overrides, status, said):
    check = health.calendar_coverage(overrides, today=today, days_off=days_off(2026, 2027))
    assert check.status == status and said in check.message
    assert check.fix if status != "ok" else not check.fix


def test_calendar_coverage_without_next_years_holidays():
    check = health.calendar_coverage({"reviewed_years": [2030, 2031]}, today=date(2030, 11, 2),
                                     days_off=days_off(2029, 2030))
    assert check.status == "error" and "2031" in check.message


def test_calendar_coverage_of_the_real_holiday_calendar():
    from config.loaders import CALENDAR_YEARS, build_calendar

    real = build_calendar({}).days_off
    last = CALENDAR_YEARS[-1]
    assert health.calendar_coverage({"reviewed_years": [last - 1, last]}, today=date(last - 1, 3, 1),
                                    days_off=real).status == "ok"
    assert health.calendar_coverage({}, today=date(last, 3, 1), days_off=real).status == "error"


UNITS = {"so-tai-chinh": "Sở Tài chính", "11560": "Phường Thủy Nguyên", "so-y-te": "Sở Y tế"}


def test_contacts_coverage_matches_names_and_codes():
    contacts = {"units": {"SỞ TÀI CHÍNH": ["mailto://a"], "11560": ["json://b"], "Sở Tai chinh nham": ["json://c"]}}
    found = health.contacts_coverage(UNITS, contacts, assigned_refs={"so-tai-chinh", "11560", "so-y-te"})
    assert [c.status for c in found] == ["warning", "warning"]
    assert "Sở Tai chinh nham" in found[0].message
    assert found[1].message.startswith("1 đơn vị") and "Sở Y tế" in found[1].message
    assert health.contacts_coverage(UNITS, contacts, assigned_refs={"11560"})[1:] == []


def test_contacts_coverage_lists_ten_names_and_counts_the_rest():
    units = {f"u{i:02}": f"Xã Số {i:02}" for i in range(14)}
    [check] = health.contacts_coverage(units, {}, assigned_refs=set(units))
    assert check.message.startswith("14 đơn vị") and "Xã Số 09" in check.message
    assert "Xã Số 10" not in check.message and "và 4 đơn vị khác" in check.message


def test_leaders_coverage():
    assert health.leaders_coverage({"Hoàng Minh Cường"}, {"hoang minh cuong"}).status == "ok"
    check = health.leaders_coverage({"Hoàng Minh Cường", "Lê Văn A"}, {"hoang minh cuong"})
    assert check.status == "warning" and "Lê Văn A" in check.message and "Cường" not in check.message


def test_contact_entries_report_the_files_shape():
    entries, problems = health.contact_entries({
        "units": {"Sở Y tế": ["mailto://a", "json://b"], "Sở Nội vụ": None},
        "people": {"Lê Văn A": "mailto://c"}, "offices": ["x"], "unit": {}})
    assert entries == [("units", "Sở Y tế", "mailto://a"), ("units", "Sở Y tế", "json://b")]
    assert [c.status for c in problems] == ["warning", "error", "error"]
    assert "unit" in problems[0].message and "Lê Văn A" in problems[1].message and "offices" in problems[2].message


@pytest.mark.parametrize(("current", "status", "said"), [
    ((), "warning", "chưa khởi tạo"),
    (("0003",), "warning", "chưa nâng cấp"),
    (("0004",), "ok", "mới nhất"),
    (("0099",), "error", "mới hơn mã nguồn"),
])
def test_migration_state(current, status, said):
    check = health.migration_state(current, heads=("0004",), known=("0001", "0002", "0003", "0004"))
    assert check.status == status and said in check.message


@pytest.mark.parametrize(("kwargs", "status", "said"), [
    ({"secret": "x" * 40, "stored": None}, "ok", "DONDOC_LINK_SECRET"),
    ({"secret": "short", "stored": None}, "warning", "5 ký tự"),
    ({"secret": None, "stored": None}, "warning", "sẽ được tạo tự động"),
    ({"secret": None, "stored": "a" * 64}, "warning", "chỉ dùng khóa tự tạo"),
    ({"secret": None, "stored": "abc\n"}, "error", "quá ngắn"),
    ({"secret": None, "stored": None, "unreadable": "PermissionError"}, "error", "không đọc được"),
])
def test_link_key(kwargs, status, said):
    check = health.link_key(path="/srv/dondoc/link-secret", **kwargs)
    assert check.status == status and said in check.message
    assert "xxxxx" not in check.message + check.fix


@pytest.mark.parametrize(("url", "status"), [
    ("https://dondoc.haiphong.gov.vn", "ok"), ("http://dondoc.haiphong.gov.vn", "warning"),
    ("http://127.0.0.1:8000", "warning"), ("http://localhost:8000", "warning"), ("dondoc.haiphong.gov.vn", "error"),
])
def test_public_url(url, status):
    assert health.public_url(url).status == status


def test_policies_in_use():
    assert health.policies_in_use({"default", "khan"}, {"default": {"01-KH/BCĐ"}}).status == "ok"
    check = health.policies_in_use({"default"}, {"khan": {"01-KH/BCĐ"}, "default": {"9395/VP-VX"}})
    assert check.status == "error" and "khan" in check.message and "01-KH/BCĐ" in check.message


def test_counts_and_json():
    checks = [health.ok("a", "x"), health.warning("b", "y", "z"), health.error("c", "u", "v")]
    assert health.counts(checks) == {"ok": 1, "warning": 1, "error": 1}
    assert checks[2].as_json() == {"name": "c", "status": "error", "message": "u", "fix": "v"}
