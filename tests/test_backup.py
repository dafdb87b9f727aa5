"""Data safety: WAL, `dondoc backup` taken while a writer keeps writing and restored elsewhere row for row,
and the refusals that keep a database or an older backup from being overwritten by mistake."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
from pathlib import Path

import pendulum
import pytest
from sqlmodel import select

from conftest import TZ, create_database, make_cli, pg_bin
from models.chase import plan_chase
from models.crud import create_event
from models.db import make_engine, migrate, session_scope
from models.env import planning_of
from models.messaging import Lock
from populated import populate, table_columns, table_rows

PASSWORD = "Mk-bi-mat-42"
WRITES = "test.write"


class Writer(threading.Thread):
    """Commits one audit entry and one lock update per transaction, numbered, until told to stop."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.count, self.error = url, 0, None
        self.stopping, self.progress = threading.Event(), threading.Condition()
        with session_scope(url) as session:
            session.add(Lock(name="test-writer", holder="w-", taken_at=pendulum.datetime(2025, 10, 2, tz=TZ)))

    def run(self):
        try:
            while not self.stopping.is_set():
                with session_scope(self.url) as session:
                    create_event(session=session, at=pendulum.datetime(2025, 10, 2, 9, tz=TZ), actor="writer",
                                 action=WRITES, entity="test", data={"seq": self.count})
                    session.get(Lock, "test-writer").holder = f"w{self.count}"
                with self.progress:
                    self.count += 1
                    self.progress.notify_all()
        except Exception as exc:  # noqa: BLE001  (reported by wait_for)
            self.error = exc
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: self.count >= count or self.error, timeout=60)
        assert self.error is None, self.error

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
        assert self.error is None, self.error


def as_of_write(rows: dict[str, list[tuple]], columns: dict[str, list[str]], k: int) -> dict[str, list[tuple]]:
    """The rows as they were when the writer had committed writes 0…k: later writes taken out again."""
    action, data = columns["event"].index("action"), columns["event"].index("data")
    name, holder = columns["lock"].index("name"), columns["lock"].index("holder")

    def later(row) -> bool:
        return row[action] == WRITES and _seq(row[data]) > k

    out = dict(rows, event=[r for r in rows["event"] if not later(r)])
    out["lock"] = sorted((tuple(f"w{k}" if i == holder and r[name] == "test-writer" else v for i, v in enumerate(r))
                          for r in rows["lock"]), key=repr)
    return out


def writes_in(rows: dict[str, list[tuple]], columns: dict[str, list[str]]) -> list[int]:
    action, data = columns["event"].index("action"), columns["event"].index("data")
    return sorted(_seq(r[data]) for r in rows["event"] if r[action] == WRITES)


def _seq(data) -> int:
    return (json.loads(data) if isinstance(data, str) else data)["seq"]  # JSON text on SQLite, a dict on PostgreSQL


def sqlite_url(path) -> str:
    """The URL of an SQLite file, or of the database in a state folder."""
    return f"sqlite:///{path / 'dondoc.db' if path.is_dir() else path}"


def cli_for(settings, **env):
    extra = {"DONDOC_DATABASE_URL": settings.database_url} if settings.database_url else {}
    bindir = pg_bin()
    if bindir is not None:  # Debian keeps pg_dump of each server version here
        extra["PATH"] = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    return make_cli(settings.state_dir, **extra, **env)


@pytest.fixture
def populated(sqlite_settings):
    return populate(sqlite_settings)


