"""ReplayControl: plays a recorded event list as a live session (demos, `cockpit replay`, tests)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cockpit.events import (
    ApprovalDecided,
    ApprovalMode,
    ApprovalRequested,
    Event,
    ModeChanged,
    Paused,
    Resumed,
    SessionEnded,
    SessionStarted,
    SessionStatus,
    Steered,
    ToolFinished,
)

if TYPE_CHECKING:
    from cockpit.engine.dryrun import Change
    from cockpit.events import Rollback
    from cockpit.policy.gate import GrantRequest
    from cockpit.store.checkpoints import Difference

Listener = Callable[[Event], None]
_TOOL_RUN_KINDS = frozenset({"tool_started", "tool_output", "tool_finished"})


class ReplayControl:
    """A `SessionControl` over a recorded list of events.

    `speed` scales the recorded pacing (1.0 = as recorded, 2.0 = twice as fast, 0 = all at
    once). Playback stops at each `approval_requested` until `approve` or `deny` is called;
    the user's decision is what the replay then shows (a denied call that the recording
    ran is shown as denied). Every command is kept in `commands` and recorded as an event.
    """

    def __init__(
        self,
        events: Sequence[Event],
        *,
        speed: float = 0.0,
        session_id: str | None = None,
        max_gap_s: float = 2.0,
        autostart: bool = True,
    ) -> None:
        self._script: list[Event] = list(events)
        started = next((e for e in self._script if isinstance(e, SessionStarted)), None)
        first_id = self._script[0].session_id if self._script else ""
        self.session_id: str = session_id or (started.session_id if started else first_id)
        self.speed = speed
        self.max_gap_s = max_gap_s
        self.commands: list[tuple[Any, ...]] = []
        self._events: list[Event] = []
        self._listeners: list[Listener] = []
        self._pos = 0
        self._status: SessionStatus = "running"
        self._pending: ApprovalRequested | None = None
        self._denied_tools: set[str] = set()
        self._decided: set[str] = set()
        self._paused = False
        self._stopped = False
        self._mode: ApprovalMode = started.mode if started is not None else "ask"
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._last_ts: float | None = None
        # Paced replays move the recording's clock to now, so elapsed times read naturally.
        self._shift = 0.0
        if speed <= 0 and autostart:
            self._play_sync()

    # --- SessionControl -------------------------------------------------------------

    @property
    def status(self) -> SessionStatus:
        return self._status

    @property
    def events(self) -> Sequence[Event]:
        return self._events

    @property
    def finished(self) -> bool:
        """True when the whole recording has been played (or the session was stopped)."""
        return self._stopped or self._pos >= len(self._script)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        if self.speed > 0:
            self.start()

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def approve(
        self,
        request_id: str,
        grant: GrantRequest | None = None,
        edited_input: dict[str, Any] | None = None,
    ) -> None:
        scope: Literal["once", "session", "pattern"] = "once"
        if grant is not None:
            scope = "session" if grant.exact else "pattern"
        self.commands.append(("approve", request_id, grant.pattern if grant else "once"))
        self._decide(request_id, "allow", scope=scope)

    @property
    def approval_mode(self) -> ApprovalMode:
        return self._mode

    def set_mode(
        self, mode: ApprovalMode, by: Literal["user", "watchdog", "policy"] = "user"
    ) -> None:
        self.commands.append(("mode", mode))
        if mode == self._mode:
            return
        previous, self._mode = self._mode, mode
        self._emit(
            ModeChanged(
                session_id=self.session_id, mode=mode, previous=previous, by=by, ts=self._now()
            )
        )

    def deny(self, request_id: str, message: str = "") -> None:
        self.commands.append(("deny", request_id, message))
        self._decide(request_id, "deny", message=message)

    # A recording has no live grants and no workspace copy of its own.
    def grants(self) -> list[str]:
        return []

    def revoke_grants(self, by: Literal["user", "watchdog", "policy"] = "user") -> int:
        return 0

    @property
    def in_dry_run(self) -> bool:
        return False

    def dry_run_changes(self) -> list[Change]:
        return []

    def dry_run_diff(self, path: str) -> str:
        return ""

    def apply_dry_run(self) -> list[Change]:
        return []

    def discard_dry_run(self) -> list[Change]:
        return []

    async def fork(self, number: int) -> Path:
        raise _not_live()

    async def checkpoint_changes(self, number: int) -> tuple[list[Difference], str]:
        raise _not_live()

    async def rollback_plan(self, number: int) -> tuple[list[Difference], list[Difference]]:
        raise _not_live()

    async def rollback(
        self, number: int, *, files: bool = True, conversation: bool = True, force: bool = False
    ) -> Rollback:
        raise _not_live()

    def pause(self) -> None:
        self.commands.append(("pause",))
        if self._paused or self._stopped:
            return
        self._paused = True
        self._emit(Paused(session_id=self.session_id, by="user", ts=self._now()))

    def resume(self) -> None:
        self.commands.append(("resume",))
        if not self._paused or self._stopped:
            return
        self._paused = False
        self._emit(Resumed(session_id=self.session_id, by="user", ts=self._now()))
        self._continue()

    def steer(self, text: str) -> None:
        self.commands.append(("steer", text))
        self._emit(Steered(session_id=self.session_id, text=text, ts=self._now()))

    def stop(self) -> None:
        self.commands.append(("stop",))
        if self._stopped:
            return
        self._stopped = True
        self._pending = None
        self._emit(
            SessionEnded(session_id=self.session_id, status="stopped", reason="stopped by user")
        )
        self._wake.set()

    # --- playback ---------------------------------------------------------------------

    def start(self) -> None:
        """Begin paced playback on the running event loop (idempotent)."""
        if self.speed <= 0:
            self._play_sync()
            return
        if self._task is None:
            if self._script:
                self._shift = time.time() - self._script[min(self._pos, len(self._script) - 1)].ts
            self._task = asyncio.get_running_loop().create_task(self._play_paced())

    def _blocked(self) -> bool:
        return self._stopped or self._paused or self._pending is not None

    def _play_sync(self) -> None:
        while not self._blocked() and self._pos < len(self._script):
            self._step()

    async def _play_paced(self) -> None:
        while self._pos < len(self._script) and not self._stopped:
            if self._blocked():
                self._wake.clear()
                await self._wake.wait()
                continue
            event = self._script[self._pos]
            if self._last_ts is not None:
                gap = min(max(event.ts - self._last_ts, 0.0) / self.speed, self.max_gap_s)
                if gap > 0:
                    await asyncio.sleep(gap)
                if self._blocked():
                    continue
            self._last_ts = event.ts
            if self._shift:
                self._script[self._pos] = event.model_copy(update={"ts": event.ts + self._shift})
            self._step()

    def _continue(self) -> None:
        if self.speed <= 0:
            self._play_sync()
        else:
            self._wake.set()

    def _step(self) -> None:
        event = self._script[self._pos]
        self._pos += 1
        if isinstance(event, ApprovalDecided) and event.request_id in self._decided:
            return  # the user's decision was already emitted
        tool_id = getattr(event, "tool_use_id", None)
        if event.kind in _TOOL_RUN_KINDS and tool_id in self._denied_tools:
            return  # the recording ran a call the user denied here
        self._emit(event)
        if isinstance(event, ApprovalRequested):
            self._pending = event

    def _decide(
        self,
        request_id: str,
        decision: Literal["allow", "deny"],
        *,
        scope: Literal["once", "session", "pattern"] = "once",
        message: str = "",
    ) -> None:
        pending = self._pending
        if pending is None or pending.request_id != request_id:
            return
        self._pending = None
        self._decided.add(request_id)
        self._emit(
            ApprovalDecided(
                session_id=self.session_id,
                tool_use_id=pending.tool_use_id,
                request_id=request_id,
                decision=decision,
                by="user",
                how="replay",
                scope=scope,
                message=message,
                ts=self._now(),
            )
        )
        if decision == "deny":
            self._denied_tools.add(pending.tool_use_id)
            reason = f"Denied by the user: {message}" if message else "Denied by the user."
            self._emit(
                ToolFinished(
                    session_id=self.session_id,
                    tool_use_id=pending.tool_use_id,
                    name=pending.name,
                    content=reason,
                    is_error=True,
                    ts=self._now(),
                )
            )
        self._continue()

    def _now(self) -> float:
        """Timestamps of synthesized events follow the recording's clock (deterministic)."""
        return self._events[-1].ts if self._events else 0.0

    def _emit(self, event: Event) -> None:
        seq = len(self._events) + 1
        if event.seq != seq or event.session_id != self.session_id:
            event = event.model_copy(update={"seq": seq, "session_id": self.session_id})
        self._events.append(event)
        if isinstance(event, ApprovalRequested):
            self._status = "waiting"
        elif isinstance(event, ApprovalDecided):
            self._status = "paused" if self._paused else "running"
        elif isinstance(event, Paused):
            self._status = "paused"
        elif isinstance(event, Resumed):
            self._status = "waiting" if self._pending else "running"
        elif isinstance(event, SessionEnded):
            self._status = event.status
        for listener in list(self._listeners):
            listener(event)


def _not_live() -> Exception:
    from cockpit.errors import CockpitError

    return CockpitError("A replayed recording has no workspace to roll back; open the session.")
