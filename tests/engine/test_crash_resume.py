"""SIGKILL a headless run mid-stream, again and again; each resume goes on to the end.

Nothing acknowledged is lost, the chain verifies after every kill, and no tool call whose
start was recorded runs twice: one that started but has no result is closed as
interrupted, and the model is told so.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from cockpit.events import ToolFinished, ToolStarted
from cockpit.store.session_file import SessionStore

ROOT = Path(__file__).resolve().parents[2]


def _cockpit(*args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    return subprocess.Popen(
        [sys.executable, "-m", "cockpit", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_after(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL `proc` after `seconds` unless it ended first; True when it was killed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


async def _check(path: Path) -> list[object]:
    store = await SessionStore.open(path, readonly=True)
    try:
        result = await store.verify()
        assert result.ok, result.reason
        return [e async for e in store.iter_events()]
    finally:
        await store.close()


def test_killed_again_and_again_then_resumed_to_the_end(tmp_path: Path) -> None:
    rng = random.Random(11)
    path = tmp_path / "crash.cockpit"
    workspace = tmp_path / "ws"
    from cockpit.scripted.workspace import copy_demo_workspace

    copy_demo_workspace(workspace)
    first = _cockpit(
        "run", "--scenario", "schema-drift", "--workspace", str(workspace),
        "--session", str(path), "--speed", "1", "-q",
    )  # fmt: skip
    kills = int(_kill_after(first, rng.uniform(1.0, 2.5)))
    seen = len(asyncio.run(_check(path)))
    for _ in range(3):
        again = _cockpit("resume", str(path), "--headless", "--speed", "1", "-q")
        kills += _kill_after(again, rng.uniform(1.0, 2.5))
        events = asyncio.run(_check(path))
        assert len(events) >= seen  # nothing acknowledged was lost
        seen = len(events)
    final = _cockpit("resume", str(path), "--headless", "--speed", "0", "-q")
    assert final.wait(timeout=120) == 0, final.stderr.read() if final.stderr else ""
    assert kills >= 3
    events = asyncio.run(_check(path))
    started = [e.tool_use_id for e in events if isinstance(e, ToolStarted)]
    assert len(started) == len(set(started)), "a recorded tool call ran twice"
    finished = {e.tool_use_id: e for e in events if isinstance(e, ToolFinished)}
    assert set(started) <= set(finished)  # every start has its result (or an interruption)
    ended = [e for e in events if e.kind == "session_ended"]
    assert ended[-1].status == "done"  # type: ignore[attr-defined]
    assert sum(e.status == "interrupted" for e in ended) >= 1  # type: ignore[attr-defined]
