"""Memory degradation: context fill, clearings, compactions, re-reads, lost pinned instructions."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import ClassVar

from cockpit.events import Compacted, ContextEdited, Event, ModelResponse, ToolCallProposed
from cockpit.health.base import Definition
from cockpit.health.signature import action_signature

WARN_AT = 0.8
REMEMBERED_CALLS = 4096  # tool calls whose signature is kept to recognise a re-read
_WORD = re.compile(r"[a-z0-9_./-]{4,}")


class _Bounded(OrderedDict[str, str]):
    """An insertion-ordered dict that forgets its oldest entries beyond `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: str, value: str) -> None:
        self[key] = value
        if len(self) > self.limit:
            self.popitem(last=False)


def content_words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class MemoryMetrics:
    """Fill of the context window per response; what clearing and compaction did to it."""

    DEFINITIONS: ClassVar[tuple[Definition, ...]] = (
        Definition(
            "memory.fill",
            "Context fill of the latest request: (input + cache read + cache creation tokens) "
            "divided by the model's context window.",
            "ratio",
        ),
        Definition("memory.peak_fill", "The highest context fill so far.", "ratio"),
        Definition(
            "memory.warning",
            f"1 when the fill reached {WARN_AT:.0%} of the window (an early warning), else 0.",
        ),
        Definition("memory.clearings", "Context edits that cleared old tool results.", "edits"),
        Definition("memory.cleared_results", "Tool results cleared from the context.", "results"),
        Definition("memory.compactions", "Compactions of the conversation into a summary.", ""),
        Definition(
            "memory.rereads",
            "Calls identical to one whose result had been cleared (the agent went back for "
            "what it no longer had).",
            "calls",
        ),
        Definition(
            "memory.pinned_missing",
            "Pinned instructions (the goal, constraints the user marked) of which less than "
            "half the words survive in the latest compaction summary.",
            "instructions",
        ),
    )

    def __init__(self, window: int, pinned: list[str] | None = None) -> None:
        self.window = max(1, window)
        self.pinned = list(pinned or [])
        self.fill = 0.0
        self.peak_fill = 0.0
        self.clearings = 0
        self.cleared_results = 0
        self.compactions = 0
        self.rereads = 0
        self.pinned_missing = 0
        self._calls = _Bounded(REMEMBERED_CALLS)
        self._cleared = _Bounded(REMEMBERED_CALLS)

    def pin(self, text: str) -> None:
        if text and text not in self.pinned:
            self.pinned.append(text)

    def fold(self, event: Event) -> None:
        match event:
            case ModelResponse():
                self.fill = event.usage.context_tokens / self.window
                self.peak_fill = max(self.peak_fill, self.fill)
            case ToolCallProposed():
                signature = action_signature(event.name, event.input)
                if signature in self._cleared:
                    self.rereads += 1
                    del self._cleared[signature]
                self._calls.put(event.tool_use_id, signature)
            case ContextEdited():
                self.clearings += 1
                self.cleared_results += len(event.cleared_tool_use_ids)
                for tool_use_id in event.cleared_tool_use_ids:
                    cleared = self._calls.get(tool_use_id)
                    if cleared is not None:
                        self._cleared.put(cleared, tool_use_id)
            case Compacted():
                self.compactions += 1
                kept = content_words(event.summary)
                self.pinned_missing = sum(
                    1 for text in self.pinned if _survives(content_words(text), kept) is False
                )
            case _:
                pass

    def values(self) -> dict[str, float]:
        return {
            "memory.fill": round(self.fill, 4),
            "memory.peak_fill": round(self.peak_fill, 4),
            "memory.warning": 1.0 if self.fill >= WARN_AT else 0.0,
            "memory.clearings": self.clearings,
            "memory.cleared_results": self.cleared_results,
            "memory.compactions": self.compactions,
            "memory.rereads": self.rereads,
            "memory.pinned_missing": self.pinned_missing,
        }


def _survives(words: set[str], kept: set[str]) -> bool:
    return not words or len(words & kept) / len(words) >= 0.5
