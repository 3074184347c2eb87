"""ApprovalScreen: shows one pending action in full and returns allow / deny / deny with a message.

It takes a list of requests so that it can grow into the cross-session approval inbox.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

if TYPE_CHECKING:
    from cockpit.events import ApprovalRequested

TIER_STYLES = {
    "low": "$text-success",
    "medium": "$text-primary",
    "high": "bold $text-warning",
    "critical": "bold $text-error",
}
MAX_DIFF_FILE_BYTES = 512_000


@dataclass(frozen=True)
class ApprovalItem:
    """One request waiting in the inbox, with the session it came from."""

    session_id: str
    session_title: str
    request: ApprovalRequested
    workspace: str = ""


@dataclass(frozen=True)
class ApprovalResult:
    """What the user decided about one request."""

    session_id: str
    request_id: str
    decision: Literal["allow", "deny"]
    scope: Literal["once", "session"] = "once"
    message: str = ""


def action_text(name: str, data: dict[str, Any], workspace: str = "") -> tuple[str, str]:
    """The action in full as (text, lexer): the command, a diff of a file change, or JSON."""
    command = data.get("command")
    if isinstance(command, str):
        return command, "bash"
    path = str(data.get("path") or data.get("file_path") or "")
    old = data.get("old_str", data.get("old_text"))
    new = data.get("new_str", data.get("new_text"))
    if isinstance(old, str) and isinstance(new, str):
        diff = difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
        return "".join(diff) or "(no change)", "diff"
    content = data.get("content", data.get("file_text"))
    if isinstance(content, str) and path:
        before = _read_text(workspace, path)
        diff = difflib.unified_diff(
            before.splitlines(keepends=True),
            content.splitlines(keepends=True),
            fromfile=f"a/{path}" if before else "/dev/null",
            tofile=f"b/{path}",
        )
        return "".join(diff) or "(no change)", "diff"
    return json.dumps(data, indent=2, ensure_ascii=False), "json"


def _read_text(workspace: str, path: str) -> str:
    """The current content of a workspace file, to diff a proposed write against."""
    if not workspace:
        return ""
    root = Path(workspace).resolve()
    target = (root / path).resolve()
    try:
        target.relative_to(root)
        if not target.is_file() or target.stat().st_size > MAX_DIFF_FILE_BYTES:
            return ""
        return target.read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return ""


class ApprovalScreen(ModalScreen[ApprovalResult | None]):
    """Decide about the first request in `items`; Escape leaves it waiting."""

    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; background: $background 60%; }
    ApprovalScreen #dialog {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ApprovalScreen.critical #dialog { border: thick $error; }
    ApprovalScreen #title { text-style: bold; margin-bottom: 1; }
    ApprovalScreen #reasons { color: $text-muted; margin-bottom: 1; height: auto; }
    ApprovalScreen #action {
        height: auto; max-height: 20; background: $background; padding: 0 1;
        border: round $panel; margin-bottom: 1;
    }
    ApprovalScreen #action Static { width: auto; }
    ApprovalScreen #buttons { height: auto; align-horizontal: left; }
    ApprovalScreen #buttons Button { margin-right: 2; min-width: 16; }
    ApprovalScreen #message { display: none; margin-bottom: 1; }
    ApprovalScreen #message.shown { display: block; }
    ApprovalScreen #hint { color: $text-muted; height: 1; }
    """

    AUTO_FOCUS = "#deny"
    BINDINGS = [
        Binding("y", "allow", "Allow once"),
        Binding("n", "deny", "Deny"),
        Binding("m", "deny_with_message", "Deny with message"),
        Binding("escape", "later", "Later"),
    ]

    def __init__(self, items: list[ApprovalItem]) -> None:
        super().__init__()
        self.items = items
        self.item = items[0]

    def compose(self) -> ComposeResult:
        req = self.item.request
        tier_style = TIER_STYLES.get(req.tier, "bold")
        if req.tier == "critical":
            self.add_class("critical")
        more = f"  (+{len(self.items) - 1} more waiting)" if len(self.items) > 1 else ""
        text, lexer = action_text(req.name, req.input, self.item.workspace)
        with Vertical(id="dialog"):
            yield Static(
                Content.assemble(
                    ("◆ Approval needed", "bold $text-warning"),
                    ("  ·  ", "$text-muted"),
                    (self.item.session_title, "bold"),
                    (more, "$text-muted"),
                ),
                id="title",
            )
            yield Static(
                Content.assemble(
                    (f" {req.tier.upper()} ", f"reverse {tier_style}"),
                    "  ",
                    (req.name, "bold"),
                    ("  wants to run:" if lexer == "bash" else "  wants to change:", ""),
                ),
                id="tool",
            )
            with VerticalScroll(id="action"):
                yield Static(
                    Syntax(
                        text,
                        lexer,
                        theme="monokai" if self.app.current_theme.dark else "friendly",
                        word_wrap=True,
                        background_color="default",
                    ),
                    id="action-text",
                )
            reasons = req.reasons or ["The policy asks before this kind of action."]
            yield Static(Content("\n".join(f"• {r}" for r in reasons)), id="reasons", markup=False)
            yield Input(placeholder="Why not? The agent sees this message.", id="message")
            with Horizontal(id="buttons"):
                yield Button("Allow once  y", id="allow", variant="success")
                yield Button("Deny  n", id="deny", variant="error")
                yield Button("Deny with message  m", id="deny-message", variant="default")
            yield Static("esc: decide later (the session keeps waiting)", id="hint")

    def _result(self, decision: Literal["allow", "deny"], message: str = "") -> ApprovalResult:
        return ApprovalResult(
            session_id=self.item.session_id,
            request_id=self.item.request.request_id,
            decision=decision,
            message=message,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "allow":
            self.action_allow()
        elif event.button.id == "deny":
            self.action_deny()
        else:
            self.action_deny_with_message()

    def action_allow(self) -> None:
        self.dismiss(self._result("allow"))

    def action_deny(self) -> None:
        message_input = self.query_one("#message", Input)
        if message_input.has_class("shown"):
            self.dismiss(self._result("deny", message_input.value.strip()))
        else:
            self.dismiss(self._result("deny"))

    def action_deny_with_message(self) -> None:
        message_input = self.query_one("#message", Input)
        message_input.add_class("shown")
        message_input.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self._result("deny", event.value.strip()))

    def action_later(self) -> None:
        message_input = self.query_one("#message", Input)
        if message_input.has_class("shown"):
            message_input.remove_class("shown")
            self.query_one("#deny", Button).focus()
            return
        self.dismiss(None)
