"""The monitoring read from a real database, SQLite and PostgreSQL alike (the same code), and its workbook when
the not-updated list is too long for a sheet."""

from __future__ import annotations

import csv
import os
from datetime import date

import pendulum
import polars as pl
import pytest
from conftest import TZ
from sqlmodel import select

from domain.monitoring import ASSIGNMENT_SCHEMA, REPORT_SCHEMA, with_buckets
from domain.report_form import validate_extension, validate_report
from flows.monitoring_report import compute_monitoring
from intake.service import import_directive, load_plan
from models.db import engine_for, session_scope
from models.directives import Assignment, Task
from models.env import planning_of, prepare
from models.monitoring import load_monitoring
from models.reports import (
    decide_extension,
    find_work,
    request_extension,
    review_report,
    submit_report,
)
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
    content: Cấp chứng thư số cho cán bộ, công chức, "đợt 1".
    lead: [Sở Tài chính]
    coordinating: [Sở Nội vụ]
    deadline: trước ngày 15/10/2025
  - ref: "2"
    content: Báo cáo số lượng chữ ký số đã cấp.
    lead: [Sở Nội vụ, Sở Y tế]
    deadline: trước ngày 20/10/2025
  - ref: "3"
    content: Cập nhật hằng tháng tình hình sử dụng chữ ký số.
    lead: [Sở Y tế]
    deadline: hằng tháng
