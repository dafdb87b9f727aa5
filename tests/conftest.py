"""Shared fixtures: real SQLite files, a throwaway PostgreSQL server, and the Prefect test server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pendulum
import pytest

from bench.postgres import create as create_database  # the bench's server, for tests too
from bench.postgres import pg_bin, postgres_server
from notifiers.sinks import free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SOURCES = ROOT / "tests" / "drafting" / "sources"  # copies of ../shared/seeds and the spec example
TZ = "Asia/Ho_Chi_Minh"

# Prefect: a private home, no telemetry, patience on a fresh DB (heartbeats: see test_flow_*.py).
_PREFECT_HOME = Path(os.environ.get("DONDOC_TEST_PREFECT_HOME") or (ROOT / ".state" / "test-prefect"))
_PREFECT_HOME.mkdir(parents=True, exist_ok=True)
os.environ.setdefault("PREFECT_HOME", str(_PREFECT_HOME))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.pop("PREFECT_API_URL", None)


@pytest.fixture
def now():
    """A fixed moment inside office hours: the suite never reads the clock for domain decisions."""
    return pendulum.datetime(2025, 10, 20, 9, 30, tz=TZ)


def _settings(tmp_path: Path, url: str = ""):
    from config.settings import Settings

    return Settings(state_dir=tmp_path / "state", database_url=url)


@pytest.fixture
def sqlite_settings(tmp_path):
    return _settings(tmp_path)


# --- PostgreSQL: initdb/pg_ctl into a temp folder, one server per session, one database per test ---------

@pytest.fixture(scope="session")
def pg_server():
    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run should have installed it")
        pytest.skip("PostgreSQL (initdb) is not installed here")
    # Not under pytest's tmp folders: they are private to root, and the server runs as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="dondoc-pg-"))
    try:
        with postgres_server(base, options="-c fsync=off") as server:  # a throwaway: durability buys nothing
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_settings(pg_server, tmp_path):
    return _settings(tmp_path, create_database(pg_server))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request, tmp_path):
    """Run the test on a real SQLite file and on a throwaway PostgreSQL database."""
    return request.getfixturevalue(f"{request.param}_settings")


# --- The CLI as a user runs it ---------------------------------------------------------------------------

def make_cli(state: Path, **extra_env: str):
    """`dondoc …` run in a subprocess against a private state folder, as a user runs it."""
    env = {**os.environ, "DONDOC_STATE_DIR": str(state), "DONDOC_DATABASE_URL": "", **extra_env}

    def run(*args: str, check: bool = False) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    run.state, run.db = state, state / "dondoc.db"
    return run


@pytest.fixture
def cli(tmp_path):
    return make_cli(tmp_path / "cli-state")


# --- Prefect: one test server for the session (heartbeats off: ~1 s a flow run, nothing to detect here) --------

@pytest.fixture(scope="session")
def prefect_server():
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        with prefect_test_harness(server_startup_timeout=120):
            yield PREFECT_API_URL.value()


@pytest.fixture
def dondoc_env(tmp_path, monkeypatch):
    """Flows read DONDOC_* like any deployment would: point them at a private database."""
    from config.settings import get_settings

    monkeypatch.setenv("DONDOC_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("DONDOC_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


# --- Real local sinks -----------------------------------------------------------------------------------------

@pytest.fixture
def smtp_sink():
    from notifiers.sinks import SmtpSink

    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def http_sink():
    from notifiers.sinks import HttpSink

    with HttpSink() as sink:
        yield sink


def write_contacts(settings, contacts: dict):
    """A contacts file beside the test's database, as an operator writes it; returns settings that use it."""
    import yaml

    path = settings.state_dir / "contacts.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(contacts, allow_unicode=True), encoding="utf-8")
    return settings.model_copy(update={"contacts_file": path})


def commune_mailboxes(smtp_sink, settings=None) -> dict[str, list[str]]:
    """Every commune (by its code) reachable by email at the SMTP sink, as `units:` of a contacts file."""
    from config.loaders import load_registry

    return {u.ref: [smtp_sink.url(f"{u.ref}@haiphong.gov.vn")] for u in load_registry(settings).units.values()
            if u.kind == "commune"}


def issue_example(settings, name: str = "002-cong-van-du-thao.yaml", *, number: str = "9395/VP-VX",
                  issued_at=None):
    """Register an example and issue it (seed 002 is signed on Saturday 27/9/2025, 10:00, by default)."""
    from intake.service import import_directive, issue_draft, load_plan
    from models.env import prepare

    issued_at = issued_at or pendulum.datetime(2025, 9, 27, 10, tz=TZ)
    env = prepare(now=issued_at, actor="test", settings=settings)
    plan, source = load_plan(env=env, path=EXAMPLES / name)
    result = import_directive(env=env, plan=plan, source=source, actor="test", now=issued_at)
    if plan.is_draft:
        issue_draft(env=env, ref=result.directive_id, number=number, issued_on=issued_at.date(), actor="test",
                    now=issued_at)
    return env


# --- The web pages in a real browser ----------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser builds are never downloaded: Debian's Chromium, headless, nothing to the network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = ROOT / "test-screenshots"  # screenshots for a person to review (not in git)


# Per module: Playwright's sync API keeps its event loop running in the main thread while it is open, and
# Prefect's sync calls made there (state.result(), …) would then hand back coroutines in later modules' tests.
@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: .ci/run must install the Debian packages chromium and "
                        "fonts-dejavu-core")
        pytest.skip("Chromium is not installed (/usr/bin/chromium): apt-get install chromium fonts-dejavu-core")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def serve_app(app):
    """The web app under uvicorn in a thread, on a free port of 127.0.0.1; yields its base URL."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
