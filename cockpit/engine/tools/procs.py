"""Process supervision for tool commands: each runs under supervisor.py, a child subreaper.

Cockpit side of the protocol described in supervisor.py. ``start`` spawns the supervisor
with the command's stdout/stderr on pipes read by the event loop, a status pipe, and the
read end of the process-wide *lifeline* pipe (its write end is held only by this process,
so every supervisor sees EOF when Cockpit exits or is killed and ends its command's tree).
Plain ``subprocess.Popen`` is used, not asyncio's subprocess support: no child watcher, no
SIGCHLD handler and no subreaper flag in Cockpit itself, and closing a pipe never kills
the supervisor behind our back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

SUPERVISOR = Path(__file__).with_name("supervisor.py")
# Imported, not run as a script, so that its bytecode is cached: -I -S keep it standalone.
_LAUNCH = (
    f"import sys; sys.path.insert(0, {str(SUPERVISOR.parent)!r}); "
    "from supervisor import main; sys.exit(main(sys.argv[1:]))"
)
END_WAIT_S = 5.0  # how long the supervisor may take to end a tree before it is SIGKILLed

Sink = Callable[[str, bytes], None]

_lifeline: tuple[int, int] | None = None
_mechanism: str | None = None
_background: set[Supervised] = set()


def _forget_lifeline() -> None:
    """In a forked child: drop the parent's lifeline, or the child would keep it alive."""
    global _lifeline
    if _lifeline is not None:
        for fd in _lifeline:
            with contextlib.suppress(OSError):
                os.close(fd)
        _lifeline = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_lifeline)


def lifeline_fd() -> int:
    """The read end of this process' lifeline pipe, created on first use and never closed."""
    global _lifeline
    if _lifeline is None:
        _lifeline = os.pipe()  # both ends non-inheritable (PEP 446)
    return _lifeline[0]


def mechanism() -> str:
    """Which supervision is in force, as the last supervisor reported it."""
    return _mechanism or "not known yet (no command has run)"


def _describe(subreaper: bool) -> str:
    if subreaper:
        return "child subreaper (PR_SET_CHILD_SUBREAPER) with a parent-death lifeline"
    if os.path.isdir("/proc"):
        return "process tree from /proc, no subreaper (orphans of setsid/double fork can escape)"
    return "process group only (detached processes can escape)"


class _Pipe(asyncio.Protocol):
    """Feeds what one pipe delivers to a sink; ``closed`` resolves at EOF."""

    def __init__(self, name: str, sink: Callable[[str, bytes], None]) -> None:
        self.name = name
        self.sink = sink
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        try:
            self.sink(self.name, data)
        except Exception:
            log.exception("tool output sink failed")

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _Status(asyncio.Protocol):
    """Parses the supervisor's status lines; ``done`` resolves when it has exited."""

    def __init__(self, owner: Supervised) -> None:
        self.owner = owner
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self.owner._status_line(line.decode("utf-8", "replace"))

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._status_closed()


