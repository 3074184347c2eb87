"""CockpitApp: a thin Textual App wiring the main screen, dialogs, themes and global keys."""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from cockpit.ui.commands import AppCommands, PaletteCommand, key_hint, with_hint
from cockpit.ui.messages import AttentionNeeded, OpenSessionRequested, ReviewRequested
from cockpit.ui.requests import NewSessionRequest
from cockpit.ui.screens.main import MainScreen
from cockpit.ui.themes import DEFAULT_THEME, load_themes, saved_theme
from cockpit.ui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from textual.worker import Worker

    from cockpit.engine.controller import SessionControl
    from cockpit.ui.screens.approval import ApprovalItem, ApprovalResult

GC_THRESHOLD0 = 20_000

SessionFactory = Callable[[NewSessionRequest], Awaitable["SessionControl"]]

__all__ = ["CockpitApp", "NewSessionRequest", "SessionFactory", "run_app"]


class CockpitApp(App[None]):
    """Supervise sessions. Give it ready `sessions`, or `requests` for `session_factory`."""

    TITLE = "Cockpit"
    COMMANDS: ClassVar = App.COMMANDS | {AppCommands}
    CSS = """
    Toast { max-width: 60; }
    Footer { background: $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+p", "command_palette", "Palette", show=False),
        Binding("n", "new_session", "New", show=False),
        Binding("o", "open_session", "Open…", show=False),
        Binding("T", "next_theme", "Theme", show=False),
        Binding("q", "quit", "Quit", show=False),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        sessions: Sequence[SessionControl] | None = None,
        session_factory: SessionFactory | None = None,
        *,
        requests: Sequence[NewSessionRequest] = (),
        theme: str | None = None,
        clock: Callable[[], float] | None = None,
        persist_theme: bool = True,
        ask_when_empty: bool = True,
        sessions_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.initial_sessions = list(sessions or [])
        self.session_factory = session_factory
        self.initial_requests = list(requests)
        self.clock = clock or time.time
        self.persist_theme = persist_theme
        self.ask_when_empty = ask_when_empty
        self.sessions_dir = sessions_dir  # the session browser's folder (else the setting's)
        self.cockpit_themes: list[str] = []
        for found in load_themes().values():
            self.register_theme(found)
            self.cockpit_themes.append(found.name)
        wanted = theme or saved_theme()
        self._saved = wanted
        self.theme = wanted if wanted in self.available_themes else DEFAULT_THEME
        self._approvals: Worker[None] | None = None
        self._gc_thresholds: tuple[int, int, int] | None = None

    # --- setup --------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.clock)

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for control in self.initial_sessions:
            self.main.add_session(control)
        if self.initial_requests and self.session_factory is not None:
            self.run_worker(self._create_sessions(self.initial_requests), exclusive=False)
        elif not self.initial_sessions and self.session_factory is not None and self.ask_when_empty:
            self.call_after_refresh(self.action_new_session)
        self.call_after_refresh(self._focus_first)
        self.call_after_refresh(self._tune_gc)

    def _tune_gc(self) -> None:
        """After the first paint: freeze start-up objects out of the collector and collect
        the young generation less often. Every frame allocates many short-lived Strips;
        with the default thresholds they get promoted and trigger full collections of
        ~60 ms several times a second, which were the longest frames while streaming."""
        if self._gc_thresholds is None:
            self._gc_thresholds = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(GC_THRESHOLD0, *self._gc_thresholds[1:])

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and isinstance(self.screen, MainScreen):
            # The frame that shows the key's effect carries nothing else (see hold_paints).
            self.screen.hold_paints()
        await super().on_event(event)

    def on_unmount(self) -> None:
        if self._gc_thresholds is not None:
            gc.set_threshold(*self._gc_thresholds)
            gc.unfreeze()
            self._gc_thresholds = None

    def _focus_first(self) -> None:
        entry = self.main.active_entry
        if entry is not None and entry.pane.ready:
            entry.pane.transcript.focus()

    def add_session(self, control: SessionControl) -> None:
        """Add a running session (from any code on the event loop)."""
        self.main.add_session(control)
        if len(self.main.sessions) == 1:
            self.call_after_refresh(self._focus_first)

    async def _create_sessions(self, requests: Iterable[NewSessionRequest]) -> None:
        assert self.session_factory is not None
        for request in requests:
            try:
                control = await self.session_factory(request)
            except Exception as exc:  # the factory's errors are the user's to read
                self.notify(f"Could not start the session: {exc}", severity="error", timeout=8)
                continue
            self.add_session(control)
            if request.resume:
                await self._ask_if_workspace_changed(control)

    async def _ask_if_workspace_changed(self, control: SessionControl) -> None:
        """A reopened session whose workspace changed outside Cockpit: the user chooses."""
        from cockpit.events import WatchdogAlert
        from cockpit.ui.screens.resume_choice import ResumeChoiceScreen

        events = control.events
        last = events[-1] if events else None
        if not isinstance(last, WatchdogAlert) or last.rule != "resume.workspace_changed":
            return
        entry = self.main.sessions.get(control.session_id)
        title = entry.view.title if entry is not None else control.session_id
        choice = await self.push_screen_wait(ResumeChoiceScreen(title, last.message))
        if choice == "continue":
            control.steer(
                "The engineer chose to continue on the workspace as it is now: it changed "
                "outside Cockpit since your last step, so re-check what you rely on."
            )
        elif choice == "rollback":
            self.main.focus_session(control.session_id)
            self.main.action_timeline()
        else:
            self.notify(f"{title} is open to read; nothing runs until you steer it.", timeout=4)

    # --- attention and approvals ------------------------------------------------------

    def on_attention_needed(self, message: AttentionNeeded) -> None:
        self.bell()
        attention = message.attention
        if attention.reason == "approval":
            self.notify(
                attention.text, title=f"◆ {message.title} is waiting for you", severity="warning"
            )
            if message.visible and self.screen is self.main:
                self.review(message.session_id)
        elif attention.reason == "watchdog":
            self.notify(attention.text, title=f"‖ {message.title}: watchdog", severity="warning")
        else:
            done = attention.text.startswith("done")
            self.notify(
                attention.text,
                title=f"{message.title} finished",
                severity="information" if done else "error",
            )

    def on_review_requested(self, message: ReviewRequested) -> None:
        self.review(message.session_id)

    def pending_items(self, first_session: str | None = None) -> list[ApprovalItem]:
        """Every pending request in order of arrival (the inbox), `first_session`'s first."""
        from cockpit.ui.screens.approval import ApprovalItem

        items = [
            ApprovalItem(sid, entry.view.title, request, entry.view.workspace)
            for sid, entry in self.main.sessions.items()
            for request in entry.view.pending.values()
        ]
        items.sort(key=lambda i: (i.session_id != first_session, i.request.ts))
        return items

    def review(self, session_id: str | None = None) -> None:
        """Open the approval dialog on the pending requests, `session_id`'s first.

        One worker owns the dialog: while it runs, new requests join its queue instead of
        opening a second dialog.
        """
        if self._approvals is not None and not self._approvals.is_finished:
            return
        self._approvals = self.run_worker(
            self._approval_loop(session_id), name="approvals", group="approvals"
        )

    async def _approval_loop(self, first_session: str | None) -> None:
        """Walk the inbox one request at a time until the user steps away or nothing waits.

        After a decision the oldest request still waiting follows, whichever pane it comes
        from; `w` in the dialog moves on without deciding. Each decision resolves the gate's
        future through the session's controller, so no session waits on another.
        """
        from cockpit.ui.screens.approval import ApprovalScreen

        decided: set[str] = set()
        skipped: list[str] = []
        items = self._undecided(first_session, decided)
        while items:
            screen = ApprovalScreen(items, inbox=self.inbox)
            result = await self.push_screen_wait(screen)
            if result is None:
                return
            if result.decision == "skip":
                skipped.append(result.request_id)
            else:
                decided.add(result.request_id)
                self._apply_decision(result)
            items = self._undecided(None, decided)
            # Skipped requests go to the back of the line until everything was seen.
            fresh = [i for i in items if i.request.request_id not in skipped]
            if not fresh:
                skipped.clear()
            items = fresh + [i for i in items if i.request.request_id in skipped]

    def inbox(self) -> list[str]:
        """The request ids waiting across every session, oldest first."""
        return [i.request.request_id for i in self.pending_items()]

    def _undecided(self, first_session: str | None, decided: set[str]) -> list[ApprovalItem]:
        items = self.pending_items(first_session)
        return [i for i in items if i.request.request_id not in decided]

    def _apply_decision(self, result: ApprovalResult) -> None:
        entry = self.main.sessions.get(result.session_id)
        if entry is None:
            return
        title = entry.view.title
        if result.decision == "allow":
            entry.control.approve(result.request_id, result.grant, result.edited_input)
            if result.grant is not None:
                what = "exactly this call" if result.grant.exact else result.grant.pattern
                self.notify(f"Allowed for this session in {title}: {what}", timeout=3)
            elif result.edited_input is not None:
                self.notify(f"Allowed your edit in {title}", timeout=2)
            else:
                self.notify(f"Allowed once in {title}", timeout=2)
        else:
            entry.control.deny(result.request_id, result.message)
            self.notify(f"Denied in {title}", severity="warning", timeout=2)
        self.main.decided(result.session_id)

    # --- actions ----------------------------------------------------------------------

    def action_help(self) -> None:
        from cockpit.ui.screens.approval import ApprovalScreen
        from cockpit.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        groups: list[tuple[str, list[BindingType]]] = [
            ("Everywhere", [*self.BINDINGS, Binding("ctrl+p", "", "Command palette")]),
            ("Sessions and panes", list(MainScreen.BINDINGS)),
            ("Transcript", list(Transcript.BINDINGS)),
            ("Approval dialog", list(ApprovalScreen.BINDINGS)),
        ]
        self.push_screen(HelpScreen(groups))

    def action_open_session(self) -> None:
        """Browse the saved sessions and open one in a pane (to read, steer or roll back)."""
        from cockpit.ui.screens.sessions import SessionBrowser

        if self.session_factory is None:
            self.notify("This cockpit cannot open sessions (a replay).", timeout=3)
            return
        folder = self.sessions_dir
        if folder is None:
            from cockpit.config import load_settings

            folder = load_settings().resolved_sessions_dir()
        open_ids = {e.control.session_id for e in self.main.sessions.values()}

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.open_saved(path)

        self.push_screen(SessionBrowser(folder, open_ids), chosen)

    def on_open_session_requested(self, message: OpenSessionRequested) -> None:
        self.open_saved(message.path)

    def open_saved(self, path: Path) -> None:
        """Open a saved session file in a new pane (a fork, a session from the browser)."""
        from cockpit.ui.requests import NewSessionRequest

        if self.session_factory is None:
            self.notify("This cockpit cannot open sessions (a replay).", timeout=3)
            return
        request = NewSessionRequest(workspace="", goal="", resume=str(path))
        self.run_worker(self._create_sessions([request]), group="sessions")

    def action_new_session(self) -> None:
        from cockpit.ui.screens.new_session import NewSessionScreen

        if self.session_factory is None:
            self.notify("This cockpit was opened without a way to start sessions.", timeout=3)
            return
        if isinstance(self.screen, NewSessionScreen):
            return

        def done(request: NewSessionRequest | None) -> None:
            if request is not None:
                self.run_worker(self._create_sessions([request]), exclusive=False)

        self.push_screen(NewSessionScreen(), done)

    def palette_commands(self) -> list[PaletteCommand]:
        """The app's own commands: help, a new session, each theme."""
        out = [
            PaletteCommand(
                "Help: keys",
                self.action_help,
                with_hint("Every key binding", key_hint(self, self.BINDINGS, "help")),
            )
        ]
        if self.session_factory is not None:
            hint = key_hint(self, self.BINDINGS, "new_session")
            out.append(
                PaletteCommand(
                    "New session", self.action_new_session, with_hint("Start a session", hint)
                )
            )
            opened = key_hint(self, self.BINDINGS, "open_session")
            out.append(
                PaletteCommand(
                    "Open a saved session",
                    self.action_open_session,
                    with_hint("Browse the sessions folder: read, continue, roll back", opened),
                )
            )
        for name in self.cockpit_themes:
            out.append(
                PaletteCommand(
                    f"Theme: {name}", partial(self.set_theme, name), "Switch and remember"
                )
            )
        return out

    def set_theme(self, name: str) -> None:
        self.theme = name

    def action_next_theme(self) -> None:
        names = self.cockpit_themes or [DEFAULT_THEME]
        current = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(current + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def _remember_theme(self, theme: object) -> None:
        name = self.theme
        if not self.persist_theme or name == self._saved:
            return
        self._saved = name
        from cockpit.config import save_setting
        from cockpit.errors import CockpitError

        try:
            save_setting("theme", name)
        except (OSError, CockpitError) as exc:
            self.notify(f"Could not save the theme: {exc}", severity="warning")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys", "Maximize", "Minimize"):
                yield command

    async def action_quit(self) -> None:
        if self.screen_stack:
            screen = self.screen_stack[0]
            if isinstance(screen, MainScreen):
                screen.remove_all()
        self.exit()


def run_app(
    sessions: Sequence[SessionControl] | None = None,
    session_factory: SessionFactory | None = None,
    **kwargs: object,
) -> None:
    """Open the cockpit in the terminal on these sessions (or the new-session dialog)."""
    CockpitApp(sessions, session_factory, **kwargs).run()  # type: ignore[arg-type]
