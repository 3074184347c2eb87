"""HealthScreen: every health metric of one session, its value, a sparkline, its definition.

The values are the session's `health_sample` events (one per complete turn); the
definitions come from `HealthMonitor.definitions()`, the thresholds from the watchdog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Sparkline, Static

from cockpit.ui.health_strip import STYLES, level, thresholds

if TYPE_CHECKING:
    from cockpit.ui.session_view import SessionView


class HealthScreen(ModalScreen[None]):
    """The health of one session, metric by metric."""

    DEFAULT_CSS = """
    HealthScreen { align: center middle; background: $background 60%; }
    HealthScreen #box {
        width: 96%; height: 92%; border: thick $primary; background: $surface; padding: 0 1;
    }
    HealthScreen #title { text-style: bold; height: auto; margin-bottom: 1; }
    HealthScreen .row { height: 2; }
    HealthScreen .name { width: 34; }
    HealthScreen Sparkline { width: 32; height: 1; margin-right: 2; }
    HealthScreen .definition { width: 1fr; color: $text-muted; }
    HealthScreen #hint { color: $text-muted; height: 1; }
    """

    BINDINGS = [Binding("escape", "close", "Close"), Binding("h", "close", "Close", show=False)]

    def __init__(self, view: SessionView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        from cockpit.health.monitor import HealthMonitor

        limits = thresholds()
        samples = list(self.view.health_history)
        latest = self.view.health
        turns = f"{len(samples)} samples, the last at turn {samples[-1][1]}" if samples else ""
        with Vertical(id="box"):
            yield Static(
                Content.assemble(
                    ("Health", "bold $text-primary"),
                    ("  ·  ", "$text-muted"),
                    (self.view.title, "bold"),
                    ("  ·  ", "$text-muted"),
                    (turns or "no complete turn yet", "$text-muted"),
                ),
                id="title",
            )
            with VerticalScroll(id="metrics"):
                for d in HealthMonitor.definitions():
                    series = [m.get(d.name, 0.0) for _, _, m in samples]
                    value = latest.get(d.name)
                    shown = "—" if value is None else f"{value:.3g}"
                    style = STYLES[level(d.name, value or 0.0, limits)]
                    limit = limits.get(d.name)
                    with Horizontal(classes="row"):
                        yield Static(
                            Content.assemble(
                                (d.name, "bold"),
                                "  ",
                                (shown, style),
                                (f"  (≥ {limit:g})" if limit is not None else "", "$text-muted"),
                            ),
                            classes="name",
                        )
                        yield Sparkline(series or [0.0], summary_function=max)
                        yield Static(Content(d.text), classes="definition")
            yield Static(Content("each metric over the session's turns · esc: close"), id="hint")

    def action_close(self) -> None:
        self.dismiss(None)
