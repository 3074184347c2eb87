"""StreamAccumulator: the content blocks of one streamed message, built from raw SSE events.

Iterating the raw events of `messages.create(stream=True)` and accumulating here is far
faster than the SDK's snapshotting stream helper (DESIGN.md section 3). Text is handed on
in coalesced chunks (at most every `flush_s`), thinking once per block.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cockpit.events import Usage

TEXT_FLUSH_S = 0.05

TextSink = Callable[[int, str], None]  # (block index, text)
ThinkingSink = Callable[[int, str, str], None]  # (block index, text, signature)


@dataclass(frozen=True)
class StreamedMessage:
    """A complete assistant message as the stream delivered it."""

    message_id: str
    model: str
    content: list[dict[str, Any]]
    stop_reason: str
    usage: Usage


class StreamAccumulator:
    """Feed it every raw stream event; `finish()` returns the message once it is complete."""

    def __init__(
        self,
        model: str,
        on_text: TextSink,
        on_thinking: ThinkingSink,
        flush_s: float = TEXT_FLUSH_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
        self.on_text = on_text
        self.on_thinking = on_thinking
        self.flush_s = flush_s
        self.clock = clock
        self.message_id = ""
        self.stop_reason: str | None = None
        self.usage = Usage()
        self._blocks: dict[int, dict[str, Any]] = {}
        self._parts: dict[int, list[str]] = {}
        self._pending_text: dict[int, list[str]] = {}
        self._last_flush = clock()

    def feed(self, event: Any) -> None:
        etype = event.type
        if etype == "content_block_delta":
            delta = event.delta
            dtype = delta.type
            index = event.index
            if dtype == "text_delta":
                self._parts[index].append(delta.text)
                self._pending_text[index].append(delta.text)
                now = self.clock()
                if now - self._last_flush >= self.flush_s:
                    self._last_flush = now
                    self.flush_text()
            elif dtype == "input_json_delta":
                self._parts[index].append(delta.partial_json)
            elif dtype == "thinking_delta":
                self._parts[index].append(delta.thinking)
            elif dtype == "signature_delta":
                block = self._blocks[index]
                block["signature"] = block.get("signature", "") + delta.signature
        elif etype == "content_block_start":
            index = event.index
            block = event.content_block.model_dump(exclude_none=True)
            self._blocks[index] = block
            self._parts[index] = []
            if block["type"] == "text":
                self._pending_text[index] = []
                if block.get("text"):
                    self._parts[index].append(block.pop("text"))
        elif etype == "content_block_stop":
            self._finish_block(event.index)
        elif etype == "message_start":
            self.message_id = event.message.id
            self.model = event.message.model
            self.usage = merge_usage(event.message.usage, self.usage)
        elif etype == "message_delta":
            self.stop_reason = event.delta.stop_reason
            self.usage = merge_usage(event.usage, self.usage)

    def flush_text(self) -> None:
        """Hand on the text that arrived since the last flush, block by block."""
        for index, chunks in self._pending_text.items():
            if chunks:
                self.on_text(index, "".join(chunks))
                chunks.clear()

    def finish(self) -> StreamedMessage:
        """The complete message; ConnectionError when the stream ended before message_stop."""
        if self.stop_reason is None:
            raise ConnectionError("the stream ended before message_stop")
        content = [self._blocks[i] for i in sorted(self._blocks)]
        if self.stop_reason == "max_tokens":  # a tool call cut short cannot be run
            content = [b for b in content if not (b["type"] == "tool_use" and b.get("_partial"))]
        for block in content:
            block.pop("_partial", None)
        return StreamedMessage(self.message_id, self.model, content, self.stop_reason, self.usage)

    def _finish_block(self, index: int) -> None:
        block = self._blocks[index]
        joined = "".join(self._parts.pop(index, []))
        btype = block["type"]
        if btype == "text":
            block["text"] = joined
            chunks = self._pending_text.pop(index, [])
            if chunks:
                self.on_text(index, "".join(chunks))
        elif btype == "thinking":
            block["thinking"] = joined
            self.on_thinking(index, joined, block.get("signature", ""))
        elif btype in ("tool_use", "server_tool_use"):
            try:
                block["input"] = json.loads(joined) if joined else block.get("input") or {}
            except json.JSONDecodeError:
                block["input"] = {}
                block["_partial"] = True


def merge_usage(raw: Any, previous: Usage) -> Usage:
    """`previous` with the fields `raw` (an SDK usage object) reports."""
    if raw is None:
        return previous
    values = previous.model_dump()
    for name in values:
        value = getattr(raw, name, None)
        if value is not None:
            values[name] = value
    return Usage(**values)
