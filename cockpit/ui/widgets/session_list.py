"""SessionList: the sidebar, one row per session with its status badge and health summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from cockpit.ui.render import fmt_tokens

if TYPE_CHECKING:
    from cockpit.ui.session_view import SessionView

STATUS_BADGES: dict[str, tuple[str, str, str]] = {
    # status -> (icon, label, style)
    "running": ("●", "running", "$text-primary"),
    "waiting": ("◆", "waiting for you", "bold $text-warning"),
    "paused": ("‖", "paused", "$text-warning"),
    "done": ("✓", "done", "$text-success"),
    "failed": ("✗", "failed", "$text-error"),
    "stopped": ("■", "stopped", "$text-muted"),
    "interrupted": ("⚠", "interrupted", "$text-error"),
}


def status_badge(status: str) -> tuple[str, str, str]:
    return STATUS_BADGES.get(status, ("○", status, "$text-muted"))


def health_line(view: SessionView) -> Content:
    h = view.totals
    fill = h.context_fill()
    fill_style = "$text-error" if fill > 0.8 else "$text-warning" if fill > 0.6 else "$text-muted"
    fail_style = "$text-error" if h.failed_tools else "$text-muted"
    retry_style = "$text-warning" if h.retries or h.api_errors else "$text-muted"
    return Content.assemble(
        (f"✗{h.failed_tools}", fail_style),
        " ",
        (f"↻{h.retries}", retry_style),
        " ",
        (f"ctx {fill:.0%}", fill_style),
        (f" {fmt_tokens(h.tokens)} ${h.cost_usd:.2f}", "$text-muted"),
    )


def session_row(view: SessionView, status: str, attention: bool) -> Content:
    icon, label, style = status_badge(status)
    title = view.title
    bell = Content.styled(" !", "bold $text-warning") if attention else ""
    return Content.assemble(
        (f"{icon} ", style),
        (title, "bold"),
        bell,
        "\n  ",
        (label, style),
        "\n  ",
        health_line(view),
    )


class SessionList(OptionList):
    """Sessions in the sidebar; selecting one shows it in the active pane."""

    DEFAULT_CSS = """
    SessionList {
        width: 32;
        height: 1fr;
        border: none;
        border-right: vkey $panel;
        scrollbar-background: $background;
        scrollbar-color: $panel;
        background: $background;
        padding: 0;
        scrollbar-size-vertical: 1;
        & > .option-list--option { padding: 0 1; }
        & > .option-list--option-highlighted { background: $panel; }
        &:focus > .option-list--option-highlighted { background: $primary 30%; }
    }
    """

    BINDINGS = [Binding("enter", "select", "Show", show=False)]

    # Moving the highlight repaints the rows of the two options involved, not the whole
    # list (a full repaint of the sidebar cost ~7 ms of the frame after a pane switch).
    highlighted: reactive[int | None] = reactive(None, repaint=False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._rows: dict[str, Content] = {}

    def set_session(self, view: SessionView, status: str, attention: bool) -> None:
        """Add or update the row of one session (cheap when nothing changed)."""
        row = session_row(view, status, attention)
        previous = self._rows.get(view.session_id)
        if previous is not None and previous.plain == row.plain and previous.spans == row.spans:
            return
        self._rows[view.session_id] = row
        if previous is None:
            self.add_option(Option(row, id=view.session_id))
        else:
            self.replace_option_prompt(view.session_id, row)

    def watch_highlighted(self, old: int | None, new: int | None) -> None:  # type: ignore[override]
        super().watch_highlighted(new)
        for index in {old, new}:
            if index is None:
                continue
            try:
                self.refresh_lines(self._index_to_line[index], self._heights[index])
            except KeyError:  # not laid out yet
                self.refresh()
                return

    def highlight_session(self, session_id: str) -> None:
        try:
            index = self.get_option_index(session_id)
        except Exception:
            return
        if self.highlighted != index:
            self.highlighted = index
