"""The soak's city: the example directives on their own dates, and more written as an office writes them (YAML
files for `dondoc import`), issued on working days through the year; every recipient's contacts point at the
sinks' faulty ports, some by email, some by webhook, some both."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pendulum
import yaml

from bench.generate import CONTENTS, ISSUERS, LEADERS  # the bench's city: the same names and tasks
from domain.policy import TZ
from domain.workdays import WorkCalendar
from soak.sinks import SinkProcess

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
COMMUNES = "UBND các xã, phường, đặc khu"


@dataclass(frozen=True)
class Issuance:
    """A directive that comes in at `at`: imported (issued when it has number and date), or a draft issued
    then with `number`."""

    at: datetime
    path: Path
    header: Path | None = None
    number: str | None = None


def examples(start: date, end: date) -> list[Issuance]:
    """The three examples of the repository, on the dates they carry (or were signed)."""
    def at(y: int, m: int, d: int, h: int) -> datetime:
        return pendulum.datetime(y, m, d, h, tz=TZ)

    return [i for i in (
        Issuance(at(2025, 9, 29, 10), EXAMPLES / "002-cong-van-du-thao.yaml", number="9395/VP-VX"),
        Issuance(at(2025, 10, 20, 9), EXAMPLES / "003-ke-hoach-01-KH-BCD.xlsx",
                 EXAMPLES / "003-ke-hoach-01-KH-BCD.yaml"),
        Issuance(at(2026, 1, 5, 9), EXAMPLES / "004-chuong-trinh-2026.xlsx", EXAMPLES / "004-chuong-trinh-2026.yaml",
                 number="05-CTr/BCĐ"),
    ) if start <= i.at.date() <= end]


def generated(rng: random.Random, *, start: date, end: date, per_month: float, folder: Path,
              departments: list[str], calendar: WorkCalendar, max_tasks: int) -> list[Issuance]:
    """About `per_month` directives a month, each issued at 9–11 h of a working day, written to `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    out, day, n = [], start, 0
    chance = per_month / 21  # working days in a month
    while day <= end:
        if calendar.is_working_day(day) and rng.random() < chance:
            n += 1
            issued = pendulum.instance(datetime.combine(day, time(rng.randint(9, 10), rng.choice((0, 15, 30)))), tz=TZ)
            path = folder / f"van-ban-{n:03d}.yaml"
            path.write_text(yaml.safe_dump(_directive(rng, n, issued.date(), departments, max_tasks),
                                           allow_unicode=True, sort_keys=False), encoding="utf-8")
            out.append(Issuance(issued, path))
        day += timedelta(days=1)
    return out


def _directive(rng: random.Random, n: int, issued_on: date, departments: list[str], max_tasks: int) -> dict:
    tasks = []
    for ref in range(1, rng.randint(3, max_tasks) + 1):
        roll = rng.random()
        lead = [COMMUNES] if roll < 0.25 else rng.sample(departments, 3) if roll < 0.5 else [rng.choice(departments)]
        due = issued_on + timedelta(days=rng.randint(7, 90))
        deadline = "hằng tháng" if rng.random() < 0.08 else f"trước ngày {due.day}/{due.month}/{due.year}"
        task = {"ref": str(ref), "content": rng.choice(CONTENTS), "lead": lead, "deadline": deadline}
        if rng.random() < 0.3:
            task["coordinating"] = [rng.choice([d for d in departments if d not in lead])]
        if rng.random() < 0.2:
            task["leader_in_charge"] = f"Phó Chủ tịch UBND thành phố {rng.choice(LEADERS)}"
        tasks.append(task)
    return {"number": f"{100 + n}/KH-UBND", "kind": "ke_hoach", "issued_on": issued_on.isoformat(),
            "issuer": rng.choice(ISSUERS), "subject": f"Kế hoạch thực hiện nhiệm vụ chuyển đổi số đợt {n}",
            "leader_in_charge": f"Phó Chủ tịch UBND thành phố {rng.choice(LEADERS)}", "reminder_policy":
            "khan" if rng.random() < 0.1 else "default", "tasks": tasks}


def contacts(rng: random.Random, sinks: SinkProcess, units: list[tuple[str, str]]) -> dict:
    """Every unit (ref, name), leader and issuing office reachable through the faulty ports of the sinks."""
    def some(box: str) -> list[str]:
        roll = rng.random()
        mail, hook = sinks.smtp_url(f"{box}@haiphong.gov.vn"), sinks.http_url(box)
        return [mail] if roll < 0.15 else [hook] if roll < 0.85 else [mail, hook]  # email is the slower sink

    return {"units": {ref: some(f"don-vi-{i}") for i, (ref, _) in enumerate(units)},
            "people": {name: some(f"lanh-dao-{i}") for i, name in enumerate(LEADERS)},
            "offices": {name: [sinks.http_url(f"co-quan-{i}")] for i, name in enumerate(ISSUERS)}}