"""


def at(day: int, month: int = 10, hour: int = 8, minute: int = 0):
    return pendulum.datetime(2025, month, day, hour, minute, tz=TZ)


@pytest.fixture
def city(settings, tmp_path):
    """The letter issued on 1/10; reports, a review, a returned report and an extension by 20/10."""
    env = prepare(now=at(1, hour=9), actor="test", settings=settings)
    path = tmp_path / "letter.yaml"
    path.write_text(LETTER, encoding="utf-8")
    plan, source = load_plan(env=env, path=path)
    import_directive(env=env, plan=plan, source=source, actor="test", now=at(1, hour=9))
    with session_scope(env.url) as session:
        # 06:00 on 14/10 in Hai Phong is still 13/10 in UTC: the report's day is Hai Phong's
        claim = _report(session, STC, "1", at(14, hour=6), progress=100, claims_completion=True)
        review_report(session=session, planning=planning_of(env), report_id=claim.id, accept=True, reason=None,
                      reviewer="vp", now=at(16, hour=10))
        _report(session, SNV, "2", at(3, hour=15), progress=30)
        returned = _report(session, SNV, "2", at(10, hour=15), progress=100, claims_completion=True)
        review_report(session=session, planning=planning_of(env), report_id=returned.id, accept=False,
                      reason="Thiếu số liệu", reviewer="vp", now=at(11, hour=9))
        work = _work(session, SYT, "2")
        extension = request_extension(session=session, work=work, source="web", requested_by="link", now=at(13),
                                      form=validate_extension({"requested_due": "2025-10-31", "reason": "Chờ số liệu"},
                                                              current_due=work.assignment.due))
        decide_extension(session=session, planning=planning_of(env), extension_id=extension.id, grant=True,
                         new_due=date(2025, 10, 29), reason=None, by="vp", now=at(14, hour=9))
    return env


def _work(session, unit: str, task: str):
    a = session.exec(select(Assignment).join(Task).join(Unit).where(Unit.name == unit, Task.ref == task)).one()
    return find_work(session=session, assignment_id=a.id)


def _report(session, unit, task, when, **form):
    data = {"progress": 40, "done_text": "Đã triển khai một phần"} | form
    return submit_report(session=session, work=_work(session, unit, task), form=validate_report(data), evidence=[],
                         source="office", submitted_by="test", now=when)


def test_the_frames_hold_what_the_database_says(city):
    assignments, reports = load_monitoring(engine_for(city.url))
    assert dict(assignments.schema) == ASSIGNMENT_SCHEMA and dict(reports.schema) == REPORT_SCHEMA
    rows = {(r["unit_name"], r["task_ref"], r["role"]): r for r in assignments.iter_rows(named=True)}
    assert len(rows) == assignments.height == 5
    stc = rows[(STC, "1", "lead")]
    # done as of the claim (06:00 on 14/10 in Hai Phong, 13/10 in UTC)
    assert (stc["status"], stc["due"], stc["closed_on"], stc["extended"]) == ("done", date(2025, 10, 15),
                                                                               date(2025, 10, 14), False)
    assert (stc["directive_number"], stc["issuer"], stc["issued_on"], stc["leader"]) == (
        "120/UBND-VP", "Văn phòng UBND thành phố Hải Phòng", date(2025, 10, 1), "Hoàng Minh Cường")
    assert stc["task_content"] == 'Cấp chứng thư số cho cán bộ, công chức, "đợt 1".'
    assert (stc["unit_ref"], stc["unit_kind"]) == ("so-tai-chinh", "department")
    assert rows[(SNV, "1", "coordinating")]["status"] == "done"
    assert (rows[(SYT, "2", "lead")]["extended"], rows[(SYT, "2", "lead")]["due"]) == (True, date(2025, 10, 29))
    syt3 = rows[(SYT, "3", "lead")]
    assert (syt3["deadline_kind"], syt3["period"], syt3["due"], syt3["closed_on"]) == (
        "recurring", "monthly", date(2025, 10, 31), None)  # the end of the period running
    days = sorted((r["submitted_on"], r["progress"], r["claims_completion"], r["review_status"])
                  for r in reports.iter_rows(named=True))
    assert days == [(date(2025, 10, 3), 30, False, "submitted"), (date(2025, 10, 10), 100, True, "returned"),
                    (date(2025, 10, 14), 100, True, "accepted")]
    ids = set(assignments["assignment_id"])
    assert set(reports["assignment_id"]) <= ids
    bucketed = with_buckets(assignments, as_of=date(2025, 10, 20), calendar=city.calendar)
    assert dict(bucketed.select("unit_name", "bucket").filter(pl.col("unit_name") == SYT).group_by("bucket").len()
                .iter_rows()) == {"extended": 1, "not_due": 1}


def test_a_long_not_updated_list_is_cut_in_the_workbook_and_written_whole_beside_it(city):
    as_of, month = date(2025, 10, 20), date(2025, 10, 1)
    whole = compute_monitoring.fn(city, as_of, month)
    missing = whole.views.missing  # lead work not updated in October: Sở Y tế's two tasks
    assert missing.select("Đơn vị", "Mục").rows() == [(SYT, "2"), (SYT, "3")]
    assert not whole.workbook.with_name(f"{whole.workbook.stem}-chua-cap-nhat.csv").exists()

    cut = compute_monitoring.fn(city, as_of, month, missing_rows=1)
    name = cut.views.missing_sheet
    sheet = pl.read_excel(cut.workbook, sheet_name=name, has_header=False)
    note = sheet.row(0)[0]
    assert note.startswith("Danh sách dài: bảng dưới ghi 1 trong 2 nhiệm vụ chưa cập nhật")
    assert "theo-doi-2025-10-20-chua-cap-nhat.csv" in note
    assert sheet.row(1)[:2] == ("Đơn vị", "Số văn bản")
    assert sheet.height == 3 and sheet.row(2)[2] == "2"  # the more urgent: due 29/10, the other 31/10
    full = cut.workbook.with_name("theo-doi-2025-10-20-chua-cap-nhat.csv")
    with full.open(encoding="utf-8-sig") as handle:
        assert [row[:3] for row in csv.reader(handle)] == [["Đơn vị", "Số văn bản", "Mục"], [SYT, "120/UBND-VP", "2"],
                                                           [SYT, "120/UBND-VP", "3"]]
    summary = dict(pl.read_excel(cut.workbook, sheet_name="Tổng hợp", has_header=False).rows()[3:])
    assert summary["Danh sách đầy đủ nhiệm vụ chưa cập nhật"] == full.name
    assert pl.read_excel(cut.workbook, sheet_name="Theo đơn vị")["Đơn vị"].to_list() == [SNV, STC, SYT]


def test_an_empty_database_gives_empty_frames_and_a_workbook(settings):
    env = prepare(now=at(1), actor="test", settings=settings)
    assignments, reports = load_monitoring(engine_for(env.url))
    assert (assignments.height, reports.height) == (0, 0)
    assert dict(assignments.schema) == ASSIGNMENT_SCHEMA and dict(reports.schema) == REPORT_SCHEMA
    m = compute_monitoring.fn(env, date(2025, 10, 20), date(2025, 10, 1))
    assert m.figures.warned_units == 0 and "Tổng hợp" in pl.read_excel(m.workbook, sheet_id=0)


def test_ids_cut_short_find_the_same_rows_as_whole_ids(city):
    """Rows are matched on the first 16 characters of their ids; when two ids share them (forced here by
    cutting to none), everything is read again with whole ids."""
    engine = engine_for(city.url)
    short, short_reports = load_monitoring(engine)
    whole, whole_reports = load_monitoring(engine, key_chars=None)
    forced, forced_reports = load_monitoring(engine, key_chars=0)
    assert forced.equals(whole) and forced_reports.equals(whole_reports)
    assert whole["assignment_id"].str.len_chars().min() >= 32
    assert short["assignment_id"].to_list() == whole["assignment_id"].str.slice(0, 16).to_list()
    assert short.drop("assignment_id").equals(whole.drop("assignment_id"))
    assert short_reports.drop("assignment_id").equals(whole_reports.drop("assignment_id"))
    assert set(short_reports["assignment_id"]) <= set(short["assignment_id"])


def test_helper_processes_read_every_row_once_however_the_table_is_cut(city, monkeypatch):
    import models.frames as frames

    if not city.url.startswith("sqlite"):
        pytest.skip("helper processes read SQLite files; PostgreSQL reads each table in a server process of its own")
    expected = load_monitoring(engine_for(city.url))
    monkeypatch.setattr(frames, "CHUNK", 2)  # many chunks, shared between the helpers
    cut = load_monitoring(engine_for(city.url))
    assert all(a.equals(b) for a, b in zip(cut, expected))
    monkeypatch.setattr(frames, "SCRATCH_BYTES", 1 << 62)  # /dev/shm too small (as in a container): /tmp
    assert frames._scratch() is None
    assert all(a.equals(b) for a, b in zip(load_monitoring(engine_for(city.url)), expected))


def test_a_helper_that_fails_raises_its_error_and_leaves_nothing_behind(city, monkeypatch, tmp_path):
    import sqlite3

    import models.frames as frames

    if not city.url.startswith("sqlite"):
        pytest.skip("helper processes read SQLite files only")
    failing = tmp_path / "failing_helper.py"
    failing.write_text("import sys\nsys.stdin.read()\nsys.exit('sqlite3.OperationalError: disk I/O error')\n")
    monkeypatch.setattr(frames, "_HELPER", failing)
    before = _frame_folders()
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        load_monitoring(engine_for(city.url))
    assert _frame_folders() == before


def _frame_folders() -> set[str]:
    """The helpers' text folders that exist now, where models.frames makes them."""
    import tempfile

    return {name for folder in (tempfile.gettempdir(), "/dev/shm") if os.path.isdir(folder)
            for name in os.listdir(folder) if name.startswith("dondoc-frames-")}
