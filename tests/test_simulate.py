"""`dondoc simulate`: the example letter's window replayed through the real flows into local sinks."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date

import pendulum
import pytest

from conftest import EXAMPLES, TZ, issue_example, make_cli, write_contacts
from flows.simulate import simulate
from models.db import session_scope
from models.queries import directive_timeline
from test_reminders import LEADER, LETTER_WINDOW, SKHCN

pytestmark = pytest.mark.prefect


def test_the_letter_window_sends_exactly_what_the_policy_implies(prefect_server, dondoc_env):
    # Real contacts decide which sink a recipient's messages go to: mail, or the HTTP sink for the rest.
    env = issue_example(write_contacts(dondoc_env, {
        "units": {SKHCN: ["mailto://vanthu:pw@mail.haiphong.gov.vn?to=skhcn@haiphong.gov.vn"]},
        "people": {LEADER: ["mailto://vanthu:pw@mail.haiphong.gov.vn?to=pct@haiphong.gov.vn"]},
    }))
    sim = simulate(ref="9395/VP-VX", start=date(2025, 9, 27), end=date(2025, 10, 22))

    assert sim.runs == 18 and sim.planned == sim.delivered and sim.undelivered == []  # 18 working days, 08:00
    with session_scope(env.url) as session:
        _, _, planned = directive_timeline(session=session, ref="9395/VP-VX", until=date(2025, 10, 22),
                                           calendar=env.calendar, policies=env.policies)
    # what arrived is what the policy implies, message for message
    assert [{k: m[k] for k in ("to", "at", "items")} for m in sim.messages] == [m.as_json() for m in planned]

    got = [(pendulum.parse(m["at"]).in_timezone(TZ).strftime("%d/%m"), m["to"],
            tuple((i["task"], i["kind"]) for i in m["items"])) for m in sim.messages]
    assert [g for g in got if g[1] in {r for _, r, _ in LETTER_WINDOW}] == LETTER_WINDOW
    communes = defaultdict(Counter)
    for day, to, items in got:
        if to.startswith(("Xã", "Phường", "Đặc khu")):
            communes[day][items] += 1
    assert len(communes) == 18
    assert communes["29/09"] == {(("1", "notice"), ("3", "notice"), ("3", "due")): 114}
    assert all(c == {(("3", "due"),): 114} for day, c in communes.items() if day != "29/09")
    by_channel = {m["to"]: m["channels"] for m in sim.messages}
    assert by_channel[SKHCN] == ["email"] and by_channel[LEADER] == ["email"]
    assert by_channel["Sở Tài chính"] == ["webhook"]  # no contact yet: shown through the HTTP sink


def test_simulate_command_on_a_draft_and_its_errors(prefect_server, tmp_path):
    cli = make_cli(tmp_path / "state", PREFECT_API_URL=prefect_server)
    draft = json.loads(cli("import", str(EXAMPLES / "002-cong-van-du-thao.yaml"), "--json", check=True).stdout)
    refused = cli("simulate", draft["id"][:8], "--to", "2025-10-01")
    assert refused.returncode == 1 and "--issued-at" in refused.stderr
    done = cli("simulate", draft["id"][:8], "--issued-at", "2025-09-29T10:00", "--to", "2025-09-30", "--json",
               check=True)
    sim = json.loads(done.stdout)
    assert sim["runs"] == 2 and sim["planned"] == sim["delivered"]  # the notices at 10:00, the chase on 30/9
    first = next(m for m in sim["messages"] if m["to"] == "Sở Khoa học và Công nghệ")
    assert first["at"] == "2025-09-29T10:00:00+07:00"
    assert first["items"] == [{"task": "1", "kind": "notice"}, {"task": "2", "kind": "notice"}]
    assert json.loads(cli("status", "--json", check=True).stdout)["outbox"]["counts"] == {}  # real database untouched
    table = cli("simulate", draft["id"][:8], "--issued-at", "2025-09-29T10:00", "--to", "2025-09-30", check=True).stdout
    assert "114 nơi nhận" in table and "mục 3: đến hạn" in table
