"""Reports, reviews, extensions, cancellation and closure on a real database, with the messages they send."""

from __future__ import annotations

from datetime import date

import pendulum
import pytest
from sqlmodel import func, select

from conftest import TZ, write_contacts
from domain.links import LinkError
from domain.report_form import validate_extension, validate_report
from intake.service import import_directive, load_plan
from models.chase import plan_chase
from models.db import session_scope
from models.directives import Assignment, Directive, Task
from models.env import planning_of, prepare
from models.links import ensure_links, open_link, revoke_links
from models.messaging import OutboxMessage
from models.queries import directive_detail
from models.reports import (cancel_assignment, decide_extension, find_work, request_extension, review_report,
                            submit_report)
from models.units import Unit

STC, SNV, SYT = "Sở Tài chính", "Sở Nội vụ", "Sở Y tế"
LETTER = """
number: 120/UBND-VP
kind: cong_van
issued_on: 2025-10-01
issuer: Văn phòng UBND thành phố Hải Phòng
leader_in_charge: Phó Chủ tịch UBND thành phố Hoàng Minh Cường
subject: V/v triển khai chữ ký số trong các cơ quan
tasks:
  - ref: "1"
    content: Cấp chứng thư số cho cán bộ, công chức.
    lead: [Sở Tài chính]
    coordinating: [Sở Nội vụ]
    deadline: trước ngày 15/10/2025
  - ref: "2"
    content: Báo cáo số lượng chữ ký số đã cấp.
    lead: [Sở Nội vụ]
    deadline: trước ngày 20/10/2025
  - ref: "3"
    content: Cập nhật hằng tháng tình hình sử dụng chữ ký số.
    lead: [Sở Y tế]
    deadline: hằng tháng
"""


def at(day: int, month: int = 10, hour: int = 8, minute: int = 0):
    return pendulum.datetime(2025, month, day, hour, minute, tz=TZ)


@pytest.fixture
def letter(sqlite_settings, tmp_path):
    settings = write_contacts(sqlite_settings, {"units": {n: [f"json://127.0.0.1:9/{i}"] for i, n in
                                                          enumerate([STC, SNV, SYT])}})
    env = prepare(now=at(1, hour=9), actor="test", settings=settings)
    path = tmp_path / "letter.yaml"
    path.write_text(LETTER, encoding="utf-8")
    plan, source = load_plan(env=env, path=path)
    import_directive(env=env, plan=plan, source=source, actor="test", now=at(1, hour=9))
    return env


def work_of(session, unit: str, task: str):
    a = session.exec(select(Assignment).join(Task).join(Unit).where(Unit.name == unit, Task.ref == task)).one()
    return find_work(session=session, assignment_id=a.id)


def chase(env, as_of):
    with session_scope(env.url) as session:
        return plan_chase(session=session, as_of=as_of, planning=planning_of(env), actor="test")


def report(env, unit, task, when, **form):
    with session_scope(env.url) as session:
        data = {"progress": 40, "done_text": "Đã triển khai một phần"} | form
        return submit_report(session=session, work=work_of(session, unit, task), form=validate_report(data),
                             evidence=[], source="office", submitted_by="test", now=when)


def kinds_sent(result, unit):
    return [m for m in result.messages if m["recipient"] == unit]


def test_a_completion_claim_stops_reminders_and_acceptance_closes_on_time(letter):
    chase(letter, at(1, hour=9))  # the notices
    claim = report(letter, STC, "1", at(14, hour=15), progress=100, claims_completion=True)
    assert kinds_sent(chase(letter, at(15)), STC) == []  # D: no "due" while the claim waits for review
    with session_scope(letter.url) as session:
        decision = review_report(session=session, planning=planning_of(letter), report_id=claim.id, accept=True,
                                 reason=None, reviewer="vp", now=at(16, hour=10))
        assert decision.closure.tasks == ["1"]  # its only lead is done; the coordinating unit's part ends with it
        a = work_of(session, STC, "1").assignment
        coordinating = work_of(session, SNV, "1").assignment
        assert (a.status, coordinating.status) == ("done", "done")
        detail = directive_detail(session=session, directive=session.exec(select(Directive)).one(), as_of=date(2025, 10, 16),
                                  calendar=letter.calendar)
        notice = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == f"unit:{STC}",
                                                          OutboxMessage.payload["items"][0]["kind"].as_string()
                                                          == "report_accepted")).one()
    assert detail["tasks"][0]["assignments"][0]["status"] == "hoàn thành đúng hạn"  # claimed 14/10, due 15/10
    assert "hoàn thành đúng hạn" in notice.payload["text"] and notice.payload["title"].startswith(
        "[Đôn đốc] Đã chấp nhận báo cáo hoàn thành — văn bản 120/UBND-VP, mục 1")


