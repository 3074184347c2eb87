"""The scripted server speaks the Messages API: streamed and whole responses, validation."""

from __future__ import annotations

import json
import time
from typing import Any

import anthropic
import httpx2
import pytest

from cockpit.scripted.server import ScriptedServer

USER = [{"role": "user", "content": "Check the landing folder."}]
THINK = {"type": "enabled", "budget_tokens": 2048}


async def test_stream_event_sequence(client: anthropic.AsyncAnthropic) -> None:
    stream = await client.messages.create(
        model="scripted:probe", max_tokens=4096, messages=USER, thinking=THINK, stream=True
    )
    events = [ev async for ev in stream]
    types = [ev.type for ev in events]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    start = events[0].message  # type: ignore[union-attr]
    assert start.id.startswith("msg_01") and start.model == "scripted:probe"
    assert start.content == [] and start.usage.input_tokens > 0
    starts = [ev.content_block for ev in events if ev.type == "content_block_start"]
    assert [b.type for b in starts] == ["thinking", "text", "tool_use"]
    deltas: dict[int, list[Any]] = {}
    for ev in events:
        if ev.type == "content_block_delta":
            deltas.setdefault(ev.index, []).append(ev.delta)
    thinking = "".join(d.thinking for d in deltas[0] if d.type == "thinking_delta")
    assert thinking.startswith("The user wants a listing first")
    assert deltas[0][-1].type == "signature_delta" and deltas[0][-1].signature
    assert len(deltas[1]) > 3
    assert "".join(d.text for d in deltas[1]) == "I'll look at the landing folder first."
    chunks = [d.partial_json for d in deltas[2]]
    assert len([c for c in chunks if c]) >= 3
    assert json.loads("".join(chunks))["command"].startswith("ls -la landing/")
    tool = starts[2]
    assert tool.id.startswith("toolu_01") and tool.name == "bash"  # type: ignore[union-attr]
    end = events[-2]
    assert end.delta.stop_reason == "tool_use"  # type: ignore[union-attr]
    assert end.usage.output_tokens > 10  # type: ignore[union-attr]


async def test_thinking_only_when_enabled(client: anthropic.AsyncAnthropic) -> None:
    message = await client.messages.create(model="scripted:probe", max_tokens=1024, messages=USER)
    assert [b.type for b in message.content] == ["text", "tool_use"]


async def test_non_streaming_message(client: anthropic.AsyncAnthropic) -> None:
    message = await client.messages.create(
        model="scripted:probe", max_tokens=4096, messages=USER, thinking=THINK
    )
    assert message.id.startswith("msg_") and message.role == "assistant"
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use"]
    assert message.content[2].input["command"].startswith("ls -la")  # type: ignore[union-attr]
    assert message.stop_reason == "tool_use" and message.usage.output_tokens > 0


async def test_default_scenario_and_unknown_model(server: ScriptedServer) -> None:
    async with anthropic.AsyncAnthropic(api_key="k", base_url=server.base_url) as c:
        message = await c.messages.create(model="claude-test-model", max_tokens=99, messages=USER)
        assert message.content[0].text == "I'll look at the landing folder first."  # type: ignore[union-attr]
        with pytest.raises(anthropic.NotFoundError, match="scripted:nope"):
            await c.messages.create(model="scripted:nope", max_tokens=99, messages=USER)
    srv = ScriptedServer({}, speed=0)
    await srv.start()
    try:
        async with anthropic.AsyncAnthropic(api_key="k", base_url=srv.base_url) as c:
            with pytest.raises(anthropic.NotFoundError):
                await c.messages.create(model="claude-x", max_tokens=9, messages=USER)
    finally:
        await srv.stop()


async def test_input_tokens_grow_with_request(client: anthropic.AsyncAnthropic) -> None:
    small = await client.messages.create(model="scripted:probe", max_tokens=9, messages=USER)
    big = await client.messages.create(
        model="scripted:probe",
        max_tokens=9,
        messages=[{"role": "user", "content": "x " * 40_000}],
    )
    assert small.usage.input_tokens < 100
    assert 19_000 < big.usage.input_tokens < 21_000


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "scripted:probe", "max_tokens": 100, "messages": USER}
    for key, value in changes.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    return body


