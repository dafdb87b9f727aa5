"""Zalo OA and ZNS delivery through dondoc's Apprise plugins, against a local fake Zalo and a real database."""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import unicodedata
from datetime import timedelta

import apprise
import pytest
from fake_zalo import FakeZalo

from models.db import migrate, session_scope
from models.messaging import ZaloToken
from notifiers.delivery import SENT, SendContext
from notifiers.zalo import (
    TOKEN_REFUSED,
    NotifyZaloOA,
    NotifyZaloZNS,
    normalise_phone,
    register,
)
from notifiers.zalo_tokens import ZaloTokenError, ZaloTokens, save_zalo_token

OA = "4318129284731092817"
USER = "2468458835296117922"
OA_URL = f"zalo://{OA}/{USER}"
ZNS_URL = f"zns://{OA}/+84%20912.345.678?template=224785"


@pytest.fixture(autouse=True)
def _plugins():
    register()


@pytest.fixture
def fake():
    with FakeZalo() as zalo:
        yield zalo
    assert zalo.violations == []


@pytest.fixture(scope="module")
def _migrated(tmp_path_factory):
    path = tmp_path_factory.mktemp("zalo-db") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def db(_migrated, tmp_path):
    """A fresh, migrated SQLite file (copied: migrating each test's database would be slow)."""
    path = tmp_path / "dondoc.db"
    shutil.copy(_migrated, path)
    return f"sqlite:///{path}"


def seed(db_url, fake, now, *, expires_in=timedelta(hours=20), pair=None):
    access, refresh = pair or (fake.access_token, fake.refresh_token)
    with session_scope(db_url) as session:
        save_zalo_token(session=session, oa_id=OA, app_id=fake.app_id, access_token=access,
                        refresh_token=refresh, expires_at=now + expires_in, now=now)


def tokens_for(db_url, fake, now):
    return ZaloTokens(db_url, now=now, oauth_url=fake.url, app_secret=fake.app_secret)


def send(url, fake, tokens, *, body="Nhắc việc", title="", key="K1", data=None, api=None):
    """Send as the dispatcher does; returns notify()'s bool and the Outcome the plugin left."""
    plugin = apprise.Apprise.instantiate(url)
    plugin.dondoc = SendContext(idempotency_key=key, tokens=tokens, template_data=data or {},
                                zalo_api_url=api or fake.url, zns_api_url=api or fake.url)
    ok = plugin.notify(body=body, title=title)
    return ok, plugin.dondoc.outcome


def stored(db_url) -> ZaloToken:
    with session_scope(db_url) as session:
        return session.get(ZaloToken, OA)


# --- messages arrive exactly as Zalo documents them -------------------------------------------------------

@pytest.mark.parametrize("query,kind", [("", "cs"), ("?type=transaction", "transaction")])
def test_oa_text_arrives_with_exact_path_headers_and_body(fake, db, now, query, kind):
    seed(db, fake, now)
    decomposed = unicodedata.normalize("NFD", "Sở Tài chính: báo cáo trước ngày 30/10")
    ok, outcome = send(OA_URL + query, fake, tokens_for(db, fake, now), title="Nhắc việc", body=decomposed)
    assert ok and outcome == SENT
    [message] = fake.messages
    assert message["path"] == f"/v3.0/oa/message/{kind}"
    assert message["headers"]["access_token"] == fake.access_token
    assert message["headers"]["Content-Type"] == "application/json"
    assert message["body"] == {"recipient": {"user_id": USER},
                               "message": {"text": "Nhắc việc\nSở Tài chính: báo cáo trước ngày 30/10"}}


def test_without_title_the_text_is_the_body_alone(fake, db, now):
    seed(db, fake, now)
    assert send(OA_URL, fake, tokens_for(db, fake, now), body="Chỉ nội dung")[0]
    assert fake.messages[0]["body"]["message"]["text"] == "Chỉ nội dung"


def test_text_over_2000_characters_is_refused_never_cut(fake, db, now):
    seed(db, fake, now)
    tokens = tokens_for(db, fake, now)
    assert send(OA_URL, fake, tokens, body="x" * 2000)[0]
    ok, outcome = send(OA_URL + "?overflow=truncate", fake, tokens, body="y" * 2001)
    assert not ok and outcome.status == "permanent" and "2001" in outcome.error
    assert [m["body"]["message"]["text"] for m in fake.messages] == ["x" * 2000]


