"""The checkpoint bench runs in its quick mode and prints its figures beside git's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "checkpoint_bench.py"


def test_checkpoint_bench_quick_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "incremental (10 files)" in proc.stdout and "rollback (10 files)" in proc.stdout
