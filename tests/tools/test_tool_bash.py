"""The bash tool with real subprocesses: streaming, exit codes, cap, timeout, cancel, env."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from cockpit.engine.tools.base import ToolContext, ToolResult
from cockpit.engine.tools.bash import BashTool, command_env

BASH = BashTool()


def alive(pid: int) -> bool:
    """True if pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


async def wait_gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        await asyncio.sleep(0.05)
    return not alive(pid)


async def bash(ctx: ToolContext, command: str, **extra: object) -> ToolResult:
    return await BASH.run({"command": command, **extra}, ctx)


async def test_streams_chunks_as_they_arrive(ctx: ToolContext) -> None:
    chunks: list[tuple[str, str, float]] = []
    ctx.on_output = lambda stream, text: chunks.append((stream, text, time.monotonic()))
    start = time.monotonic()
    r = await bash(ctx, "echo first; sleep 0.4; echo second; echo oops >&2")
    assert not r.is_error and r.exit_code == 0
    assert "first" in r.content and "second" in r.content and "oops" in r.content
    streams = {s for s, _t, _at in chunks}
    assert streams == {"stdout", "stderr"}
    first_at = next(at for _s, t, at in chunks if "first" in t)
    assert first_at - start < 0.35  # arrived before the command finished
    assert "".join(t for s, t, _at in chunks if s == "stdout") == "first\nsecond\n"


async def test_runs_in_workspace_with_empty_stdin(ctx: ToolContext, workspace: Path) -> None:
    r = await bash(ctx, "pwd; cat; echo done")
    assert r.content.splitlines() == [str(workspace), "done"]


async def test_exit_codes(ctx: ToolContext) -> None:
    r = await bash(ctx, "echo bad; exit 3")
    assert r.is_error and r.exit_code == 3
    assert r.content == "bad\nexit code 3"
    r = await bash(ctx, "false")
    assert r.is_error and r.content == "exit code 1"
    r = await bash(ctx, "true")
    assert not r.is_error and r.content == "(no output)" and r.exit_code == 0


async def test_output_cap_keeps_head_and_tail(workspace: Path, memory: object) -> None:
    ctx = ToolContext(workspace=workspace, memory=memory, output_cap=2000)  # type: ignore[arg-type]
    r = await bash(ctx, "echo HEAD; seq 1 200000; echo TAIL")
    assert not r.is_error
    assert len(r.content) <= 2000
    assert r.content.startswith("HEAD\n")
    assert r.content.rstrip().endswith("TAIL")
    assert "chars cut ...]" in r.content


async def test_timeout_kills_background_grandchild(ctx: ToolContext, workspace: Path) -> None:
    pidfile = workspace / "bg.pid"
    start = time.monotonic()
    r = await bash(ctx, f"sleep 60 & echo $! > {pidfile}; echo started; sleep 60", timeout_s=1)
    elapsed = time.monotonic() - start
    assert r.is_error
    assert "timed out after 1s" in r.content
    assert "started" in r.content
    assert elapsed < 5
    pid = int(pidfile.read_text())
    assert await wait_gone(pid), f"background sleep {pid} survived the timeout"


async def test_timeout_escalates_to_sigkill(ctx: ToolContext, workspace: Path) -> None:
    pidfile = workspace / "stubborn.pid"
    script = 'bash -c \'trap "" TERM; echo $$ > ' + str(pidfile) + "; sleep 60' & wait"
    r = await bash(ctx, script, timeout_s=1)
    assert r.is_error and "timed out" in r.content
    assert await wait_gone(int(pidfile.read_text()))


async def test_context_timeout_is_the_ceiling(workspace: Path, memory: object) -> None:
    ctx = ToolContext(workspace=workspace, memory=memory, bash_timeout_s=0.5)  # type: ignore[arg-type]
    r = await bash(ctx, "sleep 10", timeout_s=100)
    assert r.is_error and "timed out after 0.5s" in r.content


async def test_background_job_does_not_outlive_command(ctx: ToolContext, workspace: Path) -> None:
    pidfile = workspace / "left.pid"
    start = time.monotonic()
    r = await bash(ctx, f"sleep 60 & echo $! > {pidfile}; echo done")
    assert not r.is_error and "done" in r.content
    assert time.monotonic() - start < 5  # did not wait for the background job
    assert await wait_gone(int(pidfile.read_text()))


async def test_cancellation_kills_group(ctx: ToolContext, workspace: Path) -> None:
    pidfile = workspace / "cancel.pid"
    task = asyncio.create_task(bash(ctx, f"sleep 60 & echo $! > {pidfile}; sleep 60"))
    deadline = time.monotonic() + 5
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    pid = int(pidfile.read_text())
    assert alive(pid)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await wait_gone(pid), "background sleep survived cancellation"


async def test_secrets_not_visible(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws")
    monkeypatch.setenv("DB_PASSWORD", "pw")
    monkeypatch.setenv("COCKPIT_HARMLESS", "visible")
    r = await bash(ctx, "env")
    assert "sk-ant-secret" not in r.content
    assert "ANTHROPIC_API_KEY" not in r.content and "ANTHROPIC_AUTH_TOKEN" not in r.content
    assert "AWS_SECRET_ACCESS_KEY" not in r.content and "DB_PASSWORD" not in r.content
    assert "COCKPIT_HARMLESS=visible" in r.content


async def test_python_is_sys_executable(ctx: ToolContext) -> None:
    r = await bash(ctx, "command -v python; python -c 'import sys; print(sys.prefix)'")
    lines = r.content.splitlines()
    assert lines[0] == os.path.join(os.path.dirname(sys.executable), "python")
    assert lines[1] == sys.prefix


def test_command_env_puts_interpreter_dir_first() -> None:
    env = command_env({"PATH": "/usr/bin:/bin", "GITHUB_TOKEN": "x", "HOME": "/h"})
    assert env["PATH"].split(":")[0] == os.path.dirname(sys.executable)
    assert "GITHUB_TOKEN" not in env and env["HOME"] == "/h"


async def test_bad_input(ctx: ToolContext) -> None:
    r = await BASH.run({"command": ""}, ctx)
    assert r.is_error and "non-empty" in r.content
    r = await BASH.run({"command": "echo", "timeout_s": -1}, ctx)
    assert r.is_error and "positive" in r.content


async def test_callback_errors_do_not_break_the_tool(ctx: ToolContext) -> None:
    def boom(stream: str, text: str) -> None:
        raise RuntimeError("ui broke")

    ctx.on_output = boom
    r = await bash(ctx, "echo fine")
    assert not r.is_error and r.content == "fine\n"


def test_summary_and_mutating() -> None:
    assert BASH.summary({"command": "tail -n 30\n  logs/ingest.log"}) == (
        "bash: tail -n 30 logs/ingest.log"
    )
    assert BASH.is_mutating({"command": "ls"})
