"""Channel outages replayed over simulated time, against real sinks that fail and recover.

The mail server is down for half an hour (stopped, then started again on the same port); a webhook answers
HTTP 500, then hangs past the client's timeout, then works; Zalo rate-limits every call, then refuses an expired
token. The dispatch flow runs every 5 minutes of simulated time (as its deployment does); nobody sleeps for a
backoff: `as_of` moves on. Every message arrives once, retries back off, only the permanent error is
dead-lettered, the operators hear of it, and a hung webhook holds up neither email nor Zalo.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pendulum
import pytest
from conftest import TZ, issue_example, make_cli, write_contacts
from fake_zalo import FakeZalo
from sqlmodel import select as select_rows
from test_flow_chase import _read

from flows.alert_operator import alert_operator
from flows.alerts import DEAD_LETTERS, wanted
from flows.chase_deadlines import chase_deadlines
from flows.dispatch_outbox import dispatch_outbox
from models.db import session_scope
from models.messaging import OutboxMessage
from notifiers.sinks import SmtpSink
from notifiers.zalo_tokens import save_zalo_token

pytestmark = pytest.mark.prefect

SKHCN, STC = "Sở Khoa học và Công nghệ", "Sở Tài chính"
START = pendulum.datetime(2025, 9, 29, 8, tz=TZ)  # Monday: the directive's notices and first reminders are due
OA, READER, BLOCKED = "oa1", "8400000000001", "8400000000002"


class FlakyWebhook:
    """A webhook server whose behaviour the test sets: "fail" answers HTTP 500, "hang" holds the request
    until the client gives up and never answers, "ok" answers 200 and keeps the body."""

    def __init__(self) -> None:
        self.mode = "fail"
        self.received: list[dict] = []
        self.refused = 0
        self.abandoned: list[float] = []  # when a client gave up on a hung request (monotonic clock)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if hook.mode == "hang":
                    self._hang()
                    return
                status = 200 if hook.mode == "ok" else 500
                with hook._lock:
                    if status == 200:
                        hook.received.append(body)
                    else:
                        hook.refused += 1
                answer = b'{"ok": true}' if status == 200 else b"boom"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def _hang(self) -> None:
                """Wait, without answering, until the client closes the connection."""
                self.close_connection = True
                while not hook._stop.is_set():
                    readable, _, _ = select.select([self.connection], [], [], 0.05)
                    if readable and not self.connection.recv(1, socket.MSG_PEEK):
                        with hook._lock:
                            hook.abandoned.append(time.monotonic())
                        return

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self._server.server_address[1]}/{path}"

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


class TimedSmtp(SmtpSink):
    """The SMTP sink, noting when each mail arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[float] = []

    async def handle_DATA(self, server, session, envelope):
        self.arrived.append(time.monotonic())
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def outage(prefect_server, dondoc_env, monkeypatch, http_sink):
    """The city with every kind of channel, each on a sink the test can break; the operators on a working hook."""
    from config.loaders import load_registry
    from config.settings import get_settings

    smtp, hook = TimedSmtp(), FlakyWebhook()
    communes = [u.ref for u in load_registry(dondoc_env).units.values() if u.kind == "commune"]
    with FakeZalo() as zalo:
        contacts = write_contacts(dondoc_env, {
            "units": {SKHCN: [smtp.url("skhcn@haiphong.gov.vn", user="vanthu", password="Mk-2025")],
                      STC: [hook.url("stc")],
                      **{ref: [hook.url(f"xa-{ref}")] for ref in communes[:10]},
                      communes[10]: [f"zalo://{OA}/{READER}"], communes[11]: [f"zalo://{OA}/{BLOCKED}"]},
            "operators": [http_sink.url("van-hanh")],
        })
        for name, value in {"CONTACTS_FILE": str(contacts.contacts_file), "ZALO_API_URL": zalo.url,
                            "ZALO_OAUTH_URL": zalo.url, "ZALO_APP_SECRET": zalo.app_secret}.items():
            monkeypatch.setenv(f"DONDOC_{name}", value)
        get_settings.cache_clear()
        env = issue_example(get_settings())
        with session_scope(env.url) as session:
            save_zalo_token(session=session, oa_id=OA, app_id=zalo.app_id, access_token=zalo.access_token,
                            refresh_token=zalo.refresh_token, expires_at=START.add(hours=20), now=START)
        try:
            yield env, smtp, hook, zalo
        finally:
            hook.close()
            smtp.stop()


