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

from bench.generate import GENERATION, Shape, generate

FULL = {"chase": (1_000_000, 50_000), "small": (100_000, 5_000), "large": (1_000_000, 5_000), "messages": 3000}
QUICK = {"chase": (20_000, 1_000), "small": (2_000, 100), "large": (20_000, 100), "messages": 200}


@dataclass
class Row:
    what: str
    value: float | None
    unit: str
    goal: float
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.value is None else self.value / self.goal

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "not measured"
        ok = self.value >= self.goal if self.higher_is_better else self.value <= self.goal
        return "pass" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks that it runs")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / ".data", help="generated databases")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    rows = measure(sizes, args.data)
    print(table(rows, quick=args.quick))
    if not args.quick and any(r.verdict == "FAIL" for r in rows):
        sys.exit(1)


def measure(sizes: dict, data: Path) -> list[Row]:
    chase_db = database(data, Shape(*sizes["chase"]))
    big = _child("chase", db=str(chase_db))
    small = _child("chase", db=str(database(data, Shape(*sizes["small"]))))
    large = _child("chase", db=str(database(data, Shape(*sizes["large"]))))
    rows = [
        Row(f"chase: {_n(sizes['chase'][0])} open, {_n(sizes['chase'][1])} due (SQLite)", big["seconds"], "s", 30,
            note=f"{big['messages']} messages"),
        Row("chase growth: 10× open, same due", large["seconds"] / small["seconds"], "×", 1.2,
            note=f"{small['seconds']:.2f} s → {large['seconds']:.2f} s"),
        Row(f"chase peak memory at {_n(sizes['chase'][0])}", big["peak_mb"], "MB", 600),
    ]
    for channel in ("json", "smtp"):
        for processes in (1, os.cpu_count() or 1):
            sent = _child("dispatch", channel=channel, count=sizes["messages"], processes=processes)
            exact = "each once" if sent["arrived_keys"] == sent["sent"] == sizes["messages"] else "LOST OR DOUBLED"
            rows.append(Row(f"dispatch {channel}: {sizes['messages']} messages, {processes} process(es)",
                            sent["sent"] / sent["seconds"], "msg/s", 2000, higher_is_better=True, note=exact))
            if processes == (os.cpu_count() or 1):
                break
    mon = _child("monitoring", db=str(chase_db))
    rows.append(Row(f"monitoring over {_n(sizes['chase'][0])}, Excel written", mon["seconds"], "s", 3))
    rows += [Row("dispatch vs one Prefect task per message", None, "×", 50, higher_is_better=True),
             Row("empty chase, warm server", None, "s", 2),
             Row("import 1,000-row appendix to all communes", None, "s", 5)]
    return rows


def database(data: Path, shape: Shape) -> Path:
    """The generated database of this shape (made once, then reused; a new generation gets a new folder)."""
    folder = data / f"open{shape.open}-due{shape.due}-seed{shape.seed}-g{GENERATION}"
    if not (folder / "done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "bench.db").unlink(missing_ok=True)
        os.environ["DONDOC_STATE_DIR"] = str(folder)
        made = generate(f"sqlite:///{folder}/bench.db", shape)
        (folder / "done").write_text(json.dumps(made))
    return folder


def _child(what: str, **args) -> dict:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-m", "bench.child", what, json.dumps(args)], cwd=root, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[Row], *, quick: bool) -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [f"dondoc bench{' (quick: sizes too small for the goals)' if quick else ''} — "
             f"{os.cpu_count()} cores, {memory:.1f} GiB memory, Python {sys.version.split()[0]}", "",
             f"| {'what':<52} | {'measured':>14} | {'goal':>12} | {'ratio':>6} | {'result':<12} | note",
             f"|{'-' * 54}|{'-' * 16}|{'-' * 14}|{'-' * 8}|{'-' * 14}|------"]
    for r in rows:
        value = "—" if r.value is None else f"{r.value:,.2f} {r.unit}"
        goal = f"{'≥' if r.higher_is_better else '≤'} {r.goal:,.6g} {r.unit}"
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(f"| {r.what:<52} | {value:>14} | {goal:>12} | {ratio:>6} | {r.verdict:<12} | {r.note}")
    return "\n".join(lines)


def _n(count: int) -> str:
    return f"{count:,}"


if __name__ == "__main__":
    main()
