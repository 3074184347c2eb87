"""The resume bench runs in its quick mode and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "resume_bench.py"


def test_resume_bench_quick_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "open to first screen" in proc.stdout and "peak RSS" in proc.stdout
