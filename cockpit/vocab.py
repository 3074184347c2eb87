"""The small vocabularies every layer shares: session statuses, approval modes, risk tiers.

Constants only (no pydantic, no textual): the UI reads them on its start-up path.
"""

from __future__ import annotations

from typing import Literal, get_args

# A denied tool call's result (is_error) starts with this; the scripted model branches on it.
DENIED_PREFIX = "Permission denied"

RiskTier = Literal["low", "medium", "high", "critical"]
RISK_TIERS: tuple[RiskTier, ...] = get_args(RiskTier)
TIER_ORDER: dict[RiskTier, int] = {tier: rank for rank, tier in enumerate(RISK_TIERS)}

# How a session ended, and every status it can be in (the end statuses included).
EndStatus = Literal["done", "failed", "stopped", "interrupted"]
SessionStatus = Literal["running", "waiting", "paused", EndStatus]
END_STATUSES: frozenset[str] = frozenset(get_args(EndStatus))

ApprovalMode = Literal["ask", "auto", "plan", "dry-run", "yes"]
APPROVAL_MODES: tuple[ApprovalMode, ...] = get_args(ApprovalMode)
# The modes a session can be started in, and those the new-session dialog offers (never
# asking is a deliberate command-line choice).
CLI_MODES: tuple[ApprovalMode, ...] = ("ask", "auto", "plan", "dry-run", "yes")
DIALOG_MODES: tuple[ApprovalMode, ...] = ("ask", "auto", "plan", "dry-run")
# The modes a running session can be switched to from the cockpit, in the order `m` cycles.
SWITCH_MODES: tuple[ApprovalMode, ...] = ("ask", "plan", "auto", "dry-run")
MODE_HELP: dict[str, str] = {
    "ask": "asks before HIGH and CRITICAL actions",
    "auto": "asks only before CRITICAL actions",
    "plan": "nothing that changes anything runs; the agent describes its changes",
    "dry-run": "changes go to a copy of the workspace, to apply or discard",
    "yes": "allows up to HIGH without asking (CRITICAL needs --yes-critical)",
}
