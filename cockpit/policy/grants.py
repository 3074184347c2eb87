"""Session grants: "allow this again" for the exact call or a pattern, bounded by tier and expiry.

A grant is created by the user's "allow for this session" decision and lives in that
ApprovalDecided event (so a resumed session rebuilds its grants from the file). It covers a
later call only when the call's tool matches, its text matches the pattern, its tier is no
higher than the tier granted, and the grant has not expired (by time or by uses).

In a shell pattern `*` matches any text without shell operators (`; & | < > $ ( ) \\` and
newlines), so `git push *` covers `git push origin main` and never
`git push origin main; rm -rf ~`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from cockpit.vocab import TIER_ORDER, RiskTier

# What `*` may never stand for in a shell pattern: anything that starts another command,
# a redirect or a substitution.
SHELL_OPERATORS = ";&|<>$()`\n\r"
PATH_TOOLS = ("write_file", "edit_file", "read_file", "list_files", "grep")


@dataclass(frozen=True)
class Grant:
    """One "allow again" the user gave: which calls it covers and until when."""

    id: str
    tool: str
    pattern: str
    exact: bool
    max_tier: RiskTier
    created_at: float
    expires_at: float | None = None
    uses_left: int | None = None

    def expired(self, now: float) -> bool:
        if self.expires_at is not None and now >= self.expires_at:
            return True
        return self.uses_left is not None and self.uses_left <= 0

    def covers(self, name: str, tool_input: dict[str, Any], tier: RiskTier) -> bool:
        if name != self.tool or TIER_ORDER[tier] > TIER_ORDER[self.max_tier]:
            return False
        text = call_text(name, tool_input)
        if self.exact:
            return text == self.pattern
        if name in PATH_TOOLS and ".." in text.split("/"):
            return False
        return _compiled(self.pattern, name in PATH_TOOLS).fullmatch(text) is not None

    def describe(self) -> str:
        """The grant as the user reads it: what it covers and for how long."""
        what = self.pattern if self.exact else f"{self.pattern}  (pattern)"
        limits = [f"up to {self.max_tier.upper()}"]
        if self.uses_left is not None:
            limits.append(f"{self.uses_left} use{'s' if self.uses_left != 1 else ''} left")
        if self.expires_at is not None:
            minutes = max(0, round((self.expires_at - time.time()) / 60))
            limits.append(f"expires in {minutes} min")
        return f"{self.tool}: {what} · " + ", ".join(limits)


def call_text(name: str, tool_input: dict[str, Any]) -> str:
    """The text a grant's pattern is matched against: the command, the path, or the input.

    A file tool is granted by its path (the pattern names the files, not their content).
    """
    if name == "bash" and isinstance(tool_input.get("command"), str):
        return str(tool_input["command"]).strip()
    if name in PATH_TOOLS and isinstance(tool_input.get("path"), str):
        return str(tool_input["path"])
    return json.dumps(tool_input, sort_keys=True, ensure_ascii=False)


def suggested_pattern(name: str, tool_input: dict[str, Any], tier: RiskTier = "high") -> str:
    """A pattern a little wider than the call, for the user to narrow before confirming.

    A command keeps its program and subcommand words (`git push *`, `make test`); a path
    keeps its folder (`src/*`). A CRITICAL call, and anything else, is offered exactly.
    """
    text = call_text(name, tool_input)
    if tier == "critical":
        return text
    if name == "bash":
        if any(op in text for op in SHELL_OPERATORS) or not text:
            return text
        words = text.split()
        kept: list[str] = []
        for word in words:
            if len(kept) >= 2 or not re.fullmatch(r"[A-Za-z][\w.+-]*", word):
                break
            kept.append(word)
        kept = kept or words[:1]
        return " ".join(kept) + (" *" if len(kept) < len(words) else "")
    if name in PATH_TOOLS and "/" in text:
        return text.rsplit("/", 1)[0] + "/*"
    return text


def is_exact(name: str, tool_input: dict[str, Any], pattern: str) -> bool:
    """Whether `pattern` is the call itself (no wildcard): then it is granted exactly."""
    return "*" not in pattern or pattern == call_text(name, tool_input)


class GrantBook:
    """The grants of one session; `match` spends a use of the grant it returns."""

    def __init__(self, grants: Iterable[Grant] = ()) -> None:
        self._grants: dict[str, Grant] = {g.id: g for g in grants}

    def __len__(self) -> int:
        return len(self.active())

    def add(self, grant: Grant) -> None:
        self._grants[grant.id] = grant

    def revoke(self, grant_id: str) -> bool:
        return self._grants.pop(grant_id, None) is not None

    def active(self, now: float | None = None) -> list[Grant]:
        now = time.time() if now is None else now
        return [g for g in self._grants.values() if not g.expired(now)]

    def match(
        self, name: str, tool_input: dict[str, Any], tier: RiskTier, now: float | None = None
    ) -> Grant | None:
        """The first live grant covering the call, with one use spent; None when none does."""
        now = time.time() if now is None else now
        for grant in self._grants.values():
            if grant.expired(now) or not grant.covers(name, tool_input, tier):
                continue
            self.spend(grant.id)
            return grant
        return None

    def spend(self, grant_id: str) -> None:
        grant = self._grants.get(grant_id)
        if grant is not None and grant.uses_left is not None:
            self._grants[grant_id] = replace(grant, uses_left=grant.uses_left - 1)


@lru_cache(maxsize=256)
def _compiled(pattern: str, path: bool) -> re.Pattern[str]:
    """A grant pattern as a regex: `*` is any run of characters that is not an operator.

    For a path pattern `*` does not cross `/` and `**` does.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i) and path:
            out.append(".*")
            i += 2
            continue
        if pattern[i] == "*":
            if path:
                out.append("[^/]*")
            else:
                out.append("[^" + re.escape(SHELL_OPERATORS) + "]*")
        else:
            out.append(re.escape(pattern[i]))
        i += 1
    return re.compile("".join(out))
