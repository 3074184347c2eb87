"""UI bench: 8 sessions streaming Markdown at 200 tokens/s each; keypress latency, CPU, start-up.

Run: .venv/bin/python bench/ui_bench.py [--quick]
Latency is measured from posting a Key event to the first refresh after its handler ran
(call_after_refresh), not with Pilot.press (which adds its own waiting).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual import events

from cockpit.engine.replay import ReplayControl
from cockpit.events import (
    Event,
    ModelRequest,
    ModelResponse,
    SessionStarted,
    TextDelta,
    ToolCallProposed,
    ToolFinished,
    ToolOutput,
    ToolStarted,
    Usage,
    UserMessage,
)
from cockpit.ui.app import CockpitApp
from cockpit.ui.screens.main import MainScreen

SESSIONS = 8
TOKENS_PER_S = 200
DELTA_EVERY_S = 0.05  # the engine coalesces wire deltas into ~20 events/s
CHARS_PER_TOKEN = 4

PARAGRAPHS = [
    "## Looking at partition {n}\n\n",
    "The loader read **{n} files** from `landing/` and the row counts match the manifest, "
    "so the problem is further down the pipeline. ",
    "I'll check the transform step next, because the schema changed last week and "
    "the `customer_id` column may have been renamed upstream.\n\n",
    "- orders: 1,204 rows\n- customers: 311 rows\n- refunds: *none* (expected a few)\n\n",
    "```python\nrows = [transform(r) for r in reader]\nassert len(rows) == expected\n```\n\n",
    "That confirms it. Moving on to the next check with a slightly longer explanation "
    "so that paragraphs wrap over several lines in a narrow pane, as real answers do.\n\n",
]


def streaming_events(session: int, seconds: float) -> list[Event]:
    """A session that streams Markdown at TOKENS_PER_S for `seconds`, with a tool call per turn."""
    sid = f"s{session}"
    ts = 1_000.0
    out: list[Event] = [
        SessionStarted(
            session_id=sid,
            ts=ts,
            title=f"stream-{session}",
            goal="Stream Markdown at 200 tokens/s for the bench.",
            model="claude-sonnet-4-5",
            backend="scripted",
            workspace="/tmp",
        ),
        UserMessage(session_id=sid, ts=ts, text="go", source="goal"),
    ]
    chunk = int(TOKENS_PER_S * DELTA_EVERY_S * CHARS_PER_TOKEN)
    turn = 0
    end = ts + seconds
    while ts < end:
        turn += 1
        out.append(ModelRequest(session_id=sid, ts=ts, turn=turn))
        text = "".join(p.format(n=turn + session) for p in PARAGRAPHS)
        for i in range(0, len(text), chunk):
            ts += DELTA_EVERY_S
            out.append(
                TextDelta(session_id=sid, ts=ts, turn=turn, block_index=0, text=text[i : i + chunk])
            )
        tool_id = f"t{session}_{turn}"
        out.append(
            ModelResponse(
                session_id=sid,
                ts=ts,
                turn=turn,
                content=[{"type": "text", "text": text}],
                usage=Usage(input_tokens=2000 * turn, output_tokens=len(text) // 4),
            )
        )
        out.append(
            ToolCallProposed(
                session_id=sid,
                ts=ts,
                turn=turn,
                tool_use_id=tool_id,
                name="bash",
                input={"command": f"wc -l landing/p{turn}.csv"},
            )
        )
        out.append(ToolStarted(session_id=sid, ts=ts, tool_use_id=tool_id, name="bash"))
        ts += 0.1
        out.append(ToolOutput(session_id=sid, ts=ts, tool_use_id=tool_id, text="1204 rows\n" * 5))
        out.append(
            ToolFinished(
                session_id=sid,
                ts=ts,
                tool_use_id=tool_id,
                name="bash",
                content="1204 rows\n" * 5,
                exit_code=0,
                duration_ms=100,
            )
        )
    return out


async def measure(seconds: float, probes: int) -> dict[str, float]:
    controls = [ReplayControl(streaming_events(i, seconds + 5), speed=1.0) for i in range(SESSIONS)]
    app = CockpitApp(controls, theme="cockpit-dark", persist_theme=False)
    latencies: list[float] = []
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause(0.5)  # let the first frames and the streams start
        main = app.main
        assert isinstance(main, MainScreen)
        pending: dict[str, Any] = {}

        def probe(obj: Any, name: str) -> None:
            """Wrap a key's action: after it ran, resolve the probe at the next refresh."""
            original = getattr(obj, name)

            def wrapped(*args: Any) -> None:
                original(*args)
                start = pending.pop("t0", None)
                if start is not None:
                    fut = pending.pop("fut")
                    main.call_after_refresh(lambda: fut.set_result(time.perf_counter() - start))

            setattr(obj, name, wrapped)

        probe(main, "action_cycle")
        for entry in main.sessions.values():
            probe(entry.pane.transcript, "action_page_up")
            probe(entry.pane.transcript, "action_follow")
        keys = ["right_square_bracket", "pageup", "end"]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        interval = seconds / probes
        for i in range(probes):
            await asyncio.sleep(interval)
            fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            pending["fut"] = fut
            pending["t0"] = time.perf_counter()
            app.post_message(events.Key(keys[i % len(keys)], None))
            latencies.append(await asyncio.wait_for(fut, 5))
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        delivered = sum(len(c.events) for c in controls)
        items = sum(len(e.view.items) for e in main.sessions.values())
    latencies.sort()
    return {
        "median_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "max_ms": latencies[-1] * 1000,
        "cpu_cores": cpu,
        "events": delivered,
        "items": items,
    }


