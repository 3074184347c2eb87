"""ApprovalScreen: one pending action in full, and the user's answer to it.

y allow once · a allow for this session (a pattern to narrow, an expiry) · n deny ·
d deny with a message to the agent · e edit the command, then allow · tab the next request
w the next request
in the inbox · esc decide later.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static, TextArea

from cockpit.policy.gate import GrantRequest
from cockpit.policy.grants import is_exact, suggested_pattern
from cockpit.ui.approval_text import action_text, sql_blocks

if TYPE_CHECKING:
    from cockpit.events import ApprovalRequested

TIER_STYLES = {
    "low": "$text-success",
    "medium": "$text-primary",
    "high": "bold $text-warning",
    "critical": "bold $text-error",
}
# The expiry choices of a session grant: (label, seconds, uses).
EXPIRY_CHOICES: list[tuple[str, float | None, int | None]] = [
    ("until the session ends", None, None),
    ("for 15 minutes", 900.0, None),
    ("for 1 hour", 3600.0, None),
    ("for the next 5 uses", None, 5),
    ("for the next use only", None, 1),
]


@dataclass(frozen=True)
class ApprovalItem:
    """One request waiting in the inbox, with the session it came from."""

    session_id: str
    session_title: str
    request: ApprovalRequested
    workspace: str = ""


@dataclass(frozen=True)
class ApprovalResult:
    """What the user decided about one request ("skip" moves to the next in the inbox)."""

    session_id: str
    request_id: str
    decision: Literal["allow", "deny", "skip"]
    message: str = ""
    grant: GrantRequest | None = None
    edited_input: dict[str, Any] | None = None


class ApprovalScreen(ModalScreen[ApprovalResult | None]):
    """Decide about the first request in `items`; Escape leaves it waiting."""

    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; background: $background 60%; }
    ApprovalScreen #dialog {
        width: 92%; max-width: 120; height: auto; max-height: 94%;
        border: thick $warning; background: $surface; padding: 1 2; overflow-y: auto;
    }
    ApprovalScreen.critical #dialog { border: thick $error; }
    ApprovalScreen #title { text-style: bold; margin-bottom: 1; }
    ApprovalScreen #reasons { color: $text-muted; height: auto; }
    ApprovalScreen #rules { color: $text-muted; height: auto; margin-bottom: 1; }
    ApprovalScreen #action {
        height: auto; max-height: 18; background: $background; padding: 0 1;
        border: round $panel; margin-bottom: 1;
    }
    ApprovalScreen #action Static { width: 1fr; }
    ApprovalScreen .panel { display: none; height: auto; margin-bottom: 1; }
    ApprovalScreen .panel.shown { display: block; }
    ApprovalScreen .panel-label { color: $text-muted; height: 1; }
    ApprovalScreen #grant-row { height: auto; }
    ApprovalScreen #pattern { width: 1fr; }
    ApprovalScreen #expiry { width: 30; }
    ApprovalScreen #edit-text { height: 5; }
    ApprovalScreen #edit-tier { height: auto; color: $text-muted; }
    ApprovalScreen #buttons { height: auto; align-horizontal: left; }
    ApprovalScreen #buttons Button { margin-right: 1; min-width: 10; }
    ApprovalScreen #hint { color: $text-muted; height: auto; }
    """

    AUTO_FOCUS = "#deny"
    BINDINGS = [
        Binding("y", "allow", "Allow once"),
        Binding("a", "grant", "Allow for session"),
        Binding("n", "deny", "Deny"),
        Binding("d", "deny_with_message", "Deny with message"),
        Binding("m", "deny_with_message", "Deny with message", show=False),
        Binding("e", "edit", "Edit, then allow"),
        Binding("w", "skip", "Next request", show=False),
        Binding("ctrl+s", "run_edited", "Allow edited", show=False, priority=True),
        Binding("escape", "later", "Later"),
    ]

    def __init__(
        self,
        items: list[ApprovalItem],
        inbox: Callable[[], list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.items = items
        self.item = items[0]
        # The request ids waiting across every session, oldest first (None: just `items`).
        self.inbox = inbox
        self.position, self.total = self.place()
        self._panel: str | None = None

    def place(self) -> tuple[int, int]:
        """(position of this request in the inbox, requests waiting), 0 when it is gone."""
        ids = self.inbox() if self.inbox is not None else [i.request.request_id for i in self.items]
        rid = self.item.request.request_id
        return (ids.index(rid) + 1 if rid in ids else 0), len(ids)

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick, name="approval-tick")

    def _tick(self) -> None:
        place = self.place()
        if place[0] == 0:
            self.notify("That request was decided meanwhile (timeout or grant).", timeout=3)
            self.dismiss(self._result("skip"))
            return
        if place != (self.position, self.total):
            self.position, self.total = place
            self.query_one("#title", Static).update(self._title())
        if self.item.request.deadline is not None:
            self.query_one("#tool", Static).update(self._tool_line())

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        req = self.item.request
        if req.tier == "critical":
            self.add_class("critical")
        text, lexer = action_text(req.name, req.input, self.item.workspace)
        dark = self.app.current_theme.dark
        with Vertical(id="dialog"):
            yield Static(self._title(), id="title")
            yield Static(self._tool_line(), id="tool")
            with VerticalScroll(id="action"):
                yield Static(_syntax(text, lexer, dark), id="action-text")
                for sql in sql_blocks(text) if lexer == "bash" else []:
                    yield Static(Content("SQL, formatted:"), classes="panel-label")
                    yield Static(_syntax(sql, "sql", dark), classes="sql")
            reasons = req.reasons or ["The policy asks before this kind of action."]
            yield Static(Content("\n".join(f"• {r}" for r in reasons)), id="reasons", markup=False)
            rules = ", ".join(r for r in req.rules if r != "none") or "none"
            yield Static(Content(f"rules: {rules}"), id="rules", markup=False)
            with Vertical(id="grant-panel", classes="panel"):
                yield Static(
                    Content(
                        "Allow for this session: calls matching this pattern, up to "
                        f"{req.tier.upper()} (* matches words, never ; | & > or $( )"
                    ),
                    classes="panel-label",
                )
                with Horizontal(id="grant-row"):
                    yield Input(suggested_pattern(req.name, req.input, req.tier), id="pattern")
                    yield Select(
                        [(label, i) for i, (label, _, _) in enumerate(EXPIRY_CHOICES)],
                        value=0,
                        allow_blank=False,
                        id="expiry",
                    )
                yield Static(Content("enter: grant · esc: back"), classes="panel-label")
            with Vertical(id="edit-panel", classes="panel"):
                yield Static(
                    Content("Edit, then allow once (ctrl+s runs it; the agent is told):"),
                    classes="panel-label",
                )
                yield TextArea(_editable(req.name, req.input), id="edit-text", soft_wrap=True)
                yield Static("", id="edit-tier")
            with Vertical(id="message-panel", classes="panel"):
                yield Static(Content("Why not? The agent reads this:"), classes="panel-label")
                yield Input(placeholder="e.g. archive the table first", id="message")
            with Horizontal(id="buttons"):
                yield Button("Allow once  y", id="allow", variant="success")
                yield Button("For session  a", id="grant", variant="primary")
                yield Button("Deny  n", id="deny", variant="error")
                yield Button("Deny + message  d", id="deny-message", variant="default")
                yield Button("Edit  e", id="edit", variant="default")
            yield Static(
                Content("esc: decide later (the session keeps waiting) · w: next in the inbox"),
                id="hint",
            )

    def _title(self) -> Content:
        more = f"  ({self.position} of {self.total} waiting)" if self.total > 1 else ""
        return Content.assemble(
            ("◆ Approval needed", "bold $text-warning"),
            ("  ·  ", "$text-muted"),
            (self.item.session_title, "bold"),
            (more, "$text-muted"),
        )

    def _tool_line(self) -> Content:
        req = self.item.request
        runs = isinstance(req.input.get("command"), str)
        return Content.assemble(
            (f" {req.tier.upper()} ", f"reverse {TIER_STYLES.get(req.tier, 'bold')}"),
            "  ",
            (req.name, "bold"),
            ("  wants to run:" if runs else "  wants to change:", ""),
            (self._deadline_text(), "$text-warning"),
        )

    def _deadline_text(self) -> str:
        deadline = self.item.request.deadline
        if deadline is None:
            return ""
        left = max(0, round(deadline - time.time()))
        return f"   denied in {left // 60}:{left % 60:02d} unless you answer"

    # --- answers ----------------------------------------------------------------------

    def _result(
        self,
        decision: Literal["allow", "deny", "skip"],
        message: str = "",
        grant: GrantRequest | None = None,
        edited_input: dict[str, Any] | None = None,
    ) -> ApprovalResult:
        return ApprovalResult(
            session_id=self.item.session_id,
            request_id=self.item.request.request_id,
            decision=decision,
            message=message,
            grant=grant,
            edited_input=edited_input,
        )

    def _show(self, panel: str | None) -> None:
        for name in ("grant", "edit", "message"):
            self.query_one(f"#{name}-panel").set_class(name == panel, "shown")
        self._panel = panel

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "allow": self.action_allow,
            "grant": self.action_grant,
            "deny": self.action_deny,
            "deny-message": self.action_deny_with_message,
            "edit": self.action_edit,
        }
        actions[str(event.button.id)]()

    def action_allow(self) -> None:
        self.dismiss(self._result("allow"))

    def action_grant(self) -> None:
        if self._panel == "grant":
            self._confirm_grant()
            return
        self._show("grant")
        self.query_one("#pattern", Input).focus()

    def _confirm_grant(self) -> None:
        req = self.item.request
        pattern = self.query_one("#pattern", Input).value.strip()
        if not pattern:
            self.notify("Give the pattern the grant covers (or press y to allow once).")
            return
        choice = self.query_one("#expiry", Select).value
        _, seconds, uses = EXPIRY_CHOICES[choice if isinstance(choice, int) else 0]
        grant = GrantRequest(pattern, is_exact(req.name, req.input, pattern), seconds, uses)
        self.dismiss(self._result("allow", grant=grant))

    def action_deny(self) -> None:
        if self._panel == "message":
            self.dismiss(self._result("deny", self.query_one("#message", Input).value.strip()))
        else:
            self.dismiss(self._result("deny"))

    def action_deny_with_message(self) -> None:
        self._show("message")
        self.query_one("#message", Input).focus()

    def action_edit(self) -> None:
        self._show("edit")
        area = self.query_one("#edit-text", TextArea)
        area.focus()
        self._show_edit_tier(area.text)

    def action_run_edited(self) -> None:
        if self._panel != "edit":
            return
        edited = self._edited_input(self.query_one("#edit-text", TextArea).text)
        if edited is None:
            self.notify("The edited input is not valid JSON.", severity="error")
            return
        if edited == self.item.request.input:
            self.dismiss(self._result("allow"))
            return
        self.dismiss(self._result("allow", edited_input=edited))

    def action_skip(self) -> None:
        if self.total > 1:
            self.dismiss(self._result("skip"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "pattern":
            self._confirm_grant()
        else:
            self.dismiss(self._result("deny", event.value.strip()))

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._show_edit_tier(event.text_area.text)

    def _show_edit_tier(self, text: str) -> None:
        """Classify the edit as it is typed, so the user sees what they are about to allow."""
        from pathlib import Path

        from cockpit.errors import CockpitError
        from cockpit.policy.risk import classify

        edited = self._edited_input(text)
        label = self.query_one("#edit-tier", Static)
        if edited is None:
            label.update(Content("not valid JSON yet"))
            return
        try:
            risk = classify(self.item.request.name, edited, Path(self.item.workspace or "."))
        except CockpitError as exc:
            label.update(Content(f"the policy cannot be read: {exc}"))
            return
        style = TIER_STYLES.get(risk.tier, "bold")
        label.update(
            Content.assemble(
                ("edited: ", "$text-muted"),
                (f" {risk.tier.upper()} ", f"reverse {style}"),
                ("  " + "; ".join(risk.reasons[:3]), "$text-muted"),
            )
        )

    def _edited_input(self, text: str) -> dict[str, Any] | None:
        req = self.item.request
        if req.name == "bash" and isinstance(req.input.get("command"), str):
            return {**req.input, "command": text}
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def action_later(self) -> None:
        if self._panel is not None:
            self._show(None)
            self.query_one("#deny", Button).focus()
            return
        self.dismiss(None)


def _syntax(text: str, lexer: str, dark: bool) -> Syntax:
    return Syntax(
        text,
        lexer,
        theme="monokai" if dark else "friendly",
        word_wrap=True,
        background_color="default",
    )


def _editable(name: str, data: dict[str, Any]) -> str:
    command = data.get("command")
    if name == "bash" and isinstance(command, str):
        return command
    return json.dumps(data, indent=2, ensure_ascii=False)
