"""Engine bench: streamed deltas/s end to end (SDK + engine + session file) and peak RSS.

Run: .venv/bin/python bench/engine_bench.py [--quick] [--deltas N]
Each measurement runs in a fresh child process so that its peak RSS is its own.
One session receives a single N-delta response with pacing off; then 8 sessions do the
same concurrently on one scripted server (one event loop, as in the cockpit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

for _var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
    os.environ.pop(_var, None)


def _peak_rss_mb() -> float:
    """VmHWM of this process (ru_maxrss would include the parent's figure after fork+exec)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _measure(sessions: int, deltas: int) -> dict[str, float]:
    import tomllib

    from cockpit.engine.client import Backend, scripted_client
    from cockpit.engine.session import AgentSession
    from cockpit.scripted.scenario import SCRIPTED_MODEL_PREFIX, parse_scenario
    from cockpit.scripted.server import ScriptedServer
    from cockpit.store.session_file import SessionStore

    scenario = parse_scenario(
        tomllib.loads(
            f"""
[scenario]
name = "bench"
goal = "Stream one very long answer."
demo = false
pace = {{ first_token_ms = 0, tokens_per_s = 100000 }}

[[turn]]
text_repeat = "lorem "
deltas = {deltas}
"""
        ),
        "bench.toml",
    )
    server = ScriptedServer({"bench": scenario}, speed=0)
    await server.start()
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as tmp:
        workspace = Path(tmp) / "ws"
        workspace.mkdir()
        runs = []
        for i in range(sessions):
            store = await SessionStore.create(Path(tmp) / f"s{i}.cockpit")
            backend = Backend(scripted_client(server), SCRIPTED_MODEL_PREFIX + "bench", "scripted")
            runs.append(
                AgentSession.new(
                    store, backend, goal=f"bench {i}", workspace=workspace, thinking_budget=0
                )
            )
        started = time.perf_counter()
        statuses = await asyncio.gather(*(s.wait() for s in runs), return_exceptions=True)
        elapsed = time.perf_counter() - started
        errors = sum(1 for s in statuses if s != "done")
        text_ok = 0
        for session in runs:
            final = [e for e in session.events if e.kind == "model_response"]
            if final and len(final[-1].content[0]["text"]) == deltas * len("lorem "):  # type: ignore[union-attr]
                text_ok += 1
            await session.store.close()
            await session.backend.client.close()
    await server.stop()
    return {
        "sessions": sessions,
        "deltas": deltas,
        "seconds": elapsed,
        "deltas_per_s": sessions * deltas / elapsed,
        "errors": errors,
        "complete": text_ok,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _child(sessions: int, deltas: int) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(sessions), "--deltas", str(deltas)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"engine bench child failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for the test suite")
    parser.add_argument("--deltas", type=int, default=None)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    deltas = args.deltas or (5_000 if args.quick else 200_000)
    if args.child:
        print(json.dumps(asyncio.run(_measure(args.child, deltas))))
        return
    one = _child(1, deltas)
    print(
        f"engine_bench: 1 session, {deltas:,} deltas: {one['deltas_per_s']:,.0f} deltas/s "
        f"({one['seconds']:.2f} s), peak RSS {one['peak_rss_mb']:.0f} MB "
        f"[target >= 40,000/s, < 150 MB]"
    )
    many = _child(8, deltas)
    print(
        f"engine_bench: 8 concurrent sessions, {deltas:,} deltas each: "
        f"{many['deltas_per_s']:,.0f} deltas/s total ({many['seconds']:.2f} s), "
        f"peak RSS {many['peak_rss_mb']:.0f} MB, {int(many['errors'])} errors, "
        f"{int(many['complete'])}/8 complete"
    )
    if one["errors"] or many["errors"] or many["complete"] != 8:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
