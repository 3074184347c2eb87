"""The approval gate: decides allow / ask / deny per tool call and awaits the user's answer."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from cockpit.policy.grants import Grant, GrantBook
from cockpit.policy.risk import TIER_ORDER, RiskAssessment
from cockpit.vocab import DENIED_PREFIX as DENIED
from cockpit.vocab import ApprovalMode, RiskTier

Verdict = Literal["allow", "ask", "deny"]
Scope = Literal["once", "session", "pattern"]
DecidedBy = Literal["user", "grant", "policy", "timeout", "headless", "watchdog"]


@dataclass(frozen=True)
class Decision:
    """Who decided about one call, how, and with which scope (the audit's answer)."""

    allow: bool
    by: DecidedBy
    how: str
    scope: Scope = "once"
    message: str = ""
    rule_ids: tuple[str, ...] = ()
    grant: Grant | None = None  # the grant that allowed it, or the one this decision made
    edited_input: dict[str, Any] | None = None  # the user's edit of the call, run instead


@dataclass(frozen=True)
class GrantRequest:
    """What the user asked for with "allow for this session": the pattern and its limits."""

    pattern: str
    exact: bool
    expires_in_s: float | None = None
    uses: int | None = None


def verdict(assessment: RiskAssessment, mode: ApprovalMode, yes_critical: bool = False) -> Verdict:
    """What the policy says before asking anyone."""
    tier = TIER_ORDER[assessment.tier]
    if mode == "yes":
        # --yes allows up to HIGH; CRITICAL needs --yes-critical as well.
        return "allow" if tier < TIER_ORDER["critical"] or yes_critical else "ask"
    if mode == "plan":
        return "deny" if assessment.mutating else "allow"
    if mode == "auto":
        return "ask" if tier >= TIER_ORDER["critical"] else "allow"
    # ask (default) and dry-run: prompt at HIGH and above.
    return "ask" if tier >= TIER_ORDER["high"] else "allow"


@dataclass
class ApprovalGate:
    """Holds pending approvals as futures; the UI (or the headless policy) resolves them."""

    mode: ApprovalMode = "ask"
    interactive: bool = False
    timeout_s: float | None = None
    yes_critical: bool = False
    grants: GrantBook = field(default_factory=GrantBook)
    # Set by the watchdog's approve_all verdict: every action asks, whatever its tier.
    ask_always: bool = False
    pending: dict[str, asyncio.Future[Decision]] = field(default_factory=dict)
    _asked: dict[str, tuple[str, RiskTier]] = field(default_factory=dict)

    def preflight(
        self, name: str, tool_input: dict[str, Any], assessment: RiskAssessment
    ) -> Decision | None:
        """A decision that needs nobody, or None when the user must be asked."""
        rules = tuple(assessment.rules)
        v = verdict(assessment, self.mode, self.yes_critical)
        if v == "allow" and self.ask_always:
            v = "ask"
        if v == "allow":
            how = f"{assessment.tier} risk allowed in {self.mode} mode"
            return Decision(True, "policy", how, rule_ids=rules)
        if v == "deny":
            message = (
                f"{DENIED}: the session is in {self.mode} mode, which allows no changes; "
                "describe the change you would make instead."
            )
            return Decision(False, "policy", f"{self.mode} mode", message=message, rule_ids=rules)
        # After the watchdog's "approve everything", grants given earlier no longer apply.
        grant = None if self.ask_always else self.grants.match(name, tool_input, assessment.tier)
        if grant is not None:
            scope: Scope = "session" if grant.exact else "pattern"
            return Decision(True, "grant", grant.describe(), scope, rule_ids=rules, grant=grant)
        if not self.interactive:
            needs = "--yes-critical" if self.mode == "yes" else "--yes"
            message = (
                f"{DENIED}: {assessment.tier}-risk action needs approval "
                f"({'; '.join(assessment.reasons)}) and this run is headless without {needs}. "
                "Find a safer way or explain what you need."
            )
            return Decision(False, "headless", "no one to ask", message=message, rule_ids=rules)
        return None

    async def wait(
        self, request_id: str, name: str, tool_input: dict[str, Any], tier: RiskTier
    ) -> Decision:
        """Wait for the user's answer to `request_id` (or the timeout: deny)."""
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        self._asked[request_id] = (name, tier)
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
                message=f"{DENIED}: nobody answered the approval request in time.",
            )
        finally:
            self.pending.pop(request_id, None)
            self._asked.pop(request_id, None)
        if decision.allow and decision.grant is not None:
            self.grants.add(decision.grant)
        return decision

    def allow(
        self,
        request_id: str,
        grant: GrantRequest | None = None,
        edited_input: dict[str, Any] | None = None,
    ) -> bool:
        """The user allows the request: once, or with a grant for later calls like it."""
        asked = self._asked.get(request_id)
        if asked is None:
            return False
        name, tier = asked
        made: Grant | None = None
        scope: Scope = "once"
        how = "allowed once"
        if grant is not None and edited_input is None:
            now = time.time()
            made = Grant(
                id=f"grant_{uuid.uuid4().hex[:10]}",
                tool=name,
                pattern=grant.pattern,
                exact=grant.exact,
                max_tier=tier,
                created_at=now,
                expires_at=None if grant.expires_in_s is None else now + grant.expires_in_s,
                uses_left=grant.uses,
            )
            scope = "session" if grant.exact else "pattern"
            how = "allowed for this session: " + made.describe()
        elif edited_input is not None:
            how = "edited, then allowed once"
        decision = Decision(True, "user", how, scope, grant=made, edited_input=edited_input)
        return self.resolve(request_id, decision)

    def deny(self, request_id: str, message: str = "") -> bool:
        """The user denies the request; `message` is passed on to the agent."""
        text = f"{DENIED} by the user" + (f": {message}" if message else ".")
        how = "denied with a message" if message else "denied"
        return self.resolve(request_id, Decision(False, "user", how, message=text))

    def resolve(self, request_id: str, decision: Decision) -> bool:
        future = self.pending.get(request_id)
        if future is None or future.done():
            return False
        future.set_result(decision)
        return True
