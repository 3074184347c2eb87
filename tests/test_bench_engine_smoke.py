"""The engine bench runs end to end in its quick mode and prints its figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "engine_bench.py"


def test_engine_bench_quick_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert re.search(r"1 session, 5,000 deltas: [\d,]+ deltas/s .* peak RSS \d+ MB", out)
    assert re.search(r"8 concurrent sessions.* 0 errors, 8/8 complete", out)