def test_a_returned_report_restarts_the_reminders_with_the_reason(letter):
    chase(letter, at(1, hour=9))
    claim = report(letter, STC, "1", at(10, hour=9), progress=100, claims_completion=True)
    chase(letter, at(14))
    with session_scope(letter.url) as session:
        review_report(session=session, planning=planning_of(letter), report_id=claim.id, accept=False,
                      reason="Thiếu danh sách cán bộ đã được cấp chứng thư", reviewer="vp", now=at(14, hour=11))
        with pytest.raises(Exception, match="đã được duyệt"):
            review_report(session=session, planning=planning_of(letter), report_id=claim.id, accept=True,
                          reason=None, reviewer="vp", now=at(14, hour=12))
    returned = [m for m in chase(letter, at(15)).messages if m["recipient"] == STC]
    assert len(returned) == 1  # the "due" of 15/10 comes again, one message
    with session_scope(letter.url) as session:
        texts = [r.payload["text"] for r in session.exec(select(OutboxMessage).where(
            OutboxMessage.recipient == f"unit:{STC}")).all()]
    assert any("Lý do: Thiếu danh sách cán bộ đã được cấp chứng thư" in t for t in texts)
    assert any("Hạn là hôm nay." in t for t in texts)


def test_a_granted_extension_moves_the_deadline_and_the_reminders(letter):
    chase(letter, at(1, hour=9))
    with session_scope(letter.url) as session:
        work = work_of(session, SNV, "2")
        form = validate_extension({"requested_due": "2025-10-31", "reason": "Chờ số liệu của các xã"},
                                  current_due=work.assignment.due)
        extension = request_extension(session=session, work=work, form=form, source="web", requested_by="link",
                                      now=at(13, hour=9))
        with pytest.raises(Exception, match="đang chờ Văn phòng quyết định"):
            request_extension(session=session, work=work, form=form, source="web", requested_by="link",
                              now=at(13, hour=10))
        decide_extension(session=session, planning=planning_of(letter), extension_id=extension.id, grant=True,
                         new_due=date(2025, 10, 29), reason=None, by="vp", now=at(14, hour=9))
    # 15/10 was D−3 of 20/10: with the new deadline 29/10 nothing is due until 24/10 (D−3)
    assert kinds_sent(chase(letter, at(15)), SNV) == []
    assert [m["items"] for m in kinds_sent(chase(letter, at(24)), SNV)] == [1]
    with session_scope(letter.url) as session:
        detail = directive_detail(session=session, directive=session.exec(select(Directive)).one(),
                                  as_of=date(2025, 10, 20), calendar=letter.calendar)
    [snv] = detail["tasks"][1]["assignments"]
    assert (snv["due"], snv["status"]) == ("2025-10-29", "đã gia hạn")


def test_extension_requests_and_decisions_are_checked(letter):
    with session_scope(letter.url) as session:
        work = work_of(session, SNV, "2")
        with pytest.raises(Exception, match="phải sau hạn hiện tại"):
            validate_extension({"requested_due": "2025-10-20", "reason": "x"}, current_due=work.assignment.due)
        ext = request_extension(session=session, work=work, source="web", requested_by="link", now=at(13),
                                form=validate_extension({"requested_due": "2025-10-31", "reason": "Chờ số liệu"},
                                                        current_due=work.assignment.due))
        with pytest.raises(Exception, match="cần ghi lý do"):
            decide_extension(session=session, planning=planning_of(letter), extension_id=ext.id, grant=False,
                             new_due=None, reason="  ", by="vp", now=at(14))
        with pytest.raises(Exception, match="đơn vị phối hợp"):
            report(letter, SNV, "1", at(13))


