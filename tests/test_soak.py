"""`make soak` in its quick form: a few weeks of chases with every kind of fault, in its own processes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_a_quick_soak_loses_nothing_and_duplicates_nothing(tmp_path):
    done = subprocess.run([sys.executable, "-m", "soak", "--days", "20", "--minutes", "3", "--per-month", "8",
                           "--max-tasks", "12", "--keep", str(tmp_path)],
                          check=False, cwd=ROOT, capture_output=True, text=True, timeout=600)
    report = done.stdout
    assert done.returncode == 0, report + done.stderr[-3000:]
    assert "dondoc soak: 20 simulated days" in report and "result: OK" in report and "FAIL" not in report
    # the faults did happen: processes killed holding claims, sinks out for hours, chases at once
    killed = int(re.search(r"killed \(SIGKILL\): (\d+) processes", report)[1])
    held = int(re.search(r"keys in a killed process's claim: (\d+)", report)[1])
    assert killed >= 2 and held > 0 and "sink outages: none" not in report
    assert re.search(r"chases \(([1-9]\d*) two at once\)", report)
    assert re.search(r"lost: 0$", report, re.MULTILINE) and "re-sends beyond them: 0; unknown keys: 0" in report
