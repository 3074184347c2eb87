"""DryRunScreen: what a dry-run session would change in the real workspace; apply or discard.

The list shows every file added, modified or removed in the copy; the right side shows the
selected file's diff. `a` applies all of it (all or nothing: a workspace that changed since
the copy was made refuses, naming the files), `x` twice discards it, esc closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from cockpit.engine.controller import SessionControl
    from cockpit.engine.dryrun import Change

MARKS = {"added": ("+", "$text-success"), "removed": ("-", "$text-error")}


class DryRunScreen(ModalScreen[None]):
    """The dry-run copy's changes of one session, with their diffs."""

    DEFAULT_CSS = """
    DryRunScreen { align: center middle; background: $background 60%; }
    DryRunScreen #box {
        width: 94%; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    DryRunScreen #title { text-style: bold; height: auto; margin-bottom: 1; }
    DryRunScreen #files { width: 40; height: 1fr; }
    DryRunScreen #diff { width: 1fr; height: 1fr; border: round $panel; }
    DryRunScreen #hint { color: $text-muted; height: 1; }
    """

    BINDINGS = [
        Binding("a", "apply", "Apply all"),
        Binding("x", "discard", "Discard all"),
        Binding("r", "reload", "Refresh"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, control: SessionControl, title: str) -> None:
        super().__init__()
        self.control = control
        self.session_title = title
        self.changes: list[Change] = []
        self._discard_armed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(id="title")
            with Horizontal():
                yield OptionList(id="files")
                with VerticalScroll(id="diff"):
                    yield Static(id="diff-text")
            yield Static(
                Content(
                    "a: apply all to the real workspace · x x: discard all · r: refresh · "
                    "esc: close (the session keeps working in its copy)"
                ),
                id="hint",
            )

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.changes = [c for c in self.control.dry_run_changes() if c.type != "dir"]
        counts = {
            k: sum(c.kind == k for c in self.changes) for k in ("added", "modified", "removed")
        }
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no changes yet"
        self.query_one("#title", Static).update(
            Content.assemble(
                ("Dry-run changes", "bold $text-primary"),
                ("  ·  ", "$text-muted"),
                (self.session_title, "bold"),
                ("  ·  ", "$text-muted"),
                (summary, ""),
            )
        )
        files = self.query_one("#files", OptionList)
        files.clear_options()
        for change in self.changes:
            mark, style = MARKS.get(change.kind, ("~", "$text-warning"))
            files.add_option(
                Option(Content.assemble((f"{mark} ", style), change.path), id=change.path)
            )
        if self.changes:
            files.highlighted = 0
            self._show(self.changes[0].path)
        else:
            self.query_one("#diff-text", Static).update("Nothing would change.")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show(event.option.id)

    def _show(self, path: str) -> None:
        text = self.control.dry_run_diff(path) or "(no difference)"
        dark = self.app.current_theme.dark
        self.query_one("#diff-text", Static).update(
            Syntax(text, "diff", theme="monokai" if dark else "friendly", word_wrap=True)
        )

    def action_apply(self) -> None:
        from cockpit.errors import CockpitError

        if not self.changes:
            self.notify("Nothing to apply.", timeout=2)
            return
        try:
            applied = self.control.apply_dry_run()
        except CockpitError as exc:
            self.notify(str(exc), title="Not applied", severity="error", timeout=10)
            return
        files = sum(c.type != "dir" for c in applied)
        self.notify(f"Applied {files} change(s) to the workspace.", timeout=4)
        self.dismiss(None)

    def action_discard(self) -> None:
        if not self._discard_armed:
            self._discard_armed = True
            self.notify("Press x again to discard every change in the copy.", severity="warning")
            self.set_timer(3, self._disarm)
            return
        self._discard_armed = False
        dropped = self.control.discard_dry_run()
        files = sum(c.type != "dir" for c in dropped)
        self.notify(f"Discarded {files} change(s); the copy matches the workspace again.")
        self.dismiss(None)

    def _disarm(self) -> None:
        self._discard_armed = False

    def action_close(self) -> None:
        self.dismiss(None)
