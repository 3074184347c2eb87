"""SessionBrowser: the saved sessions of the sessions folder, newest first; Enter opens one.

Each row reads the file's one-row summary (never its events), so the list costs what it
shows. The chosen file is returned; the app opens it in a pane to read or continue.
"""

from __future__ import annotations

import time
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.ui.widgets.session_list import status_badge


class SessionBrowser(ModalScreen[Path | None]):
    """Pick a saved session to open."""

    DEFAULT_CSS = """
    SessionBrowser { align: center middle; background: $background 60%; }
    SessionBrowser #box {
        width: 90%; max-width: 130; height: 80%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    SessionBrowser #title { text-style: bold; height: auto; margin-bottom: 1; }
    SessionBrowser #rows { height: 1fr; }
    SessionBrowser #hint { color: $text-muted; height: 1; }
    """

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, folder: Path, open_ids: set[str]) -> None:
        super().__init__()
        self.folder = folder
        self.open_ids = open_ids
        self.paths: dict[str, Path] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(
                Content.assemble(
                    ("Sessions", "bold $text-primary"), ("  ·  ", ""), str(self.folder)
                ),
                id="title",
            )
            yield OptionList(id="rows")
            yield Static(Content("enter: open (read, steer to continue) · esc: close"), id="hint")

    def on_mount(self) -> None:
        from cockpit.errors import CockpitError
        from cockpit.store.session_file import list_sessions

        rows = self.query_one("#rows", OptionList)
        try:
            summaries, problems = list_sessions(self.folder)
        except CockpitError as exc:
            rows.add_option(Option(Content(str(exc)), disabled=True))
            return
        now = time.time()
        for s in summaries:
            icon, label, style = status_badge(s.status)
            here = "  (open)" if s.session_id in self.open_ids else ""
            ago = _ago(now - s.last_activity)
            figures = f"  {label} · {ago} · {s.event_count} events · ${s.cost_usd:.2f}"
            self.paths[str(s.path)] = s.path
            rows.add_option(
                Option(
                    Content.assemble(
                        (f"{icon} ", style),
                        (s.title or s.path.name, "bold"),
                        (figures, "$text-muted"),
                        (here, "$text-accent"),
                    ),
                    id=str(s.path),
                )
            )
        for path, problem in problems:
            rows.add_option(Option(Content(f"✗ {path.name}: {problem}"), disabled=True))
        if not summaries and not problems:
            rows.add_option(Option(Content("No saved sessions in this folder yet."), disabled=True))
        if summaries:
            rows.highlighted = 0
        rows.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id in self.paths:
            self.dismiss(self.paths[event.option.id])

    def action_close(self) -> None:
        self.dismiss(None)


def _ago(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
