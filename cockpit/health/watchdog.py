"""The watchdog: rules on health metrics that warn, pause, require approval or stop a session.

A rule fires when its metric crosses the threshold (from below) and fires again only after
the metric went back under it, so a session above a threshold is not alerted every turn.
Rules come as data (the policy's `[[watchdog]]` tables); `default_rules()` are shipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cockpit.errors import CockpitError

Action = Literal["warn", "pause", "approve_all", "stop"]
ACTIONS: tuple[Action, ...] = ("warn", "pause", "approve_all", "stop")
SEVERITY: dict[Action, int] = {"warn": 0, "approve_all": 1, "pause": 2, "stop": 3}


@dataclass(frozen=True)
class WatchdogRule:
    """`metric >= threshold` -> `action`, with a message and a steering suggestion."""

    id: str
    metric: str
    threshold: float
    action: Action
    message: str = ""
    steer: str = ""

    @classmethod
    def from_table(cls, table: Mapping[str, Any], source: str = "policy") -> WatchdogRule:
        """A rule from a TOML table; a bad one names the file, the rule and the key."""
        rule_id = str(table.get("id", "?"))

        def bad(key: str, why: str) -> CockpitError:
            return CockpitError(f"{source}: watchdog rule '{rule_id}': '{key}' {why}.")

        for key in ("id", "metric", "threshold", "action"):
            if key not in table:
                raise bad(key, "is missing")
        unknown = set(table) - {"id", "metric", "threshold", "action", "message", "steer"}
        if unknown:
            raise bad(sorted(unknown)[0], "is not a watchdog rule key")
        threshold = table["threshold"]
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise bad("threshold", "must be a number")
        action = table["action"]
        if action not in ACTIONS:
            raise bad("action", f"must be one of {', '.join(ACTIONS)}")
        return cls(
            id=rule_id,
            metric=str(table["metric"]),
            threshold=float(threshold),
            action=action,
            message=str(table.get("message", "")),
            steer=str(table.get("steer", "")),
        )


@dataclass(frozen=True)
class Verdict:
    """One rule that fired, with the value that made it fire."""

    rule: WatchdogRule
    value: float

    @property
    def text(self) -> str:
        head = self.rule.message or f"{self.rule.metric} reached {self.rule.threshold:g}"
        return f"{head} ({self.rule.metric} = {self.value:g}, rule {self.rule.id})"


LOOP_STEER = (
    "You have repeated the same action several times with the same result. Stop retrying; "
    "read the error, find its cause, and try a different approach."
)


def default_rules(max_cost_usd: float | None = None) -> list[WatchdogRule]:
    """The shipped rules (the policy file can override each by id)."""
    rules = [
        WatchdogRule(
            "loop.pause",
            "loops.score",
            1.0,
            "pause",
            "The agent is repeating itself",
            LOOP_STEER,
        ),
        WatchdogRule(
            "errors.streak", "errors.streak", 5, "warn", "Five tool calls failed in a row"
        ),
        WatchdogRule("memory.warning", "memory.fill", 0.8, "warn", "Context window 80% full"),
        WatchdogRule("drift.warn", "drift.score", 0.6, "warn", "Recent actions look off the goal"),
        WatchdogRule(
            "safety.secrets_written",
            "safety.secrets_written",
            1,
            "approve_all",
            "The agent wrote a credential into a file",
        ),
    ]
    if max_cost_usd is not None:
        rules.append(
            WatchdogRule(
                "cost.cap", "cost.usd", max_cost_usd, "stop", f"Spend cap ${max_cost_usd:g} reached"
            )
        )
    return rules


@dataclass
class Watchdog:
    """Evaluates the rules on each health sample; remembers which rules are above threshold."""

    rules: list[WatchdogRule] = field(default_factory=default_rules)
    _above: set[str] = field(default_factory=set)

    def evaluate(self, sample: Mapping[str, float]) -> list[Verdict]:
        """The rules that crossed their threshold since the last sample, most severe first."""
        fired: list[Verdict] = []
        for rule in self.rules:
            value = sample.get(rule.metric)
            if value is None:
                continue
            if value >= rule.threshold:
                if rule.id not in self._above:
                    self._above.add(rule.id)
                    fired.append(Verdict(rule, value))
            else:
                self._above.discard(rule.id)
        return sorted(fired, key=lambda v: -SEVERITY[v.rule.action])

    def rearm(self) -> None:
        """Forget what fired (after the user resumed a paused session, say)."""
        self._above.clear()
