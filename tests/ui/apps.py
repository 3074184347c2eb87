"""Apps over deterministic replayed sessions, for UI tests and snapshots."""

from __future__ import annotations

from cockpit.engine.replay import ReplayControl
from cockpit.ui.app import CockpitApp

from . import fixtures as fx

NOW = fx.T0 + 120.0  # a fixed clock: elapsed times and spinners are deterministic


def make_sessions() -> list[ReplayControl]:
    return [ReplayControl(events) for events in fx.all_sessions()]


def make_app(
    sessions: list[ReplayControl] | None = None, theme: str = "cockpit-dark", **kwargs: object
) -> CockpitApp:
    return CockpitApp(
        make_sessions() if sessions is None else sessions,
        theme=theme,
        clock=lambda: NOW,
        **kwargs,  # type: ignore[arg-type]
    )
