"""The UI bench runs end to end in its quick mode and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "ui_bench.py"


def test_ui_bench_quick_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for label in ("latency", "median", "p95", "CPU", "first paint"):
        assert label in proc.stdout
    assert "[anthropic imported!]" not in proc.stdout
