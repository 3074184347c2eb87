"""What a transcript shows, item by item (text, thinking, tool cards, notices) — no textual."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

NoticeLevel = Literal["info", "warn", "error", "success"]


@dataclass(eq=False)
class Item:
    """One block of the transcript; `version` changes whenever its rendering would."""

    version: int = 0

    def touch(self) -> None:
        self.version += 1


@dataclass(eq=False)
class MessageItem(Item):
    role: str = "user"  # goal / user / steer / system
    text: str = ""


@dataclass(eq=False)
class AssistantTextItem(Item):
    turn: int = 0
    block_index: int = 0
    parts: list[str] = field(default_factory=list)
    complete: bool = False
    interrupted: bool = False

    @property
    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


@dataclass(eq=False)
class ThinkingItem(Item):
    text: str = ""
    expanded: bool = False


@dataclass(eq=False)
class ToolCardItem(Item):
    tool_use_id: str = ""
    name: str = ""
    input: dict[str, Any] = field(default_factory=dict)
    tier: str = ""
    reasons: list[str] = field(default_factory=list)
    # proposed -> awaiting -> running -> done / error / denied
    state: str = "proposed"
    output: list[str] = field(default_factory=list)
    output_chars: int = 0
    result: str = ""
    exit_code: int | None = None
    is_error: bool = False
    duration_ms: float = 0.0
    decision: str = ""
    expanded: bool = False
    started_ts: float = 0.0

    @property
    def output_text(self) -> str:
        """Live output while running; the result as the model sees it once finished."""
        if len(self.output) > 1:
            self.output[:] = ["".join(self.output)]
        live = self.output[0] if self.output else ""
        if self.state in ("done", "error", "denied") and self.result:
            return self.result if len(self.result) >= len(live) else live
        return live


@dataclass(eq=False)
class NoticeItem(Item):
    level: NoticeLevel = "info"
    text: str = ""


@dataclass
class Attention:
    """Something that needs the user: an approval, a watchdog pause, the end of a run."""

    reason: Literal["approval", "watchdog", "ended"]
    text: str


def summarize_input(name: str, data: dict[str, Any]) -> str:
    """A one-line summary of a tool call's arguments."""
    for key in ("command", "path", "file_path", "pattern", "query"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value.splitlines()[0] if "\n" in value else value
    if not data:
        return ""
    first_key = next(iter(data))
    return f"{first_key}={data[first_key]!r}"
