"""Command-palette providers: jump to a session; every cockpit action, layout and theme."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp


class _CockpitProvider(Provider):
    @property
    def cockpit(self) -> CockpitApp:
        return self.app  # type: ignore[return-value]

    def commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for name, command, help_text in self.commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, command, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, text=name, help=help_text)


class SessionsProvider(_CockpitProvider):
    """'Go to <session>' for every session, with its status."""

    def commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        main = self.cockpit.main
        out: list[tuple[str, Callable[[], Any], str]] = []
        for sid, entry in main.sessions.items():
            goal = entry.view.goal.replace("\n", " ")
            out.append(
                (
                    f"Go to session: {entry.view.title}",
                    partial(main.focus_session, sid),
                    f"{entry.status} · {goal[:80]}",
                )
            )
        return out


class ActionsProvider(_CockpitProvider):
    """Session commands, layouts and themes."""

    def commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app = self.cockpit
        main = app.main
        title = main.active_entry.view.title if main.active_entry else "the active session"
        out: list[tuple[str, Callable[[], Any], str]] = [
            ("Pause session", main.action_toggle_pause, f"Pause or resume {title} (p)"),
            ("Resume session", main.action_toggle_pause, f"Pause or resume {title} (p)"),
            ("Stop session", partial(app.stop_active), f"Stop {title} (x x)"),
            ("Steer session", main.action_steer, f"Type a message to {title} (s)"),
            ("Review approval", main.action_review, "Open the pending approval (a)"),
            ("Next session waiting for you", main.action_next_waiting, "Jump (w)"),
            ("Layout: 1 pane", partial(main.action_layout, 1), "One pane (1)"),
            ("Layout: 2 panes", partial(main.action_layout, 2), "Two panes side by side (2)"),
            ("Layout: 4 panes", partial(main.action_layout, 4), "A 2x2 grid (4)"),
            ("Maximise pane", main.action_maximize_pane, "Maximise or restore (z)"),
            ("Toggle sidebar", main.action_toggle_sidebar, "Show or hide the sessions (b)"),
            ("Help: keys", app.action_help, "Every key binding (?)"),
        ]
        if app.session_factory is not None:
            out.append(("New session", app.action_new_session, "Start a session (n)"))
        for name in app.cockpit_themes:
            out.append((f"Theme: {name}", partial(app.set_theme, name), "Switch and remember"))
        return out
