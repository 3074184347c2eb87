"""Faults fire on a turn's first attempt only: the SDK retries HTTP ones, callers the rest."""

from __future__ import annotations

import anthropic
import httpx2
import pytest

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
