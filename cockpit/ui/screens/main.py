"""MainScreen: the sidebar of sessions and the pane area (1, 2 or 4 panes, maximise, cycle)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widgets import OptionList, Static

from cockpit.ui import compat
from cockpit.ui.commands import PaletteCommand, ScreenCommands, key_hint, with_hint
from cockpit.ui.messages import AttentionNeeded, ReviewRequested, SteerSubmitted
from cockpit.ui.pane_layout import PaneLayout
from cockpit.ui.render import ItemRenderer, Palette
from cockpit.ui.repaint import RepaintScheduler
from cockpit.ui.widgets.key_bar import KeyBar
from cockpit.ui.widgets.session_list import SessionList
from cockpit.ui.widgets.session_pane import SessionPane
from cockpit.vocab import END_STATUSES, MODE_HELP, SWITCH_MODES, ApprovalMode

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.widget import Widget

    from cockpit.engine.controller import SessionControl
    from cockpit.events import Event
    from cockpit.ui.items import Attention
    from cockpit.ui.session_view import SessionView

FLUSH_INTERVAL = 1 / 30
TICK_INTERVAL = 0.1


@dataclass(eq=False)
class SessionEntry:
    """One session as the screen holds it: its controller, folded view, pane and inbox."""

    control: SessionControl
    view: SessionView
    pane: SessionPane
    queue: list[Event] = field(default_factory=list)
    unsubscribe: Callable[[], None] | None = None
    needs_you: bool = False
    status: str = "running"

    @property
    def session_id(self) -> str:
        return self.view.session_id

    @property
    def ended(self) -> bool:
        return self.status in END_STATUSES


class MainScreen(Screen[None]):
    """Sessions side by side. Events are buffered and drawn at most 30 times a second."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {ScreenCommands}

    # Moving focus must not repaint every pane (see compat.focus_without_repaint).
    focused: Reactive[Widget | None] = compat.focus_without_repaint()

    DEFAULT_CSS = """
    MainScreen { layout: vertical; background: $background; }
    MainScreen #body { height: 1fr; }
    MainScreen #panes { layout: grid; grid-size: 1 1; grid-gutter: 0; height: 1fr; }
    MainScreen #panes.layout-2 { grid-size: 2 1; }
    MainScreen #panes.layout-4 { grid-size: 2 2; }
    MainScreen #empty {
        width: 1fr; height: 1fr; content-align: center middle; color: $text-muted;
    }
    MainScreen.-narrow SessionList { display: none; }
    MainScreen.-narrow SessionList.shown { display: block; width: 30; }
    MainScreen.-narrow #panes.layout-2, MainScreen.-narrow #panes.layout-4 { grid-size: 1 1; }
    MainScreen SessionList.hidden { display: none; }
    MainScreen SessionPane.hidden { display: none; }
    """

    BINDINGS = [
        Binding("right_square_bracket", "cycle(1)", "Next pane", key_display="]"),
        Binding("left_square_bracket", "cycle(-1)", "Prev pane", key_display="[", show=False),
        Binding("z", "maximize_pane", "Maximise"),
        Binding("w", "next_waiting", "Next waiting"),
        Binding("a", "review", "Approve…"),
        Binding("i", "inbox", "Inbox"),
        Binding("m", "cycle_mode", "Mode", show=False),
        Binding("D", "dry_run", "Dry-run changes", show=False),
        Binding("t", "timeline", "Timeline", show=False),
        Binding("h", "health", "Health", show=False),
        Binding("s", "steer", "Steer"),
        Binding("p", "toggle_pause", "Pause/resume", show=False),
        Binding("x", "stop", "Stop", show=False),
        Binding("1", "layout(1)", "1 pane", show=False),
        Binding("2", "layout(2)", "2 panes", show=False),
        Binding("4", "layout(4)", "4 panes", show=False),
        Binding("b", "toggle_sidebar", "Sidebar", show=False),
        Binding("escape", "leave_input", "Back to transcript", show=False),
    ]

    def __init__(
        self,
        clock: Callable[[], float],
        scheduler: RepaintScheduler | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.sessions: dict[str, SessionEntry] = {}
        self.pane_layout = PaneLayout()
        self.scheduler = scheduler or RepaintScheduler()
        self.renderer: ItemRenderer | None = None
        # Sessions with queued events not folded yet, and sidebar rows to redraw.
        self._dirty: set[str] = set()
        self._sidebar_dirty: set[str] = set()
        self._stop_armed: str | None = None
        self._early: list[SessionControl] = []
        self._shown: set[str] = set()

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield SessionList(id="sidebar")
            with Container(id="panes", classes="layout-4"):
                yield Static("No sessions yet.  Press n for a new session, ? for help.", id="empty")
        yield KeyBar()

    def on_mount(self) -> None:
        self.renderer = ItemRenderer(self.app.console, self.make_palette())
        self.set_interval(FLUSH_INTERVAL, self.flush, name="flush")
        self.set_interval(TICK_INTERVAL, self.tick, name="tick")
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)
        early, self._early = self._early, []
        for control in early:
            self.add_session(control)

    # --- themes -----------------------------------------------------------------------

    def make_palette(self) -> Palette:
        return Palette.from_variables(self.app.theme_variables, self.app.current_theme.dark)

    def _on_theme_changed(self, _theme: object) -> None:
        if self.renderer is None:
            return
        self.renderer.palette = self.make_palette()
        self.renderer.clear()
        for entry in self.sessions.values():
            if not entry.pane.ready:
                continue
            entry.pane.restyle_border()
            entry.pane.transcript.restyle(redraw=self.is_visible(entry.session_id))

    # --- sessions ---------------------------------------------------------------------

    def add_session(self, control: SessionControl) -> SessionEntry | None:
        """Show a session: fold its history, subscribe to new events, give it a pane."""
        if self.renderer is None:  # not mounted yet: added in on_mount
            self._early.append(control)
            return None
        from cockpit.ui.session_view import SessionView  # pydantic: after the first paint

        view = SessionView(control.session_id)
        for event in list(control.events):
            view.fold(event, live=False)
        pane = SessionPane(view, self.renderer, id=f"pane-{len(self.sessions)}")
        entry = SessionEntry(control=control, view=view, pane=pane, status=control.status)
        entry.needs_you = bool(view.pending) or control.status == "waiting"
        self.sessions[view.session_id] = entry

        def listener(event: Event) -> None:
            entry.queue.append(event)
            self._dirty.add(view.session_id)

        # No await between reading the history and subscribing: nothing can be missed.
        entry.unsubscribe = control.subscribe(listener)
        self.query_one("#empty").display = False
        self.query_one("#panes").mount(pane)
        self.query_one(SessionList).set_session(view, entry.status, entry.needs_you)
        self.pane_layout.add(view.session_id)
        self._dirty.add(view.session_id)
        self.call_after_refresh(self.apply_layout)
        return entry

    def remove_all(self) -> None:
        for entry in self.sessions.values():
            if entry.unsubscribe is not None:
                entry.unsubscribe()

    @property
    def active(self) -> str | None:
        return self.pane_layout.active

    @property
    def active_entry(self) -> SessionEntry | None:
        active = self.pane_layout.active
        return self.sessions.get(active) if active else None

    def is_visible(self, session_id: str) -> bool:
        self.pane_layout.narrow = self.has_class("-narrow")
        return self.pane_layout.is_visible(session_id)

    def visible_ids(self) -> list[str]:
        self.pane_layout.narrow = self.has_class("-narrow")
        return self.pane_layout.visible(list(self.sessions))

    def pending_requests(self) -> list[tuple[SessionEntry, list[str]]]:
        """Each session with its waiting request ids, in session order."""
        return [(e, list(e.view.pending)) for e in self.sessions.values() if e.view.pending]

    # --- the draw loop ------------------------------------------------------------------

    def hold_paints(self) -> None:
        """Keep streaming repaints out of the next frame (a key is being handled).

        The frame that shows a keypress then costs only what the key changed; the timers
        catch up right after it, one frame (~17 ms) later.
        """
        if self.scheduler.hold():
            self.call_after_refresh(self.scheduler.release)

    def _fold_queued(self) -> None:
        """Fold the events that arrived since the last flush into the session views."""
        dirty, self._dirty = self._dirty, set()
        for session_id in dirty:
            entry = self.sessions.get(session_id)
            if entry is None:
                continue
            queue, entry.queue = entry.queue, []
            for event in queue:
                attention = entry.view.fold(event)
                if attention is not None:
                    self._attention(entry, attention)
            status = entry.control.status
            if status != entry.status or queue:
                entry.status = status
                self._sidebar_dirty.add(session_id)
            self.scheduler.mark_stale(session_id)
        self.query_one(KeyBar).set_badge(sum(len(e.view.pending) for e in self.sessions.values()))

    def flush(self, force: bool = False) -> None:
        """Fold buffered events, then repaint the stale panes the scheduler says are due.

        Nothing is folded or repainted while a key's frame is pending (`hold_paints`).
        """
        if self.scheduler.held and not force:
            return
        if self._dirty:
            self._fold_queued()
        due = self.scheduler.due(self.active, self.is_visible, self._pane_ready)
        if due:
            now = self.clock()
            for session_id in due:
                self._paint(self.sessions[session_id], now)

    def _pane_ready(self, session_id: str) -> bool:
        entry = self.sessions.get(session_id)
        return entry is not None and entry.pane.ready

    def _paint(self, entry: SessionEntry, now: float) -> None:
        self.scheduler.painted(entry.session_id)
        entry.pane.transcript.now = now
        entry.pane.transcript.sync()
        entry.pane.refresh_chrome(entry.status, now, compact=self._compact())

    def flush_now(self) -> None:
        """Fold everything and repaint every stale visible pane at once (tests, layout)."""
        if self._dirty:
            self._fold_queued()
        now = self.clock()
        for session_id in self.scheduler.stale():
            if self.is_visible(session_id) and self._pane_ready(session_id):
                self._paint(self.sessions[session_id], now)

    def _update_sidebar(self) -> None:
        if not self._sidebar_dirty:
            return
        dirty, self._sidebar_dirty = self._sidebar_dirty, set()
        sidebar = self.query_one(SessionList)
        for session_id in dirty:
            entry = self.sessions.get(session_id)
            if entry is not None:
                sidebar.set_session(entry.view, entry.status, entry.needs_you)

    def tick(self) -> None:
        """Spinners and elapsed times of visible panes."""
        if self.scheduler.held:
            return
        now = self.clock()
        compact = self._compact()
        self._update_sidebar()
        for session_id in self.visible_ids():
            entry = self.sessions[session_id]
            if not entry.pane.ready:
                continue
            entry.pane.transcript.tick(now)
            entry.pane.refresh_chrome(entry.status, now, compact=compact)

    def _compact(self) -> bool:
        layout = self.pane_layout
        return self.has_class("-narrow") or (layout.layout == 4 and not layout.zoomed)

    def _attention(self, entry: SessionEntry, attention: Attention) -> None:
        entry.needs_you = attention.reason != "ended" or entry.needs_you
        if attention.reason == "watchdog" and entry.pane.ready:
            entry.pane.prefill_steer(entry.view.suggested_steer)
        self.post_message(
            AttentionNeeded(
                entry.session_id, entry.view.title, attention, self.is_visible(entry.session_id)
            )
        )

    # --- layout -------------------------------------------------------------------------

    def apply_layout(self) -> None:
        """Show the panes of the current layout; hide (and stop drawing) the others."""
        panes = self.query_one("#panes")
        self.pane_layout.narrow = self.has_class("-narrow")
        layout = self.pane_layout.shown
        panes.set_class(layout == 1, "layout-1")
        panes.set_class(layout == 2, "layout-2")
        panes.set_class(layout == 4, "layout-4")
        self.pane_layout.refill(list(self.sessions))
        now = self.clock()
        for sid, entry in self.sessions.items():
            entry.pane.set_class(not self.pane_layout.is_visible(sid), "hidden")
            entry.pane.set_active(sid == self.active)
        # Grid order follows DOM order; move visible panes into slot order.
        visible_panes = [self.sessions[s].pane for s in self.pane_layout.shown_in_order()]
        shown = [c for c in panes.children if c in visible_panes]
        if shown != visible_panes:
            for i, pane in enumerate(visible_panes):
                if i > 0 and pane.parent is panes:
                    panes.move_child(pane, after=visible_panes[i - 1])
        visible = set(self.visible_ids())
        newly_visible, self._shown = visible - self._shown, visible
        for sid in visible:
            entry = self.sessions[sid]
            entry.pane.refresh_chrome(entry.status, now, compact=self._compact())
            if sid in newly_visible:
                self._dirty.add(sid)
        if self.active:
            self.query_one(SessionList).highlight_session(self.active)
        if not newly_visible:
            return
        # A pane that just came into view is drawn now, not at its next turn.
        if self._dirty:
            self._fold_queued()
        for sid in newly_visible:
            if self.scheduler.is_stale(sid) and self._pane_ready(sid):
                self._paint(self.sessions[sid], now)

    def focus_session(self, session_id: str, focus_transcript: bool = True) -> None:
        """Make a session the active pane (bringing it into view) and focus it."""
        if session_id not in self.sessions:
            return
        self.pane_layout.active = session_id
        entry = self.sessions[session_id]
        if entry.needs_you and not entry.view.pending and entry.status != "paused":
            entry.needs_you = False
            self.query_one(SessionList).set_session(entry.view, entry.status, False)
        self.apply_layout()
        if focus_transcript:
            entry.pane.transcript.focus()

    def decided(self, session_id: str) -> None:
        """The user answered a request of this session: it no longer calls for them."""
        entry = self.sessions.get(session_id)
        if entry is not None:
            entry.needs_you = False
            self._sidebar_dirty.add(session_id)

    def on_descendant_focus(self, event: object) -> None:
        focused = self.focused
        for sid, entry in self.sessions.items():
            if focused is not None and entry.pane in focused.ancestors_with_self:
                if self.active != sid:
                    self.pane_layout.active = sid
                    for other in self.sessions.values():
                        other.pane.set_active(other is entry)
                    self.query_one(SessionList).highlight_session(sid)
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.focus_session(event.option.id)

    def on_steer_submitted(self, event: SteerSubmitted) -> None:
        event.stop()
        entry = self.sessions.get(event.session_id)
        if entry is not None:
            entry.control.steer(event.text)
            self.notify(f"Steering sent to {entry.view.title}", timeout=2)
            entry.pane.transcript.focus()

    # --- the command palette ----------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        """Go to each session, then the session and pane commands, with their keys."""
        out: list[PaletteCommand] = []
        for sid, entry in self.sessions.items():
            goal = entry.view.goal.replace("\n", " ")
            out.append(
                PaletteCommand(
                    f"Go to session: {entry.view.title}",
                    partial(self.focus_session, sid),
                    f"{entry.status} · {goal[:80]}",
                )
            )
        active = self.active_entry
        title = active.view.title if active else "the active session"
        # (name, action run, action whose key is shown, help)
        rows = [
            ("Pause session", "toggle_pause", "toggle_pause", f"Pause or resume {title}"),
            ("Resume session", "toggle_pause", "toggle_pause", f"Pause or resume {title}"),
            ("Stop session", "stop_now", "stop", f"Stop {title} (the key asks twice)"),
            ("Steer session", "steer", "steer", f"Type a message to {title}"),
            ("Review approval", "review", "review", "Open the pending approval"),
            ("Approval inbox", "inbox", "inbox", "Every waiting request, oldest first"),
            ("Mode: ask", "set_mode('ask')", "cycle_mode", "Ask before HIGH and CRITICAL"),
            ("Mode: plan", "set_mode('plan')", "cycle_mode", "Nothing that changes anything runs"),
            ("Mode: auto", "set_mode('auto')", "cycle_mode", "Ask only before CRITICAL"),
            (
                "Mode: dry-run",
                "set_mode('dry-run')",
                "cycle_mode",
                "Work on a copy of the workspace",
            ),
            ("Review dry-run changes", "dry_run", "dry_run", "Diff, apply or discard the copy"),
            (
                "Timeline and rollback",
                "timeline",
                "timeline",
                "Checkpoints; roll back files or talk",
            ),
            ("Health of this session", "health", "health", "Every metric, its chart, its meaning"),
            (
                "Revoke session grants",
                "revoke_grants",
                "revoke_grants",
                "Every risky call asks again",
            ),
            ("Next session waiting for you", "next_waiting", "next_waiting", "Jump"),
            ("Layout: 1 pane", "layout(1)", "layout(1)", "One pane"),
            ("Layout: 2 panes", "layout(2)", "layout(2)", "Two panes side by side"),
            ("Layout: 4 panes", "layout(4)", "layout(4)", "A 2x2 grid"),
            ("Maximise pane", "maximize_pane", "maximize_pane", "Maximise or restore"),
            ("Toggle sidebar", "toggle_sidebar", "toggle_sidebar", "Show or hide the sessions"),
        ]
        for name, action, shown, text in rows:
            hint = key_hint(self.app, self.BINDINGS, shown)
            out.append(
                PaletteCommand(name, partial(self.run_action, action), with_hint(text, hint))
            )
        return out

    # --- actions ------------------------------------------------------------------------

    def action_cycle(self, step: int) -> None:
        self.pane_layout.narrow = self.has_class("-narrow")
        target = self.pane_layout.cycle(list(self.sessions), step)
        if target is not None:
            self.focus_session(target)

    def action_layout(self, n: int) -> None:
        self.pane_layout.set_layout(n)
        self.apply_layout()
        if self.active_entry is not None:
            self.active_entry.pane.transcript.focus()

    def action_maximize_pane(self) -> None:
        self.pane_layout.zoomed = not self.pane_layout.zoomed
        self.apply_layout()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one(SessionList)
        sidebar.toggle_class("shown" if self.has_class("-narrow") else "hidden")

    def action_next_waiting(self) -> None:
        def waiting(sid: str) -> bool:
            entry = self.sessions[sid]
            return bool(entry.view.pending) or entry.needs_you

        target = self.pane_layout.next_matching(list(self.sessions), waiting)
        if target is None:
            self.notify("No session is waiting for you.", timeout=2)
            return
        self.focus_session(target)
        if self.sessions[target].view.pending:
            self.action_review()

    def action_review(self) -> None:
        entry = self.active_entry
        if entry is None or not entry.view.pending:
            self.notify("Nothing to approve in this session.", timeout=2)
            return
        self.post_message(ReviewRequested(entry.session_id))

    def action_inbox(self) -> None:
        if not any(e.view.pending for e in self.sessions.values()):
            self.notify("No request is waiting.", timeout=2)
            return
        self.post_message(ReviewRequested(None))

    def action_cycle_mode(self) -> None:
        entry = self.active_entry
        if entry is None:
            return
        current = entry.control.approval_mode
        modes = list(SWITCH_MODES)
        nxt = modes[(modes.index(current) + 1) % len(modes)] if current in modes else "ask"
        self.action_set_mode(nxt)

    def action_set_mode(self, mode: str) -> None:
        from cockpit.errors import CockpitError

        entry = self.active_entry
        if entry is None or mode not in SWITCH_MODES:
            return
        try:
            entry.control.set_mode(cast(ApprovalMode, mode))
        except CockpitError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        self.notify(f"{entry.view.title}: mode {mode} — {MODE_HELP[mode]}", timeout=3)

    def action_dry_run(self) -> None:
        from cockpit.ui.screens.dry_run import DryRunScreen

        entry = self.active_entry
        if entry is None:
            return
        if not entry.control.in_dry_run:
            self.notify("This session is not in dry-run mode (m switches modes).", timeout=3)
            return
        self.app.push_screen(DryRunScreen(entry.control, entry.view.title))

    def action_health(self) -> None:
        from cockpit.ui.screens.health import HealthScreen

        entry = self.active_entry
        if entry is not None:
            self.app.push_screen(HealthScreen(entry.view))

    def action_timeline(self) -> None:
        from cockpit.ui.screens.timeline import TimelineScreen

        entry = self.active_entry
        if entry is not None:
            self.app.push_screen(TimelineScreen(entry.control, entry.view.title))

    def action_revoke_grants(self) -> None:
        entry = self.active_entry
        if entry is None:
            return
        count = entry.control.revoke_grants()
        self.notify(f"{count} grant(s) withdrawn in {entry.view.title}.", timeout=3)

    def action_steer(self) -> None:
        entry = self.active_entry
        if entry is not None:
            entry.pane.steer_input.focus()

    def action_leave_input(self) -> None:
        entry = self.active_entry
        if entry is not None:
            entry.pane.transcript.focus()

    def action_toggle_pause(self) -> None:
        entry = self.active_entry
        if entry is None:
            return
        if entry.ended:
            self.notify("This session has ended.", timeout=2)
        elif entry.status == "paused":
            entry.control.resume()
        else:
            entry.control.pause()

    def action_stop(self) -> None:
        """Stop the active session; the first press arms, the second within 3 s stops."""
        entry = self.active_entry
        if entry is None or entry.ended:
            return
        if self._stop_armed == entry.session_id:
            self._stop_armed = None
            entry.control.stop()
            return
        self._stop_armed = entry.session_id
        self.notify(f"Press x again to stop {entry.view.title}.", severity="warning", timeout=3)
        self.set_timer(3, self._disarm_stop)

    def action_stop_now(self) -> None:
        """Stop the active session at once (the palette's command: it was chosen by name)."""
        entry = self.active_entry
        if entry is not None and not entry.ended:
            entry.control.stop()

    def _disarm_stop(self) -> None:
        self._stop_armed = None
