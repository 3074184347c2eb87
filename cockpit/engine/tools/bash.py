"""The bash tool: a command in the workspace, streamed, capped, timed out, supervised."""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import shutil
import sys
from collections import deque
from collections.abc import Mapping
from typing import Any

from cockpit.engine.tools import procs
from cockpit.engine.tools.base import ToolContext, ToolResult, cap_text, error, one_line

log = logging.getLogger(__name__)

KILL_GRACE_S = 1.0  # SIGTERM to SIGKILL on timeout
PIPE_DRAIN_S = 1.0  # output still in the pipes once every process has ended
BACKGROUND_DRAIN_S = 0.1  # the same when background jobs keep the pipes open
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

    Memory stays flat whatever a command prints: at most `cap` characters are held. Chunks
    are coalesced: ``on_output`` is called at most once per FLUSH_S (or per FLUSH_CHARS
    pending), with at most MAX_RUNS stream runs, so a flood of tiny writes is a few calls.
    """

    FLUSH_S = 0.05
    FLUSH_CHARS = 65536
    MAX_RUNS = 8

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        cap = max(ctx.live_output_cap, 1000)
        self.head_left = cap // 2
        self.tail_cap = cap - cap // 2
        self.tail: deque[tuple[str, str]] = deque()
        self.tail_len = 0
        self.elided = 0
        self.calls = 0
        self._pending: list[tuple[str, str]] = []
        self._pending_len = 0
        self._handle: asyncio.TimerHandle | None = None

    def add(self, stream: str, text: str) -> None:
        if self.head_left > 0:
            now, text = text[: self.head_left], text[self.head_left :]
            self.head_left -= len(now)
            self._queue(stream, now)
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
            self._queue("stderr", f"\n[… {self.elided:,} characters of output elided …]\n")
        while self.tail:
            self._queue(*self.tail.popleft())
        self.tail_len = 0
        self.flush()

    def _queue(self, stream: str, text: str) -> None:
        if not text:
            return
        self._pending.append((stream, text))
        self._pending_len += len(text)
        if self._pending_len >= self.FLUSH_CHARS:
            self.flush()
        elif self._handle is None:
            self._handle = asyncio.get_running_loop().call_later(self.FLUSH_S, self.flush)

    def stop_timer(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        runs: list[tuple[str, list[str]]] = []
        for stream, text in self._pending:
            if runs and (runs[-1][0] == stream or len(runs) == self.MAX_RUNS):
                runs[-1][1].append(text)  # past MAX_RUNS, the rest joins the last run
            else:
                runs.append((stream, [text]))
        self._pending.clear()
        self._pending_len = 0
        for stream, texts in runs:
            self._send(stream, "".join(texts))

    def _send(self, stream: str, text: str) -> None:
        if text and self.ctx.on_output is not None:
            self.calls += 1
            try:
                self.ctx.on_output(stream, text)
            except Exception:
                log.exception("bash on_output callback failed")


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
                "`python` is the project's Python. Processes the command leaves running "
                "(even with setsid, nohup or disown) are ended when it exits, unless the "
                "user allowed background jobs; on timeout every process it started is killed."
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
        out = _Collector(ctx.output_cap)
        live = _LiveOutput(ctx)
        decoders = {
            name: codecs.getincrementaldecoder("utf-8")(errors="replace")
            for name in ("stdout", "stderr")
        }

        def sink(stream: str, data: bytes, final: bool = False) -> None:
            text = decoders[stream].decode(data, final=final)
            if text:
                out.add(text)
                live.add(stream, text)

        env = command_env()
        shell = shutil.which("bash", path=env["PATH"]) or "bash"
        try:
            sup = await procs.start(
                [shell, "-c", command],
                cwd=str(ctx.workspace),
                env=env,
                sink=sink,
                background=ctx.allow_background,
                grace=KILL_GRACE_S,
            )
        except OSError as exc:
            return error(f"bash: could not start: {exc}")
        timed_out = False
        try:
            timed_out = await _supervise(sup, timeout, ctx.allow_background)
        finally:
            live.stop_timer()  # nothing is sent after a cancelled call
            if ctx.allow_background and not timed_out and sup.exit_code is not None:
                sup.keep_in_background()
            else:
                sup.close()
        for name in decoders:
            sink(name, b"", final=True)
        live.finish()
        return _result(sup, out.text(), live.elided, timeout, timed_out)


async def _supervise(sup: procs.Supervised, timeout: float, background: bool) -> bool:
    """Wait for the command, end what must not outlive it; True if it timed out."""
    try:
        if not await sup.wait_command(timeout):
            await sup.end()
            await sup.drain(PIPE_DRAIN_S)
            return True
        if background:
            await sup.drain(BACKGROUND_DRAIN_S)  # background jobs may hold the pipes open
            return False
        if not await sup.wait_done(procs.END_WAIT_S):
            await sup.end()
        await sup.drain(PIPE_DRAIN_S)
        return False
    except asyncio.CancelledError:
        await sup.end(quick=True)
        raise


def _result(
    sup: procs.Supervised, text: str, elided: int, timeout: float, timed_out: bool
) -> ToolResult:
    code = sup.exit_code
    if sup.error:
        return ToolResult(f"bash: could not start: {sup.error}", is_error=True, exit_code=127)
    if timed_out:
        note = f"timed out after {timeout:g}s; the command and every process it started were killed"
        body = f"{text.rstrip()}\n{note}" if text.strip() else note
        return ToolResult(body, is_error=True, exit_code=code, output_elided=elided)
    notes: list[str] = []
    if sup.ended:
        notes.append(
            f"(ended {sup.ended} background process{'es' if sup.ended > 1 else ''} "
            "the command left running: background jobs are not allowed)"
        )
    if code != 0:
        shown = f"exit code {code}"
        if code is None:
            shown = "the command's supervisor ended unexpectedly; no exit code"
        elif code < 0:
            shown += f" (killed by signal {-code})"
        notes.append(shown)
    if notes:
        body = "\n".join([text.rstrip(), *notes]) if text.strip() else "\n".join(notes)
        return ToolResult(body, is_error=code != 0, exit_code=code, output_elided=elided)
    body = text if text.strip() else "(no output)"
    return ToolResult(body, exit_code=0, output_elided=elided)
