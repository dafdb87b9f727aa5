"""Emails as a mail server receives them: correct MIME, Vietnamese intact, the idempotency key on each, over every
way of sending (one command at a time, PIPELINING, BDAT) and through Apprise's own composer where ours steps aside."""

from __future__ import annotations

import email
import random
import string
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.header import Header
from urllib.parse import quote

import pytest
from apprise.plugins.email.base import NotifyEmail

from bench.sink import CountingSmtp
from notifiers import email_mime, email_text, pooling
from notifiers.channels import KEY_HEADER, deliver
from notifiers.delivery import SendContext
from notifiers.render import render_template
from notifiers.sinks import SmtpSink

FROM = ("Văn phòng UBND thành phố", "vanphong@haiphong.gov.vn")
TO = ("Sở Tài chính", "stc@haiphong.gov.vn")
SENT_AT = datetime(2025, 9, 29, 8, 0, 3, tzinfo=timezone(timedelta(hours=7)))  # the dispatcher's `now`
DETAIL = ("Đề nghị đơn vị khẩn trương báo cáo kết quả thực hiện nhiệm vụ chuyển đổi số trước ngày 30/9/2025. "
          "Dòng có dấu chấm ở đầu:\n.\n..\nFrom đây, cuối dòng có khoảng trắng   \nvà = dấu bằng, --=== ranh giới.")


def rendered(title: str = "[Đôn đốc] Nhắc việc ngày 29/9/2025: 2 nhiệm vụ mới giao, 1 sắp đến hạn"):
    return render_template("alert", title=title, context={"name": TO[0], "day": date(2025, 9, 29), "what": "Nhắc việc",
                                                          "detail": DETAIL}, zns_data={}, data={})


def mail_url(port: int, cc: str | None = None) -> str:
    url = (f"mailto://127.0.0.1:{port}?from={quote(f'{FROM[0]} <{FROM[1]}>')}&to={quote(f'{TO[0]} <{TO[1]}>')}"
           "&mode=insecure")
    return url + (f"&cc={quote(cc)}" if cc else "")


def send(url: str, message, key: str, sent_at: datetime | None = SENT_AT):
    payload = {"title": message.title, "html": message.html, "text": message.text}
    try:
        return deliver(url, "email", payload, key=key, context=SendContext(key, sent_at=sent_at))[0]
    finally:
        pooling.close_connections()


def check(raw: bytes, message, key: str, sent_at: datetime | None = SENT_AT) -> email.message.EmailMessage:
    """What any mail client reads in it, parsed by the standard library."""
    assert raw.isascii() and max(len(line) for line in raw.split(b"\r\n")) <= 998  # 7-bit, RFC 5322 line limit
    mail = email.message_from_bytes(raw, policy=policy.default)
    assert mail["Subject"] == message.title
    assert (mail["From"].addresses[0].display_name, mail["From"].addresses[0].addr_spec) == FROM
    assert (mail["To"].addresses[0].display_name, mail["To"].addresses[0].addr_spec) == TO
    assert mail[KEY_HEADER] == key and mail["MIME-Version"] == "1.0" and mail["Message-ID"] and mail["Date"].datetime
    if sent_at is not None:  # dated the moment the dispatcher sent it (written in Apprise's zone, UTC)
        assert mail["Date"].datetime == sent_at
    assert mail.get_content_type() == "multipart/alternative" and not mail.defects
    text, html = mail.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    # the plain part is our own text rendering, the HTML part the HTML, to the character
    plain = text.get_content().replace("\r\n", "\n")
    assert plain == message.text.replace("\r\n", "\n")
    assert html.get_content().replace("\r\n", "\n") == message.html.replace("\r\n", "\n")
    assert plain.startswith("Kính gửi: Sở Tài chính") and ".\n..\nFrom đây" in plain
    assert "khoảng trắng   \nvà = dấu bằng, --=== ranh giới." in html.get_content().replace("\r\n", "\n")
    return mail


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-command-at-a-time"])
def test_an_email_arrives_at_aiosmtpd_as_correct_mime_in_vietnamese(pipelining):
    message = rendered()
    with SmtpSink(pipelining=pipelining) as sink:
        assert send(mail_url(sink.port), message, "khoa-1").status == "sent"
        assert send(mail_url(sink.port), message, "khoa-2").status == "sent"
    assert [m.key for m in sink.mails] == ["khoa-1", "khoa-2"]
    assert sink.mails[0].to == [TO[1]]
    for mail, key in zip(sink.mails, ["khoa-1", "khoa-2"], strict=True):
        check(mail.raw.encode("ascii"), message, key)


def test_an_email_sent_as_one_bdat_arrives_the_same():
    sink = CountingSmtp(keep=True).start()
    message = rendered()
    try:
        assert send(mail_url(sink.port), message, "khoa-bdat").status == "sent"
    finally:
        sink.stop()
    [raw] = sink.kept
    check(raw, message, "khoa-bdat")
    assert sink.keys == {"khoa-bdat"}


