"""HelpScreen: every key binding of the cockpit, grouped by where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


def _key_label(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    names = {
        "right_square_bracket": "]",
        "left_square_bracket": "[",
        "question_mark": "?",
        "escape": "esc",
        "enter,space": "enter/space",
    }
    key = binding.key
    return names.get(key, key.replace(",", "/"))


def binding_rows(bindings: list[BindingType]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for b in bindings:
        if isinstance(b, Binding) and b.description:
            rows.append((_key_label(b), b.description))
    return rows


class HelpScreen(ModalScreen[None]):
    """Keys, grouped: everywhere, sessions and panes, the transcript, the approval dialog."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background 60%; }
    HelpScreen #help {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 2;
        border-title-style: bold;
    }
    HelpScreen #keys { height: auto; max-height: 100%; }
    """

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss_help", "Close", key_display="esc"),
    ]

    def __init__(self, groups: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        parts: list[Content | str | tuple[str, str]] = []
        for title, bindings in self.groups:
            rows = binding_rows(bindings)
            if not rows:
                continue
            parts.append((f"\n{title}\n", "bold $text-accent"))
            for key, description in rows:
                parts.append((f"  {key:<14}", "bold $text-primary"))
                parts.append((f"{description}\n", "$text"))
        parts.append(
            (
                "\nctrl+p opens the command palette: sessions, actions, layouts, themes.",
                "$text-muted",
            )
        )
        with Vertical(id="help") as box:
            box.border_title = "Keys"
            box.border_subtitle = "esc to close"
            with VerticalScroll(id="keys"):
                yield Static(Content.assemble(*parts))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
