"""SessionTotals: the per-session figures every view shows (turns, tokens, cost, failures).

One definition for the session summary row, the headless log and the cockpit's sidebar.
"""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.defaults import CONTEXT_WINDOW
from cockpit.events import (
    ApiError,
    Event,
    ModelResponse,
    Retry,
    SessionEnded,
    ToolCallProposed,
    ToolFinished,
)


@dataclass
class SessionTotals:
    """Running totals, folded event by event (constant work per event)."""

    turns: int = 0
    tool_calls: int = 0
    failed_tools: int = 0
    api_errors: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    context_tokens: int = 0  # of the latest request
    cost_usd: float = 0.0

    def fold(self, event: Event) -> None:
        match event:
            case ModelResponse():
                u = event.usage
                self.input_tokens += u.input_tokens
                self.output_tokens += u.output_tokens
                self.cache_read_tokens += u.cache_read_input_tokens
                self.cache_write_tokens += u.cache_creation_input_tokens
                self.context_tokens = u.context_tokens
                self.cost_usd += event.cost_usd
                self.turns = max(self.turns, event.turn)
            case ToolCallProposed():
                self.tool_calls += 1
            case ToolFinished(is_error=True):
                self.failed_tools += 1
            case ApiError():
                self.api_errors += 1
            case Retry():
                self.retries += 1
            case SessionEnded():
                self.turns = max(self.turns, event.turns)
            case _:
                pass

    @property
    def tokens(self) -> int:
        """Every token the session paid for: each request's context plus each output."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )

    @property
    def errors(self) -> int:
        """Failed tool calls and API errors."""
        return self.failed_tools + self.api_errors

    def context_fill(self, window: int = CONTEXT_WINDOW) -> float:
        """The latest request's share of the context window."""
        return self.context_tokens / max(1, window)
