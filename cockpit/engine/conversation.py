"""Derives the Messages API conversation from a session's events (resume = replay)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cockpit.events import (
    ContextEdited,
    Event,
    ModelResponse,
    Rollback,
    ToolFinished,
    UserMessage,
)

CLEARED_NOTE = "[tool result cleared from context to save space; re-run the tool if you need it]"


class Conversation:
    """The message list sent to the model, rebuilt incrementally from events.

    User text, tool results and assistant messages are appended as their events arrive;
    consecutive user content is merged into one user message so roles alternate.
    Cleared tool results keep their place but lose their content.
    """

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._cleared: set[str] = set()
        self._result_index: dict[str, tuple[int, int]] = {}

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Conversation:
        conv = cls()
        for event in _effective(list(events)):
            conv.apply(event)
        return conv

    def apply(self, event: Event) -> None:
        if isinstance(event, UserMessage):
            self._add_user_block({"type": "text", "text": event.text})
        elif isinstance(event, ModelResponse):
            content = [dict(block) for block in event.content]
            if content and self.messages and self.messages[-1]["role"] == "assistant":
                # A continuation after pause_turn extends the same assistant turn.
                self.messages[-1]["content"].extend(content)
            elif content:
                self.messages.append({"role": "assistant", "content": content})
        elif isinstance(event, ToolFinished):
            self._add_tool_result(event)
        elif isinstance(event, ContextEdited):
            for tool_use_id in event.cleared_tool_use_ids:
                self.clear_result(tool_use_id)

    @property
    def assistant_turns(self) -> int:
        return sum(1 for m in self.messages if m["role"] == "assistant")

    def pending_tool_uses(self) -> list[dict[str, Any]]:
        """tool_use blocks of the last assistant message that have no result yet."""
        if not self.messages or self.messages[-1]["role"] != "assistant":
            return []
        return [b for b in self.messages[-1]["content"] if b.get("type") == "tool_use"]

    def result_ids(self) -> list[str]:
        """tool_use ids with results, oldest first."""
        return list(self._result_index)

    def clear_result(self, tool_use_id: str) -> None:
        where = self._result_index.get(tool_use_id)
        if where is None or tool_use_id in self._cleared:
            return
        self._cleared.add(tool_use_id)
        msg_i, block_i = where
        block = self.messages[msg_i]["content"][block_i]
        self.messages[msg_i]["content"][block_i] = {**block, "content": CLEARED_NOTE}

    @property
    def cleared(self) -> frozenset[str]:
        return frozenset(self._cleared)

    def _user_content(self) -> list[dict[str, Any]]:
        if not self.messages or self.messages[-1]["role"] != "user":
            self.messages.append({"role": "user", "content": []})
        content: list[dict[str, Any]] = self.messages[-1]["content"]
        return content

    def _add_user_block(self, block: dict[str, Any]) -> None:
        self._user_content().append(block)

    def _add_tool_result(self, event: ToolFinished) -> None:
        content = self._user_content()
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": event.tool_use_id,
            "content": event.content or "(no output)",
        }
        if event.is_error:
            block["is_error"] = True
        # tool_result blocks must come before any text in a user message.
        insert_at = sum(1 for b in content if b.get("type") == "tool_result")
        content.insert(insert_at, block)
        for b_i, b in enumerate(content):
            if b.get("type") == "tool_result":
                self._result_index[b["tool_use_id"]] = (len(self.messages) - 1, b_i)


def _effective(events: list[Event]) -> list[Event]:
    """Events that still shape the conversation: a rollback hides what came after its target."""
    hidden: list[tuple[int, int]] = []
    for event in events:
        if isinstance(event, Rollback) and event.conversation:
            hidden.append((event.to_seq, event.seq))
    if not hidden:
        return events
    return [e for e in events if not any(lo < e.seq < hi for lo, hi in hidden)]
