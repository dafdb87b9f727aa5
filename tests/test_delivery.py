"""Planning and dispatch against a real database and real local sinks: arrival, keys, retries, quiet hours,
and exactly-once delivery when runs repeat or overlap (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pendulum
from pydantic import SecretStr
from sqlmodel import select

from conftest import TZ, commune_mailboxes, issue_example, make_cli, write_contacts
from models.env import planning_of
from models.chase import plan_chase
from models.db import session_scope
from models.messaging import OutboxMessage, ReminderStep
from models.outbox import claim_outbox
from notifiers.dispatcher import dispatch_due

SKHCN, STC, LEADER = "Sở Khoa học và Công nghệ", "Sở Tài chính", "Hoàng Minh Cường"
PASSWORD = "Mk-bi-mat-2025"


def at(day: int, month: int = 10, hour: int = 8, minute: int = 0):
    return pendulum.datetime(2025, month, day, hour, minute, tz=TZ)


def chase(env, as_of, actor="test"):
    with session_scope(env.url) as session:
        return plan_chase(session=session, as_of=as_of, planning=planning_of(env), actor=actor)


def dispatch(env, now, worker="test"):
    return dispatch_due(url=env.url, now=now, settings=env.settings, calendar=env.calendar,
                        policy=env.policies["default"], worker=worker)


def outbox(env) -> list[OutboxMessage]:
    with session_scope(env.url) as session:
        return list(session.exec(select(OutboxMessage)).all())


def test_mail_and_webhook_arrive_in_vietnamese_with_their_idempotency_key(sqlite_settings, smtp_sink, http_sink):
    settings = write_contacts(sqlite_settings, {
        "units": {SKHCN: [smtp_sink.url("skhcn@haiphong.gov.vn", user="vanthu", password=PASSWORD),
                          http_sink.url("skhcn")]},
        "people": {LEADER: [smtp_sink.url("pct@haiphong.gov.vn")]},
    })
    env = issue_example(settings)
    chase(env, at(29, 9))
    assert dispatch(env, at(29, 9)).count("sent") == 2

    [mail] = smtp_sink.mails
    assert mail.to == ["skhcn@haiphong.gov.vn"]
    assert mail.subject == "[Đôn đốc] Nhắc việc ngày 29/9/2025: 2 nhiệm vụ mới giao, 1 sắp đến hạn"
    assert "Kính gửi: Sở Khoa học và Công nghệ" in mail.text and "Còn 1 ngày làm việc." in mail.text
    assert "<b>1. [Giao nhiệm vụ mới · Sắp đến hạn]</b>" in mail.html and "thứ Ba, 30/9/2025" in mail.html
    [body] = http_sink.received
    rows = {r.channel: r for r in outbox(env) if r.recipient == f"unit:{SKHCN}"}
    assert mail.key == rows["email"].idempotency_key and body["idempotency_key"] == rows["webhook"].idempotency_key
    assert http_sink.headers[0]["X-Dondoc-Idempotency-Key"] == body["idempotency_key"]
    assert body["title"] == mail.subject and body["message"].startswith("Kính gửi: Sở Khoa học và Công nghệ")
    # the email's plain-text part is the text rendering itself (as the webhook carries it), not converted HTML
    assert mail.text.replace("\r\n", "\n").strip() == body["message"].strip()
    items = body["dondoc"]["items"]
    assert [(i["task"], i["kinds"], i["working_days_left"]) for i in items] == [("1", ["notice", "before"], 1),
                                                                                ("2", ["notice"], 12)]
    assert items[0]["deadline"] == {"written": "trước ngày 30/9/2025", "due": "2025-09-30",
                                    "effective_due": "2025-09-30", "period": None}
    # the escalation to the leader comes at D+3 (3/10), not before
    chase(env, at(3))
    dispatch(env, at(3))
    escalation = [m for m in smtp_sink.mails if m.to == ["pct@haiphong.gov.vn"]]
    assert [m.subject for m in escalation] == ["[Đôn đốc] Nhiệm vụ quá hạn ngày 3/10/2025: 1 nhiệm vụ của 1 đơn vị"]
    assert "1. Sở Khoa học và Công nghệ (1 nhiệm vụ)" in escalation[0].text
    for day in (17, 20):  # 17/10: task 1 again (every 5 working days); 20/10: task 2 is 3 days overdue
        chase(env, at(day))
        dispatch(env, at(day))
    latest = [m for m in smtp_sink.mails if m.to == ["pct@haiphong.gov.vn"]][-1]
    assert latest.subject == ("[Đôn đốc] Nhiệm vụ quá hạn ngày 20/10/2025: 1 nhiệm vụ của 1 đơn vị; "
                              "còn 1 nhiệm vụ quá hạn khác")
    assert "1. Sở Tài chính (1 nhiệm vụ)" in latest.text  # the leader sees his whole scope, not only today's step
    assert "Ngoài ra còn 1 nhiệm vụ quá hạn đã báo trước đây, của 1 đơn vị: Sở Khoa học và Công nghệ (1)." in latest.text
    stored = json.dumps([r.model_dump(mode="json") for r in outbox(env)], ensure_ascii=False)
    assert PASSWORD not in stored.replace(f"vanthu:{PASSWORD}@", "")  # only inside the URL itself, never shown


def test_a_failing_endpoint_is_retried_with_backoff_then_dead_lettered(tmp_path, http_sink):
    from config.settings import Settings

    cli = make_cli(tmp_path / "state")  # `dondoc status` below reads the same database as an operator would
    settings = Settings(state_dir=cli.state, dispatch_max_attempts=3, dispatch_backoff_seconds=60)
    env = issue_example(write_contacts(settings, {"units": {STC: [http_sink.url("stc")]}}))
    http_sink.fail_with = 500
    chase(env, at(29, 9))
    attempts = []
    for minute in (0, 1, 3):  # each attempt is due 1, then 2 minutes after the one before
        result = dispatch(env, at(29, 9, 8, minute))
        [row] = [r for r in outbox(env) if r.recipient == f"unit:{STC}"]
        retry = row.next_attempt_at and pendulum.instance(row.next_attempt_at).in_timezone(TZ).strftime("%H:%M")
        attempts.append((row.status, row.attempts, retry))
    assert attempts == [("failed", 1, "08:01"), ("failed", 2, "08:03"), ("dead", 3, None)]
    assert http_sink.refused == 3 and result.count("dead") == 1
    assert "error=500" in row.last_error and "đã thử 3 lần" in row.last_error
    http_sink.fail_with = None
    assert dispatch(env, at(29, 9, 9)).attempted == 0  # a dead letter is not retried by itself

    status = json.loads(cli("status", "--json", check=True).stdout)
    [dead] = status["outbox"]["undelivered"]
    assert (dead["recipient"], dead["channel"], dead["status"], dead["attempts"]) == (STC, "webhook", "dead", 3)
    assert status["outbox"]["counts"]["webhook"] == {"dead": 1}
    shown = cli("status", check=True).stdout
    assert "không gửi được Sở Tài chính" in shown and "error=500" in shown


def test_quiet_hours_hold_messages_until_the_office_opens(sqlite_settings, smtp_sink):
    env = issue_example(write_contacts(sqlite_settings, {"units": {STC: [smtp_sink.url("stc@haiphong.gov.vn")]}}))
    chase(env, at(29, 9))
    assert dispatch(env, at(29, 9, 18)).attempted == 0  # 18:00: nothing leaves
    assert dispatch(env, at(30, 9, 7, 0)).attempted == 0  # 07:00 next morning: still closed
    assert dispatch(env, at(30, 9, 7, 30)).count("sent") == 1
    assert len(smtp_sink.mails) == 1


def test_after_a_three_day_outage_each_unit_gets_one_message_with_its_latest_step(sqlite_settings, http_sink):
    env = issue_example(write_contacts(sqlite_settings, {"units": {SKHCN: [http_sink.url("skhcn")],
                                                                   "Xã An Thành": [http_sink.url("an-thanh")]}}))
    chase(env, at(29, 9))
    dispatch(env, at(29, 9))
    # the chase was down on 30/9, 1/10 and 2/10; it runs again on Friday 3/10
    chase(env, at(3))
    dispatch(env, at(3))
    friday = {b["dondoc"]["recipient"]["name"]: [(i["task"], i["kinds"]) for i in b["dondoc"]["items"]]
              for b in http_sink.received if b["dondoc"]["run_day"] == "2025-10-03"}
    assert friday == {SKHCN: [("1", ["overdue"])], "Xã An Thành": [("3", ["due"])]}  # not due+overdue+overdue


def test_the_same_moment_chased_twice_sends_each_message_once(settings, smtp_sink):
    env = issue_example(write_contacts(settings, {"units": {SKHCN: [smtp_sink.url("skhcn@haiphong.gov.vn")]}}))
    first, second = chase(env, at(29, 9)), chase(env, at(29, 9))
    assert sum(first.items.values()) == 346 and second.looked_at == 0 and second.messages == []
    dispatch(env, at(29, 9))
    dispatch(env, at(29, 9))
    assert len(smtp_sink.mails) == 1


def test_two_chases_and_two_dispatchers_at_once_send_each_message_once(settings, smtp_sink):
    contacts = {"units": commune_mailboxes(smtp_sink, settings)}
    env = issue_example(write_contacts(settings, contacts))

    def together(work, *args):
        start = threading.Barrier(2)
        results, errors = [], []

        def one(name):
            try:
                start.wait()
                results.append(work(*args, name))
            except Exception as exc:  # noqa: BLE001  (the test reports it below)
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(f"worker-{i}",)) for i in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert errors == []
        return results

    plans = together(chase, env, at(29, 9))
    emails = sorted(sum(m["channel"] == "email" for m in p.messages) for p in plans)
    assert emails == [0, 114]  # one per commune, all its items in it; the second run waited, then found nothing due
    together(dispatch, env, at(29, 9))
    keys = Counter(m.key for m in smtp_sink.mails)
    assert len(keys) == 114 and set(keys.values()) == {1}
    assert Counter((r.channel, r.status) for r in outbox(env)) == {("email", "sent"): 114, ("none", "no_contact"): 2}
    with session_scope(env.url) as session:
        steps = session.exec(select(ReminderStep)).all()
    assert len(steps) == len({(s.assignment_id, s.kind, s.step_at) for s in steps})


def test_a_replays_claim_is_leased_on_the_real_clock_so_todays_dispatcher_leaves_it_alone(settings, smtp_sink):
    """A replay acting as 29/9 still sending its batch: the scheduled dispatcher, on today's clock, must not
    take it back and send it again (its lease ran out on 29/9 only in the replayed world)."""
    contacts = {"units": commune_mailboxes(smtp_sink, settings)}
    env = issue_example(write_contacts(settings.model_copy(update={"dispatch_batch": 10}), contacts))
    chase(env, at(29, 9))
    today, lease = pendulum.datetime(2026, 11, 25, 9, tz=TZ), timedelta(seconds=env.settings.dispatch_lease_seconds)
    with session_scope(env.url) as session:
        _, held = claim_outbox(session=session, now=at(29, 9), limit=10, lease=lease, in_office_hours=True,
                               worker="replay", wall=today)

    def todays(moment):
        read = []
        result = dispatch_due(url=env.url, now=moment, settings=env.settings, calendar=env.calendar,
                              policy=env.policies["default"], worker="scheduled",
                              clock=lambda: read.append(moment) or moment)
        return result, read

    scheduled, read = todays(today + timedelta(minutes=1))
    assert scheduled.attempted == 104 and len(smtp_sink.mails) == 104
    assert len(read) >= 11  # the clock is read at each claim (of 10 rows): a long run's last claims are leased anew
    assert Counter(r.status for r in outbox(env) if r.channel == "email") == {"sent": 104, "sending": 10}
    # the replay died holding them: once the lease ran out on the real clock, they are sent, under their keys
    taken, _ = todays(today + lease + timedelta(minutes=1))
    assert taken.attempted == 10 and {r.id for r in outbox(env) if r.status == "sending"} == set()
    keys = Counter(m.key for m in smtp_sink.mails)
    assert len(keys) == 114 and set(keys.values()) == {1} and len(held) == 10


def test_a_limited_dispatch_sends_that_many_batch_after_batch_and_the_next_sends_the_rest(sqlite_settings, smtp_sink):
    contacts = {"units": commune_mailboxes(smtp_sink, sqlite_settings)}
    env = issue_example(write_contacts(sqlite_settings.model_copy(update={"dispatch_batch": 10}), contacts))
    chase(env, at(29, 9))
    # batches of 10, the next claimed while one is sent: the limit still holds exactly
    result = dispatch_due(url=env.url, now=at(29, 9), settings=env.settings, calendar=env.calendar,
                          policy=env.policies["default"], worker="test", limit=25)
    assert result.attempted == 25 and result.count("sent") == 25 and len(smtp_sink.mails) == 25
    assert Counter(r.status for r in outbox(env) if r.channel == "email") == {"sent": 25, "pending": 89}
    assert dispatch(env, at(29, 9)).count("sent") == 89
    keys = Counter(m.key for m in smtp_sink.mails)
    assert len(keys) == 114 and set(keys.values()) == {1}


def test_zalo_oa_and_zns_through_the_chase_with_an_expired_token_refreshed_once(sqlite_settings):
    from datetime import timedelta

    from fake_zalo import FakeZalo
    from notifiers.zalo_tokens import save_zalo_token

    with FakeZalo() as zalo:
        settings = write_contacts(
            sqlite_settings.model_copy(update={"zalo_api_url": zalo.url, "zns_api_url": zalo.url,
                                               "zalo_oauth_url": zalo.url, "zalo_app_secret": SecretStr(zalo.app_secret)}),
            {"units": {STC: ["zalo://oa1/8412345678901"], SKHCN: ["zns://oa1/0912 345 678?template=248301"]}})
        env = issue_example(settings)
        with session_scope(env.url) as session:  # the pair the operator stored expired overnight
            save_zalo_token(session=session, oa_id="oa1", app_id=zalo.app_id, access_token=zalo.access_token,
                            refresh_token=zalo.refresh_token, expires_at=at(29, 9, 7), now=at(28, 9))
        zalo.expire_token()
        chase(env, at(29, 9))
        result = dispatch(env, at(29, 9))

        assert result.count("sent") == 2 and zalo.violations == []
        assert len(zalo.refresh_calls) == 1  # single-use refresh token: exactly one refresh
        by_path = {m["path"]: m["body"] for m in zalo.messages}
        oa = by_path["/v3.0/oa/message/cs"]
        assert oa["recipient"] == {"user_id": "8412345678901"}
        assert oa["message"]["text"].startswith("[Đôn đốc] Thông báo giao 1 nhiệm vụ — văn bản 9395/VP-VX")
        zns = by_path["/message/template"]
        rows = {r.recipient: r for r in outbox(env)}
        assert zns["phone"] == "84912345678" and zns["template_id"] == "248301"
        assert zns["tracking_id"] == rows[f"unit:{SKHCN}"].idempotency_key
        assert zns["template_data"] == {"ten_don_vi": SKHCN, "ngay": "29/9/2025", "so_nhiem_vu": "2",
                                        "so_qua_han": "0", "han_gan_nhat": "30/9/2025",
                                        "lien_ket": zns["template_data"]["lien_ket"]}
        with session_scope(env.url) as session:
            from models.messaging import ZaloToken

            stored = session.get(ZaloToken, "oa1")
        assert (stored.access_token, stored.refresh_token) == (zalo.access_token, zalo.refresh_token)
        assert pendulum.instance(stored.expires_at) == at(29, 9) + timedelta(seconds=90000)
        shown = json.dumps([r.model_dump(mode="json") for r in outbox(env)], ensure_ascii=False)
        assert not any(token in shown for token in zalo.issued)  # tokens live in their table only


def test_zalo_rate_limit_is_retried_and_a_long_digest_goes_in_parts(sqlite_settings):
    from fake_zalo import FakeZalo
    from notifiers.zalo_tokens import save_zalo_token

    with FakeZalo() as zalo:
        communes = {"units": {"Xã An Thành": ["zalo://oa1/8400000000001"]}}
        settings = write_contacts(sqlite_settings.model_copy(update={
            "zalo_api_url": zalo.url, "zalo_oauth_url": zalo.url, "zalo_app_secret": SecretStr(zalo.app_secret)}), communes)
        env = issue_example(settings, "004-chuong-trinh-2026.xlsx", number="05-CTr/BCĐ",
                            issued_at=pendulum.datetime(2026, 1, 5, 9, tz=TZ))
        with session_scope(env.url) as session:
            save_zalo_token(session=session, oa_id="oa1", app_id=zalo.app_id, access_token=zalo.access_token,
                            refresh_token=zalo.refresh_token, expires_at=pendulum.datetime(2026, 1, 6, tz=TZ),
                            now=pendulum.datetime(2026, 1, 5, tz=TZ))
        zalo.fail_next(-32)  # "reached limit call api" on the first call
        chase(env, pendulum.datetime(2026, 1, 5, 9, tz=TZ))
        first = dispatch(env, pendulum.datetime(2026, 1, 5, 9, tz=TZ))
        [row] = [r for r in outbox(env) if r.channel == "zalo"]
        assert first.count("failed") == 1 and "-32" in row.last_error
        dispatch(env, pendulum.datetime(2026, 1, 5, 9, 5, tz=TZ))
        texts = [m["body"]["message"]["text"] for m in zalo.messages]
        assert len(texts) == len(row.payload["parts"]) > 1 and zalo.violations == []
        assert all(len(t) <= 2000 for t in texts) and texts[-1].endswith(f"(phần {len(texts)}/{len(texts)})")
        assert [r.status for r in outbox(env) if r.channel == "zalo"] == ["sent"]


def test_an_unusable_address_is_dead_at_once_and_never_echoed(sqlite_settings, smtp_sink, capfd):
    broken = f"mailto//vanthu:{PASSWORD}@mail.haiphong.gov.vn"  # "://" mistyped
    env = issue_example(write_contacts(sqlite_settings, {"units": {STC: [broken, smtp_sink.url("stc@haiphong.gov.vn")]}}))
    chase(env, at(29, 9))
    dispatch(env, at(29, 9))
    rows = {r.channel: r for r in outbox(env) if r.recipient == f"unit:{STC}"}
    assert (rows["other"].status, rows["other"].last_error) == ("dead", "địa chỉ liên hệ không hợp lệ (Apprise không đọc được)")
    assert rows["email"].status == "sent" and len(smtp_sink.mails) == 1  # the unit's other address still works
    printed = capfd.readouterr()
    assert PASSWORD not in printed.out + printed.err and PASSWORD not in rows["other"].target_display
