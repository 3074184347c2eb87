"""TimelineScreen: a session's checkpoints, what rolling back to one changes, and the rollback.

Each checkpoint shows the action that followed it; the right side lists what restoring it
would change now. `b` rolls back files and conversation, `f` the files only, `c` the
conversation only; the first press shows what will happen (and what changed outside
Cockpit, which would be lost), the second does it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.syntax import Syntax
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cockpit.engine.rollback import checkpoints

if TYPE_CHECKING:
    from cockpit.engine.controller import SessionControl
    from cockpit.store.checkpoints import Difference

KINDS = {"b": (True, True), "f": (True, False), "c": (False, True)}
LABELS = {"b": "files and conversation", "f": "files only", "c": "conversation only"}
MARKS = {"added": ("+", "$text-success"), "removed": ("-", "$text-error")}
CAUSED = MARKS  # from the checkpoint to what came after: + created, - deleted


class TimelineScreen(ModalScreen[None]):
    """The checkpoints of one session, newest first, and rollback to one of them."""

    DEFAULT_CSS = """
    TimelineScreen { align: center middle; background: $background 60%; }
    TimelineScreen #box {
        width: 94%; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    TimelineScreen #title { text-style: bold; height: auto; margin-bottom: 1; }
    TimelineScreen #points { width: 1fr; height: 1fr; }
    TimelineScreen #plan { width: 1fr; height: 1fr; border: round $panel; padding: 0 1; }
    TimelineScreen #armed { height: auto; color: $text-warning; }
    TimelineScreen #hint { color: $text-muted; height: 1; }
    """

    BINDINGS = [
        Binding("b", "arm('b')", "Roll back all"),
        Binding("f", "arm('f')", "Files only"),
        Binding("c", "arm('c')", "Conversation only"),
        Binding("k", "fork", "Fork here"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, control: SessionControl, title: str) -> None:
        super().__init__()
        self.control = control
        self.session_title = title
        self.points = list(reversed(checkpoints(control.events)))
        self.selected: int | None = self.points[0].number if self.points else None
        self.plan: list[Difference] = []
        self.outside: list[Difference] = []
        self.armed: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(
                Content.assemble(
                    ("Timeline", "bold $text-primary"),
                    ("  ·  ", "$text-muted"),
                    (self.session_title, "bold"),
                    ("  ·  ", "$text-muted"),
                    (f"{len(self.points)} checkpoints", ""),
                ),
                id="title",
            )
            with Horizontal():
                yield OptionList(*self._options(), id="points")
                with VerticalScroll(id="plan"):
                    yield Static(id="caused-text")
                    yield Static(id="caused-diff")
                    yield Static(id="plan-text")
            yield Static(id="armed")
            yield Static(
                Content(
                    "b: files and conversation · f: files only · c: conversation only "
                    "(press twice) · k: fork here, side by side · esc: close"
                ),
                id="hint",
            )

    def _options(self) -> list[Option]:
        out = []
        for p in self.points:
            when = datetime.fromtimestamp(p.ts).strftime("%H:%M:%S")
            what = f"before {p.action}" if p.tool_use_id else p.action
            out.append(
                Option(
                    Content.assemble(
                        (f"{p.number:3} ", "bold"), (f"{when}  ", "$text-muted"), what
                    ),
                    id=str(p.number),
                )
            )
        return out

    def on_mount(self) -> None:
        if self.selected is None:
            self.query_one("#plan-text", Static).update("No checkpoints yet: nothing changed.")
            return
        self.query_one("#points", OptionList).highlighted = 0
        self.load_plan(self.selected)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and int(event.option.id) != self.selected:
            self.selected = int(event.option.id)
            self._disarm()
            self.load_plan(self.selected)

    @work(exclusive=True, group="plan")
    async def load_plan(self, number: int) -> None:
        from cockpit.errors import CockpitError

        try:
            plan, outside = await self.control.rollback_plan(number)
            caused, diff = await self.control.checkpoint_changes(number)
        except CockpitError as exc:
            self.query_one("#plan-text", Static).update(Content(str(exc)))
            return
        if number != self.selected:
            return
        point = next(p for p in self.points if p.number == number)
        what = f"`{point.action}`" if point.tool_use_id else "what came next"
        head: list[Content | str] = [
            Content.assemble((f"What {what} changed: {len(caused)} path(s)", "bold"))
        ]
        for d in caused[:200]:
            mark, style = CAUSED.get(d.change, ("~", "$text-warning"))
            head.append(Content.assemble((f"{mark} ", style), d.path))
        self.query_one("#caused-text", Static).update(Content("\n").join(head))
        dark = self.app.current_theme.dark
        self.query_one("#caused-diff", Static).update(
            Syntax(diff, "diff", theme="monokai" if dark else "friendly", word_wrap=True)
            if diff
            else ""
        )
        self.plan, self.outside = plan, outside
        lines: list[Content | str] = [
            Content.assemble((f"\nRolling back to {number} changes {len(plan)} path(s):", "bold"))
        ]
        for d in plan[:400]:
            mark, style = MARKS.get(d.change, ("~", "$text-warning"))
            lines.append(Content.assemble((f"{mark} ", style), d.path))
        if not plan:
            lines.append("the files are as they were then")
        if outside:
            lines.append(
                Content.assemble(("\nChanged outside Cockpit (would be lost):", "bold $text-error"))
            )
            lines.extend(Content(f"! {d.path}") for d in outside[:100])
        self.query_one("#plan-text", Static).update(Content("\n").join(lines))

    def action_arm(self, kind: str) -> None:
        if self.selected is None:
            return
        if self.armed == kind:
            self.roll_back(kind)
            return
        self.armed = kind
        warning = (
            f"; {len(self.outside)} path(s) changed outside Cockpit will be lost"
            if (self.outside and KINDS[kind][0])
            else ""
        )
        self.query_one("#armed", Static).update(
            Content(
                f"Roll back {LABELS[kind]} to checkpoint {self.selected}{warning}? "
                f"Press {kind} again to do it."
            )
        )

    def _disarm(self) -> None:
        self.armed = None
        self.query_one("#armed", Static).update("")

    @work(exclusive=True, group="rollback")
    async def roll_back(self, kind: str) -> None:
        from cockpit.errors import CockpitError

        files, conversation = KINDS[kind]
        number = self.selected
        if number is None:
            return
        try:
            event = await self.control.rollback(
                number, files=files, conversation=conversation, force=bool(self.outside)
            )
        except CockpitError as exc:
            self.notify(str(exc), title="Not rolled back", severity="error", timeout=8)
            self._disarm()
            return
        self.notify(
            f"Rolled back to checkpoint {number}: {event.restored_files} restored, "
            f"{event.removed_files} removed. Steer or resume the session to continue.",
            timeout=5,
        )
        self.dismiss(None)

    @work(exclusive=True, group="rollback")
    async def action_fork(self) -> None:
        """Fork the session at the selected checkpoint and open the fork beside it."""
        from cockpit.errors import CockpitError
        from cockpit.ui.messages import OpenSessionRequested

        if self.selected is None:
            return
        try:
            path = await self.control.fork(self.selected)
        except CockpitError as exc:
            self.notify(str(exc), title="Not forked", severity="error", timeout=8)
            return
        self.notify(f"Forked at checkpoint {self.selected}: {path.name}", timeout=4)
        self.app.post_message(OpenSessionRequested(path))
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
