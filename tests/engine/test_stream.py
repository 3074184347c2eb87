"""StreamAccumulator on the SDK's own raw event types: blocks, coalesced text, tool input."""

from __future__ import annotations

import pytest
from anthropic.types.beta import (
    BetaInputJSONDelta,
    BetaMessage,
    BetaRawContentBlockDeltaEvent,
    BetaRawContentBlockStartEvent,
    BetaRawContentBlockStopEvent,
    BetaRawMessageDeltaEvent,
    BetaRawMessageStartEvent,
    BetaSignatureDelta,
    BetaTextBlock,
    BetaTextDelta,
    BetaThinkingBlock,
    BetaThinkingDelta,
    BetaToolUseBlock,
    BetaUsage,
)
from anthropic.types.beta.beta_message_delta_usage import BetaMessageDeltaUsage
from anthropic.types.beta.beta_raw_message_delta_event import Delta

from cockpit.engine.stream import StreamAccumulator


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def start() -> BetaRawMessageStartEvent:
    message = BetaMessage(
        id="msg_1",
        type="message",
        role="assistant",
        model="claude-test",
        content=[],
        stop_reason=None,
        stop_sequence=None,
        usage=BetaUsage(input_tokens=120, output_tokens=1, cache_read_input_tokens=30),
    )
    return BetaRawMessageStartEvent(type="message_start", message=message)


def delta(index: int, d: object) -> BetaRawContentBlockDeltaEvent:
    return BetaRawContentBlockDeltaEvent.model_construct(
        type="content_block_delta", index=index, delta=d
    )


def stop(index: int) -> BetaRawContentBlockStopEvent:
    return BetaRawContentBlockStopEvent(type="content_block_stop", index=index)


def end(reason: str, output: int = 42) -> BetaRawMessageDeltaEvent:
    return BetaRawMessageDeltaEvent.model_construct(
        type="message_delta",
        delta=Delta(stop_reason=reason),  # type: ignore[arg-type]
        usage=BetaMessageDeltaUsage.model_construct(output_tokens=output),
    )


def message_events() -> list[object]:
    return [
        start(),
        BetaRawContentBlockStartEvent(
            type="content_block_start",
            index=0,
            content_block=BetaThinkingBlock(type="thinking", thinking="", signature=""),
        ),
        delta(0, BetaThinkingDelta(type="thinking_delta", thinking="Row 17 ")),
        delta(0, BetaThinkingDelta(type="thinking_delta", thinking="has 9 fields.")),
        delta(0, BetaSignatureDelta(type="signature_delta", signature="sig")),
        stop(0),
        BetaRawContentBlockStartEvent(
            type="content_block_start", index=1, content_block=BetaTextBlock(type="text", text="")
        ),
        *[delta(1, BetaTextDelta(type="text_delta", text=w)) for w in ("I'll ", "move ", "it.")],
        stop(1),
        BetaRawContentBlockStartEvent(
            type="content_block_start",
            index=2,
            content_block=BetaToolUseBlock(type="tool_use", id="toolu_1", name="bash", input={}),
        ),
        delta(2, BetaInputJSONDelta(type="input_json_delta", partial_json='{"command": "ls')),
        delta(2, BetaInputJSONDelta(type="input_json_delta", partial_json=' -la"}')),
        stop(2),
        end("tool_use"),
    ]


def test_blocks_usage_and_stop_reason() -> None:
    texts: list[tuple[int, str]] = []
    thoughts: list[tuple[int, str, str]] = []
    acc = StreamAccumulator("m", lambda i, t: texts.append((i, t)), lambda *a: thoughts.append(a))
    for event in message_events():
        acc.feed(event)
    message = acc.finish()
    assert message.message_id == "msg_1" and message.model == "claude-test"
    assert message.stop_reason == "tool_use"
    assert [b["type"] for b in message.content] == ["thinking", "text", "tool_use"]
    assert message.content[0]["thinking"] == "Row 17 has 9 fields."
    assert message.content[0]["signature"] == "sig"
    assert message.content[1]["text"] == "I'll move it."
    assert message.content[2]["input"] == {"command": "ls -la"}
    assert thoughts == [(0, "Row 17 has 9 fields.", "sig")]
    assert "".join(t for _, t in texts) == "I'll move it."
    assert message.usage.input_tokens == 120 and message.usage.output_tokens == 42
    assert message.usage.cache_read_input_tokens == 30


def test_text_is_coalesced_until_the_flush_interval() -> None:
    clock = Clock()
    texts: list[str] = []
    acc = StreamAccumulator("m", lambda i, t: texts.append(t), lambda *a: None, 0.05, clock)
    events = message_events()
    for event in events[:8]:  # up to the first two text deltas
        acc.feed(event)
    assert texts == []
    clock.now = 0.06
    acc.feed(events[8])
    assert texts == ["I'll move "]


def test_a_tool_call_cut_by_max_tokens_is_dropped() -> None:
    acc = StreamAccumulator("m", lambda *a: None, lambda *a: None)
    events = message_events()
    tool_start = next(i for i, e in enumerate(events) if getattr(e, "index", None) == 2)
    for event in events[: tool_start + 1]:
        acc.feed(event)
    acc.feed(delta(2, BetaInputJSONDelta(type="input_json_delta", partial_json='{"comm')))
    acc.feed(stop(2))
    acc.feed(end("max_tokens"))
    assert [b["type"] for b in acc.finish().content] == ["thinking", "text"]


def test_a_stream_without_message_delta_is_a_dropped_connection() -> None:
    acc = StreamAccumulator("m", lambda *a: None, lambda *a: None)
    for event in message_events()[:-1]:
        acc.feed(event)
    with pytest.raises(ConnectionError):
        acc.finish()