def rows(env) -> dict[str, OutboxMessage]:
    """The outbox rows that have somewhere to go, by recipient."""
    with session_scope(env.url) as session:
        found = session.exec(select_rows(OutboxMessage).where(OutboxMessage.channel != "none")).all()
    return {r.recipient.removeprefix("unit:"): r for r in found}


def dead_letter_events() -> list:
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    since = EventOccurredFilter(since=pendulum.now("UTC").subtract(hours=1))
    page = _read(lambda c: c.read_events(filter=EventFilter(event=EventNameFilter(name=[DEAD_LETTERS]),
                                                            occurred=since), limit=50))
    return page.events


def test_an_hour_of_outages_ends_with_every_message_delivered_once(outage, http_sink):
    env, smtp, hook, zalo = outage
    zalo.fail_next(-32, times=10_000)  # "reached limit call api": every call until the limit is lifted
    zalo.refuse_user(BLOCKED, -217)  # this follower blocked the OA: never deliverable
    earlier = {e.id for e in dead_letter_events()}  # the session's server has served other tests
    history: dict[str, list[tuple[int, str, timedelta | None]]] = {}
    during_hang: dict[int, float] = {}

    minute = 0
    while minute <= 120:
        now = START.add(minutes=minute)
        if minute == 20:  # Zalo lifts its limit, and the token expired meanwhile
            zalo.clear_failures()
            zalo.expire_token()
            hook.mode = "hang"
        if minute == 30:
            smtp.start()  # the mail server is back, on the same port
        if minute == 60:
            hook.mode = "ok"
        # the deployment's run every 5 minutes; one with nothing due is skipped (it would do nothing, in a second)
        due = [r for r in rows(env).values() if r.status in ("pending", "failed") and r.next_attempt_at <= now]
        if minute == 0:
            result = chase_deadlines(as_of=now)
            assert result["messages"] > 0
        elif due:
            started = time.monotonic()
            dispatch_outbox(as_of=now)
            if hook.mode == "hang":
                during_hang[minute] = started
        for recipient, row in rows(env).items():
            seen = history.setdefault(recipient, [])
            if not seen or seen[-1][0] != row.attempts:
                wait = pendulum.instance(row.next_attempt_at) - now if row.status == "failed" else None
                seen.append((row.attempts, row.status, wait))
        minute += 5

    final = rows(env)
    statuses = Counter(r.status for r in final.values())
    assert statuses == {"sent": len(final) - 1, "dead": 1}
    # the only dead letter is the permanent refusal, at its first attempt after the rate limit
    [dead] = [r for r in final.values() if r.status == "dead"]
    assert dead.target_display.startswith(f"zalo://{OA}/{BLOCKED}") and "-217" in dead.last_error

    # exactly once: one mail, one body per webhook key, one Zalo message to the reader
    assert len(smtp.mails) == 1 and smtp.mails[0].key == final[SKHCN].idempotency_key
    keys = Counter(b["idempotency_key"] for b in hook.received)
    assert set(keys.values()) == {1} and len(keys) == 11
    assert [m["body"]["recipient"]["user_id"] for m in zalo.messages] == [READER]
    assert len(zalo.refresh_calls) == 1 and zalo.violations == []
    assert hook.refused == 11 * 4  # a 500 is one message's answer: every webhook message got its own, 4 times

    # backoff doubles from one minute (the dispatcher runs every 5 minutes, so attempts wait for its next run)
    def minutes(steps):
        return [wait.total_seconds() / 60 for _, status, wait in steps if status == "failed"]

    assert minutes(history[SKHCN]) == [1, 2, 4, 8, 16]  # down until 08:30: sent at 08:45, 6th attempt
    assert history[SKHCN][-1][:2] == (6, "sent")
    assert minutes(history[STC]) == [1, 2, 4, 8, 16, 32]  # 500, then hung until 09:00: sent at 09:20
    assert history[STC][-1][:2] == (7, "sent")
    reader = next(r for r, row in final.items() if row.target_display.startswith(f"zalo://{OA}/{READER}"))
    assert minutes(history[reader]) == [1, 2, 4, 8] and history[reader][-1][:2] == (5, "sent")

    # while the webhook hung, the email (08:45) and Zalo (08:25) of the same runs arrived before it gave up
    assert sorted(during_hang) == [25, 45]
    def gave_up(minute):
        return min(t for t in hook.abandoned if t > during_hang[minute])

    assert zalo.messages[0]["at"] < gave_up(25)
    assert smtp.arrived[0] < gave_up(45)
    # and the run did not wait for every hung request: the unreachable webhook was left for the next run
    assert len([t for t in hook.abandoned if during_hang[25] < t < during_hang[45]]) < 11

    # the dead letter was announced once; the automation that starts alert_operator listens for it
    [event] = [e for e in dead_letter_events() if e.id not in earlier]
    assert event.payload["dead"] == 1 and "-217" in event.payload["summary"]
    [automation] = [a for a in wanted(uuid.uuid4()) if DEAD_LETTERS in a.trigger.expect]
    assert automation.trigger.match.matches(event.resource)
    [start] = automation.actions
    assert start.parameters == {"what": "dead_letters", "detail": "{{ event.payload.summary }}"}
    # what that automation starts, here run directly: the test server has no worker to run deployments
    alert_operator(what="dead_letters", detail=event.payload["summary"], as_of=START.add(minutes=26))
    [told] = [b for b in http_sink.received if b["title"].startswith("[dondoc]")]
    assert told["title"] == "[dondoc] Có tin nhắn không gửi được" and "-217" in told["message"]


