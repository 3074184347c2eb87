"""The tool contract: ToolContext, ToolResult, the Tool and MemoryBackend protocols."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


class ToolInputError(Exception):
    """Bad tool input (a refused path, a missing field): becomes an is_error ToolResult."""


class MemoryBackend(Protocol):
    """Where the memory tool keeps its files (the session file in production).

    Paths are normalized memory paths such as ``/memories/notes.md``; the memory tool
    only ever passes file paths (it expands directories itself through ``list``).
    ``list(prefix)`` returns every file whose path starts with ``prefix``.
    """

    async def read(self, path: str) -> str | None: ...

    async def write(self, path: str, text: str) -> None: ...

    async def delete(self, path: str) -> bool: ...

    async def rename(self, old: str, new: str) -> bool: ...

    async def list(self, prefix: str) -> list[tuple[str, int]]: ...


@dataclass
class ToolContext:
    """What a tool may touch: the workspace root, the memory store, the live output sink."""

    workspace: Path
    memory: MemoryBackend
    on_output: Callable[[str, str], None] | None = None
    bash_timeout_s: float = 120.0
    output_cap: int = 30_000  # characters of a result the model sees
    live_output_cap: int = 4_000_000  # characters of live output streamed and stored per call
    allow_background: bool = False  # processes a command leaves running may outlive the call


@dataclass(frozen=True)
class ToolResult:
    """The tool_result sent back to the model."""

    content: str
    is_error: bool = False
    exit_code: int | None = None
    output_elided: int = 0  # characters of live output not streamed (over the live cap)


def error(message: str) -> ToolResult:
    """An is_error result carrying one clear message."""
    return ToolResult(content=message, is_error=True)


@runtime_checkable
class Tool(Protocol):
    """One agent tool. ``run`` never raises for bad input; it returns an is_error result."""

    name: str

    def definition(self) -> dict[str, Any]: ...

    def is_mutating(self, tool_input: dict[str, Any]) -> bool: ...

    def summary(self, tool_input: dict[str, Any]) -> str: ...

    async def run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult: ...


def cap_text(text: str, cap: int) -> str:
    """Keep the head and the tail of ``text`` within ``cap`` chars, saying what was cut."""
    if cap <= 0 or len(text) <= cap:
        return text
    keep = max(cap - 40, 2)
    head = keep // 2
    tail = keep - head
    cut = len(text) - head - tail
    return f"{text[:head]}\n[... {cut} chars cut ...]\n{text[-tail:]}"


def one_line(text: str, limit: int = 120) -> str:
    """Squash whitespace to one line and shorten it for a UI summary."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
