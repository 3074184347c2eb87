"""The Messages API wire format: request validation, usage estimates, SSE frames, responses."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import secrets
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cockpit.scripted.scenario import Turn

_ALPHABET = string.ascii_letters + string.digits
_TOKEN_RE = re.compile(r"\s*\S+|\s+")
_GROUPS = (1, 2, 3, 2, 1, 3, 2)  # tokens per text delta, cycled (real deltas vary in size)


def new_id(prefix: str) -> str:
    """An id shaped like the real ones: msg_01..., toolu_01..., req_01..."""
    return prefix + "01" + "".join(secrets.choice(_ALPHABET) for _ in range(22))


def error_body(kind: str, message: str) -> dict[str, Any]:
    """The real API's error envelope."""
    return {"type": "error", "error": {"type": kind, "message": message}}


class RequestInvalid(Exception):
    """A request the real API would refuse; `status` and `kind` shape the answer."""

    def __init__(self, message: str, status: int = 400, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind


# --- validation -----------------------------------------------------------------------


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _is_empty(content: Any) -> bool:
    if isinstance(content, str):
        return content == ""
    return not isinstance(content, list) or len(content) == 0


def _tool_names(tools: Sequence[Any]) -> list[str]:
    names: list[str] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise RequestInvalid(f"tools.{i}: Input should be a valid dictionary")
        name = tool.get("name")
        if not isinstance(name, str) or not name:
            raise RequestInvalid(f"tools.{i}.name: Field required")
        tool_type = tool.get("type")
        if tool_type in (None, "custom"):
            if not isinstance(tool.get("input_schema"), dict):
                raise RequestInvalid(f"tools.{i}.custom.input_schema: Field required")
        elif not isinstance(tool_type, str):
            raise RequestInvalid(f"tools.{i}.type: Input should be a valid string")
        names.append(name)
    return names


def validate_request(body: Any) -> dict[str, Any]:
    """Raise RequestInvalid with the real API's wording for what it would refuse."""
    if not isinstance(body, dict):
        raise RequestInvalid("Input should be a valid dictionary")
    for required in ("model", "max_tokens", "messages"):
        if required not in body:
            raise RequestInvalid(f"{required}: Field required")
    if not isinstance(body["model"], str) or not body["model"]:
        raise RequestInvalid("model: Input should be a valid string")
    max_tokens = body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise RequestInvalid("max_tokens: Input should be a valid integer")
    if max_tokens < 1:
        raise RequestInvalid("max_tokens: Input should be greater than or equal to 1")
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int):
            raise RequestInvalid("thinking.enabled.budget_tokens: Field required")
        if budget < 1024:
            raise RequestInvalid(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
            )
        if max_tokens <= budget:
            raise RequestInvalid(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult "
                "our documentation at https://docs.claude.com/en/docs/build-with-claude/"
                "extended-thinking#max-tokens-and-context-window-size"
            )
    tools = body.get("tools", [])
    if not isinstance(tools, list):
        raise RequestInvalid("tools: Input should be a valid list")
    names = _tool_names(tools)
    if len(set(names)) != len(names):
        raise RequestInvalid("tools: Tool names must be unique.")
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool":
        name = choice.get("name")
        if name not in names:
            raise RequestInvalid(f"Tool '{name}' not found in provided tools")
    elif isinstance(choice, dict) and choice.get("type") in ("any", "tool") and not names:
        raise RequestInvalid("tool_choice: tools must be provided when tool_choice is set")
    _validate_messages(body["messages"])
    return body


