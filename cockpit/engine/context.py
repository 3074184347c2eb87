"""Token accounting, pricing, and the context-editing policy for long sessions."""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.defaults import CONTEXT_WINDOW
from cockpit.events import Usage

# US$ per million tokens: input, output, cache read, cache write (5 min).
# Matched by longest prefix; newer ids of a family price like the family.
_PRICES: dict[str, tuple[float, float, float, float]] = {
    "claude-opus": (5.0, 25.0, 0.50, 6.25),
    "claude-opus-4-1": (15.0, 75.0, 1.50, 18.75),
    "claude-opus-4-0": (15.0, 75.0, 1.50, 18.75),
    "claude-opus-4-20250514": (15.0, 75.0, 1.50, 18.75),
    "claude-sonnet": (3.0, 15.0, 0.30, 3.75),
    "claude-haiku": (1.0, 5.0, 0.10, 1.25),
    "claude-3-5-haiku": (0.80, 4.0, 0.08, 1.0),
}
_DEFAULT_PRICE = _PRICES["claude-sonnet"]
_LONGEST_FIRST = sorted(_PRICES, key=len, reverse=True)


def price_for(model: str) -> tuple[float, float, float, float]:
    """Prices for a model id (dated ids match their family; unknown models price as Sonnet)."""
    for prefix in _LONGEST_FIRST:
        if model.startswith(prefix):
            return _PRICES[prefix]
    return _DEFAULT_PRICE


def cost_usd(model: str, usage: Usage) -> float:
    p_in, p_out, p_read, p_write = price_for(model)
    return (
        usage.input_tokens * p_in
        + usage.output_tokens * p_out
        + usage.cache_read_input_tokens * p_read
        + usage.cache_creation_input_tokens * p_write
    ) / 1_000_000


def estimate_tokens(text: str) -> int:
    """A cheap estimate (about four characters a token), for what the API has not counted yet."""
    return max(1, len(text) // 4)


@dataclass(frozen=True)
class ContextPolicy:
    """When to clear old tool results from what is sent (their content stays in the store).

    Clearing starts when the last request's context reached `trigger_tokens`; it clears the
    oldest results, keeping the `keep_recent` newest, until the estimate is under `target_tokens`.
    """

    window: int = CONTEXT_WINDOW
    trigger_tokens: int = 150_000
    target_tokens: int = 90_000
    keep_recent: int = 6
    enabled: bool = True