def test_zns_arrives_with_phone_normalised_template_data_and_tracking_id(fake, db, now):
    seed(db, fake, now)
    data = {"don_vi": "UBND xã An Lão", "han": "30/10/2025"}
    ok, outcome = send(ZNS_URL, fake, tokens_for(db, fake, now), key="dd7f3a9c01", data=data)
    assert ok and outcome == SENT
    [message] = fake.messages
    assert message["path"] == "/message/template"
    assert message["headers"]["access_token"] == fake.access_token
    assert message["headers"]["Content-Type"] == "application/json"
    assert message["body"] == {"phone": "84912345678", "template_id": "224785", "template_data": data,
                               "tracking_id": "dd7f3a9c01"}


@pytest.mark.parametrize("raw,expected", [
    ("0912345678", "84912345678"), ("84912345678", "84912345678"), ("+84 912 345 678", "84912345678"),
    ("0912.345.678", "84912345678"), ("912345678", "84912345678"), ("0123", None), ("02253123456", None),
    ("+1 212 555 0100", None), ("", None)])
def test_phone_numbers_normalise_to_84(raw, expected):
    assert normalise_phone(raw) == expected


def test_invalid_phone_or_missing_template_is_refused_when_the_url_is_read():
    assert apprise.Apprise.instantiate(f"zns://{OA}/0123?template=1") is None
    assert apprise.Apprise.instantiate(f"zns://{OA}/0912345678") is None


def test_bad_tracking_id_fails_permanently_and_sends_nothing(fake, db, now):
    seed(db, fake, now)
    ok, outcome = send(ZNS_URL, fake, tokens_for(db, fake, now), key="x" * 49)
    assert not ok and outcome.status == "permanent" and "tracking_id" in outcome.error
    assert fake.messages == []


# --- tokens: refreshed once, stored, shared ---------------------------------------------------------------

@pytest.mark.parametrize("how", ["expired in the database", "refused by Zalo"])
def test_an_expired_token_is_refreshed_once_and_the_new_pair_stored(fake, db, now, how):
    if how == "refused by Zalo":
        seed(db, fake, now)
        fake.expire_token()
    else:
        seed(db, fake, now, expires_in=timedelta(minutes=4))  # within the 5 minutes of margin
    ok, outcome = send(OA_URL, fake, tokens_for(db, fake, now))
    assert ok and outcome == SENT
    assert len(fake.refresh_calls) == 1
    row = stored(db)
    assert (row.access_token, row.refresh_token) == (fake.access_token, fake.refresh_token)
    assert row.expires_at == now + timedelta(seconds=90000)
    assert [m["headers"]["access_token"] for m in fake.messages] == [fake.access_token]


def test_a_token_valid_beyond_the_margin_is_used_as_is(fake, db, now):
    seed(db, fake, now, expires_in=timedelta(minutes=6))
    assert send(OA_URL, fake, tokens_for(db, fake, now))[1] == SENT
    assert fake.refresh_calls == []