def test_a_migrated_sqlite_database_is_in_wal_mode(sqlite_settings):
    migrate(sqlite_settings.db_url)
    engine = make_engine(sqlite_settings.db_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
    with sqlite3.connect(sqlite_settings.state_dir / "dondoc.db") as raw:  # kept in the file: any reader sees it
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_backup_taken_while_a_writer_writes_restores_that_moment_row_for_row(settings, tmp_path):
    env = populate(settings)
    writer = Writer(env.url)
    writer.start()
    writer.wait_for(20)
    dest = tmp_path / "sao-luu" / ("dondoc.db" if env.url.startswith("sqlite") else "dondoc.dump")
    dest.parent.mkdir()
    done = cli_for(env.settings)("backup", str(dest), "--json", check=True)
    at_backup = writer.count
    writer.wait_for(at_backup + 20)  # the writer went on after the backup
    writer.stop()
    saved = json.loads(done.stdout)
    assert saved["path"] == str(dest) and saved["revision"] == "0004" and saved["size"] == dest.stat().st_size
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]  # no temporary file left

    if env.url.startswith("sqlite"):
        elsewhere = tmp_path / "may-moi"
        restored = make_cli(elsewhere)("restore", str(dest), "--json", check=True)
        assert json.loads(restored.stdout)["rows"] == saved["rows"]
        url = sqlite_url(elsewhere)
    else:
        url = pg_restore_into_new_database(env.url, dest)
    copy, columns = table_rows(url), table_columns(url)
    seqs = writes_in(copy, columns)
    k = len(seqs) - 1
    assert seqs == list(range(k + 1))  # one moment: a prefix of the writes, none missing, none half-written
    assert 20 <= k < writer.count - 1
    source = table_rows(env.url)
    assert copy == as_of_write(source, columns, k)  # every table, every row, as at the backup's moment
    assert {t: len(copy[t]) for t in saved["rows"]} == saved["rows"]


def pg_restore_into_new_database(url: str, dump) -> str:
    restored = create_database(url.rpartition("/")[0])
    subprocess.run([str(pg_bin() / "pg_restore"), "--no-owner", "--exit-on-error",
                    "-d", restored.replace("postgresql+psycopg", "postgresql"), str(dump)],
                   check=True, capture_output=True, text=True)
    return restored


def test_a_backup_never_overwrites_an_existing_file_without_force(populated, tmp_path):
    cli = cli_for(populated.settings)
    older = tmp_path / "hom-qua.db"
    older.write_bytes(b"the backup of yesterday")
    before = table_rows(populated.url)
    refused = cli("backup", str(older))
    assert refused.returncode == 1 and refused.stderr.startswith("Lỗi:") and "--force" in refused.stderr
    assert refused.stderr.count("Lỗi:") == 1 and "Traceback" not in refused.stderr
    assert older.read_bytes() == b"the backup of yesterday" and table_rows(populated.url) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    onto_itself = cli("backup", str(populated.settings.state_dir / "dondoc.db"), "--force")
    assert onto_itself.returncode == 1 and "chính cơ sở dữ liệu" in onto_itself.stderr
    cli("backup", str(older), "--force", check=True)
    assert table_rows(sqlite_url(older)) == before


def test_a_backup_into_a_folder_gets_a_dated_name(populated, tmp_path):
    first = json.loads(cli_for(populated.settings)("backup", str(tmp_path), "--json", check=True).stdout)
    assert first["path"].startswith(str(tmp_path / "dondoc-")) and first["path"].endswith(".db")


def _not_a_database(tmp_path):
    path = tmp_path / "ghi-chu.txt"
    path.write_text("Danh sách việc cần làm\n", encoding="utf-8")
    return path, "không phải tệp SQLite"


def _another_sqlite_file(tmp_path):
    path = tmp_path / "khac.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE ghi_chu (noi_dung TEXT)")
    return path, "thiếu bảng"


def _cut_short(tmp_path, populated):
    path = tmp_path / "cat-ngang.db"
    cli_for(populated.settings)("backup", str(path), check=True)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    return path, "không phải cơ sở dữ liệu dondoc"


