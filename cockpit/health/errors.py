"""Error accumulation: failed tool calls, retries and API errors — totals, recent rate, streak."""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from cockpit.events import ApiError, Event, Retry, ToolFinished
from cockpit.health.base import Definition

RECENT_CALLS = 20


class ErrorMetrics:
    """Counts failures as they happen; the rate covers the last RECENT_CALLS tool calls."""

    DEFINITIONS: ClassVar[tuple[Definition, ...]] = (
        Definition(
            "errors.tool_failed",
            "Tool calls whose result was an error (denials included).",
            "calls",
        ),
        Definition(
            "errors.rate",
            f"Share of the last {RECENT_CALLS} tool calls that failed.",
            "ratio",
        ),
        Definition(
            "errors.streak", "Consecutive failed tool calls, up to the latest one.", "calls"
        ),
        Definition(
            "errors.api", "API errors (overloaded, rate limited, dropped streams).", "errors"
        ),
        Definition("errors.retries", "Model turns the engine had to retry.", "retries"),
    )

    def __init__(self, window: int = RECENT_CALLS) -> None:
        self.tool_failed = 0
        self.api_errors = 0
        self.retries = 0
        self.streak = 0
        self._recent: deque[bool] = deque(maxlen=window)
        self._recent_failed = 0

    def fold(self, event: Event) -> None:
        match event:
            case ToolFinished():
                failed = event.is_error
                if len(self._recent) == self._recent.maxlen and self._recent[0]:
                    self._recent_failed -= 1
                self._recent.append(failed)
                self._recent_failed += failed
                if failed:
                    self.tool_failed += 1
                    self.streak += 1
                else:
                    self.streak = 0
            case ApiError():
                self.api_errors += 1
            case Retry():
                self.retries += 1
            case _:
                pass

    @property
    def rate(self) -> float:
        return self._recent_failed / len(self._recent) if self._recent else 0.0

    def values(self) -> dict[str, float]:
        return {
            "errors.tool_failed": self.tool_failed,
            "errors.rate": round(self.rate, 4),
            "errors.streak": self.streak,
            "errors.api": self.api_errors,
            "errors.retries": self.retries,
        }
