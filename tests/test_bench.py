"""The benchmark suite runs (quick sizes): every measure prints a row, and dispatch delivers each message once."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bench.generate import GENERATION

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data():
    """Not under pytest's tmp folders: they are private to root, and PostgreSQL's server runs as `postgres`."""
    folder = Path(tempfile.mkdtemp(prefix="dondoc-bench-test-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_quick_bench_prints_every_measure_and_delivers_each_message_once(data):
    tmp_path = data
    done = subprocess.run([sys.executable, "-m", "bench.run", "--quick", "--data", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "cores" in out and "GiB memory" in out
    for what in ("chase: 20,000 open", "chase growth", "chase peak memory", "dispatch json", "dispatch smtp",
                 "monitoring over 20,000", "dispatch vs one Prefect task per message", "empty chase, warm server",
                 "import 20-row appendix to all communes"):
        assert what in out
    assert " PostgreSQL |" in out and "—" not in out.split("chase: 20,000 open")[1].split("\n")[0]  # both columns
    assert out.count("each once") >= 2 and "LOST OR DOUBLED" not in out
    # a second run reuses the data; a new generation of the generator gets a new folder
    assert (tmp_path / f"open20000-due1000-seed2026-g{GENERATION}" / "done").exists()
