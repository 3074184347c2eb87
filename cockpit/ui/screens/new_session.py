"""NewSessionScreen: asks for workspace, goal, model or scenario, and approval mode."""

from __future__ import annotations

import os
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from cockpit.defaults import DEFAULT_MODEL
from cockpit.ui.requests import NewSessionRequest
from cockpit.vocab import DIALOG_MODES

# The default first (the dialog preselects it); the others once each.
MODELS = tuple(
    dict.fromkeys((DEFAULT_MODEL, "claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"))
)
SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scripted" / "scenarios"


def scenario_names(folder: Path = SCENARIOS_DIR) -> list[str]:
    """Scripted scenarios shipped with cockpit (file names; nothing is imported)."""
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in (".toml", ".yaml", ".yml"))


class NewSessionScreen(ModalScreen[NewSessionRequest | None]):
    """Start a session; returns the request (the app hands it to the session factory)."""

    DEFAULT_CSS = """
    NewSessionScreen { align: center middle; background: $background 60%; }
    NewSessionScreen #form {
        width: 80; max-width: 95%; height: auto; max-height: 95%;
        border: round $primary; background: $surface; padding: 0 2;
        border-title-style: bold;
    }
    NewSessionScreen Label { margin-top: 1; color: $text-muted; }
    NewSessionScreen #row { height: auto; }
    NewSessionScreen #row > Vertical { width: 1fr; height: auto; }
    NewSessionScreen #buttons { height: auto; margin-top: 1; margin-bottom: 1; }
    NewSessionScreen #buttons Button { margin-right: 2; }
    NewSessionScreen #error { color: $text-error; height: auto; }
    """

    AUTO_FOCUS = "#goal"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "start", "Start"),
    ]

    def __init__(self, workspace: str | None = None, scenarios: list[str] | None = None) -> None:
        super().__init__()
        self.workspace = workspace or os.getcwd()
        self.scenarios = scenario_names() if scenarios is None else scenarios

    def compose(self) -> ComposeResult:
        choices = [(m, f"model:{m}") for m in MODELS]
        choices += [(f"scenario · {s} (offline)", f"scenario:{s}") for s in self.scenarios]
        with Vertical(id="form") as form:
            form.border_title = "New session"
            form.border_subtitle = "ctrl+s start · esc cancel"
            yield Label("Workspace")
            yield Input(self.workspace, id="workspace")
            yield Label("Goal")
            yield Input(placeholder="What should the agent achieve?", id="goal")
            with Horizontal(id="row"):
                with Vertical():
                    yield Label("Model or scenario")
                    yield Select(choices, value=choices[0][1], allow_blank=False, id="model")
                with Vertical():
                    yield Label("Approval mode")
                    yield Select(
                        [(m, m) for m in DIALOG_MODES], value="ask", allow_blank=False, id="mode"
                    )
            yield Static("", id="error")
            with Horizontal(id="buttons"):
                yield Button("Start", id="start", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "start":
            self.action_start()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        workspace = self.query_one("#workspace", Input).value.strip()
        goal = self.query_one("#goal", Input).value.strip()
        choice = str(self.query_one("#model", Select).value)
        mode = str(self.query_one("#mode", Select).value)
        error = self.query_one("#error", Static)
        if not workspace or not Path(workspace).expanduser().is_dir():
            error.update(f"The workspace {workspace!r} is not a folder.")
            return
        kind, _, name = choice.partition(":")
        if not goal and kind != "scenario":
            error.update("Give the agent a goal.")
            return
        self.dismiss(
            NewSessionRequest(
                workspace=str(Path(workspace).expanduser()),
                goal=goal,
                model=name if kind == "model" else None,
                scenario=name if kind == "scenario" else None,
                mode=mode,  # type: ignore[arg-type]
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
