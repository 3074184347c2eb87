"""Pricing: model ids match their family by longest prefix."""

from __future__ import annotations

import pytest

from cockpit.engine.context import cost_usd, price_for
from cockpit.events import Usage


@pytest.mark.parametrize(
    ("model", "per_mtok_in"),
    [
        ("claude-sonnet-4-6", 3.0),
        ("claude-sonnet-4-5-20250929", 3.0),
        ("claude-opus-4-5", 5.0),
        ("claude-opus-4-1-20250805", 15.0),
        ("claude-opus-4-20250514", 15.0),
        ("claude-haiku-4-5", 1.0),
        ("scripted:ingestion-failure", 3.0),
    ],
)
def test_price_by_longest_prefix(model: str, per_mtok_in: float) -> None:
    assert price_for(model)[0] == per_mtok_in


def test_cost_counts_every_kind_of_token() -> None:
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_read_input_tokens=1_000_000,
        cache_creation_input_tokens=1_000_000,
    )
    assert cost_usd("claude-sonnet-4-6", usage) == pytest.approx(3.0 + 15.0 + 0.30 + 3.75)