TOOL_USE = {"type": "tool_use", "id": "toolu_01A", "name": "bash", "input": {"command": "ls"}}
RESULT = {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "ok"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_body(max_tokens=None), "max_tokens: Field required"),
        (_body(model=None), "model: Field required"),
        (_body(messages=None), "messages: Field required"),
        (_body(messages=[]), "at least one message"),
        (
            _body(messages=[*USER, {"role": "user", "content": "again"}]),
            'multiple "user" roles in a row',
        ),
        (
            _body(messages=[{"role": "assistant", "content": "hi"}, *USER]),
            'first message must use the "user" role',
        ),
        (
            _body(
                messages=[
                    *USER,
                    {"role": "assistant", "content": [TOOL_USE]},
                    {"role": "user", "content": [{**RESULT, "tool_use_id": "toolu_01B"}]},
                ]
            ),
            "unexpected `tool_use_id` found in `tool_result` blocks: toolu_01B",
        ),
        (
            _body(
                messages=[
                    *USER,
                    {"role": "assistant", "content": "x"},
                    {"role": "user", "content": [RESULT]},
                ]
            ),
            "unexpected `tool_use_id`",
        ),
        (
            _body(
                messages=[
                    *USER,
                    {"role": "assistant", "content": [TOOL_USE]},
                    {"role": "user", "content": "no results"},
                ]
            ),
            "`tool_use` ids were found without `tool_result` blocks",
        ),
        (
            _body(
                tools=[{"name": "bash", "input_schema": {"type": "object"}}],
                tool_choice={"type": "tool", "name": "rm"},
            ),
            "Tool 'rm' not found",
        ),
        (
            _body(thinking={"type": "enabled", "budget_tokens": 512}),
            "greater than or equal to 1024",
        ),
        (_body(thinking={"type": "enabled", "budget_tokens": 2048}), "must be greater than"),
    ],
)
async def test_validation_errors(
    client: anthropic.AsyncAnthropic, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        await client.post("/v1/messages", cast_to=httpx2.Response, body=body)
    assert message in info.value.message
    assert info.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert info.value.response.headers["request-id"].startswith("req_")


async def test_accepts_typed_tools_and_extra_params(client: anthropic.AsyncAnthropic) -> None:
    tools: Any = [
        {"name": "bash", "description": "Run", "input_schema": {"type": "object"}},
        {"type": "memory_20250818", "name": "memory"},
    ]
    message = await client.beta.messages.create(
        model="scripted:probe",
        max_tokens=4096,
        messages=USER,
        tools=tools,
        tool_choice={"type": "auto"},
        system="You are careful.",
        extra_body={"temperature": 0.2},
        metadata={"user_id": "u1"},
        thinking=THINK,
        context_management={"edits": [{"type": "clear_tool_uses_20250919"}]},
        betas=["context-management-2025-06-27"],
    )
    assert message.stop_reason == "tool_use"


async def test_count_tokens_and_models(server: ScriptedServer) -> None:
    async with anthropic.AsyncAnthropic(api_key="k", base_url=server.base_url) as c:
        count = await c.messages.count_tokens(model="scripted:probe", messages=USER)
        assert count.input_tokens > 0
        models = [m.id async for m in c.models.list()]
        assert "scripted:ingestion-failure" in models


async def test_keep_alive_reuses_connection(server: ScriptedServer) -> None:
    async with httpx2.AsyncClient(base_url=server.base_url) as c:
        for _ in range(3):
            r = await c.post("/v1/messages", json=_body(), headers={"x-api-key": "k"})
            assert r.status_code == 200 and r.headers["request-id"]
        r = await c.post("/v1/messages", json=_body())
        assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"


async def test_bench_200k_deltas(client: anthropic.AsyncAnthropic) -> None:
    """The engine bench's turn: 200,000 deltas at speed 0 (prints the rate)."""
    started = time.perf_counter()
    stream = await client.messages.create(
        model="scripted:bench-200k", max_tokens=1024, messages=USER, stream=True
    )
    n = 0
    async for ev in stream:
        if ev.type == "content_block_delta":
            n += 1
    rate = n / (time.perf_counter() - started)
    print(f"scripted server -> SDK raw events: {rate:,.0f} deltas/s")
    assert n == 200_000
