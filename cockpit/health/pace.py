"""Cost and pace: tokens, dollars, tool latency, time since the agent last made progress."""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from cockpit.events import Event, ModelResponse, ToolCallProposed, ToolFinished
from cockpit.health.base import Definition
from cockpit.health.signature import action_signature, result_signature

RECENT_CALLS = 20
SEEN_PAIRS = 64


class PaceMetrics:
    """Spend and speed. Progress = a successful call with a result not seen among recent ones."""

    DEFINITIONS: ClassVar[tuple[Definition, ...]] = (
        Definition(
            "cost.tokens", "Tokens so far: every request's context plus every output.", "tokens"
        ),
        Definition(
            "cost.usd", "Dollars so far, from the price table of each response's model.", "USD"
        ),
        Definition(
            "pace.tool_ms",
            f"Mean duration of the last {RECENT_CALLS} tool calls.",
            "ms",
        ),
        Definition(
            "pace.since_progress_s",
            "Seconds since the last progress: a successful tool call whose result was new "
            "(not the same call with the same result as one of the recent calls).",
            "s",
        ),
    )

    def __init__(self) -> None:
        self.tokens = 0
        self.cost_usd = 0.0
        self._durations: deque[float] = deque(maxlen=RECENT_CALLS)
        self._duration_sum = 0.0
        self._actions: dict[str, str] = {}
        self._seen: deque[tuple[str, str]] = deque(maxlen=SEEN_PAIRS)
        self.last_progress_ts: float | None = None
        self.last_ts: float | None = None

    def fold(self, event: Event) -> None:
        self.last_ts = event.ts
        if self.last_progress_ts is None:
            self.last_progress_ts = event.ts
        match event:
            case ModelResponse():
                self.tokens += event.usage.context_tokens + event.usage.output_tokens
                self.cost_usd += event.cost_usd
            case ToolCallProposed():
                self._actions[event.tool_use_id] = action_signature(event.name, event.input)
            case ToolFinished():
                if len(self._durations) == self._durations.maxlen:
                    self._duration_sum -= self._durations[0]
                self._durations.append(event.duration_ms)
                self._duration_sum += event.duration_ms
                action = self._actions.pop(event.tool_use_id, event.name)
                pair = (action, result_signature(event.content, event.is_error))
                if not event.is_error and pair not in self._seen:
                    self.last_progress_ts = event.ts
                self._seen.append(pair)
            case _:
                pass

    def values(self) -> dict[str, float]:
        since = 0.0
        if self.last_ts is not None and self.last_progress_ts is not None:
            since = max(0.0, self.last_ts - self.last_progress_ts)
        return {
            "cost.tokens": self.tokens,
            "cost.usd": round(self.cost_usd, 6),
            "pace.tool_ms": round(self._duration_sum / len(self._durations), 1)
            if self._durations
            else 0.0,
            "pace.since_progress_s": round(since, 1),
        }
