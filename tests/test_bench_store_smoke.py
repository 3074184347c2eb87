"""The store bench runs end to end in its quick mode and prints its figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "store_bench.py"


def test_store_bench_quick_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert re.search(r"append: [\d,]+ events/s", out)
    assert re.search(
        r"open\+verify: [\d,]+ events .* in [\d.]+ s, chain ok=True, peak RSS \d+ MB", out
    )
    assert re.search(r"ls: 10 session files in [\d.]+ s", out)
