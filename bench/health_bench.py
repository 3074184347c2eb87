"""Health bench: HealthMonitor's cost per event and per sample on a session-like mix.

Run: .venv/bin/python bench/health_bench.py [--quick]
Prints microseconds per event folded (target < 20 µs) at the start and at the end of a long
session, side by side, so a cost that grows with the session's age shows as a ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from store_bench import realistic_mix  # noqa: E402

from cockpit.health.monitor import HealthMonitor  # noqa: E402


def fold_time(monitor: HealthMonitor, events: list[object]) -> float:
    """Seconds to fold `events`, sampling once per 20 events (a turn)."""
    start = time.perf_counter()
    fold = monitor.fold
    for i, event in enumerate(events):
        fold(event)  # type: ignore[arg-type]
        if i % 20 == 19:
            monitor.sample()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (for the smoke test)")
    args = parser.parse_args()
    n = 20_000 if args.quick else 100_000
    events = realistic_mix(n)
    chunk = events[: n // 10]
    monitor = HealthMonitor()
    first = fold_time(monitor, chunk)
    fold_time(monitor, events)  # the session ages
    last = fold_time(monitor, chunk)
    per_first, per_last = first / len(chunk) * 1e6, last / len(chunk) * 1e6
    print(f"health_bench: {n:,} events (+{2 * len(chunk):,} timed), one sample per 20 events")
    print(f"  per event, young session   {per_first:.2f} µs  (target < 20)")
    print(f"  per event, after {n:,}  {per_last:.2f} µs  (ratio {per_last / per_first:.2f})")


if __name__ == "__main__":
    main()
