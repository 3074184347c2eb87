"""The approval gate: decides allow / ask / deny per tool call and awaits the user's answer."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from cockpit.events import DENIED_PREFIX, ApprovalMode
from cockpit.policy.risk import TIER_ORDER, RiskAssessment

Verdict = Literal["allow", "ask", "deny"]
Scope = Literal["once", "session"]


@dataclass(frozen=True)
class Decision:
    allow: bool
    by: Literal["user", "policy", "timeout", "headless", "watchdog"]
    how: str
    scope: Scope = "once"
    message: str = ""


def verdict(assessment: RiskAssessment, mode: ApprovalMode) -> Verdict:
    """What the policy says before asking anyone."""
    tier = TIER_ORDER[assessment.tier]
    if mode == "yes":
        return "allow"
    if mode == "plan":
        return "deny" if assessment.mutating else "allow"
    if mode == "auto":
        return "ask" if tier >= TIER_ORDER["critical"] else "allow"
    # ask (default) and dry-run: prompt at HIGH and above.
    return "ask" if tier >= TIER_ORDER["high"] else "allow"


def grant_key(name: str, tool_input: dict[str, Any]) -> str:
    return name + ":" + json.dumps(tool_input, sort_keys=True)


@dataclass
class ApprovalGate:
    """Holds pending approvals as futures; the UI (or the headless policy) resolves them."""

    mode: ApprovalMode = "ask"
    interactive: bool = False
    timeout_s: float | None = None
    grants: set[str] = field(default_factory=set)
    # Set by the watchdog's approve_all verdict: every action asks, whatever its tier.
    ask_always: bool = False
    pending: dict[str, asyncio.Future[Decision]] = field(default_factory=dict)

    def preflight(
        self, name: str, tool_input: dict[str, Any], assessment: RiskAssessment
    ) -> Decision | None:
        """A decision that needs nobody, or None when the user must be asked."""
        v = verdict(assessment, self.mode)
        if v == "allow" and self.ask_always:
            v = "ask"
        if v == "allow":
            return Decision(True, "policy", f"{assessment.tier} risk allowed in {self.mode} mode")
        if v == "deny":
            return Decision(
                False,
                "policy",
                "plan mode",
                message=(
                    f"{DENIED_PREFIX}: {self.mode} mode allows no changes; "
                    "describe the change instead."
                ),
            )
        if grant_key(name, tool_input) in self.grants:
            return Decision(True, "user", "granted earlier this session", scope="session")
        if not self.interactive:
            return Decision(
                False,
                "headless",
                "no one to ask",
                message=(
                    f"{DENIED_PREFIX}: {assessment.tier}-risk action needs approval "
                    f"({'; '.join(assessment.reasons)}) and this run is headless without --yes. "
                    "Find a safer way or explain what you need."
                ),
            )
        return None

    async def wait(self, request_id: str, name: str, tool_input: dict[str, Any]) -> Decision:
        """Wait for the user's answer to `request_id` (or the timeout: deny)."""
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        try:
            if self.timeout_s is None:
                decision = await future
            else:
                decision = await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            decision = Decision(
                False,
                "timeout",
                f"no answer in {self.timeout_s:g}s",
                message=f"{DENIED_PREFIX}: approval timed out.",
            )
        finally:
            self.pending.pop(request_id, None)
        if decision.allow and decision.scope == "session":
            self.grants.add(grant_key(name, tool_input))
        return decision

    def resolve(self, request_id: str, decision: Decision) -> bool:
        future = self.pending.get(request_id)
        if future is None or future.done():
            return False
        future.set_result(decision)
        return True