class Supervised:
    """One command running under its supervisor, with its output pipes."""

    def __init__(self, popen: subprocess.Popen[bytes], background: bool) -> None:
        self.popen = popen
        self.background = background
        self.command_pid: int | None = None
        self.subreaper: bool | None = None
        self.exit_code: int | None = None
        self.ended = 0  # processes left behind by the command that the supervisor ended
        self.error = ""
        loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[None] = loop.create_future()  # the command itself
        self._done: asyncio.Future[None] = loop.create_future()  # the supervisor
        self._transports: list[asyncio.BaseTransport] = []
        self._pipes: list[_Pipe] = []

    # -------------------------------------------------------------- status
    def _status_line(self, line: str) -> None:
        global _mechanism
        word, _, rest = line.partition(" ")
        if word == "ready":
            pid, _, flag = rest.partition(" ")
            with contextlib.suppress(ValueError):
                self.command_pid = int(pid)
            self.subreaper = flag == "1"
            described = _describe(self.subreaper)
            if described != _mechanism:
                (log.info if self.subreaper else log.warning)("tool processes: %s", described)
                _mechanism = described
        elif word == "exit":
            with contextlib.suppress(ValueError):
                self.exit_code = int(rest)
            _resolve(self._exited)
        elif word == "ended":
            with contextlib.suppress(ValueError):
                self.ended = int(rest)
        elif word == "error":
            self.error = rest

    def _status_closed(self) -> None:
        _resolve(self._exited)
        _resolve(self._done)
        if self.background:
            self.close()

    # -------------------------------------------------------------- waiting
    @property
    def done(self) -> bool:
        """The supervisor has exited (so has every process of the command)."""
        return self._done.done()

    async def wait_command(self, timeout: float) -> bool:
        """Wait for the command itself to exit; False on timeout."""
        return await _wait(self._exited, timeout)

    async def wait_done(self, timeout: float) -> bool:
        """Wait for the supervisor to exit, after it ended what was left; False on timeout."""
        return await _wait(self._done, timeout)

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` for the output pipes to reach EOF."""
        pending = [p.closed for p in self._pipes if not p.closed.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    def detach_output(self) -> None:
        """Discard further output (background jobs keep writing after the call)."""
        for pipe in self._pipes:
            pipe.sink = _discard

    # -------------------------------------------------------------- ending
    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            self.popen.send_signal(sig)

    async def end(self, *, quick: bool = False) -> None:
        """Have the supervisor end the command's tree; SIGKILL everything if it cannot."""
        if not self.done:
            self.signal(signal.SIGUSR1 if quick else signal.SIGTERM)
            if not await self.wait_done(END_WAIT_S):
                log.warning("supervisor %s did not end its command; killing", self.popen.pid)
                self.hard_kill()
                await self.wait_done(1.0)

    def hard_kill(self) -> None:
        """Last resort: SIGKILL the command's process group and the supervisor."""
        for pgid in (self.command_pid, self.popen.pid):
            if pgid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, signal.SIGKILL)

    def close(self) -> None:
        """Close our pipe ends and reap the supervisor if it has exited."""
        for transport in self._transports:
            transport.close()
        self._transports.clear()
        if self.done:
            _reap(self.popen)
            _background.discard(self)

    def keep_in_background(self) -> None:
        """The call returns while background jobs run: keep supervising until they end."""
        if self.done:
            self.close()
            return
        self.detach_output()
        _background.add(self)


def _factory(protocol: asyncio.Protocol) -> Callable[[], asyncio.Protocol]:
    return lambda: protocol


def _discard(_name: str, _data: bytes) -> None:
    return None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _wait(future: asyncio.Future[None], timeout: float) -> bool:
    if not future.done():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(future), timeout)
    return future.done()


def _reap(popen: subprocess.Popen[bytes], tries: int = 100) -> None:
    """Collect the supervisor's exit status without blocking the loop (it is exiting)."""
    if popen.poll() is None and tries > 0:
        with contextlib.suppress(RuntimeError):  # no running loop: Popen's GC reaps it
            asyncio.get_running_loop().call_later(0.01, _reap, popen, tries - 1)


async def start(
    argv: Sequence[str],
    *,
    cwd: str,
    env: dict[str, str],
    sink: Sink,
    background: bool = False,
    grace: float = 1.0,
) -> Supervised:
    """Start ``argv`` under a supervisor; its stdout/stderr go to ``sink(stream, data)``."""
    loop = asyncio.get_running_loop()
    life = lifeline_fd()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    st_r, st_w = os.pipe()
    readers = [out_r, err_r, st_r]
    try:
        popen = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-S",
                "-c",
                _LAUNCH,
                str(life),
                str(st_w),
                str(os.getpid()),
                "1" if background else "0",
                f"{grace:g}",
                "--",
                *argv,
            ],
            stdin=subprocess.DEVNULL,
            stdout=out_w,
            stderr=err_w,
            pass_fds=(life, st_w),
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except BaseException:
        for fd in readers:
            os.close(fd)
        raise
    finally:
        for fd in (out_w, err_w, st_w):
            os.close(fd)
    sup = Supervised(popen, background)
    # The transports own these files (and close them); until then, this function does.
    files = [open(fd, "rb", 0) for fd in readers]  # noqa: SIM115
    try:
        for file, name in zip(files[:2], ("stdout", "stderr"), strict=True):
            pipe = _Pipe(name, sink)
            transport, _ = await loop.connect_read_pipe(_factory(pipe), file)
            sup._pipes.append(pipe)
            sup._transports.append(transport)
        status = _Status(sup)
        transport, _ = await loop.connect_read_pipe(_factory(status), files[2])
        sup._transports.append(transport)
    except BaseException:
        sup.signal(signal.SIGUSR1)  # the supervisor ends the command's tree, then exits
        sup.close()
        for file in files:
            file.close()
        _reap(popen)
        raise
    for other in list(_background):  # collect background supervisors that have finished
        if other.done:
            other.close()
    return sup


async def end_background() -> None:
    """End every background job still supervised (at shutdown, or in tests)."""
    jobs = list(_background)
    await asyncio.gather(*(job.end() for job in jobs), return_exceptions=True)
    for job in jobs:
        job.close()
        _background.discard(job)


def background_jobs() -> int:
    """How many calls' background jobs are still supervised."""
    return sum(1 for job in _background if not job.done)
