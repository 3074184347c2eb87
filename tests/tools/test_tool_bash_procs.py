"""No process a command starts outlives its call (or Cockpit), however it detaches."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cockpit.engine.tools import procs
from cockpit.engine.tools.base import ToolContext
from cockpit.engine.tools.bash import BashTool

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")

BASH = BashTool()
ROOT = Path(__file__).resolve().parents[2]
DETACHING = {
    "setsid": "setsid sleep {t} &",
    "setsid-fork": "setsid -f sleep {t}",
    "setsid-nested": "setsid bash -c 'sleep {t} & sleep {t}' > /dev/null 2>&1 < /dev/null &",
    "nohup": "nohup sleep {t} > /dev/null 2>&1 &",
    "nohup-setsid": "nohup setsid sleep {t} > /dev/null 2>&1 &",
    "double-fork": "( (sleep {t} &) & )",
    "double-fork-setsid": "( (setsid sleep {t} &) & )",
    "disown": "sleep {t} & disown",
    "env-cleared": "env -i setsid sleep {t} > /dev/null 2>&1 &",
}


def marker() -> str:
    """A unique `sleep` argument, so the test finds exactly its own processes."""
    return f"300.{uuid.uuid4().int % 10**9:09d}"


def running(mark: str) -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                cmdline = fh.read().split(b"\0")
            with open(f"/proc/{name}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if mark.encode() in cmdline and state not in (b"Z", b"X"):
            pids.append(int(name))
    return pids


def gone_within(marks: list[str], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(running(m) for m in marks):
            return True
        time.sleep(0.05)
    return not any(running(m) for m in marks)


def kill_marked(mark: str) -> None:
    for pid in running(mark):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
async def background() -> AsyncIterator[None]:
    yield
    await procs.end_background()


@pytest.mark.parametrize("how", sorted(DETACHING))
async def test_a_detached_process_ends_with_the_call(ctx: ToolContext, how: str) -> None:
    mark = marker()
    try:
        result = await BASH.run({"command": DETACHING[how].format(t=mark)}, ctx)
        assert not result.is_error, result.content
        assert not running(mark), f"{how}: still running after the call returned"
    finally:
        kill_marked(mark)


async def test_the_model_is_told_what_was_ended(ctx: ToolContext) -> None:
    mark = marker()
    result = await BASH.run({"command": f"setsid sleep {mark} & echo started"}, ctx)
    assert not result.is_error
    assert result.content.startswith("started\n")
    assert "ended 1 background process" in result.content
    assert "background jobs are not allowed" in result.content


async def test_background_jobs_outlive_the_call_when_allowed(
    ctx: ToolContext, background: None
) -> None:
    allowed = dataclasses.replace(ctx, allow_background=True)
    marks = [marker(), marker()]
    command = f"setsid sleep {marks[0]} & nohup sleep {marks[1]} > /dev/null 2>&1 & echo up"
    start = time.monotonic()
    result = await BASH.run({"command": command}, allowed)
    assert time.monotonic() - start < 3
    assert result.content == "up\n" and not result.is_error
    try:
        assert all(running(m) for m in marks)
        assert procs.background_jobs() >= 1
        await procs.end_background()  # what Cockpit's shutdown (or its death) does
        assert gone_within(marks, 3)
    finally:
        for m in marks:
            kill_marked(m)


async def test_a_background_job_writing_output_is_not_killed_by_a_closed_pipe(
    ctx: ToolContext, workspace: Path, background: None
) -> None:
    allowed = dataclasses.replace(ctx, allow_background=True)
    mark = marker()
    script = f"(for i in 1 2 3 4 5 6; do echo tick; sleep 0.1; done; exec sleep {mark}) &"
    result = await BASH.run({"command": script + " echo launched"}, allowed)
    assert "launched" in result.content
    try:
        deadline = time.monotonic() + 3
        while not running(mark) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert running(mark), "the job died writing to a pipe the call had closed"
    finally:
        await procs.end_background()
        kill_marked(mark)


async def test_a_timeout_ends_detached_processes_too(ctx: ToolContext) -> None:
    mark = marker()
    start = time.monotonic()
    try:
        result = await BASH.run(
            {"command": f"setsid sleep {mark} & echo started; sleep 60", "timeout_s": 1}, ctx
        )
        assert result.is_error and "timed out after 1s" in result.content
        assert time.monotonic() - start < 4
        assert not running(mark)
    finally:
        kill_marked(mark)


async def test_a_timeout_ends_background_jobs_even_when_allowed(
    ctx: ToolContext, background: None
) -> None:
    allowed = dataclasses.replace(ctx, allow_background=True)
    mark = marker()
    try:
        result = await BASH.run(
            {"command": f"setsid sleep {mark} & sleep 60", "timeout_s": 1}, allowed
        )
        assert result.is_error and "timed out" in result.content
        assert not running(mark)
    finally:
        kill_marked(mark)


async def test_cancelling_ends_detached_processes(ctx: ToolContext) -> None:
    mark = marker()
    task = asyncio.create_task(BASH.run({"command": f"setsid sleep {mark} & sleep 60"}, ctx))
    try:
        deadline = time.monotonic() + 3
        while not running(mark) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert running(mark)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert gone_within([mark], 2)
    finally:
        kill_marked(mark)


async def test_the_mechanism_in_force_is_reported(ctx: ToolContext) -> None:
    await BASH.run({"command": "true"}, ctx)
    assert "subreaper" in procs.mechanism()


CRASH_SCRIPT = """
import asyncio, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from cockpit.engine.tools.base import ToolContext
from cockpit.engine.tools.bash import BashTool

async def main():
    def on_output(stream, text):
        if "ready" in text:
            print("ready", flush=True)
    ctx = ToolContext(workspace=Path({ws!r}), memory=None, on_output=on_output,
                      allow_background={background})
    result = await BashTool().run({{"command": {command!r}}}, ctx)
    print("returned", result.content.strip().replace("\\n", " "), flush=True)
    await asyncio.sleep(300)

asyncio.run(main())
"""


def run_and_crash(workspace: Path, command: str, background: bool, wait_for: str) -> None:
    """Run ``command`` through BashTool in a fresh Python, SIGKILL it once ``wait_for`` shows."""
    script = CRASH_SCRIPT.format(
        root=str(ROOT), ws=str(workspace), command=command, background=background
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(20, proc.kill)  # a hung script fails the test, not the run
    watchdog.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(wait_for):
                break
        else:
            raise AssertionError(
                f"the script ended early: {proc.stderr.read() if proc.stderr else ''}"
            )
    finally:
        watchdog.cancel()
        proc.kill()  # SIGKILL: no cleanup code of Cockpit's runs
        proc.wait()


def test_a_command_running_when_cockpit_is_killed_is_ended(workspace: Path) -> None:
    marks = [marker(), marker(), marker()]
    command = (
        f"sleep {marks[0]} & setsid sleep {marks[1]} & ( (sleep {marks[2]} &) & ); "
        "echo ready; sleep 60"
    )
    try:
        run_and_crash(workspace, command, background=False, wait_for="ready")
        assert gone_within(marks, 3), "the command's processes outlived a SIGKILLed Cockpit"
    finally:
        for m in marks:
            kill_marked(m)


def test_background_jobs_end_when_cockpit_is_killed(workspace: Path) -> None:
    mark = marker()
    try:
        run_and_crash(
            workspace, f"setsid sleep {mark} & echo up", background=True, wait_for="returned"
        )
        assert gone_within([mark], 3), "a background job outlived a SIGKILLed Cockpit"
    finally:
        kill_marked(mark)
