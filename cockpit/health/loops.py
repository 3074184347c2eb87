"""Loops: the same call with the same result, a failing call repeated, A/B alternation, talk only.

The patterns follow OpenHands' stuck detector (repeated action/observation pairs, repeated
errors, alternation, monologue). A call that polls on purpose — its command sleeps, or it
matches a pattern the user marked as polling — needs `poll_factor` times more repeats, and
a result that changes (a progress figure) is not a repeat at all.
"""

from __future__ import annotations

import fnmatch
from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

from cockpit.events import (
    ApiError,
    Event,
    ModelResponse,
    ToolCallProposed,
    ToolFinished,
)
from cockpit.health.base import Definition
from cockpit.health.signature import action_signature, result_signature

HISTORY = 8


@dataclass
class LoopSettings:
    """Thresholds, tunable per session; `polling` are glob patterns on commands."""

    repeat: int = 3
    failing_repeat: int = 3
    alternation: int = 6  # actions in the A/B/A/B tail
    talk_turns: int = 4
    context_errors: int = 2
    poll_factor: int = 4
    polling: list[str] = field(default_factory=list)

    def is_polling(self, command: str) -> bool:
        words = command.replace(";", " ").replace("&&", " ").split()
        if "sleep" in words or "watch" in words[:1]:
            return True
        return any(fnmatch.fnmatchcase(command, pattern) for pattern in self.polling)


class LoopMetrics:
    """Tracks the tail of (action, result) pairs; each count is the current run length."""

    DEFINITIONS: ClassVar[tuple[Definition, ...]] = (
        Definition(
            "loops.repeat",
            "Times in a row the agent made the same call and got the same result.",
            "calls",
            "OpenHands stuck detector: repeated action-observation pairs",
        ),
        Definition(
            "loops.failing_repeat",
            "Times in a row the same call failed (whatever the error said).",
            "calls",
            "OpenHands stuck detector: repeated action-error pairs",
        ),
        Definition(
            "loops.alternation",
            "Length of the latest tail of calls alternating between two actions (A B A B).",
            "calls",
            "OpenHands stuck detector: ping-pong",
        ),
        Definition("loops.talk_turns", "Model turns in a row with text and no tool call.", "turns"),
        Definition(
            "loops.context_errors",
            "API errors saying the request does not fit the context window, in a row.",
            "errors",
        ),
        Definition(
            "loops.score",
            "The strongest loop signal as a share of its threshold (1.0 = at the threshold; "
            "polling calls have thresholds poll_factor times higher).",
            "ratio",
        ),
    )

    def __init__(self, settings: LoopSettings | None = None) -> None:
        self.settings = settings or LoopSettings()
        self._pending: dict[str, tuple[str, bool]] = {}  # tool_use_id -> (signature, polling)
        self._tail: deque[str] = deque(maxlen=HISTORY)
        self.repeat = 0
        self.failing_repeat = 0
        self.alternation = 0
        self.talk_turns = 0
        self.context_errors = 0
        self._last_pair: tuple[str, str] | None = None
        self._last_failed_action: str | None = None
        self._polling = False

    def fold(self, event: Event) -> None:
        match event:
            case ToolCallProposed():
                command = event.input.get("command")
                polling = isinstance(command, str) and self.settings.is_polling(command)
                self._pending[event.tool_use_id] = (
                    action_signature(event.name, event.input),
                    polling,
                )
            case ToolFinished():
                found = self._pending.pop(event.tool_use_id, None)
                if found is not None:
                    self._finished(found[0], found[1], event)
            case ModelResponse():
                if any(b.get("type") == "tool_use" for b in event.content):
                    self.talk_turns = 0
                elif event.stop_reason == "end_turn":
                    self.talk_turns = 0  # a final answer is not a monologue
                else:
                    self.talk_turns += 1
                self.context_errors = 0
            case ApiError():
                text = f"{event.error_type} {event.message}".lower()
                if "context" in text and (
                    "window" in text or "too long" in text or "length" in text
                ):
                    self.context_errors += 1
            case _:
                pass

    def _finished(self, action: str, polling: bool, event: ToolFinished) -> None:
        pair = (action, result_signature(event.content, event.is_error))
        self.repeat = self.repeat + 1 if pair == self._last_pair else 1
        self._last_pair = pair
        if event.is_error:
            same = action == self._last_failed_action
            self.failing_repeat = self.failing_repeat + 1 if same else 1
            self._last_failed_action = action
        else:
            self.failing_repeat = 0
            self._last_failed_action = None
        self._polling = polling
        self._tail.append(action)
        self.alternation = _alternation(self._tail)

    def score(self) -> float:
        s = self.settings
        factor = s.poll_factor if self._polling else 1
        return max(
            self.repeat / (s.repeat * factor) if self.repeat > 1 else 0.0,
            self.failing_repeat / (s.failing_repeat * factor) if self.failing_repeat > 1 else 0.0,
            self.alternation / (s.alternation * factor) if self.alternation else 0.0,
            self.talk_turns / s.talk_turns if self.talk_turns > 1 else 0.0,
            self.context_errors / s.context_errors if self.context_errors else 0.0,
        )

    def values(self) -> dict[str, float]:
        return {
            "loops.repeat": self.repeat,
            "loops.failing_repeat": self.failing_repeat,
            "loops.alternation": self.alternation,
            "loops.talk_turns": self.talk_turns,
            "loops.context_errors": self.context_errors,
            "loops.score": round(self.score(), 4),
        }


def _alternation(tail: deque[str]) -> int:
    """Length of the A B A B ... suffix of `tail` with A != B (0 under four calls)."""
    if len(tail) < 4:
        return 0
    items = list(tail)
    a, b = items[-1], items[-2]
    if a == b:
        return 0
    n = 0
    for i in range(len(items) - 1, -1, -1):
        expected = a if (len(items) - 1 - i) % 2 == 0 else b
        if items[i] != expected:
            break
        n += 1
    return n if n >= 4 else 0