class _RefusingHandler(SmtpSink):
    async def handle_RCPT(self, server, session, envelope, address, options):  # aiosmtpd's hook name
        if address.startswith("khong-co"):
            return "550 5.1.1 Không có hộp thư này"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_recipient_fails_that_message_only_and_the_session_goes_on():
    message = rendered()
    with _RefusingHandler() as sink:
        refused = mail_url(sink.port).replace(quote(f"{TO[0]} <{TO[1]}>"), "khong-co@haiphong.gov.vn")
        payload = {"title": message.title, "html": message.html, "text": message.text}
        outcome, _ = deliver(refused, "email", payload, key="k1", context=SendContext("k1", sent_at=SENT_AT))
        assert outcome.status == "retry"
        [session] = pooling._pool()[("plain", "127.0.0.1", sink.port)]
        # the same pooled session, still in step with the server, carries the next message
        outcome, _ = deliver(mail_url(sink.port), "email", payload, key="k2",
                             context=SendContext("k2", sent_at=SENT_AT))
        assert pooling._pool()[("plain", "127.0.0.1", sink.port)] == [session]
        pooling.close_connections()
    assert outcome.status == "sent" and [m.key for m in sink.mails] == ["k2"]


def test_an_email_given_no_sending_moment_is_composed_and_dated_by_apprise(smtp_sink):
    message = rendered()
    assert send(mail_url(smtp_sink.port), message, "khoa-khong-gio", sent_at=None).status == "sent"
    [mail] = smtp_sink.mails
    check(mail.raw.encode("ascii"), message, "khoa-khong-gio", sent_at=None)


def test_an_email_with_cc_goes_through_apprises_own_composer(smtp_sink):
    message = rendered()
    assert send(mail_url(smtp_sink.port, cc="pct@haiphong.gov.vn"), message, "khoa-cc").status == "sent"
    [mail] = smtp_sink.mails
    assert sorted(mail.to) == ["pct@haiphong.gov.vn", TO[1]]
    parsed = check(mail.raw.encode("ascii"), message, "khoa-cc", sent_at=None)  # Apprise dates it itself
    assert parsed["Cc"] == "pct@haiphong.gov.vn"


def _compose(prepare, message, *, fmt="html", to=(TO,), subject=None):
    with email_text.plain_part(message.html, message.text), email_mime.dated(SENT_AT):
        return list(prepare(subject if subject is not None else message.title,
                            message.html if fmt == "html" else message.text, FROM, list(to), notify_format=fmt,
                            smtp_host="haiphong.gov.vn", headers={"X-Application": "Apprise", KEY_HEADER: "k"}))


def _read(body: str) -> list:
    """Everything a reader sees: headers (but the random ones), structure, decoded parts."""
    mail = email.message_from_string(body, policy=policy.default)
    seen = [(k, str(v)) for k, v in mail.items() if k not in ("Message-ID", "Date", "Content-Type")]
    for part in mail.walk():
        seen.append((part.get_content_type(), part.get_content_charset(), part["Content-Transfer-Encoding"]))
        if not part.is_multipart():
            seen.append(part.get_content())
    return seen


@pytest.mark.parametrize("case", ["html", "text", "long subject", "empty subject", "several recipients"])
def test_our_composer_writes_what_apprise_writes(case):
    titles = {"long subject": "Báo cáo tình hình thực hiện " * 8, "empty subject": ""}
    message = rendered(titles.get(case, "[Đôn đốc] Nhắc việc ngày 29/9/2025"))
    options = {"fmt": "text"} if case == "text" else {}
    if case == "several recipients":
        options["to"] = [TO, (None, "ubnd@haiphong.gov.vn"), ("Sở Y tế", "syt@haiphong.gov.vn")]
    ours, apprises = _compose(email_mime._prepare_emails, message, **options), _compose(email_mime._original, message,
                                                                                          **options)
    assert [(m.recipient, m.to_addrs) for m in ours] == [(m.recipient, m.to_addrs) for m in apprises]
    for mine, theirs in zip(ours, apprises, strict=True):
        assert _read(mine.body) == _read(theirs.body)
        assert [line.split(":")[0] for line in mine.body.split("\n\n")[0].splitlines()] == \
               [line.split(":")[0] for line in theirs.body.split("\n\n")[0].splitlines()]  # same headers, same order


def test_header_lines_are_written_as_the_email_package_writes_them():
    chance = random.Random(2025)
    values = ["", " đầu", "cuối ", "a  b", "Nhắc việc", "x" * 200, "a;b, c", "=?utf-8?q?x?= y"]
    values += ["".join(chance.choice(string.printable + "ăếộ  ") for _ in range(chance.randrange(90)))
               for _ in range(2000)]
    for value in values:
        for as_header in (True, False):
            given = Header(value, NotifyEmail._get_charset(value)) if as_header else value
            try:
                expected = email_mime._UNFOLDED.fold("X-Dondoc", given)
            except email.errors.HeaderParseError:
                with pytest.raises(email.errors.HeaderParseError):
                    email_mime._header("X-Dondoc", value, as_header)
                continue
            assert email_mime._header("X-Dondoc", value, as_header) == expected, value


def test_the_bench_sink_speaks_smtp_to_the_standard_client():
    import smtplib

    sink = CountingSmtp(keep=True).start()
    try:
        with smtplib.SMTP("127.0.0.1", sink.port) as client:
            client.ehlo()
            assert client.has_extn("pipelining") and client.has_extn("chunking")
            client.sendmail("a@haiphong.gov.vn", ["b@haiphong.gov.vn"],
                            f"{KEY_HEADER}: k1\r\n\r\n.dòng\r\n".encode())
            assert client.docmd("DATA")[0] == 503  # no transaction open
    finally:
        sink.stop()
    assert sink.kept == [f"{KEY_HEADER}: k1\r\n\r\n.dòng\r\n".encode()] and sink.keys == {"k1"}

