"""The typed messages that carry intent up the widget tree (widgets -> screen -> app)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from cockpit.ui.items import Attention


class SteerSubmitted(Message):
    """The user typed steering text for a session (from its pane's input)."""

    def __init__(self, session_id: str, text: str) -> None:
        super().__init__()
        self.session_id = session_id
        self.text = text


class AttentionNeeded(Message):
    """A session needs the user: an approval, a watchdog pause, the end of a run."""

    def __init__(self, session_id: str, title: str, attention: Attention, visible: bool) -> None:
        super().__init__()
        self.session_id = session_id
        self.title = title
        self.attention = attention
        self.visible = visible


class ReviewRequested(Message):
    """The user wants to decide pending approvals, those of `session_id` first."""

    def __init__(self, session_id: str | None) -> None:
        super().__init__()
        self.session_id = session_id


class OpenSessionRequested(Message):
    """Open a saved session file in a new pane (a fork just made, a file from the browser)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
