"""ResumeChoiceScreen: a reopened session's workspace changed outside Cockpit; what now.

Continue on the workspace as it is, roll back (the timeline opens), or only read it.
"""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

Choice = Literal["continue", "rollback", "read"]


class ResumeChoiceScreen(ModalScreen[Choice]):
    """Ask before a session continues on a workspace somebody else changed."""

    DEFAULT_CSS = """
    ResumeChoiceScreen { align: center middle; background: $background 60%; }
    ResumeChoiceScreen #box {
        width: 90%; max-width: 100; height: auto; border: thick $warning;
        background: $surface; padding: 1 2;
    }
    ResumeChoiceScreen #text { height: auto; margin-bottom: 1; }
    ResumeChoiceScreen #buttons { height: auto; }
    ResumeChoiceScreen #buttons Button { margin-right: 2; }
    """

    AUTO_FOCUS = "#read"
    BINDINGS = [
        Binding("c", "choose('continue')", "Continue"),
        Binding("r", "choose('rollback')", "Roll back…"),
        Binding("o", "choose('read')", "Read only"),
        Binding("escape", "choose('read')", "Read only", show=False),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.session_title = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(
                Content.assemble(
                    ("◆ The workspace changed  ·  ", "bold $text-warning"),
                    (self.session_title, "bold"),
                    "\n\n",
                    self.text[:1].upper() + self.text[1:],
                ),
                id="text",
            )
            with Horizontal(id="buttons"):
                yield Button("Continue as it is  c", id="continue", variant="warning")
                yield Button("Roll back…  r", id="rollback", variant="primary")
                yield Button("Read only  o", id="read", variant="default")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(str(event.button.id))

    def action_choose(self, choice: str) -> None:
        if choice in ("continue", "rollback", "read"):
            self.dismiss(choice)  # type: ignore[arg-type]
