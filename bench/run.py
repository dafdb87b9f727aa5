"""`make bench` (or `python -m bench.run [--quick] [--data DIR]`): every measure of issue 7, as a table.

Each measure runs in a fresh process; generated databases are kept in the data folder (by shape and seed) so
a second run skips generation. `--quick` uses small sizes: it checks that everything runs, not the goals.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import postgres
from bench.generate import GENERATION, Shape, generate
from bench.postgres import pg_bin, postgres_server
from models.db import engine_for

FULL = {"chase": (1_000_000, 50_000), "small": (100_000, 5_000), "large": (1_000_000, 5_000), "messages": 3000,
        "naive": 1000, "appendix": 1000}
QUICK = {"chase": (20_000, 1_000), "small": (2_000, 100), "large": (20_000, 100), "messages": 200, "naive": 50,
         "appendix": 20}


@dataclass
class Row:
    what: str
    value: float | None  # SQLite
    unit: str
    goal: float
    higher_is_better: bool = False
    note: str = ""
    pg: float | None = None  # the same measure on PostgreSQL, when it was run there
    judged: bool = True  # False: shown for scale, the goal is judged on another row
    exact: bool = True  # False: a message was lost or sent twice, which fails the row however fast it went

    def ratio(self, value: float | None) -> float | None:
        return None if value is None else value / self.goal

    def met(self, value: float) -> bool:
        return value >= self.goal if self.higher_is_better else value <= self.goal

    @property
    def verdict(self) -> str:
        measured = [v for v in (self.value, self.pg) if v is not None]
        if not measured:
            return "not measured"
        if not self.exact:
            return "FAIL"
        if not self.judged:
            return "(for scale)"
        return "pass" if all(self.met(v) for v in measured) else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks that it runs")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / ".data", help="generated databases")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    sqlite = {shape: {"db": str(database(args.data, Shape(*sizes[shape])))} for shape in ("chase", "small", "large")}
    rows = measure(sizes, sqlite)
    if not args.no_postgres and pg_bin() is not None:
        with postgres_server(args.data / "postgres") as server:
            on_pg = {shape: {"pg": server, "name": database_pg(server, args.data, Shape(*sizes[shape]))}
                     for shape in ("chase", "small", "large")}
            for row, pg_row in zip(rows, measure(sizes, on_pg), strict=True):
                row.pg, row.exact = pg_row.value, row.exact and pg_row.exact
                if pg_row.note != row.note:
                    row.note = f"{row.note}; PostgreSQL: {pg_row.note}" if row.note else f"PostgreSQL: {pg_row.note}"
    print(table(rows, quick=args.quick))
    # quick sizes say nothing of the goals, but a lost or doubled message is wrong at any size
    if any(r.verdict == "FAIL" and not (args.quick and r.exact) for r in rows):
        sys.exit(1)


def measure(sizes: dict, db: dict[str, dict]) -> list[Row]:
    """Every measure over the generated databases of one backend (`db`: shape → where it is)."""
    big = _child("chase", **db["chase"])
    small = _child("chase", **db["small"])
    large = _child("chase", **db["large"])
    rows = [
        Row(f"chase: {_n(sizes['chase'][0])} open, {_n(sizes['chase'][1])} due", big["seconds"], "s", 30,
            note=f"{big['messages']} messages"),
        Row("chase growth: 10× open, same due", large["seconds"] / small["seconds"], "×", 1.2,
            note=f"{small['seconds']:.2f} s → {large['seconds']:.2f} s"),
        Row(f"chase peak memory at {_n(sizes['chase'][0])}", big["peak_mb"], "MB", 600),
    ]
    fresh = {k: v for k, v in db["chase"].items() if k != "name"}  # dispatch starts from an empty database
    for channel in ("json", "smtp"):
        # the goal is judged as deployments run it, one dispatcher per core; one process is shown for scale
        cores = os.cpu_count() or 1
        for processes in sorted({1, cores}):
            sent = _child("dispatch", **fresh, channel=channel, count=sizes["messages"], processes=processes)
            exact = "each once" if sent["arrived_keys"] == sent["sent"] == sizes["messages"] else "LOST OR DOUBLED"
            rows.append(Row(f"dispatch {channel}: {sizes['messages']} messages, {processes} process(es)",
                            sent["sent"] / sent["seconds"], "msg/s", 2000, higher_is_better=True,
                            note=exact if processes == cores else f"{exact}; for scale (goal: one per core)",
                            judged=processes == cores, exact=exact == "each once"))
    mon = _child("monitoring", **db["chase"])
    rows.append(Row(f"monitoring over {_n(sizes['chase'][0])}, Excel written", mon["seconds"], "s", 3,
                    note="fastest of " + " / ".join(f"{t:.2f}" for t in mon["runs"]) + " s"))
    runs = _child("prefect", **db["small"], count=sizes["naive"])
    rows += [Row(f"dispatch vs one Prefect task per message ({sizes['naive']})", runs["ratio"], "×", 50,
                 higher_is_better=True, note=f"{runs['naive_seconds']:.1f} s vs {runs['batch_seconds']:.2f} s"),
             Row(f"empty chase, warm server ({_n(sizes['small'][0])} open)", runs["empty_seconds"], "s", 2)]
    imported = _child("import_appendix", **fresh, rows=sizes["appendix"])
    rows.append(Row(f"import {_n(sizes['appendix'])}-row appendix to all communes", imported["seconds"], "s", 5,
                    note=f"{imported['assignments']:,} assignments, {imported['cpu_seconds']:.2f} s CPU"))
    return rows


def database(data: Path, shape: Shape) -> Path:
    """The generated SQLite database of this shape (made once, then reused; a new generation gets a new folder)."""
    folder = data / _name(shape)
    if not (folder / "done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "bench.db").unlink(missing_ok=True)
        os.environ["DONDOC_STATE_DIR"] = str(folder)
        made = generate(f"sqlite:///{folder}/bench.db", shape)
        (folder / "done").write_text(json.dumps(made))
    return folder


def database_pg(server: str, data: Path, shape: Shape) -> str:
    """The generated PostgreSQL database of this shape (made once, kept in the server's data folder)."""
    name, done = _name(shape), data / "postgres" / f"{_name(shape)}.done"
    if not (done.exists() and postgres.exists(server, name)):
        postgres.admin(server, f'DROP DATABASE IF EXISTS "{name}"')
        postgres.admin(server, f'CREATE DATABASE "{name}"')
        os.environ["DONDOC_STATE_DIR"] = str(data / "postgres")
        url = f"{server}/{name}"
        made = generate(url, shape)
        engine_for(url).dispose()  # a template database must have no connections
        done.write_text(json.dumps(made))
    return name


def _name(shape: Shape) -> str:
    return f"open{shape.open}-due{shape.due}-seed{shape.seed}-g{GENERATION}"


def _child(what: str, **args) -> dict:
    """One measure in a fresh process; its JSON answer."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "bench.child", what, json.dumps(args)], cwd=root,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench: the {what} measure failed ({args}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[Row], *, quick: bool) -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    head = (f"dondoc bench{' (quick: sizes too small for the goals)' if quick else ''} — "
            f"{os.cpu_count()} cores, {memory:.1f} GiB memory, Python {sys.version.split()[0]}")
    lines = [head, "",
             (f"| {'what':<50} | {'SQLite':>14} | {'PostgreSQL':>14} | {'goal':>13} | {'ratio':>11} | "
              f"{'result':<12} | note"),
             f"|{'-' * 52}|{'-' * 16}|{'-' * 16}|{'-' * 15}|{'-' * 13}|{'-' * 14}|------"]
    for r in rows:
        values = ["—" if v is None else f"{v:,.2f} {r.unit}" for v in (r.value, r.pg)]
        goal = f"{'≥' if r.higher_is_better else '≤'} {r.goal:,.6g} {r.unit}"
        ratio = " / ".join(f"{x:.2f}" for x in (r.ratio(r.value), r.ratio(r.pg)) if x is not None) or "—"
        lines.append(f"| {r.what:<50} | {values[0]:>14} | {values[1]:>14} | {goal:>13} | {ratio:>11} | "
                     f"{r.verdict:<12} | {r.note}")
    return "\n".join(lines)


def _n(count: int) -> str:
    return f"{count:,}"


if __name__ == "__main__":
    main()
