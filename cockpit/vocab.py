"""The small vocabularies every layer shares: session statuses, approval modes, risk tiers.

Constants only (no pydantic, no textual): the UI reads them on its start-up path.
"""

from __future__ import annotations

from typing import Literal, get_args

RiskTier = Literal["low", "medium", "high", "critical"]
RISK_TIERS: tuple[RiskTier, ...] = get_args(RiskTier)

# How a session ended, and every status it can be in (the end statuses included).
EndStatus = Literal["done", "failed", "stopped", "interrupted"]
SessionStatus = Literal["running", "waiting", "paused", EndStatus]
END_STATUSES: frozenset[str] = frozenset(get_args(EndStatus))

ApprovalMode = Literal["ask", "auto", "plan", "dry-run", "yes"]
APPROVAL_MODES: tuple[ApprovalMode, ...] = get_args(ApprovalMode)
# The modes a session can be started in today (dry-run needs its workspace copy first), and
# those the new-session dialog offers (never asking is a deliberate command-line choice).
CLI_MODES: tuple[ApprovalMode, ...] = ("ask", "auto", "plan", "yes")
DIALOG_MODES: tuple[ApprovalMode, ...] = ("ask", "auto", "plan")
