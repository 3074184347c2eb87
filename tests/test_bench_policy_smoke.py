"""The policy bench runs in its quick mode and prints its figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "policy_bench.py"


def test_policy_bench_quick_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert re.search(r"policy bench: \d+ corpus calls x 1 rounds", out)
    assert re.search(r"cold: median [\d.]+ ms, p99 [\d.]+ ms", out)
    assert re.search(r"warm: median [\d.]+ ms, p99 [\d.]+ ms", out)