def _validate_messages(messages: Any) -> None:
    if not isinstance(messages, list):
        raise RequestInvalid("messages: Input should be a valid list")
    if not messages:
        raise RequestInvalid("messages: at least one message is required")
    previous_role = None
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RequestInvalid(f"messages.{i}: Input should be a valid dictionary")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise RequestInvalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in message:
            raise RequestInvalid(f"messages.{i}.content: Field required")
        if i == 0 and role != "user":
            raise RequestInvalid('messages: first message must use the "user" role')
        if role == previous_role:
            raise RequestInvalid(
                'messages: roles must alternate between "user" and "assistant", but found '
                f'multiple "{role}" roles in a row'
            )
        previous_role = role
        last = i == len(messages) - 1
        if _is_empty(message["content"]) and not (last and role == "assistant"):
            raise RequestInvalid(
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        for j, block in enumerate(_blocks(message["content"])):
            kind = block.get("type")
            if kind == "tool_use" and role == "assistant":
                for key in ("id", "name", "input"):
                    if key not in block:
                        raise RequestInvalid(
                            f"messages.{i}.content.{j}.tool_use.{key}: Field required"
                        )
            elif kind == "thinking" and "signature" not in block:
                raise RequestInvalid(f"messages.{i}.content.{j}.thinking.signature: Field required")
            elif kind == "tool_result":
                if role != "user":
                    raise RequestInvalid(
                        f"messages.{i}.content.{j}: `tool_result` blocks are only allowed in "
                        "user messages"
                    )
                if "tool_use_id" not in block:
                    raise RequestInvalid(
                        f"messages.{i}.content.{j}.tool_result.tool_use_id: Field required"
                    )
    _validate_tool_pairs(messages)


def _validate_tool_pairs(messages: list[dict[str, Any]]) -> None:
    for role in ("user", "assistant"):  # stray tool_result blocks are reported first
        for i, message in enumerate(messages):
            if message["role"] == role:
                _check_tool_pair(messages, i)


def _check_tool_pair(messages: list[dict[str, Any]], i: int) -> None:
    message = messages[i]
    blocks = _blocks(message["content"])
    if message["role"] == "user":
        results = [(j, b) for j, b in enumerate(blocks) if b.get("type") == "tool_result"]
        prev = _blocks(messages[i - 1]["content"]) if i > 0 else []
        uses = {b.get("id") for b in prev if b.get("type") == "tool_use"}
        for j, block in results:
            if block.get("tool_use_id") not in uses:
                raise RequestInvalid(
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in "
                    f"`tool_result` blocks: {block.get('tool_use_id')}. Each `tool_result` "
                    "block must have a corresponding `tool_use` block in the previous message."
                )
        return
    if i + 1 >= len(messages):
        return
    ids = [b.get("id") for b in blocks if b.get("type") == "tool_use"]
    answered = {
        b.get("tool_use_id")
        for b in _blocks(messages[i + 1]["content"])
        if b.get("type") == "tool_result"
    }
    missing = [str(x) for x in ids if x not in answered]
    if missing:
        raise RequestInvalid(
            f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
            f"immediately after: {', '.join(missing)}. Each `tool_use` block must have "
            "a corresponding `tool_result` block in the next message."
        )


# --- usage ------------------------------------------------------------------------------


def estimate_tokens(chars: int) -> int:
    """About four characters per token, like the real tokenizer on English and code."""
    return max(1, math.ceil(chars / 4))


def estimate_input_tokens(body: Mapping[str, Any]) -> int:
    """Input tokens from the request size: system + tools + messages, ~chars/4."""
    parts = {k: body.get(k) for k in ("system", "tools", "messages") if body.get(k) is not None}
    raw = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return estimate_tokens(len(raw))


def thinking_enabled(body: Mapping[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


# --- the response plan -----------------------------------------------------------------


@dataclass
class Block:
    """One content block of the response, already cut into the deltas it streams as."""

    kind: str  # "text" | "thinking" | "tool_use"
    pieces: list[str] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    tool_id: str = ""
    name: str = ""
    tool_input: dict[str, Any] = field(default_factory=dict)
    signature: str = ""
    repeat: int = 0  # generated text: pieces[0] repeated this many times

    @property
    def full(self) -> str:
        if self.repeat:
            return self.pieces[0] * self.repeat
        return "".join(self.pieces)


def split_text(text: str) -> list[str]:
    """Cut text into deltas of one to three tokens, the way the real stream arrives."""
    tokens = _TOKEN_RE.findall(text)
    pieces: list[str] = []
    i = g = 0
    while i < len(tokens):
        n = _GROUPS[g % len(_GROUPS)]
        pieces.append("".join(tokens[i : i + n]))
        i += n
        g += 1
    return pieces


def split_json(raw: str) -> list[str]:
    """Cut a tool input's JSON into several input_json_delta chunks (first one empty)."""
    size = max(8, min(48, len(raw) // 4 or 8))
    return ["", *(raw[i : i + size] for i in range(0, len(raw), size))]


def signature_for(thinking: str) -> str:
    digest = hashlib.sha256(thinking.encode()).digest() * 6
    return "Eq" + base64.b64encode(digest).decode()


def plan_blocks(turn: Turn, with_thinking: bool) -> list[Block]:
    """The content blocks a turn produces, in order: thinking, text, tool_use..."""
    blocks: list[Block] = []
    if turn.thinking and with_thinking:
        pieces = split_text(turn.thinking)
        blocks.append(
            Block(
                "thinking",
                pieces,
                [estimate_tokens(len(p)) for p in pieces],
                signature=signature_for(turn.thinking),
            )
        )
    if turn.text_repeat is not None and turn.deltas:
        blocks.append(Block("text", [turn.text_repeat], [1], repeat=turn.deltas))
    elif turn.text:
        pieces = split_text(turn.text)
        blocks.append(Block("text", pieces, [estimate_tokens(len(p)) for p in pieces]))
    for call in turn.tools:
        raw = json.dumps(call.input, ensure_ascii=False, separators=(",", ":"))
        pieces = split_json(raw)
        blocks.append(
            Block(
                "tool_use",
                pieces,
                [estimate_tokens(len(p)) if p else 0 for p in pieces],
                tool_id=new_id("toolu_"),
                name=call.name,
                tool_input=call.input,
            )
        )
    return blocks


def output_tokens(blocks: Sequence[Block]) -> int:
    total = 0
    for block in blocks:
        total += block.repeat * block.tokens[0] if block.repeat else sum(block.tokens)
    return max(1, total)


def content_json(block: Block) -> dict[str, Any]:
    """The finished content block, as in a non-streaming response."""
    if block.kind == "thinking":
        return {"type": "thinking", "thinking": block.full, "signature": block.signature}
    if block.kind == "tool_use":
        return {
            "type": "tool_use",
            "id": block.tool_id,
            "name": block.name,
            "input": block.tool_input,
        }
    return {"type": "text", "text": block.full, "citations": None}


def usage_json(input_tokens: int, output: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output,
        "service_tier": "standard",
    }


def message_json(
    msg_id: str, model: str, blocks: Sequence[Block], stop_reason: str, input_tokens: int
) -> dict[str, Any]:
    """A complete non-streaming Message."""
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [content_json(b) for b in blocks],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage_json(input_tokens, output_tokens(blocks)),
    }


# --- SSE frames -------------------------------------------------------------------------


def frame(event: str, data: Mapping[str, Any]) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n".encode()


PING = b'event: ping\ndata: {"type": "ping"}\n\n'


class DeltaFrames:
    """Fast content_block_delta frames: a byte template per block, cached per piece."""

    _KEYS = {"text": ("text_delta", "text"), "thinking": ("thinking_delta", "thinking")}

    def __init__(self, index: int, kind: str) -> None:
        delta_type, key = self._KEYS.get(kind, ("input_json_delta", "partial_json"))
        self._head = (
            'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
            f'{index},"delta":{{"type":"{delta_type}","{key}":'
        ).encode()
        self._cache: dict[str, bytes] = {}

    def __call__(self, piece: str) -> bytes:
        cached = self._cache.get(piece)
        if cached is None:
            cached = self._head + json.dumps(piece, ensure_ascii=False).encode() + b"}}\n\n"
            if len(self._cache) < 4096:
                self._cache[piece] = cached
        return cached


def block_start(index: int, block: Block) -> bytes:
    if block.kind == "thinking":
        content: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
    elif block.kind == "tool_use":
        content = {"type": "tool_use", "id": block.tool_id, "name": block.name, "input": {}}
    else:
        content = {"type": "text", "text": ""}
    return frame(
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": content},
    )


def block_deltas(index: int, block: Block) -> Iterator[tuple[bytes, int]]:
    """(frame, tokens) for each delta of a block, then the signature for thinking."""
    make = DeltaFrames(index, block.kind)
    if block.repeat:
        one = make(block.pieces[0])
        tokens = block.tokens[0]
        for _ in range(block.repeat):
            yield one, tokens
    else:
        for piece, tokens in zip(block.pieces, block.tokens, strict=True):
            yield make(piece), tokens
    if block.kind == "thinking":
        yield (
            frame(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "signature_delta", "signature": block.signature},
                },
            ),
            0,
        )


def block_stop(index: int) -> bytes:
    return frame("content_block_stop", {"type": "content_block_stop", "index": index})


def message_start(msg_id: str, model: str, input_tokens: int) -> bytes:
    return frame(
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": usage_json(input_tokens, 1),
            },
        },
    )


def message_end(stop_reason: str, input_tokens: int, output: int) -> bytes:
    return frame(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {
                "input_tokens": input_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": output,
            },
        },
    ) + frame("message_stop", {"type": "message_stop"})


def error_event(kind: str, message: str) -> bytes:
    return frame("error", error_body(kind, message))
