"""The command surface the UI (or a headless runner) uses to drive one session."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from cockpit.events import Event, SessionStatus

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

    def approve(self, request_id: str, scope: Literal["once", "session"] = "once") -> None: ...

    def deny(self, request_id: str, message: str = "") -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def steer(self, text: str) -> None: ...

    def stop(self) -> None: ...
