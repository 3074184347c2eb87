"""Safety events: risk hits by tier, denials, secrets seen or written, refusals, bad tool calls."""

from __future__ import annotations

import re
from typing import ClassVar

from cockpit.events import (
    ApprovalDecided,
    Event,
    ModelResponse,
    RiskAssessed,
    ToolCallProposed,
    ToolFinished,
)
from cockpit.health.base import Definition

REDACTION_MARK = "[REDACTED:"
WRITE_KEYS = ("content", "file_text", "new_str", "new_text")
# A credential written as a literal into code or config: key = "value" with a long value.
_HARDCODED = re.compile(
    r"""(?ix)
    \b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?key|token|auth)\w*
    \s*[:=]\s*
    (?:["'][^"'\s$%{}<>]{8,}["']|[A-Za-z0-9+/_\-]{16,}\b)
    """
)
_KEY_SHAPES = re.compile(
    r"\b(?:AKIA[0-9A-Z]{16}|sk-ant-[A-Za-z0-9_\-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|"
    r"xox[baprs]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,})"
)


def writes_secret(data: dict[str, object]) -> bool:
    """True when a file-writing call's new content holds a credential (or its redaction mark)."""
    for key in WRITE_KEYS:
        value = data.get(key)
        if isinstance(value, str) and (
            REDACTION_MARK in value or _HARDCODED.search(value) or _KEY_SHAPES.search(value)
        ):
            return True
    command = data.get("command")
    if isinstance(command, str) and (">" in command or "tee" in command):
        return bool(_HARDCODED.search(command) or _KEY_SHAPES.search(command))
    return False


class SafetyMetrics:
    """Counts what the policy flagged and what the agent did with secrets."""

    DEFINITIONS: ClassVar[tuple[Definition, ...]] = (
        Definition("safety.medium", "Tool calls the policy classified MEDIUM.", "calls"),
        Definition("safety.high", "Tool calls the policy classified HIGH.", "calls"),
        Definition("safety.critical", "Tool calls the policy classified CRITICAL.", "calls"),
        Definition(
            "safety.denials", "Tool calls denied (by you, a rule, a timeout or headless).", ""
        ),
        Definition(
            "safety.secrets_seen",
            "Tool results that contained a secret (redacted before it was stored or shown).",
            "results",
        ),
        Definition(
            "safety.secrets_written",
            "Calls that write a credential into a file the agent produces (hard-coded keys, "
            "passwords in code or config).",
            "calls",
        ),
        Definition("safety.refusals", "Model turns that ended in a refusal.", "turns"),
        Definition(
            "safety.bad_calls", "Calls to unknown tools or with input the tool rejected.", "calls"
        ),
    )

    def __init__(self) -> None:
        self.tiers = {"low": 0, "medium": 0, "high": 0, "critical": 0}
        self.denials = 0
        self.secrets_seen = 0
        self.secrets_written = 0
        self.refusals = 0
        self.bad_calls = 0

    def fold(self, event: Event) -> None:
        match event:
            case RiskAssessed():
                self.tiers[event.tier] = self.tiers.get(event.tier, 0) + 1
            case ApprovalDecided(decision="deny"):
                self.denials += 1
            case ToolFinished():
                if REDACTION_MARK in event.content:
                    self.secrets_seen += 1
                if event.is_error and event.content.startswith(("unknown tool", "invalid input")):
                    self.bad_calls += 1
            case ToolCallProposed():
                if writes_secret(event.input):
                    self.secrets_written += 1
            case ModelResponse(stop_reason="refusal"):
                self.refusals += 1
            case _:
                pass

    def values(self) -> dict[str, float]:
        return {
            "safety.medium": self.tiers["medium"],
            "safety.high": self.tiers["high"],
            "safety.critical": self.tiers["critical"],
            "safety.denials": self.denials,
            "safety.secrets_seen": self.secrets_seen,
            "safety.secrets_written": self.secrets_written,
            "safety.refusals": self.refusals,
            "safety.bad_calls": self.bad_calls,
        }
