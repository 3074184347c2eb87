"""MainScreen: the sidebar of sessions and the pane area (1, 2 or 4 panes, maximise, cycle)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widgets import OptionList, Static

from cockpit.ui.render import ItemRenderer, Palette
from cockpit.ui.session_view import Attention, SessionView
from cockpit.ui.widgets.key_bar import KeyBar
from cockpit.ui.widgets.session_list import SessionList
from cockpit.ui.widgets.session_pane import SessionPane

if TYPE_CHECKING:
    from textual.widget import Widget

    from cockpit.engine.controller import SessionControl
    from cockpit.events import Event

FLUSH_INTERVAL = 1 / 30
# A pane repaints at most this often: the focused one smoothly, the others slower.
# Every repaint of a scrolling pane costs the compositor all of its lines (~5 ms).
FOCUSED_INTERVAL = 1 / 20
OTHER_INTERVAL = 1 / 7
TICK_INTERVAL = 0.1
Layout = Literal[1, 2, 4]


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


class MainScreen(Screen[None]):
    """Sessions side by side. Events are buffered and drawn at most 30 times a second."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    # Textual repaints the whole screen when focus moves (`Screen.focused` is a repainting
    # reactive): every pane, the sidebar and the key bar, ~30 ms a pane switch here. The
    # widgets whose look depends on focus restyle and refresh themselves, so skip that.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

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
        Binding("s", "steer", "Steer"),
        Binding("p", "toggle_pause", "Pause/resume", show=False),
        Binding("x", "stop", "Stop", show=False),
        Binding("1", "layout(1)", "1 pane", show=False),
        Binding("2", "layout(2)", "2 panes", show=False),
        Binding("4", "layout(4)", "4 panes", show=False),
        Binding("b", "toggle_sidebar", "Sidebar", show=False),
        Binding("escape", "leave_input", "Back to transcript", show=False),
    ]

    def __init__(self, clock: Callable[[], float], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.sessions: dict[str, SessionEntry] = {}
        self.pane_layout: Layout = 4
        self.zoomed = False
        self.slots: list[str] = []
        self.active: str | None = None
        self.renderer: ItemRenderer | None = None
        self._dirty: set[str] = set()
        # Visible sessions with changes not yet painted, and when each pane last painted.
        self._stale: set[str] = set()
        self._painted: dict[str, float] = {}
        self._sidebar_dirty: set[str] = set()
        self._stop_armed: str | None = None
        self.on_attention: Callable[[SessionEntry, Attention], None] | None = None
        self._early: list[SessionControl] = []
        self._shown: set[str] = set()
        self._held = False

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
            entry.pane.transcript._width = 0
            if self._visible(entry.session_id):
                entry.pane.transcript.sync()

    # --- sessions ---------------------------------------------------------------------

    def add_session(self, control: SessionControl) -> SessionEntry | None:
        """Show a session: fold its history, subscribe to new events, give it a pane."""
        if self.renderer is None:  # not mounted yet: added in on_mount
            self._early.append(control)
            return None
        view = SessionView(control.session_id)
        for event in list(control.events):
            view.fold(event, live=False)
        pane = SessionPane(view, self.renderer, id=f"pane-{len(self.sessions)}")
        entry = SessionEntry(control=control, view=view, pane=pane, status=control.status)
        entry.needs_you = bool(view.pending) or control.status in ("waiting",)
        self.sessions[view.session_id] = entry

        def listener(event: Event) -> None:
            entry.queue.append(event)
            self._dirty.add(view.session_id)

        # No await between reading the history and subscribing: nothing can be missed.
        entry.unsubscribe = control.subscribe(listener)
        self.query_one("#empty").display = False
        self.query_one("#panes").mount(pane)
        self.query_one(SessionList).set_session(view, entry.status, entry.needs_you)
        if self.active is None:
            self.active = view.session_id
        if len(self.slots) < self.pane_layout:
            self.slots.append(view.session_id)
        self._dirty.add(view.session_id)
        self.call_after_refresh(self.apply_layout)
        return entry

    def remove_all(self) -> None:
        for entry in self.sessions.values():
            if entry.unsubscribe is not None:
                entry.unsubscribe()

    @property
    def active_entry(self) -> SessionEntry | None:
        return self.sessions.get(self.active) if self.active else None

    def _visible(self, session_id: str) -> bool:
        if self.zoomed or self.effective_layout == 1:
            return session_id == self.active
        return session_id in self.slots

    @property
    def effective_layout(self) -> int:
        return 1 if self.has_class("-narrow") else self.pane_layout

    def visible_ids(self) -> list[str]:
        return [sid for sid in self.sessions if self._visible(sid)]

    # --- the draw loop ------------------------------------------------------------------

    def hold_paints(self) -> None:
        """Keep streaming repaints out of the next frame (a key is being handled).

        The frame that shows a keypress then costs only what the key changed; the timers
        catch up right after it, one frame (~17 ms) later.
        """
        if not self._held:
            self._held = True
            self.call_after_refresh(self._release_paints)

    def _release_paints(self) -> None:
        self._held = False

    def flush(self, force: bool = False) -> None:
        """Fold buffered events, then repaint stale panes, staggered and rate-limited.

        The focused pane repaints up to 20 times a second; the others up to 7 times, and at
        most one of them per flush, so a single frame never repaints every pane. Nothing is
        repainted while a key's frame is pending (`hold_paints`).
        """
        if self._held and not force:
            return
        if self._dirty:
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
                if status != entry.status:
                    entry.status = status
                    self._sidebar_dirty.add(session_id)
                elif queue:
                    self._sidebar_dirty.add(session_id)
                self._stale.add(session_id)
        if not self._stale:
            return
        now = self.clock()
        mono = time.monotonic()
        painted_other = False
        for session_id in sorted(self._stale, key=lambda s: self._painted.get(s, 0.0)):
            entry = self.sessions.get(session_id)
            if entry is None or not self._visible(session_id):
                self._stale.discard(session_id)
                continue
            if not entry.pane.ready:
                continue
            focused = session_id == self.active
            interval = FOCUSED_INTERVAL if focused else OTHER_INTERVAL
            if mono - self._painted.get(session_id, 0.0) < interval:
                continue
            if not focused:
                if painted_other:
                    continue
                painted_other = True
            self._paint(entry, now, mono)

    def _paint(self, entry: SessionEntry, now: float, mono: float | None = None) -> None:
        session_id = entry.session_id
        self._stale.discard(session_id)
        self._painted[session_id] = time.monotonic() if mono is None else mono
        entry.pane.transcript.now = now
        entry.pane.transcript.sync()
        entry.pane.refresh_chrome(entry.status, now, compact=self._compact())

    def flush_now(self) -> None:
        """Fold everything and repaint every stale visible pane at once (tests, layout)."""
        self.flush(force=True)
        now = self.clock()
        for session_id in list(self._stale):
            entry = self.sessions.get(session_id)
            if entry is not None and self._visible(session_id) and entry.pane.ready:
                self._paint(entry, now)

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
        if self._held:
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
        return self.has_class("-narrow") or (self.effective_layout == 4 and not self.zoomed)

    def _attention(self, entry: SessionEntry, attention: Attention) -> None:
        entry.needs_you = attention.reason != "ended" or entry.needs_you
        if self.on_attention is not None:
            self.on_attention(entry, attention)

    # --- layout -------------------------------------------------------------------------

    def apply_layout(self) -> None:
        """Show the panes of the current layout; hide (and stop drawing) the others."""
        panes = self.query_one("#panes")
        layout = 1 if self.zoomed else self.effective_layout
        panes.set_class(layout == 1, "layout-1")
        panes.set_class(layout == 2, "layout-2")
        panes.set_class(layout == 4, "layout-4")
        if self.active is None and self.sessions:
            self.active = next(iter(self.sessions))
        # Fill the slots: keep the order, make sure the active session is in them.
        ids = list(self.sessions)
        self.slots = [s for s in self.slots if s in self.sessions][: self.pane_layout]
        if self.active and self.active not in self.slots:
            if len(self.slots) >= self.pane_layout:
                self.slots[-1] = self.active
            else:
                self.slots.append(self.active)
        for sid in ids:
            if len(self.slots) >= self.pane_layout:
                break
            if sid not in self.slots:
                self.slots.append(sid)
        now = self.clock()
        for sid, entry in self.sessions.items():
            visible = self._visible(sid)
            entry.pane.set_class(not visible, "hidden")
            entry.pane.set_active(sid == self.active)
        # Grid order follows DOM order; move visible panes into slot order.
        visible_panes = [self.sessions[s].pane for s in self.slots if self._visible(s)]
        shown = [c for c in panes.children if c in visible_panes]
        if shown != visible_panes:
            for i, pane in enumerate(visible_panes):
                if i > 0 and pane.parent is panes:
                    panes.move_child(pane, after=visible_panes[i - 1])
        newly_visible = set(self.visible_ids()) - self._shown
        self._shown = set(self.visible_ids())
        for sid in self._shown:
            entry = self.sessions[sid]
            entry.pane.refresh_chrome(entry.status, now, compact=self._compact())
            if sid in newly_visible:
                self._dirty.add(sid)
        if self.active:
            self.query_one(SessionList).highlight_session(self.active)
        if not newly_visible:
            return
        self.flush(force=True)  # a pane that just came into view must not wait
        # Panes that just came into view are drawn now, not at their next turn.
        for sid in newly_visible:
            entry = self.sessions[sid]
            if sid in self._stale and entry.pane.ready:
                self._paint(entry, now)

    def focus_session(self, session_id: str, focus_transcript: bool = True) -> None:
        """Make a session the active pane (bringing it into view) and focus it."""
        if session_id not in self.sessions:
            return
        self.active = session_id
        entry = self.sessions[session_id]
        if entry.needs_you and not entry.view.pending and entry.status != "paused":
            entry.needs_you = False
            self.query_one(SessionList).set_session(entry.view, entry.status, False)
        self.apply_layout()
        if focus_transcript:
            entry.pane.transcript.focus()

    def on_descendant_focus(self, event: object) -> None:
        focused = self.focused
        for sid, entry in self.sessions.items():
            if focused is not None and entry.pane in focused.ancestors_with_self:
                if self.active != sid:
                    self.active = sid
                    for other in self.sessions.values():
                        other.pane.set_active(other is entry)
                    self.query_one(SessionList).highlight_session(sid)
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.focus_session(event.option.id)

    def on_session_pane_steer(self, event: SessionPane.Steer) -> None:
        entry = self.sessions.get(event.session_id)
        if entry is not None:
            entry.control.steer(event.text)
            self.notify(f"Steering sent to {entry.view.title}", timeout=2)
            entry.pane.transcript.focus()

    # --- actions ------------------------------------------------------------------------

    def action_cycle(self, step: int) -> None:
        if not self.sessions:
            return
        if self.zoomed or self.effective_layout == 1:
            ids = list(self.sessions)
        else:
            ids = [s for s in self.slots if s in self.sessions]
        current = ids.index(self.active) if self.active in ids else 0
        self.focus_session(ids[(current + step) % len(ids)])

    def action_layout(self, n: int) -> None:
        self.pane_layout = n if n in (1, 2, 4) else 4  # type: ignore[assignment]
        self.zoomed = False
        self.apply_layout()
        if self.active_entry is not None:
            self.active_entry.pane.transcript.focus()

    def action_maximize_pane(self) -> None:
        self.zoomed = not self.zoomed
        self.apply_layout()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one(SessionList)
        sidebar.toggle_class("shown" if self.has_class("-narrow") else "hidden")

    def action_next_waiting(self) -> None:
        ids = list(self.sessions)
        if not ids:
            return
        start = ids.index(self.active) + 1 if self.active in ids else 0
        for sid in ids[start:] + ids[:start]:
            entry = self.sessions[sid]
            if entry.view.pending or entry.needs_you:
                self.focus_session(sid)
                if entry.view.pending:
                    self.action_review()
                return
        self.notify("No session is waiting for you.", timeout=2)

    def action_review(self) -> None:
        entry = self.active_entry
        if entry is None or not entry.view.pending:
            self.notify("Nothing to approve in this session.", timeout=2)
            return
        open_approval = getattr(self.app, "open_approval", None)
        if open_approval is not None:
            open_approval(entry.session_id)

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
        if entry.status in ("done", "failed", "stopped", "interrupted"):
            self.notify("This session has ended.", timeout=2)
        elif entry.status == "paused":
            entry.control.resume()
        else:
            entry.control.pause()

    def action_stop(self) -> None:
        entry = self.active_entry
        if entry is None or entry.status in ("done", "failed", "stopped", "interrupted"):
            return
        if self._stop_armed == entry.session_id:
            self._stop_armed = None
            entry.control.stop()
            return
        self._stop_armed = entry.session_id
        self.notify(f"Press x again to stop {entry.view.title}.", severity="warning", timeout=3)
        self.set_timer(3, self._disarm_stop)

    def _disarm_stop(self) -> None:
        self._stop_armed = None