# The real `cockpit` entry point with no arguments (an empty cockpit and its new-session
# dialog), patched only to run headless and to exit on its first paint.
STARTUP_SCRIPT = """
import sys
import cockpit.ui.app as ui_app
_mount = ui_app.CockpitApp.on_mount
def on_mount(self):
    _mount(self)
    self.call_after_refresh(self.exit)
ui_app.CockpitApp.on_mount = on_mount
_run_async = ui_app.CockpitApp.run_async
async def run_async(self, **kwargs):
    kwargs["headless"] = True
    return await _run_async(self, **kwargs)
ui_app.CockpitApp.run_async = run_async
from cockpit.cli import main
main([])
sys.exit(1 if "anthropic" in sys.modules else 0)
"""


def startup_time(runs: int) -> tuple[float, bool]:
    """Seconds from starting `cockpit` (a fresh Python process) to its first paint."""
    times = []
    anthropic_loaded = False
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", STARTUP_SCRIPT], capture_output=True)
        times.append(time.perf_counter() - t0)
        anthropic_loaded |= proc.returncode == 1
        if proc.returncode not in (0, 1):
            raise SystemExit(f"start-up script failed: {proc.stderr.decode()[-2000:]}")
    return statistics.median(times), anthropic_loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (for the smoke test)")
    args = parser.parse_args()
    # About five keys a second, as someone working the cockpit types.
    seconds, probes, runs = (3.0, 15, 1) if args.quick else (20.0, 100, 5)
    result = asyncio.run(measure(seconds, probes))
    start, anthropic_loaded = startup_time(runs)
    print(
        f"ui_bench: {SESSIONS} sessions x {TOKENS_PER_S} tokens/s, {seconds:g}s, 200x50, "
        "4 panes visible; keys ] pageup end"
    )
    print(
        f"  keypress->screen latency  median {result['median_ms']:.1f} ms  "
        f"p95 {result['p95_ms']:.1f} ms  max {result['max_ms']:.1f} ms  (target p95 < 50)"
    )
    print(f"  UI process CPU            {result['cpu_cores']:.2f} core  (target < 0.5)")
    print(f"  events delivered          {result['events']:.0f}  ->  {result['items']:.0f} items")
    print(
        f"  start to first paint      {start:.3f} s  (target < 0.4)"
        f"{'  [anthropic imported!]' if anthropic_loaded else ''}"
    )


if __name__ == "__main__":
    main()