def test_cancelling_the_last_open_lead_closes_the_directive_and_sums_it_up(letter):
    chase(letter, at(1, hour=9))
    late = report(letter, SNV, "2", at(22, hour=9), progress=100, claims_completion=True)
    with session_scope(letter.url) as session:
        p = planning_of(letter)
        review_report(session=session, planning=p, report_id=late.id, accept=True, reason=None, reviewer="vp",
                      now=at(22, hour=10))
        cancel_assignment(session=session, planning=p, work=work_of(session, STC, "1"), reason="Giao nhầm đơn vị",
                          by="vp", now=at(22, hour=11))
        last = cancel_assignment(session=session, planning=p, work=work_of(session, SYT, "3"),
                                 reason="Đã chuyển sang kế hoạch khác", by="vp", now=at(22, hour=12))
        directive = session.exec(select(Directive)).one()
        summary = session.exec(select(OutboxMessage).where(
            OutboxMessage.recipient == "office:Văn phòng UBND thành phố Hải Phòng")).all()
    assert last.closure.directive == "120/UBND-VP" and directive.status == "closed"
    assert last.closure.summary["counts"] == {"done_on_time": 0, "done_late": 1, "cancelled": 2}
    assert len(summary) == 1 and summary[0].status == "no_contact"  # the office has no address in this test
    assert summary[0].payload["title"] == "[Đôn đốc] Văn bản 120/UBND-VP đã hoàn thành: tỷ lệ đúng hạn 0 %"
    assert "- Sở Nội vụ: hoàn thành quá hạn (22/10/2025)" in summary[0].payload["text"]
    assert kinds_sent(chase(letter, at(23)), STC) == []  # nothing more is chased


def test_a_monthly_report_answers_its_period_and_a_missing_one_is_reminded_the_next_day(letter):
    chase(letter, at(1, hour=9))
    report(letter, SYT, "3", at(20, hour=9), progress=30)  # covers October
    october_end = chase(letter, at(31))
    assert kinds_sent(october_end, SYT) == []  # Friday 31/10: October's report is in
    assert [m["items"] for m in kinds_sent(chase(letter, at(28, 11)), SYT)] == [1]  # Friday 28/11: November's due
    with session_scope(letter.url) as session:
        steps = session.exec(select(OutboxMessage.payload).where(OutboxMessage.recipient == f"unit:{SYT}")).all()
    assert [i["kind"] for p in steps for i in p["items"]][-1] == "due"
    late = chase(letter, at(1, 12))  # Monday 1/12: November's report never came
    [message] = kinds_sent(late, SYT)
    with session_scope(letter.url) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == message["key"])).one()
    assert [i["kind"] for i in row.payload["items"]] == ["overdue"]


def test_report_links_are_signed_expire_and_can_be_revoked(letter):
    p = planning_of(letter)
    with session_scope(letter.url) as session:
        directive = session.exec(select(Directive)).one()
        url = ensure_links(session=session, pairs={("so-tai-chinh", str(directive.id))}, planning=p, now=at(1))[
            ("so-tai-chinh", str(directive.id))]
        again = ensure_links(session=session, pairs={("so-tai-chinh", str(directive.id))}, planning=p, now=at(2))
        assert again[("so-tai-chinh", str(directive.id))] == url  # one link per unit and directive while it is fresh
    token = url.rsplit("/", 1)[1]
    with session_scope(letter.url) as session:
        link = open_link(session=session, token=token, planning=p, now=at(2))
        assert session.get(Unit, link.unit_id).name == STC
        forged = token[:-1] + ("A" if token[-1] != "A" else "B")
        with pytest.raises(LinkError, match="chữ ký không khớp"):
            open_link(session=session, token=forged, planning=p, now=at(2))
        with pytest.raises(LinkError, match="hết hạn"):
            open_link(session=session, token=token, planning=p, now=at(2, 1, hour=9).add(years=1))
        revoke_links(session=session, unit_id=link.unit_id, directive_id=link.directive_id, by="vp", now=at(3))
    with session_scope(letter.url) as session:
        with pytest.raises(LinkError, match="thu hồi"):
            open_link(session=session, token=token, planning=p, now=at(4))
        fresh = ensure_links(session=session, pairs={("so-tai-chinh", str(directive.id))}, planning=p, now=at(4))
    assert fresh[("so-tai-chinh", str(directive.id))] != url


def test_bad_reports_write_nothing(letter):
    with session_scope(letter.url) as session:
        before = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    for bad, words in [({"progress": 120, "done_text": "x"}, "nhiều nhất 100"),
                       ({"progress": 50, "done_text": ""}, "kết quả thực hiện"),
                       ({"progress": 50, "done_text": "x", "claims_completion": True}, "100%"),
                       ({"progress": 50, "done_text": "x", "links": "ftp://a"}, "http"),
                       ({"progress": "năm mươi", "done_text": "x"}, "số nguyên")]:
        with pytest.raises(Exception, match=words):
            report(letter, STC, "1", at(5), **bad)
    with session_scope(letter.url) as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == before
        assert session.exec(select(Assignment).join(Unit).where(Unit.name == STC)).one().status == "open"
