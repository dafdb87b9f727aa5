"""The pages in a real browser: Debian's Chromium driven by Playwright against uvicorn on 127.0.0.1.

A unit opens its report link on a phone, fills the form, attaches a PDF, claims completion and sees the
confirmation; anyone opens Ba công khai on a desktop. Full-page screenshots go to test-screenshots/.
"""

from __future__ import annotations

import pendulum
import pytest
from sqlmodel import select

from conftest import SHOTS, TZ, issue_example, serve_app
from domain.report_form import validate_report
from intake.service import import_directive, load_plan
from models.chase import plan_chase
from models.db import session_scope
from models.directives import Assignment, Directive, Task
from models.env import planning_of
from models.links import ensure_links
from models.reporting import Report
from models.reports import find_work, submit_report
from models.units import Unit
from web import create_app

pytestmark = pytest.mark.browser

NOW = pendulum.datetime(2025, 9, 29, 10, tz=TZ)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "vi-VN"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "vi-VN"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# A smaller plan beside seed 002, so that the directive page shows its charts unfolded.
PLAN = """
number: 215/KH-UBND
kind: ke_hoach
issued_on: 2025-09-10
issuer: UBND thành phố Hải Phòng
subject: Kế hoạch chuyển đổi số trong các sở, ngành năm 2025
tasks:
  - ref: "1"
    content: Số hóa hồ sơ thủ tục hành chính còn hiệu lực.
    lead: [Sở Nội vụ, Sở Tài chính]
    coordinating: [Sở Khoa học và Công nghệ]
    deadline: trước ngày 25/9/2025
  - ref: "2"
    content: Triển khai chữ ký số cho cán bộ, công chức.
    lead: [Sở Y tế, Sở Xây dựng]
    deadline: trước ngày 31/10/2025
"""


@pytest.fixture
def city(sqlite_settings, tmp_path):
    """Seed 002 issued and chased on 29/9/2025 08:00, and a smaller plan with a few reports in."""
    env = issue_example(sqlite_settings)
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    plan, source = load_plan(env=env, path=path)
    import_directive(env=env, plan=plan, source=source, actor="test", now=pendulum.datetime(2025, 9, 10, 9, tz=TZ))
    with session_scope(env.url) as session:
        plan_chase(session=session, as_of=pendulum.datetime(2025, 9, 29, 8, tz=TZ), planning=planning_of(env),
                   actor="test")
        for unit, task, progress in (("Sở Nội vụ", "1", 70), ("Sở Y tế", "2", 40), ("Sở Xây dựng", "2", 85)):
            a = session.exec(select(Assignment).join(Task).join(Directive).join(Unit, Assignment.unit_id == Unit.id)
                             .where(Unit.name == unit, Task.ref == task, Directive.number == "215/KH-UBND")).one()
            submit_report(session=session, work=find_work(session=session, assignment_id=a.id),
                          form=validate_report({"progress": progress, "done_text": "Đang triển khai"}), evidence=[],
                          source="office", submitted_by="test", now=NOW.subtract(days=1))
    return env


@pytest.fixture
def server(city):
    with serve_app(create_app(settings=city.settings, clock=lambda: NOW)) as url:
        yield url


def report_path(env, unit: str, number: str) -> str:
    """The unit's report link for a directive: the one the chase put in its message (still fresh, so reused)."""
    with session_scope(env.url) as session:
        ref = session.exec(select(Unit.ref).where(Unit.name == unit)).one()
        directive_id = session.exec(select(Directive.id).where(Directive.number == number)).one()
        urls = ensure_links(session=session, pairs={(ref, str(directive_id))}, planning=planning_of(env), now=NOW)
    return urls[(ref, str(directive_id))].removeprefix(env.settings.public_url)


def test_a_unit_reports_from_its_phone_and_the_public_sees_the_figures(chromium, city, server, tmp_path):
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    evidence = tmp_path / "Báo cáo kết quả rà soát.pdf"
    evidence.write_bytes(PDF)
    path = report_path(city, "Sở Khoa học và Công nghệ", "9395/VP-VX")

    phone = chromium.new_context(**PHONE)
    page = phone.new_page()
    page.set_default_timeout(10_000)
    page.goto(server + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sở Khoa học và Công nghệ")
    page.screenshot(path=SHOTS / "report-page.png", full_page=True)

    form = page.locator("form.report")
    form.get_by_label("Tiến độ (%)", exact=True).fill("100")
    form.get_by_label("Kết quả thực hiện", exact=True).fill("Đã rà soát đủ 114 xã, phường, đặc khu; đề xuất cấp "
                                                            "1.250 chứng thư số công vụ.")
    form.get_by_label("Khó khăn, vướng mắc", exact=True).fill("Một số xã đảo chưa có đường truyền ổn định.")
    form.get_by_label("Tệp minh chứng", exact=True).set_input_files(evidence)
    form.get_by_label("Đường dẫn minh chứng", exact=True).fill("https://skhcn.haiphong.gov.vn/bao-cao/ra-soat")
    form.get_by_label("Đã hoàn thành nhiệm vụ").check()
    form.get_by_role("button", name="Gửi báo cáo").click()

    confirmation = page.locator(".flash")
    expect(confirmation).to_contain_text("Đã gửi báo cáo hoàn thành mục 1.")
    expect(page.locator(".reports")).to_contain_text("Báo cáo kết quả rà soát.pdf")
    page.screenshot(path=SHOTS / "report-submitted.png", full_page=True)
    with session_scope(city.url) as session:
        [stored] = session.exec(select(Report).where(Report.source == "web")).all()
    assert stored.progress == 100 and stored.claims_completion and stored.evidence[0]["name"] == evidence.name
    phone.close()

    desktop = chromium.new_context(**DESKTOP)
    public = desktop.new_page()
    public.set_default_timeout(10_000)
    public.goto(server + "/cong-khai")
    expect(public.get_by_role("heading", level=1)).to_have_text("Tiến độ thực hiện văn bản chỉ đạo")
    expect(public.locator("article.directive")).to_have_count(2)
    public.screenshot(path=SHOTS / "public-page.png", full_page=True)

    public.get_by_role("link", name="215/KH-UBND").click()
    expect(public.locator("svg.chart")).to_have_count(3)
    expect(public.locator(".charts")).to_contain_text("Sở Xây dựng")
    public.screenshot(path=SHOTS / "public-directive.png", full_page=True)
    desktop.close()
