"""Faults fire on a turn's first attempt only: the SDK retries HTTP ones, callers the rest."""

from __future__ import annotations

import time

import anthropic
import httpx2
import pytest
from scenario_helpers import make_scenario

from cockpit.scripted.server import ScriptedServer

USER = [{"role": "user", "content": "go"}]


@pytest.mark.parametrize("kind", ["rate_limit", "overloaded", "api_error"])
async def test_sdk_retries_http_faults(
    server: ScriptedServer, client: anthropic.AsyncAnthropic, kind: str
) -> None:
    message = await client.messages.create(
        model=f"scripted:fault-{kind}", max_tokens=9, messages=USER
    )
    assert message.content[0].text.startswith("Answer after a fault")  # type: ignore[union-attr]
    assert [f.kind for f in server.faults] == [kind]
    assert server.requests == 2


@pytest.mark.parametrize(
    ("kind", "error", "status"),
    [
        ("rate_limit", anthropic.RateLimitError, 429),
        ("overloaded", anthropic.APIStatusError, 529),
        ("api_error", anthropic.InternalServerError, 500),
    ],
)
async def test_http_fault_shape(
    server: ScriptedServer, kind: str, error: type[anthropic.APIStatusError], status: int
) -> None:
    async with anthropic.AsyncAnthropic(api_key="k", base_url=server.base_url, max_retries=0) as c:
        with pytest.raises(error) as info:
            await c.messages.create(model=f"scripted:fault-{kind}", max_tokens=9, messages=USER)
        assert info.value.status_code == status
        assert info.value.response.headers["request-id"].startswith("req_")
        if kind == "rate_limit":
            assert float(info.value.response.headers["retry-after"]) > 0
        # the retry of the same conversation succeeds
        await c.messages.create(model=f"scripted:fault-{kind}", max_tokens=9, messages=USER)


async def _drain(client: anthropic.AsyncAnthropic, model: str) -> str:
    stream = await client.messages.create(model=model, max_tokens=9, messages=USER, stream=True)
    text = ""
    async for ev in stream:
        if ev.type == "content_block_delta" and ev.delta.type == "text_delta":
            text += ev.delta.text
    return text


async def test_midstream_overloaded_then_retry(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.APIStatusError) as info:
        await _drain(client, "scripted:fault-overloaded_midstream")
    assert info.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    text = await _drain(client, "scripted:fault-overloaded_midstream")
    assert text.startswith("Answer after a fault")


async def test_dropped_connection_then_retry(client: anthropic.AsyncAnthropic) -> None:
    # the SDK does not wrap errors raised while iterating a stream: httpx2's surfaces
    with pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"):
        await _drain(client, "scripted:fault-drop_connection")
    text = await _drain(client, "scripted:fault-drop_connection")
    assert text.startswith("Answer after a fault")


async def test_faults_are_per_conversation(server: ScriptedServer) -> None:
    async with anthropic.AsyncAnthropic(api_key="k", base_url=server.base_url, max_retries=0) as c:
        for goal in ("first goal", "second goal"):
            with pytest.raises(anthropic.RateLimitError):
                await c.messages.create(
                    model="scripted:fault-rate_limit",
                    max_tokens=9,
                    messages=[{"role": "user", "content": goal}],
                )
    server.reset_faults()
    assert len(server.faults) == 2


async def test_pacing_applies_at_speed_one() -> None:
    scenario = make_scenario(
        """
[scenario]
name = "paced"
goal = "g"
pace = { first_token_ms = 150, tokens_per_s = 400 }

[[turn]]
text = "%s"
"""
        % ("word " * 80)
    )
    srv = ScriptedServer({"paced": scenario}, speed=1.0)
    await srv.start()
    try:
        async with anthropic.AsyncAnthropic(api_key="k", base_url=srv.base_url) as c:
            started = time.perf_counter()
            stream = await c.messages.create(
                model="scripted:paced", max_tokens=99, messages=USER, stream=True
            )
            arrivals = [time.perf_counter() - started async for _ in stream]
    finally:
        await srv.stop()
    assert arrivals[-1] >= 0.15 + 0.15  # first-token latency plus ~80 tokens at 400/s
    assert arrivals[-1] < 3
