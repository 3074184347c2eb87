"""Policy bench: classification time per tool call over the labelled corpus (median, p99).

Run: .venv/bin/python bench/policy_bench.py [--quick] [--rounds N]
"Cold" clears the parse caches before every call (a command seen for the first time);
"warm" repeats calls already seen (an agent re-running the same command).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "policy"))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def _clear_caches() -> None:
    from cockpit.policy import rules, shell, sql

    shell._parse.cache_clear()
    sql.statements.cache_clear()
    rules._positionals.cache_clear()
    rules._flags.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="one round (for the smoke test)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the corpus")
    args = parser.parse_args()
    rounds = 1 if args.quick else max(1, args.rounds)

    from test_risk_corpus import DEMO_WORKSPACE, load_corpus

    from cockpit.policy.loader import load_policy
    from cockpit.policy.risk import classify

    cases = load_corpus()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "pipeline"
        shutil.copytree(DEMO_WORKSPACE, ws)
        t0 = time.perf_counter()
        load_policy(ws)
        load_ms = (time.perf_counter() - t0) * 1000
        classify("bash", {"command": "ls"}, ws)  # imports, first parse
        cold: list[float] = []
        warm: list[float] = []
        for _ in range(rounds):
            for case in cases:
                _clear_caches()
                t = time.perf_counter()
                classify(case.tool, case.input, ws)
                cold.append((time.perf_counter() - t) * 1000)
            for case in cases:
                t = time.perf_counter()
                classify(case.tool, case.input, ws)
                warm.append((time.perf_counter() - t) * 1000)
    print(
        f"policy bench: {len(cases)} corpus calls x {rounds} rounds; policy load {load_ms:.1f} ms"
    )
    for name, values in (("cold", cold), ("warm", warm)):
        print(
            f"{name}: median {statistics.median(values):.3f} ms, "
            f"p99 {_percentile(values, 0.99):.3f} ms, max {max(values):.3f} ms "
            f"over {len(values)} calls"
        )


if __name__ == "__main__":
    main()
