"""The command surface the UI (or a headless runner) uses to drive one session."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from cockpit.events import ApprovalMode, Event, SessionStatus

if TYPE_CHECKING:
    from cockpit.engine.dryrun import Change
    from cockpit.events import Rollback
    from cockpit.policy.gate import GrantRequest
    from cockpit.store.checkpoints import Difference

Listener = Callable[[Event], None]


class SessionControl(Protocol):
    """What a front end may read from and send to a running session.

    Events flow out through `subscribe`; commands flow in through the methods.
    Every command is recorded as an event by the session, so the UI never writes state.
    """

    session_id: str

    @property
    def status(self) -> SessionStatus: ...

    @property
    def events(self) -> Sequence[Event]:
        """Every event of this session so far, in order."""
        ...

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` for each new event (on the event loop); returns an unsubscribe."""
        ...

    @property
    def approval_mode(self) -> ApprovalMode: ...

    def approve(
        self,
        request_id: str,
        grant: GrantRequest | None = None,
        edited_input: dict[str, Any] | None = None,
    ) -> None:
        """Allow a waiting call: once, with a grant for calls like it, or as the user edited it."""
        ...

    def deny(self, request_id: str, message: str = "") -> None: ...

    def set_mode(
        self, mode: ApprovalMode, by: Literal["user", "watchdog", "policy"] = "user"
    ) -> None: ...

    def grants(self) -> list[str]:
        """The live session grants, as the user reads them."""
        ...

    def revoke_grants(self, by: Literal["user", "watchdog", "policy"] = "user") -> int: ...

    @property
    def in_dry_run(self) -> bool: ...

    def dry_run_changes(self) -> list[Change]: ...

    def dry_run_diff(self, path: str) -> str: ...

    def apply_dry_run(self) -> list[Change]:
        """All or nothing; raises CockpitError (ApplyConflict) and changes nothing on failure."""
        ...

    def discard_dry_run(self) -> list[Change]: ...

    async def fork(self, number: int) -> Path:
        """A new session file and workspace as they were at checkpoint `number`."""
        ...

    async def checkpoint_changes(self, number: int) -> tuple[list[Difference], str]:
        """What the action after checkpoint `number` changed: paths, and unified diffs."""
        ...

    async def rollback_plan(self, number: int) -> tuple[list[Difference], list[Difference]]:
        """(what restoring checkpoint `number` changes, what changed outside Cockpit)."""
        ...

    async def rollback(
        self, number: int, *, files: bool = True, conversation: bool = True, force: bool = False
    ) -> Rollback: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def steer(self, text: str) -> None: ...

    def stop(self) -> None: ...