@pytest.mark.parametrize("make", ["text", "other sqlite", "cut short", "missing"])
def test_restore_refuses_what_is_not_a_dondoc_backup_and_changes_nothing(make, populated, tmp_path):
    path, message = {"text": lambda: _not_a_database(tmp_path), "other sqlite": lambda: _another_sqlite_file(tmp_path),
                     "cut short": lambda: _cut_short(tmp_path, populated),
                     "missing": lambda: (tmp_path / "khong-co.db", "không có tệp sao lưu")}[make]()
    before = table_rows(populated.url)
    refused = cli_for(populated.settings)("restore", str(path))
    assert refused.returncode == 1 and refused.stderr.startswith("Lỗi:") and message in refused.stderr, refused.stderr
    assert table_rows(populated.url) == before
    assert [p.name for p in populated.settings.state_dir.iterdir() if "before-restore" in p.name] == []
    fresh = make_cli(tmp_path / "moi")("restore", str(path))
    assert fresh.returncode == 1 and not (tmp_path / "moi" / "dondoc.db").exists()


def test_restore_refuses_to_undo_later_work_unless_forced_and_keeps_what_it_replaced(populated, tmp_path):
    cli = cli_for(populated.settings)
    backup = tmp_path / "sao-luu.db"
    cli("backup", str(backup), check=True)
    with session_scope(populated.url) as session:  # the next morning's chase, after the backup
        plan_chase(session=session, as_of=pendulum.datetime(2025, 10, 3, 8, tz=TZ), planning=planning_of(populated),
                   actor="test")
    later = table_rows(populated.url)
    refused = cli("restore", str(backup))
    assert refused.returncode == 1 and "mục nhật ký mà bản sao lưu không có" in refused.stderr
    assert "chase.planned" in refused.stderr and "--force" in refused.stderr
    assert table_rows(populated.url) == later
    forced = json.loads(cli("restore", str(backup), "--force", "--json", check=True).stdout)
    assert table_rows(populated.url) == table_rows(sqlite_url(backup))
    assert forced["dropped_entries"] >= 1 and table_rows(sqlite_url(Path(forced["kept"]))) == later
    with sqlite3.connect(populated.settings.state_dir / "dondoc.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with session_scope(populated.url) as session:  # dondoc runs on the restored database
        assert session.exec(select(Lock)).all()


def test_restore_onto_a_fresh_installation_needs_no_force(populated, tmp_path):
    backup = tmp_path / "sao-luu.db"
    cli_for(populated.settings)("backup", str(backup), check=True)
    fresh = make_cli(tmp_path / "moi")
    fresh("status", check=True)  # the new machine's first command made an empty database
    fresh("restore", str(backup), check=True)
    assert table_rows(sqlite_url(tmp_path / "moi")) == table_rows(sqlite_url(backup))
    status = json.loads(fresh("status", "--json", check=True).stdout)
    assert {d["number"] for d in status["directives"]} >= {"9395/VP-VX"}


@pytest.mark.postgres
def test_pg_dump_gets_the_password_from_its_environment_and_never_shows_it(postgres_settings, tmp_path):
    url = populate(postgres_settings).url.replace("dondoc@", f"dondoc:{PASSWORD}@")  # the test server trusts, ignores it
    cli = cli_for(postgres_settings.model_copy(update={"database_url": url}))
    done = cli("backup", str(tmp_path / "a.dump"))
    assert done.returncode == 0, done.stderr
    assert "pg_dump" in done.stdout and PASSWORD not in done.stdout + done.stderr
    wrong = cli_for(postgres_settings.model_copy(update={"database_url": url + "_khong_co"}))("backup",
                                                                                               str(tmp_path / "b.dump"))
    assert wrong.returncode == 1 and wrong.stderr.startswith("Lỗi:") and PASSWORD not in wrong.stdout + wrong.stderr
    no_tool = make_cli(postgres_settings.state_dir, DONDOC_DATABASE_URL=url, PATH="/nonexistent")
    missing = no_tool("backup", str(tmp_path / "c.dump"))
    assert missing.returncode == 1 and "không tìm thấy pg_dump" in missing.stderr
    assert not (tmp_path / "b.dump").exists() and not (tmp_path / "c.dump").exists()
    restore = cli("restore", str(tmp_path / "a.dump"))
    assert restore.returncode == 1 and "pg_restore" in restore.stderr and PASSWORD not in restore.stderr
