"""SessionPane: one session's header, transcript, attention bar and steering input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Region
from textual.widgets import Input, Static

from cockpit.ui.health_strip import strip, thresholds
from cockpit.ui.items import summarize_input
from cockpit.ui.messages import SteerSubmitted
from cockpit.ui.render import ItemRenderer, fmt_duration, fmt_tokens
from cockpit.ui.widgets.session_list import status_badge
from cockpit.ui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from cockpit.ui.session_view import SessionView


class SteerInput(Input):
    """The input under a transcript: what you type is sent to the agent as steering."""

    DEFAULT_CSS = """
    SteerInput {
        border: none;
        border-top: hkey $panel;
        height: 2;
        padding: 0 1;
        background: $surface;
        &:focus { border: none; border-top: hkey $primary; background-tint: $foreground 3%; }
    }
    """


class SessionPane(Vertical):
    """The pane of one session. The screen decides whether it is shown."""

    DEFAULT_CSS = """
    SessionPane {
        border: round $border-blurred;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        background: $surface;
        height: 1fr;
        width: 1fr;
        & > #header {
            height: 2; padding: 0 1; color: $text-muted;
            text-wrap: nowrap; text-overflow: ellipsis;
        }
        &.compact > #header { height: 1; }
        & > #health {
            height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
        }
        & > #attention {
            display: none; height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
            background: $warning 20%; color: $text-warning; text-style: bold;
        }
        & > #attention.shown { display: block; }
    }
    """

    def __init__(self, view: SessionView, renderer: ItemRenderer, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.view = view
        self.renderer = renderer
        self.status = "running"
        self._header_key: tuple[object, ...] = ()
        self._active: bool | None = None
        self._ready = False
        self._border_key: tuple[object, ...] = ()
        self._attention_key: tuple[object, ...] = ()
        self._health_key: object = None
        self._limits = thresholds()
        self._quiet = False

    def on_mount(self) -> None:
        self._ready = True

    @property
    def ready(self) -> bool:
        """True once the children exist (a pane added while running mounts a little later)."""
        return self._ready

    def set_active(self, active: bool) -> None:
        """Highlight the active pane by its border only (a class would restyle every child)."""
        if active == self._active:
            return
        self._active = active
        variables = self.app.theme_variables
        color = variables["primary"] if active else variables.get("border-blurred", "#444444")
        self.styles.border = ("round", Color.parse(color))

    def restyle_border(self) -> None:
        active, self._active = self._active, None
        self.set_active(bool(active))

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if self._quiet:  # _set_border_text repaints only the border rows itself
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _set_border_text(self, title: Content, subtitle: str) -> None:
        """Set the border title and subtitle, repainting only the top and bottom rows.

        Textual repaints the whole pane (and the compositor every widget in it) when a
        border title changes; the elapsed time alone changes once a second in every pane.
        """
        self._quiet = True
        try:
            self.border_title = title
            self.border_subtitle = subtitle
        finally:
            self._quiet = False
        width, height = self.size
        if height > 1:
            self.refresh(Region(0, 0, width, 1), Region(0, height - 1, width, 1))
        else:
            self.refresh()

    def compose(self) -> ComposeResult:
        yield Static(id="header", markup=False)
        yield Static(id="health", markup=False)
        yield Transcript(self.view, self.renderer, id="transcript")
        yield Static(id="attention", markup=False)
        yield SteerInput(placeholder="Steer this agent…  (s)", id="steer")

    @property
    def transcript(self) -> Transcript:
        return self.query_one(Transcript)

    @property
    def steer_input(self) -> SteerInput:
        return self.query_one(SteerInput)

    def refresh_chrome(self, status: str, now: float, compact: bool = False) -> None:
        """Update the border titles, header and attention bar (each only when it changed)."""
        if not self._ready:
            return
        view = self.view
        self.status = status
        elapsed = ""
        if view.start_ts is not None:
            # Whole seconds: tenths would redraw every pane's border ten times a second.
            seconds = view.elapsed(now)
            elapsed = fmt_duration(seconds) if seconds >= 60 else f"{int(seconds)}s"
        pending = view.first_pending()
        border_key = (status, elapsed, view.title, view.totals.tokens)
        if border_key != self._border_key:
            self._border_key = border_key
            icon, label, style = status_badge(status)
            title = Content.assemble(
                (f" {icon} ", style), (view.title, "bold"), ("  ", ""), (label, style), " "
            )
            tokens = fmt_tokens(view.totals.tokens)
            self._set_border_text(title, f" {elapsed} · {tokens} tok " if elapsed else "")
        header_key = (view.goal, view.model, view.mode, compact)
        if header_key != self._header_key:
            self._header_key = header_key
            self.set_class(compact, "compact")
            meta = " · ".join(x for x in (view.model, view.mode and f"mode {view.mode}") if x)
            goal = Content.assemble(
                ("Goal ", "bold $text-accent"), (view.goal.replace("\n", " "), "$text")
            )
            if not compact and meta:
                goal = Content.assemble(goal, "\n", (meta, "$text-muted"))
            self.query_one("#header", Static).update(goal, layout=False)
        health_key = view.health_history[-1][0] if view.health_history else 0
        if health_key != self._health_key:
            self._health_key = health_key
            self.query_one("#health", Static).update(strip(view.health, self._limits), layout=False)
        attention_key = (status, pending.request_id if pending is not None else None)
        if attention_key != self._attention_key:
            self._attention_key = attention_key
            attention = self.query_one("#attention", Static)
            if pending is not None:
                summary = pending.summary or summarize_input(pending.name, pending.input)
                attention.update(f"◆ a: review · {pending.name}({summary})", layout=False)
                attention.add_class("shown")
            elif status == "paused":
                attention.update("‖ Paused — p to resume, s to steer", layout=False)
                attention.add_class("shown")
            else:
                attention.remove_class("shown")

    def prefill_steer(self, text: str) -> None:
        """Offer a steering message (the watchdog's) in the input, unless the user is typing."""
        steer = self.steer_input
        if text and not steer.value:
            steer.value = text

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        event.input.value = ""
        if text:
            self.post_message(SteerSubmitted(self.view.session_id, text))
