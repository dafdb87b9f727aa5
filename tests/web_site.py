"""The units' web site for the web tests: a directive issued and chased on a real SQLite database, its pages
served through HTTP (FastAPI's TestClient) with a fixed clock, and what a refused request must leave as it was."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pendulum
import pytest
from conftest import TZ, issue_example, write_contacts
from fastapi.testclient import TestClient
from sqlmodel import func, select

from models.chase import plan_chase
from models.db import session_scope
from models.directives import Assignment, Task
from models.env import planning_of
from models.messaging import Event, OutboxMessage
from models.reporting import Extension, Report
from models.units import Unit
from web import create_app

SKHCN, STC, LEADER = "Sở Khoa học và Công nghệ", "Sở Tài chính", "Hoàng Minh Cường"
NOW = pendulum.datetime(2025, 9, 29, 10, tz=TZ)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SECRETS = ["skhcn@haiphong.gov.vn", "vanthu", "Mk-bi-mat", "hook.skhcn.example", "pct@haiphong.gov.vn",
           "0912345678", "mailto", "json://", "zalo://"]
CONTACTS = {
    "units": {SKHCN: ["mailto://vanthu:Mk-bi-mat@smtp.example.vn?to=skhcn@haiphong.gov.vn",
                      "json://hook.skhcn.example/bao-cao"],
              STC: ["zalo://1234567890/0912345678"]},
    "people": {LEADER: ["mailto://smtp.example.vn?to=pct@haiphong.gov.vn"]},
}


@dataclass
class Site:
    env: object
    client: TestClient
    token: str  # SKHCN's link for directive 9395/VP-VX, as the chase's message carries it
    lead: uuid.UUID  # SKHCN leads task 1 (due 30/9/2025)
    coordinating: uuid.UUID  # SKHCN coordinates task 2
    other: uuid.UUID  # STC leads task 2: not SKHCN's

    @property
    def page(self) -> str:
        return f"/bao-cao/{self.token}"

    def report_url(self, aid: uuid.UUID, token: str | None = None) -> str:
        return f"/bao-cao/{token or self.token}/nhiem-vu/{aid}/bao-cao"

    def extension_url(self, aid: uuid.UUID, token: str | None = None) -> str:
        return f"/bao-cao/{token or self.token}/nhiem-vu/{aid}/gia-han"


def assignment_id(session, unit: str, task: str) -> uuid.UUID:
    return session.exec(select(Assignment.id).join(Task).join(Unit).where(Unit.name == unit, Task.ref == task)).one()


def token_of(env, unit: str) -> str:
    """The report link the chase put in the unit's message."""
    with session_scope(env.url) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == f"unit:{unit}")).first()
    return re.search(r"/bao-cao/([0-9a-f]{32}\.[0-9]+\.[A-Za-z0-9_-]+)", json.dumps(row.payload))[1]


@pytest.fixture(name="site")
def site_fixture(sqlite_settings) -> Site:
    env = issue_example(write_contacts(sqlite_settings, CONTACTS))
    with session_scope(env.url) as session:
        plan_chase(session=session, as_of=pendulum.datetime(2025, 9, 29, 8, tz=TZ), planning=planning_of(env),
                   actor="test")
        ids = [assignment_id(session, SKHCN, "1"), assignment_id(session, SKHCN, "2"), assignment_id(session, STC, "2")]
    client = TestClient(create_app(settings=env.settings, clock=lambda: NOW), follow_redirects=False)
    return Site(env, client, token_of(env, SKHCN), *ids)


site = site_fixture  # modules import either name; the fixture is "site" (importing site_fixture keeps ruff quiet)


def snapshot(site: Site) -> tuple:
    """Everything a refused request must leave as it was."""
    with session_scope(site.env.url) as session:
        counts = tuple(session.exec(select(func.count()).select_from(table)).one()
                       for table in (Report, Extension, Event, OutboxMessage))
        statuses = tuple(session.exec(select(Assignment.status).order_by(Assignment.id)).all())
    root = site.env.settings.evidence_dir
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
    return counts, statuses, files


def report(**fields) -> dict:
    return {"progress": "60", "done_text": "Đã rà soát 45/114 xã, phường", "difficulties": "", "proposals": "",
            "links": ""} | fields


def pdf(name: str = "ket-qua.pdf", content: bytes = PDF) -> tuple:
    return ("files", (name, content, "application/pdf"))


def text_of(response) -> str:
    """The page's text with tags removed and entities kept, to find messages however they are marked up."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
