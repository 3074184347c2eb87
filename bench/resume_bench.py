"""Resume bench: open a saved 100,000-event session in the cockpit, to a usable screen.

Run: .venv/bin/python bench/resume_bench.py [--quick] [--events N]
Writes a session file of N events (default 100,000; --quick 10,000: a consistent
conversation of turns with text, a tool call and its output), then, in a fresh process,
opens it the way `cockpit resume FILE` does (verify, read, rebuild the session, fold it
into the cockpit) and prints the time to the first screen and the peak RSS.
Targets: under 1 s and 250 MB at 100,000 events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def write_session(path: Path, workspace: Path, n: int) -> None:
    from cockpit import events as ev
    from cockpit.store.session_file import SessionStore

    store = await SessionStore.create(path)
    store.append(
        ev.SessionStarted(
            title="long night", goal="Keep the warehouse healthy overnight.",
            model="scripted:long-run", backend="scripted", scenario="long-run",
            workspace=str(workspace),
        )
    )  # fmt: skip
    store.append(ev.UserMessage(text="Keep the warehouse healthy overnight.", source="goal"))
    count, turn = 2, 0
    while count < n - 1:
        turn += 1
        tid = f"toolu_{turn:08d}"
        text = f"Pass {turn}: checking partition `p{turn:05d}`.\n\n- rows: **{turn * 7 % 1000}**\n"
        batch: list[ev.EventBase] = [ev.ModelRequest(turn=turn)]
        batch += [ev.TextDelta(turn=turn, block_index=0, text=text[i::4]) for i in range(4)]
        command = {"command": f"wc -l landing/p{turn:05d}.csv"}
        batch += [
            ev.ModelResponse(
                turn=turn,
                content=[
                    {"type": "text", "text": text},
                    {"type": "tool_use", "id": tid, "name": "bash", "input": command},
                ],
                stop_reason="tool_use",
            ),
            ev.ToolCallProposed(turn=turn, tool_use_id=tid, name="bash", input=command),
            ev.RiskAssessed(tool_use_id=tid, tier="low", reasons=["reads files"]),
            ev.ApprovalDecided(tool_use_id=tid, decision="allow", by="policy"),
            ev.ToolStarted(tool_use_id=tid, name="bash"),
        ]
        batch += [ev.ToolOutput(tool_use_id=tid, text=f"{turn} rows\n" * 3) for _ in range(4)]
        batch.append(ev.ToolFinished(tool_use_id=tid, name="bash", content=f"{turn} rows"))
        for event in batch:
            store.append(event)
        count += len(batch)
    store.append(ev.SessionEnded(status="done", reason="the agent finished", turns=turn))
    await store.close()


async def open_in_cockpit(path: Path) -> None:
    """What `cockpit resume FILE` does, up to the first screen; prints seconds and MB."""
    start = time.perf_counter()
    from cockpit.cli.startup import check_resumable
    from cockpit.cli.tui import SessionLauncher
    from cockpit.ui.app import CockpitApp
    from cockpit.ui.requests import NewSessionRequest

    await check_resumable(path)
    launcher = SessionLauncher(path.parent, speed=0)
    request = NewSessionRequest(workspace="", goal="", resume=str(path))
    app = CockpitApp(session_factory=launcher, requests=[request], persist_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        while not app.main.sessions:
            await pilot.pause(0.01)
        app.main.flush_now()
        await pilot.pause()
        seconds = time.perf_counter() - start
    await launcher.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 events (smoke test)")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--open", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.open is not None:
        asyncio.run(open_in_cockpit(args.open))
        return
    n = 10_000 if args.quick else args.events
    with tempfile.TemporaryDirectory(prefix="cockpit-resume-bench-") as tmp:
        workspace = Path(tmp) / "ws"
        workspace.mkdir()
        path = Path(tmp) / "long.cockpit"
        t = time.perf_counter()
        asyncio.run(write_session(path, workspace, n))
        written = time.perf_counter() - t
        proc = subprocess.run(
            [sys.executable, __file__, "--open", str(path)],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if proc.returncode != 0:
            sys.exit(proc.stderr[-3000:])
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"resume bench: {n:,} events ({path.stat().st_size / 1e6:.1f} MB, "
            f"written in {written:.1f} s)"
        )
        print(f"open to first screen   {figures['seconds']:6.2f} s   (target < 1 s)")
        print(f"peak RSS               {figures['rss_mb']:6.0f} MB  (target < 250 MB)")


if __name__ == "__main__":
    main()