@pytest.mark.parametrize("how", ["expired in the database", "refused by Zalo"])
def test_two_workers_on_an_expired_token_refresh_it_once(fake, settings, now, how):
    url = settings.db_url
    migrate(url)
    if how == "refused by Zalo":
        seed(url, fake, now)
        fake.expire_token()
    else:
        seed(url, fake, now, expires_in=-timedelta(minutes=1))
    start, outcomes = threading.Barrier(2), []

    def worker(key):
        start.wait()
        outcomes.append(send(OA_URL, fake, tokens_for(url, fake, now), key=key)[1])

    threads = [threading.Thread(target=worker, args=(k,)) for k in ("K1", "K2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == [SENT, SENT]
    assert len(fake.refresh_calls) == 1
    assert len(fake.messages) == 2
    assert stored(url).refresh_token == fake.refresh_token


def test_a_reused_refresh_token_fails_clearly_without_secrets(fake, db, now):
    old = (fake.access_token, fake.refresh_token)
    seed(db, fake, now, expires_in=-timedelta(minutes=1))
    tokens_for(db, fake, now).access_token(OA)  # uses the refresh token once
    seed(db, fake, now, expires_in=-timedelta(minutes=1), pair=old)  # as if a backup brought the old pair back
    with pytest.raises(ZaloTokenError) as refused:
        tokens_for(db, fake, now).refresh(OA, old[0])
    message = str(refused.value)
    assert "-14014" in message and OA in message and "dondoc zalo-token" in message
    ok, outcome = send(OA_URL, fake, tokens_for(db, fake, now))
    assert not ok and outcome.status == "retry" and outcome.error == message
    for secret in [*fake.issued, fake.app_secret]:
        assert secret not in message
    assert stored(db).refresh_token == old[1]  # nothing half-written
    assert fake.messages == []


def test_a_token_refused_even_after_a_refresh_is_a_retry_not_a_loop(fake, db, now):
    seed(db, fake, now)
    fake.fail_next(-216, times=2)
    ok, outcome = send(OA_URL, fake, tokens_for(db, fake, now))
    assert not ok and outcome == TOKEN_REFUSED
    assert len(fake.refresh_calls) == 1


def test_zns_refreshes_on_its_own_token_error(fake, db, now):
    seed(db, fake, now)
    fake.fail_next(-124)
    assert send(ZNS_URL, fake, tokens_for(db, fake, now))[1] == SENT
    assert len(fake.refresh_calls) == 1 and len(fake.messages) == 1


def test_missing_token_row_or_context(fake, db, now):
    outcome = send(OA_URL, fake, tokens_for(db, fake, now))[1]
    assert outcome.status == "retry" and "chưa có mã truy cập Zalo cho OA" in outcome.error
    plugin = apprise.Apprise.instantiate(OA_URL)
    plugin.dondoc = SendContext(idempotency_key="K1")
    assert not plugin.notify(body="x")
    assert plugin.dondoc.outcome.status == "permanent"
    assert plugin.dondoc.outcome.error == "chưa cấu hình mã truy cập Zalo"


# --- what Zalo's answers mean -----------------------------------------------------------------------------

@pytest.mark.parametrize("program,status,words", [
    (lambda z: z.fail_next(-32), "retry", "-32"),
    (lambda z: z.fail_next(-213), "permanent", "chưa quan tâm OA"),
    (lambda z: z.fail_next(-999), "retry", "-999"),
    (lambda z: z.fail_http(500), "retry", "HTTP 500"),
    (lambda z: z.fail_http(429), "retry", "HTTP 429"),
])
def test_zalo_answers_map_to_outcomes(fake, db, now, program, status, words):
    seed(db, fake, now)
    program(fake)
    ok, outcome = send(OA_URL, fake, tokens_for(db, fake, now))
    assert not ok and outcome.status == status and words in outcome.error
    assert fake.messages == [] and fake.refresh_calls == []


def test_too_many_requests_passes_on_retry_after(fake, db, now):
    seed(db, fake, now)
    fake.fail_http(429)
    assert send(OA_URL, fake, tokens_for(db, fake, now))[1].retry_after == 7


def test_unreachable_zalo_is_a_retry(fake, db, now):
    seed(db, fake, now)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    ok, outcome = send(OA_URL, fake, tokens_for(db, fake, now), api=closed)
    assert not ok and outcome.status == "retry" and "không kết nối được" in outcome.error


# --- secrets and registration -----------------------------------------------------------------------------

def test_no_secret_or_full_phone_in_urls_logs_or_errors(fake, db, now, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="apprise")
    seed(db, fake, now)
    tokens = tokens_for(db, fake, now)
    fake.expire_token()
    outcomes = [send(ZNS_URL, fake, tokens)[1]]
    fake.fail_next(-108)
    outcomes.append(send(ZNS_URL, fake, tokens)[1])
    fake.fail_next(-216, times=2)
    outcomes.append(send(ZNS_URL, fake, tokens)[1])
    assert [o.status for o in outcomes] == ["sent", "permanent", "retry"]
    # Apprise logs a URL it cannot load as written: neither a bad phone nor a good one may show in full.
    assert apprise.Apprise.instantiate(f"zns://{OA}/0212345999?template=1x") is None
    assert apprise.Apprise.instantiate(f"zns://{OA}/0912345678") is None
    assert "Could not load Zalo ZNS URL" in caplog.text
    plugin = apprise.Apprise.instantiate(ZNS_URL)
    shown = plugin.url(privacy=True)
    assert "...678" in shown and "912345" not in shown
    assert apprise.Apprise.instantiate(plugin.url()).phone == "84912345678"  # the full URL round-trips
    text = caplog.text + " ".join(o.error or "" for o in outcomes)
    assert "Zalo" in caplog.text
    for secret in [*fake.issued, fake.app_secret, "84912345678", "912345678", "212345999"]:
        assert secret not in text


def test_register_is_idempotent_and_thread_safe():
    threads = [threading.Thread(target=register) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    register()
    oa = apprise.Apprise.instantiate("zalo://oa/123")
    assert isinstance(oa, NotifyZaloOA) and oa.targets == ["123"] and len(oa) == 1
    assert isinstance(apprise.Apprise.instantiate("zns://oa/0912345678?template=1"), NotifyZaloZNS)
    assert len(apprise.Apprise.instantiate("zalo://oa/1/2/3")) == 3
