"""Risk classification of tool calls: analysers find facts, the policy's rules give the tier."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cockpit.policy.facts import Fact, display
from cockpit.policy.loader import load_policy
from cockpit.policy.rules import TIERS, Hit, Policy
from cockpit.vocab import TIER_ORDER, RiskTier

__all__ = ["TIERS", "TIER_ORDER", "RiskAssessment", "RuleHit", "classify", "policy_version"]

READ_TOOLS = {"read_file": "path", "list_files": "path", "grep": "path"}
EDIT_TOOLS = {"write_file": "path", "edit_file": "path"}
MAX_REASONS = 12


@dataclass(frozen=True)
class RuleHit:
    """One rule that matched: what a decision can cite (rule id, tier, the reason shown)."""

    rule: str
    tier: RiskTier
    reason: str


@dataclass(frozen=True)
class RiskAssessment:
    tier: RiskTier
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # rule ids, one per reason
    mutating: bool = False
    hits: tuple[RuleHit, ...] = ()  # every hit, highest tier first
    commands: tuple[tuple[str, ...], ...] = ()  # the simple commands found (for grant patterns)
    policy_version: str = ""


def policy_version(workspace: Path | None = None) -> str:
    """Hash of the merged rules in force (for `workspace`), recorded on every event."""
    return load_policy(_workspace(workspace) if workspace is not None else None).version


def classify(
    name: str, tool_input: dict[str, Any], workspace: Path, policy: Policy | None = None
) -> RiskAssessment:
    """Risk tier of one tool call, with the reasons a user will read and the rule ids."""
    ws = _workspace(workspace)
    if policy is None:
        policy = load_policy(ws)
    facts = analyse(name, tool_input, str(ws), policy)
    hits = policy.evaluate(facts, name, str(ws))
    return _assessment(hits, facts, policy)


def analyse(name: str, tool_input: dict[str, Any], workspace: str, policy: Policy) -> list[Fact]:
    """The facts of one tool call (what it would read, write, delete, run, connect to)."""
    from cockpit.policy.facts import locate

    home = policy.home
    facts: list[Fact] = [Fact("tool", detail=name)]
    if not isinstance(tool_input, dict):
        facts.append(Fact("unparsed", detail="input", note="tool input is not an object"))
        return facts
    if name == "bash":
        command = tool_input.get("command", "")
        if not isinstance(command, str):
            facts.append(Fact("unparsed", detail="input", note="command is not a string"))
            return facts
        from cockpit.policy.shell import analyse_shell

        try:
            facts.extend(analyse_shell(command, workspace, home))
        except Exception as exc:
            # What cannot be analysed is HIGH, never lower (and never a crash of the gate).
            facts.append(Fact("unparsed", detail="shell", note=f"analysis failed ({exc!r:.60})"))
    elif name in READ_TOOLS or name in EDIT_TOOLS:
        raw = tool_input.get("path", "." if name in READ_TOOLS else "")
        path = raw if isinstance(raw, str) else ""
        loc = locate(path or ".", workspace, workspace, home)
        kind = "read" if name in READ_TOOLS else "write"
        facts.append(
            Fact(
                kind,
                detail=name,
                command=(name, path),
                path=loc.path,
                where=loc.where,
                tags=loc.tags,
            )
        )
    elif name == "memory":
        facts.append(Fact("memory", detail=str(tool_input.get("command", ""))[:40]))
    return _combined(facts, policy)


def _combined(facts: list[Fact], policy: Policy) -> list[Fact]:
    """Facts that only show in combination: a secret read plus a network use, a networked shell."""
    secrets = [
        f
        for f in facts
        if f.kind == "read"
        and f.detail != "list"
        and (f.detail == "secret-env" or policy.classes(f.path) & {"secret", "ssh"})
    ]
    network = [f for f in facts if f.kind == "network"]
    if secrets and network:
        facts.append(
            Fact(
                "exfiltration",
                note=f"{secrets[0].display_path()} -> {display(network[0].note) or 'network'}",
            )
        )
    shells = [f for f in facts if f.kind == "exec" and f.detail == "shell"]
    if shells and any(f.detail in ("connect", "listen") for f in network):
        facts.append(Fact("remote-shell", note=f"{shells[0].note}; {network[0].note}"))
    return facts


def _assessment(hits: list[Hit], facts: list[Fact], policy: Policy) -> RiskAssessment:
    commands = tuple(f.command for f in facts if f.kind == "command")
    if not hits:
        return RiskAssessment(
            "low", ["nothing to check"], ["none"], False, (), commands, policy.version
        )
    ordered = sorted(hits, key=lambda h: -TIER_ORDER[h.tier])
    top = ordered[0].tier
    reasons: list[str] = []
    rule_ids: list[str] = []
    for hit in ordered:
        if hit.tier == "low" and top != "low":
            break
        if hit.reason not in reasons and len(reasons) < MAX_REASONS:
            reasons.append(hit.reason)
            rule_ids.append(hit.rule)
    if top == "low":
        # For a low call, the most specific reason first (not the tool's own).
        pairs = [(r, i) for r, i in zip(reasons, rule_ids, strict=True) if i != "tool-known"]
        if pairs:
            reasons, rule_ids = [p[0] for p in pairs], [p[1] for p in pairs]
    return RiskAssessment(
        top,
        reasons,
        rule_ids,
        any(h.mutating for h in hits),
        tuple(RuleHit(h.rule, h.tier, h.reason) for h in ordered),
        commands,
        policy.version,
    )


@lru_cache(maxsize=64)
def _realpath(path: str) -> str:
    return os.path.realpath(path)


def _workspace(workspace: Path) -> Path:
    return Path(_realpath(str(workspace)))