# --- the Prefect server down at chase time ---------------------------------------------------------------------

def database_dump(path) -> str:
    """Every row of every table of a SQLite file."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        return "\n".join(conn.iterdump())


def test_a_chase_without_prefect_fails_loudly_and_the_next_one_catches_up(prefect_server, dondoc_env, http_sink):
    up = make_cli(dondoc_env.state_dir, PREFECT_API_URL=prefect_server)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        down = make_cli(dondoc_env.state_dir, PREFECT_API_URL=f"http://127.0.0.1:{probe.getsockname()[1]}/api")
    issue_example(write_contacts(dondoc_env, {"units": {SKHCN: [http_sink.url("skhcn")],
                                                        "Xã An Thành": [http_sink.url("an-thanh")]}}))
    chase_deadlines(as_of=START)  # Monday's run, as its schedule starts it
    assert len(http_sink.received) == 2

    # Tuesday 30/9: the server is down. The chase says so in one line, exits 1 and leaves the database as it was.
    before = database_dump(up.db)
    failed = down("chase", "--as-of", "2025-09-30T08:00", "--json")
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.startswith("Lỗi: không kết nối được máy chủ Prefect (http://127.0.0.1:")
    assert "chưa chạy gì, cơ sở dữ liệu không đổi" in failed.stderr and "Traceback" not in failed.stderr
    assert database_dump(up.db) == before and len(http_sink.received) == 2

    # 1/10 and 2/10 pass without a run (the schedules stop with their server); on Friday 3/10 it is back
    done = json.loads(up("chase", "--as-of", "2025-10-03T08:00", "--json", check=True).stdout)
    assert done["sent"] == 2 and done["failed"] == done["dead"] == 0
    friday = {b["dondoc"]["recipient"]["name"]: [(i["task"], i["kinds"]) for i in b["dondoc"]["items"]]
              for b in http_sink.received[2:]}
    # one message each with the latest step of each item, not the missed due/overdue/before steps in a burst
    assert friday == {SKHCN: [("1", ["overdue"])], "Xã An Thành": [("3", ["due"])]}
