"""dondoc as operators run it: a real `prefect server` (its own process and database), the deployments registered
with `dondoc deploy`, process workers, the chase triggered through the API; then the Prefect UI in Chromium.

The same on PostgreSQL — both Prefect's database and dondoc's — with two workers sharing the sending: each
message arrives once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, ROOT, SHOTS, commune_mailboxes, create_database, free_port

pytestmark = [pytest.mark.server, pytest.mark.prefect]
POOL = "dondoc-test"


class Stack:
    """A Prefect server, dondoc's environment for its workers, and the workers."""

    def __init__(self, tmp: Path, *, prefect_db: str | None, dondoc_db: str, contacts: dict):
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.state = tmp / "dondoc-state"
        self.state.mkdir(parents=True)
        (self.state / "contacts.yaml").write_text(yaml.safe_dump(contacts, allow_unicode=True), encoding="utf-8")
        home = tmp / "prefect-home"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DONDOC_"))},
            "PREFECT_HOME": str(home), "PREFECT_API_URL": self.api, "PREFECT_UI_API_URL": self.api,
            "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db or f"sqlite+aiosqlite:///{home / 'prefect.db'}",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_RUNNER_POLL_FREQUENCY": "1", "PREFECT_LOGGING_LEVEL": "WARNING",
            "DONDOC_STATE_DIR": str(self.state), "DONDOC_DATABASE_URL": dondoc_db,
            "DONDOC_DISPATCH_MAX_ATTEMPTS": "1",  # a failing webhook is dead-lettered at once: the alert follows
        }
        self.logs = tmp
        self.processes: list[subprocess.Popen] = []

    def start(self, workers: int) -> Stack:
        self._spawn("server", [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(self.port)])
        self._wait(f"{self.api}/health", 180)
        done = self.dondoc("deploy", "--work-pool", POOL, "--json")
        assert done.returncode == 0, done.stderr
        self.deployments = json.loads(done.stdout)["deployments"]
        for i in range(workers):
            self._spawn(f"worker-{i}", [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
                                        "--type", "process", "--name", f"worker-{i}"])
        return self

    def dondoc(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=300)

    def run(self, deployment: str, parameters: dict, timeout: float = 300) -> dict:
        """Trigger a deployment through the API and wait for the flow run to end; the run as JSON."""
        found = self._api("GET", f"/deployments/name/{deployment}", None)
        created = self._api("POST", f"/deployments/{found['id']}/create_flow_run", {"parameters": parameters})
        return self.wait_run(created["id"], timeout)

    def wait_run(self, run_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self._api("GET", f"/flow_runs/{run_id}", None)
            if run["state"] and run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                return run
            time.sleep(1)
        raise AssertionError(f"flow run {run_id} did not finish: see {self.logs}")

    def runs_of(self, flow_name: str) -> list[dict]:
        return self._api("POST", "/flow_runs/filter", {"flows": {"name": {"any_": [flow_name]}}})

    def artifacts_of(self, run_id: str) -> list[dict]:
        return self._api("POST", "/artifacts/filter", {"flow_runs": {"id": {"any_": [run_id]}}})

    def _api(self, method: str, path: str, body):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.api + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        for attempt in range(5):  # a busy server answers 503 (its SQLite locked): Prefect's own client retries too
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as exc:
                if exc.code not in (429, 502, 503) or attempt == 4:
                    raise
                time.sleep(1 + attempt)

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "wb")
        self.processes.append(subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def _wait(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.processes[0].poll() is None, (self.logs / "server.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                time.sleep(1)
        raise AssertionError(f"{url} did not answer")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)


def contacts(smtp_sink, http_sink) -> dict:
    units = commune_mailboxes(smtp_sink)
    units |= {"Sở Khoa học và Công nghệ": [http_sink.url("skhcn")], "Sở Tài chính": [http_sink.url("stc-broken")]}
    return {"units": units, "operators": [http_sink.url("operators")]}


def issue_the_letter(stack: Stack) -> None:
    draft = json.loads(stack.dondoc("import", str(EXAMPLES / "002-cong-van-du-thao.yaml"), "--json").stdout)
    done = stack.dondoc("issue", draft["id"], "--number", "9395/VP-VX", "--issued-on", "2025-09-27",
                        "--as-of", "2025-09-27T10:00")
    assert done.returncode == 0, done.stderr


def test_a_real_server_runs_the_chase_on_a_worker_and_alerts_the_operators(tmp_path, smtp_sink, http_sink, chromium):
    stack = Stack(tmp_path, prefect_db=None, dondoc_db=f"sqlite:///{tmp_path / 'dondoc.db'}",
                  contacts=contacts(smtp_sink, http_sink))
    try:
        stack.start(workers=1)
        assert {"chase-deadlines", "dispatch-outbox", "alert-operator", "monitoring-report"} <= set(stack.deployments)
        issue_the_letter(stack)
        failing = _FailOnly(http_sink, "stc-broken")  # Sở Tài chính's webhook answers 500
        run = stack.run("chase_deadlines/chase-deadlines", {"as_of": "2025-09-29T08:00:00+07:00"})
        assert run["state"]["type"] == "COMPLETED", (tmp_path / "worker-0.log").read_text()[-3000:]
        assert run["name"] == "chase 2025-09-29 08:00: 116 nơi nhận, 346 việc, 1 lỗi"
        keys = Counter(m.key for m in smtp_sink.mails)
        assert len(keys) == 114 and set(keys.values()) == {1}
        assert {a["key"] for a in stack.artifacts_of(run["id"])} >= {"chase-deadlines", "chase-deadlines-channels"}

        # the dead letter (Sở Tài chính's webhook) starts the alert through the automation
        alert = _wait_for(lambda: [b for b in http_sink.received if b.get("title", "").startswith("[dondoc]")], 120)
        assert alert[0]["title"] == "[dondoc] Có tin nhắn không gửi được" and "Sở Tài chính" in alert[0]["message"]
        assert failing.refused == 1

        _look_at_the_ui(chromium, stack, run)
    finally:
        stack.stop()


@pytest.mark.postgres
def test_on_postgresql_two_workers_share_the_sending_and_each_message_goes_once(tmp_path, pg_server, smtp_sink,
                                                                               http_sink):
    prefect_db, dondoc_db = create_database(pg_server), create_database(pg_server)
    stack = Stack(tmp_path, prefect_db=prefect_db.replace("+psycopg", "+asyncpg"), dondoc_db=dondoc_db,
                  contacts=contacts(smtp_sink, http_sink))
    try:
        stack.start(workers=2)
        issue_the_letter(stack)
        run = stack.run("chase_deadlines/chase-deadlines", {"as_of": "2025-09-29T08:00:00+07:00", "shards": 2})
        assert run["state"]["type"] == "COMPLETED", (tmp_path / "worker-0.log").read_text()[-3000:]
        shares = [r for r in stack.runs_of("dispatch_outbox") if "shard" in r["parameters"]]  # not the scheduled ones
        assert sorted(r["parameters"]["shard"] for r in shares) == [0, 1]  # one share per worker
        assert {r["state"]["type"] for r in shares} == {"COMPLETED"}
        keys = Counter(m.key for m in smtp_sink.mails)
        assert len(keys) == 114 and set(keys.values()) == {1}  # each commune's message once, whatever worker sent it
        again = stack.run("chase_deadlines/chase-deadlines", {"as_of": "2025-09-29T08:00:00+07:00", "shards": 2})
        assert again["state"]["type"] == "COMPLETED" and len(smtp_sink.mails) == 114  # the same moment: nothing twice
    finally:
        stack.stop()


class _FailOnly:
    """Make the HTTP sink refuse one path (a unit's broken webhook) and accept the others."""

    def __init__(self, sink, path: str):
        self.sink, self.path, self.refused = sink, path, 0
        handler = sink._server.RequestHandlerClass
        original = handler.do_POST
        outer = self

        def do_post(request):
            if request.path.endswith(outer.path):
                outer.refused += 1
                request.rfile.read(int(request.headers.get("Content-Length") or 0))
                request._answer(500, b"")
                return
            original(request)

        handler.do_POST = do_post


def _wait_for(found, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(1)
    raise AssertionError("nothing arrived")


def _look_at_the_ui(chromium, stack: Stack, run: dict) -> None:
    """An operator's view: the deployments, the chase's schedule in Asia/Ho_Chi_Minh, the run's artifact."""
    from playwright.sync_api import expect

    # the operator's browser is in Hai Phong: the UI shows times in its zone
    page = chromium.new_context(viewport={"width": 1440, "height": 1000}, timezone_id="Asia/Ho_Chi_Minh").new_page()
    page.set_default_timeout(30_000)
    base = stack.api.removesuffix("/api")
    page.goto(f"{base}/deployments")
    expect(page.get_by_text("chase-deadlines").first).to_be_visible()
    page.screenshot(path=SHOTS / "prefect-deployments.png", full_page=True)
    deployment = stack._api("GET", "/deployments/name/chase_deadlines/chase-deadlines", None)
    page.goto(f"{base}/deployments/deployment/{deployment['id']}")
    expect(page.get_by_text("At 08:00 AM, Monday through Friday").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("08:00:00 AM").first).to_be_visible()  # the next run, 08:00 in Hai Phong
    page.screenshot(path=SHOTS / "prefect-chase-schedule.png", full_page=True)
    page.get_by_role("switch").first.locator("xpath=following::button[1]").click()  # the schedule's menu
    page.get_by_text("Edit").first.click()
    page.wait_for_timeout(1500)
    page.screenshot(path=SHOTS / "prefect-chase-schedule-edit.png", full_page=True)
    expect(page.get_by_text("Asia/Ho_Chi_Minh").first).to_be_visible()
    page.keyboard.press("Escape")
    page.goto(f"{base}/runs/flow-run/{run['id']}?tab=Artifacts")
    expect(page.get_by_text("chase-deadlines").first).to_be_visible()
    page.screenshot(path=SHOTS / "prefect-chase-artifacts.png", full_page=True)
    page.context.close()

