"""Supervises one tool command: a child subreaper that ends every process the command started.

Run as ``python -I -S supervisor.py LIFELINE_FD STATUS_FD PARENT_PID BACKGROUND GRACE -- ARGV``
(or imported by procs.py's launcher, for cached bytecode): standard library only.
It marks itself a child subreaper (``PR_SET_CHILD_SUBREAPER``), so whatever the
command starts -- ``setsid``, a double fork, ``nohup ... &``, ``disown`` -- stays in
its process tree: orphans are reparented here, not to init. It spawns the command in
its own process group, reports on STATUS_FD (``ready PID SUBREAPER``, ``exit CODE``,
``ended N``, ``error MESSAGE``), and ends the whole tree (SIGTERM, a grace period,
then SIGSTOP+SIGKILL until nothing is left):

- when the command exits, unless BACKGROUND is 1 (then it waits for the background jobs);
- on SIGTERM/SIGINT/SIGHUP (grace GRACE seconds) or SIGUSR1 (a short grace);
- when Cockpit dies: LIFELINE_FD is the read end of a pipe whose write end only Cockpit
  holds, so it reads EOF the moment Cockpit exits or is killed; PARENT_PID is checked too.

Without prctl (not Linux) or /proc it still kills the command's process group.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False  # not typing's: importing typing costs more than the rest of this
if TYPE_CHECKING:
    import signal
else:
    try:  # the C module: `signal` would import enum, a third of the start-up time
        import _signal as signal
    except ImportError:  # not CPython
        import signal

PR_SET_CHILD_SUBREAPER = 36
QUICK_GRACE_S = 0.2  # SIGUSR1 (a stopped session) and leftovers of a finished command
POLL_S = 0.2  # how often the lifeline and PARENT_PID are checked when nothing happens
WAITED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1}
REAP_WAIT_S = 3.0  # how long to wait for the last zombies after SIGKILL


def set_subreaper() -> bool:
    """Mark this process a child subreaper; False where the kernel or libc cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError, ImportError):
        return False


def process_table() -> dict[int, tuple[int, str]] | None:
    """pid -> (ppid, state) for every process in /proc; None without /proc."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    table: dict[int, tuple[int, str]] = {}
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            table[int(name)] = (int(fields[1]), fields[0].decode())
        except (OSError, IndexError, ValueError):
            continue
    return table


def live_descendants(root: int) -> list[int]:
    """The running (not zombie) processes below ``root``, parents before children."""
    table = process_table()
    if table is None:
        return []
    children: dict[int, list[int]] = {}
    for pid, (ppid, _state) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: list[int] = []
    queue = list(children.get(root, []))
    while queue:
        pid = queue.pop(0)
        if table[pid][1] not in ("Z", "X"):
            found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def wait_signal(timeout: float) -> int | None:
    """The next of the (blocked) WAITED signals, or None after ``timeout`` seconds."""
    if hasattr(signal, "sigtimedwait"):
        info = signal.sigtimedwait(WAITED, timeout)
        return None if info is None else int(info.si_signo)
    deadline = time.monotonic() + timeout  # macOS: no sigtimedwait
    while True:
        pending = signal.sigpending() & WAITED
        if pending:
            return int(signal.sigwait(pending))
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Supervisor:
    """The state of one supervised command."""

    def __init__(
        self, lifeline: int, status: int, parent: int, background: bool, grace: float
    ) -> None:
        self.lifeline = lifeline
        self.status = status
        self.parent = parent
        self.background = background
        self.grace = grace
        self.me = os.getpid()
        self.child = 0
        self.exit_code: int | None = None
        self.requested: list[float] = []  # grace periods asked for by a signal

    def say(self, line: str) -> None:
        """One status line to Cockpit; ignored once Cockpit stopped listening."""
        try:
            os.write(self.status, (line + "\n").encode("utf-8", "replace"))
        except OSError:
            pass

    def reap(self) -> bool:
        """Collect every exited child; True while children remain."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            if pid == self.child and self.exit_code is None:
                self.exit_code = os.waitstatus_to_exitcode(status)
                self.say(f"exit {self.exit_code}")

    def parent_gone(self) -> bool:
        if os.getppid() != self.parent:
            return True
        try:
            return os.read(self.lifeline, 1) == b""  # EOF: Cockpit's end is closed
        except BlockingIOError:
            return False  # still open: Cockpit is alive (it never writes)
        except OSError:
            return True

    def kill_tree(self, grace: float) -> int:
        """End every process below this one; returns how many were running."""
        if not self.reap():
            # No child at all: as a subreaper, then no descendant either (orphans come here).
            if self.child:
                _killpg(self.child, signal.SIGKILL)  # without a subreaper: what may be left
            return 0
        pids = live_descendants(self.me)
        if self.child:
            _killpg(self.child, signal.SIGTERM if grace > 0 else signal.SIGKILL)
        count = len(pids)
        if grace > 0 and pids:
            for pid in pids:
                _kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                self.reap()
                if not live_descendants(self.me):
                    break
                time.sleep(0.01)
        for _round in range(50):
            if self.child:
                _killpg(self.child, signal.SIGKILL)
            pids = live_descendants(self.me)
            if not pids:
                break
            for pid in pids:  # freeze first, so nothing forks while the tree is killed
                _kill(pid, signal.SIGSTOP)
            for pid in live_descendants(self.me):
                _kill(pid, signal.SIGKILL)
            self.reap()
            time.sleep(0.005)
        deadline = time.monotonic() + REAP_WAIT_S
        while self.reap() and time.monotonic() < deadline:
            time.sleep(0.005)
        return count

    def run(self, argv: list[str]) -> int:
        # Signals are blocked and taken with sigtimedwait: no handler runs between syscalls.
        signal.pthread_sigmask(signal.SIG_BLOCK, WAITED)
        subreaper = set_subreaper()
        if self.parent_gone():
            return 1
        try:
            self.child = os.posix_spawnp(
                argv[0],
                argv,
                dict(os.environ),
                setpgroup=0,
                setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM),
                setsigmask=(),
            )
        except OSError as exc:
            self.say(f"error {exc}")
            return 127
        self.say(f"ready {self.child} {int(subreaper)}")
        # Hold no copy of the command's output pipes: EOF comes when its processes are gone.
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
        while True:
            children_left = self.reap()
            if self.requested:
                self.kill_tree(min(self.requested))
                break
            if self.parent_gone():
                self.kill_tree(self.grace)
                break
            if self.exit_code is not None:
                if not self.background:
                    ended = self.kill_tree(QUICK_GRACE_S)
                    if ended:
                        self.say(f"ended {ended}")
                    break
                if not children_left:  # as a subreaper: no child, no descendant
                    break
            signo = wait_signal(POLL_S)
            if signo is not None and signo != signal.SIGCHLD:
                quick = signo == signal.SIGUSR1
                self.requested.append(QUICK_GRACE_S if quick else self.grace)
        return 0


def main(args: list[str]) -> int:
    try:
        split = args.index("--")
        lifeline, status, parent, background = (int(a) for a in args[:4])
        grace = float(args[4])
        argv = args[split + 1 :]
    except (ValueError, IndexError):
        sys.stderr.write("usage: supervisor.py LIFELINE STATUS PARENT BACKGROUND GRACE -- ARGV\n")
        return 2
    if not argv:
        return 2
    for fd in (lifeline, status):
        os.set_inheritable(fd, False)
    os.set_blocking(lifeline, False)
    return Supervisor(lifeline, status, parent, background == 1, grace).run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
