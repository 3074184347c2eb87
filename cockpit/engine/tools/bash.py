"""The bash tool: a command in the workspace, streamed, capped, timed out, group-killed."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from cockpit.engine.tools.base import ToolContext, ToolResult, cap_text, error, one_line

log = logging.getLogger(__name__)

KILL_GRACE_S = 1.0
PIPE_DRAIN_S = 1.0
CHUNK = 65536
_SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
_ALWAYS_DROPPED = frozenset({"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"})


def is_secret_name(name: str) -> bool:
    """Environment variable names that must not reach agent commands."""
    upper = name.upper()
    return name in _ALWAYS_DROPPED or any(marker in upper for marker in _SECRET_MARKERS)


def command_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The user's environment minus secrets, with sys.executable's directory first on PATH."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not is_secret_name(k)}
    bindir = os.path.dirname(sys.executable)
    rest = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p and p != bindir]
    env["PATH"] = os.pathsep.join([bindir, *rest])
    env["PYTHONUNBUFFERED"] = "1"
    return env


class _Collector:
    """Keeps the head and the tail of a stream of text without holding all of it."""

    def __init__(self, cap: int) -> None:
        self.cap = max(cap, 100)
        self.head: list[str] = []
        self.head_len = 0
        self.tail = ""
        self.total = 0

    def add(self, chunk: str) -> None:
        self.total += len(chunk)
        if self.head_len < self.cap:
            take = chunk[: self.cap - self.head_len]
            self.head.append(take)
            self.head_len += len(take)
            chunk = chunk[len(take) :]
        if chunk:
            self.tail = (self.tail + chunk)[-self.cap :]

    def text(self) -> str:
        head = "".join(self.head)
        dropped = self.total - len(head) - len(self.tail)
        if dropped <= 0:
            return cap_text(head + self.tail, self.cap)
        half = max((self.cap - 40) // 2, 1)
        cut = self.total - 2 * half
        return f"{head[:half]}\n[... {cut} chars cut ...]\n{self.tail[-half:]}"


class _LiveOutput:
    """Live output with a per-call cap: the head streams as it comes, the middle is dropped,
    the tail (a bounded rolling buffer) follows with a marker once the command ends.

    Memory stays flat whatever a command prints: at most `cap` characters are held.
    """

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        cap = max(ctx.live_output_cap, 1000)
        self.head_left = cap // 2
        self.tail_cap = cap - cap // 2
        self.tail: deque[tuple[str, str]] = deque()
        self.tail_len = 0
        self.elided = 0

    def add(self, stream: str, text: str) -> None:
        if self.head_left > 0:
            now, text = text[: self.head_left], text[self.head_left :]
            self.head_left -= len(now)
            self._send(stream, now)
            if not text:
                return
        self.tail.append((stream, text))
        self.tail_len += len(text)
        while self.tail_len > self.tail_cap:
            old_stream, old = self.tail.popleft()
            over = self.tail_len - self.tail_cap
            if len(old) > over:  # keep the newest part of the oldest chunk
                self.tail.appendleft((old_stream, old[over:]))
                self.elided += over
                self.tail_len -= over
            else:
                self.elided += len(old)
                self.tail_len -= len(old)

    def finish(self) -> None:
        if self.elided:
            self._send("stderr", f"\n[… {self.elided:,} characters of output elided …]\n")
        while self.tail:
            self._send(*self.tail.popleft())
        self.tail_len = 0

    def _send(self, stream: str, text: str) -> None:
        if text and self.ctx.on_output is not None:
            try:
                self.ctx.on_output(stream, text)
            except Exception:
                log.exception("bash on_output callback failed")


def _live_members_linux(pgid: int) -> bool | None:
    """Whether the group has a non-zombie member, from /proc; None if /proc is unusable."""
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields: state, ppid, pgrp, ...
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _group_alive(pgid: int) -> bool:
    """True while a process of the group is still running (zombies awaiting reaping don't count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    live = _live_members_linux(pgid) if sys.platform.startswith("linux") else None
    return True if live is None else live


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def kill_group(pgid: int, grace: float = KILL_GRACE_S) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after ``grace`` seconds."""
    _signal_group(pgid, signal.SIGTERM)
    try:
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _group_alive(pgid):
            await asyncio.sleep(0.02)
    finally:
        _signal_group(pgid, signal.SIGKILL)


class BashTool:
    """Run a shell command in the workspace root."""

    name = "bash"
    input_schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The bash command to run."},
            "timeout_s": {
                "type": "integer",
                "description": "Timeout in seconds (capped by the session's limit).",
            },
        },
        "required": ["command"],
    }

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": (
                "Run a bash command in the workspace root (stdin is empty). stdout and "
                "stderr are returned together, long output keeps its head and tail. "
                "`python` is the project's Python. Background processes do not outlive "
                "the command; on timeout the whole process group is killed."
            ),
            "input_schema": self.input_schema,
        }

    def is_mutating(self, tool_input: dict[str, Any]) -> bool:
        return True

    def summary(self, tool_input: dict[str, Any]) -> str:
        return f"bash: {one_line(str(tool_input.get('command', '')))}"

    async def run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        if not isinstance(tool_input, dict):
            return error("bash: input must be an object")
        command = tool_input.get("command")
        if not isinstance(command, str) or not command.strip():
            return error("bash: command must be a non-empty string")
        if "\x00" in command:
            return error("bash: command contains a NUL byte; refused")
        timeout: float = ctx.bash_timeout_s
        requested = tool_input.get("timeout_s")
        if requested is not None:
            if isinstance(requested, bool) or not isinstance(requested, int | float):
                return error("bash: timeout_s must be a number of seconds")
            if requested <= 0:
                return error("bash: timeout_s must be positive")
            timeout = min(float(requested), ctx.bash_timeout_s)
        try:
            proc = await asyncio.create_subprocess_exec(
                "bash",
                "-c",
                command,
                cwd=str(ctx.workspace),
                env=command_env(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return error(f"bash: could not start: {exc}")
        return await _supervise(proc, ctx, timeout)


async def _pump(
    stream: asyncio.StreamReader | None, name: str, out: _Collector, live: _LiveOutput
) -> None:
    if stream is None:
        return
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while True:
        data = await stream.read(CHUNK)
        text = decoder.decode(data, final=not data)
        if text:
            out.add(text)
            live.add(name, text)
        if not data:
            return


async def _wait_exit(proc: asyncio.subprocess.Process, timeout: float) -> bool:
    """Wait for the child itself to exit (not for its pipes to close); False on timeout."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while proc.returncode is None:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        await asyncio.sleep(min(delay, left))
        delay = min(delay * 2, 0.05)
    return True


async def _supervise(
    proc: asyncio.subprocess.Process, ctx: ToolContext, timeout: float
) -> ToolResult:
    pgid = proc.pid  # start_new_session: the child leads its own group
    out = _Collector(ctx.output_cap)
    live = _LiveOutput(ctx)
    pumps = [
        asyncio.create_task(_pump(proc.stdout, "stdout", out, live)),
        asyncio.create_task(_pump(proc.stderr, "stderr", out, live)),
    ]
    timed_out = False
    try:
        if not await _wait_exit(proc, timeout):
            timed_out = True
            await kill_group(pgid)
            await _wait_exit(proc, 5.0)
        elif _group_alive(pgid):
            # The command finished; background jobs it left must not outlive it.
            await kill_group(pgid, grace=0.2)
        _done, pending = await asyncio.wait(pumps, timeout=PIPE_DRAIN_S)
        for task in pending:  # a process that escaped the group still holds the pipe
            task.cancel()
    except asyncio.CancelledError:
        try:
            await kill_group(pgid, grace=0.2)
            # Let asyncio reap the child now, not after the loop has gone.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 1.0)
        finally:
            _signal_group(pgid, signal.SIGKILL)
        raise
    finally:
        for task in pumps:
            if not task.done():
                task.cancel()
        transport = getattr(proc, "_transport", None)
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.close()
    live.finish()
    code = proc.returncode
    text = out.text()
    elided = live.elided
    if timed_out:
        note = f"timed out after {timeout:g}s; the command's process group was killed"
        body = f"{text.rstrip()}\n{note}" if text.strip() else note
        return ToolResult(body, is_error=True, exit_code=code, output_elided=elided)
    if code != 0:
        shown = f"exit code {code}"
        if code is not None and code < 0:
            shown += f" (killed by signal {-code})"
        body = f"{text.rstrip()}\n{shown}" if text.strip() else shown
        return ToolResult(body, is_error=True, exit_code=code, output_elided=elided)
    body = text if text.strip() else "(no output)"
    return ToolResult(body, exit_code=0, output_elided=elided)
