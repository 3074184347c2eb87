"""SessionPane: one session's header, transcript, attention bar and steering input."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from cockpit.ui.render import ItemRenderer, fmt_duration, fmt_tokens
from cockpit.ui.session_view import SessionView, summarize_input
from cockpit.ui.widgets.session_list import status_badge
from cockpit.ui.widgets.transcript import Transcript


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
        &.active { border: round $primary; border-title-style: bold; }
        & > #header { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
        & > #attention {
            display: none; height: 1; padding: 0 1;
            background: $warning 20%; color: $text-warning; text-style: bold;
        }
        & > #attention.shown { display: block; }
    }
    """

    class Steer(Message):
        """The user typed steering text for this session."""

        def __init__(self, session_id: str, text: str) -> None:
            super().__init__()
            self.session_id = session_id
            self.text = text

    def __init__(self, view: SessionView, renderer: ItemRenderer, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.view = view
        self.renderer = renderer
        self.status = "running"
        self._header_key: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static(id="header", markup=False)
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
        """Update the border titles, header and attention bar (only when they changed)."""
        view = self.view
        self.status = status
        elapsed = fmt_duration(view.elapsed(now)) if view.start_ts is not None else ""
        pending = view.first_pending()
        key = (status, elapsed, view.title, view.goal, view.model, pending, view.health.tokens)
        if key == self._header_key:
            return
        self._header_key = key
        icon, label, style = status_badge(status)
        self.border_title = Content.assemble(
            (f" {icon} ", style), (view.title, "bold"), ("  ", ""), (label, style), " "
        )
        tokens = fmt_tokens(view.health.tokens)
        self.border_subtitle = f" {elapsed} · {tokens} tok " if elapsed else ""
        meta = " · ".join(x for x in (view.model, view.mode and f"mode {view.mode}") if x)
        header = self.query_one("#header", Static)
        goal = view.goal.replace("\n", " ")
        header.update(
            Content.assemble(("Goal ", "bold $text-accent"), (goal, "$text"))
            if compact or not meta
            else Content.assemble(
                ("Goal ", "bold $text-accent"), (goal, "$text"), "\n", (meta, "$text-muted")
            )
        )
        attention = self.query_one("#attention", Static)
        if pending is not None:
            summary = pending.summary or summarize_input(pending.name, pending.input)
            attention.update(f"◆ Waiting for you: {pending.name}({summary})  — a to review")
            attention.add_class("shown")
        elif status == "paused":
            attention.update("‖ Paused — p to resume, s to steer")
            attention.add_class("shown")
        else:
            attention.remove_class("shown")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        event.input.value = ""
        if text:
            self.post_message(self.Steer(self.view.session_id, text))
