"""SessionView: folds a session's events into what the UI shows (transcript items, status, health).

Pure Python, no textual: the widgets read from it; tests can drive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cockpit.events import ApprovalRequested, Event

CONTEXT_WINDOW = 200_000
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
class Health:
    """The health summary shown until the full health metrics exist."""

    failed_tools: int = 0
    retries: int = 0
    api_errors: int = 0
    context_tokens: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    turns: int = 0

    @property
    def context_fill(self) -> float:
        return self.context_tokens / CONTEXT_WINDOW


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


class SessionView:
    """Everything the UI knows about one session, updated event by event."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.title = session_id
        self.goal = ""
        self.model = ""
        self.mode = ""
        self.scenario: str | None = None
        self.workspace = ""
        self.start_ts: float | None = None
        self.last_ts: float | None = None
        self.end_ts: float | None = None
        self.items: list[Item] = []
        self.health = Health()
        self.pending: dict[str, ApprovalRequested] = {}
        self.ended_status: str | None = None
        self.paused = False
        self.attention: Attention | None = None
        self.event_count = 0
        # Items that changed since the widgets last looked (index of first changed item).
        self.dirty_from: int | None = None
        self._text_blocks: dict[tuple[int, int], AssistantTextItem] = {}
        self._thinking_seen: set[tuple[int, int]] = set()
        self._cards: dict[str, ToolCardItem] = {}

    # --- folding ------------------------------------------------------------------------

    def _add(self, item: Item) -> None:
        self.items.append(item)
        self._mark(len(self.items) - 1)

    def _mark(self, index: int) -> None:
        if self.dirty_from is None or index < self.dirty_from:
            self.dirty_from = index

    def _changed(self, item: Item) -> None:
        item.touch()
        # The changed item is nearly always one of the last few.
        for i in range(len(self.items) - 1, max(-1, len(self.items) - 64), -1):
            if self.items[i] is item:
                self._mark(i)
                return
        self._mark(self.items.index(item))

    def _notice(self, level: NoticeLevel, text: str) -> None:
        self._add(NoticeItem(level=level, text=text))

    def _close_streams(self, turn: int | None = None, interrupted: bool = False) -> None:
        for key, item in list(self._text_blocks.items()):
            if turn is not None and key[0] != turn:
                continue
            if not item.complete:
                item.complete = True
                item.interrupted = interrupted
                self._changed(item)
            if interrupted:
                del self._text_blocks[key]

    def fold(self, event: Event, live: bool = True) -> Attention | None:
        """Apply one event; returns an Attention when it is a reason to call the user."""
        self.event_count += 1
        self.last_ts = event.ts
        handler = getattr(self, f"_on_{event.kind}", None)
        attention: Attention | None = handler(event) if handler is not None else None
        if attention is not None:
            self.attention = attention
        return attention if live else None

    def _on_session_started(self, e: Any) -> None:
        self.title = e.title or e.session_id
        self.goal = e.goal
        self.model = e.model
        self.mode = e.mode
        self.scenario = e.scenario
        self.workspace = e.workspace
        self.start_ts = e.ts

    def _on_user_message(self, e: Any) -> None:
        if e.source == "goal" and e.text == self.goal:
            return  # the pane header shows the goal
        self._add(MessageItem(role=e.source, text=e.text))

    def _on_model_request(self, e: Any) -> None:
        if e.attempt > 1:
            self._close_streams(e.turn, interrupted=True)

    def _on_text_delta(self, e: Any) -> None:
        key = (e.turn, e.block_index)
        item = self._text_blocks.get(key)
        if item is None:
            self._close_streams()
            item = AssistantTextItem(turn=e.turn, block_index=e.block_index)
            self._text_blocks[key] = item
            self._add(item)
        item.parts.append(e.text)
        self._changed(item)

    def _on_thinking(self, e: Any) -> None:
        self._thinking_seen.add((e.turn, e.block_index))
        self._close_streams()
        self._add(ThinkingItem(text=e.text))

    def _on_model_response(self, e: Any) -> None:
        self.health.turns += 1
        usage = e.usage
        self.health.context_tokens = usage.context_tokens
        self.health.tokens += usage.context_tokens + usage.output_tokens
        self.health.cost_usd += e.cost_usd
        if e.model:
            self.model = self.model or e.model
        for index, block in enumerate(e.content):
            key = (e.turn, index)
            kind = block.get("type")
            if kind == "text":
                item = self._text_blocks.get(key)
                if item is None:
                    item = AssistantTextItem(turn=e.turn, block_index=index)
                    self._text_blocks[key] = item
                    self._add(item)
                item.parts[:] = [str(block.get("text", ""))]
                item.complete = True
                self._changed(item)
            elif kind == "thinking" and key not in self._thinking_seen:
                self._thinking_seen.add(key)
                self._add(ThinkingItem(text=str(block.get("thinking", ""))))
        self._close_streams(e.turn)

    def _card(self, tool_use_id: str, name: str = "") -> ToolCardItem:
        card = self._cards.get(tool_use_id)
        if card is None:
            card = ToolCardItem(tool_use_id=tool_use_id, name=name)
            self._cards[tool_use_id] = card
            self._add(card)
        return card

    def _on_tool_call_proposed(self, e: Any) -> None:
        self._close_streams()
        card = self._card(e.tool_use_id, e.name)
        card.input = dict(e.input)
        self._changed(card)

    def _on_risk_assessed(self, e: Any) -> None:
        card = self._card(e.tool_use_id)
        card.tier = e.tier
        card.reasons = list(e.reasons)
        self._changed(card)

    def _on_approval_requested(self, e: Any) -> Attention:
        self.pending[e.request_id] = e
        card = self._card(e.tool_use_id, e.name)
        if not card.input:
            card.input = dict(e.input)
        card.tier = e.tier or card.tier
        card.reasons = list(e.reasons) or card.reasons
        card.state = "awaiting"
        self._changed(card)
        return Attention("approval", f"{e.name}: {e.summary or summarize_input(e.name, e.input)}")

    def _on_approval_decided(self, e: Any) -> None:
        self.pending.pop(e.request_id, None)
        for rid, req in list(self.pending.items()):
            if req.tool_use_id == e.tool_use_id:
                del self.pending[rid]
        card = self._cards.get(e.tool_use_id)
        if card is None:
            return
        who = "you" if e.by == "user" else e.by
        if e.decision == "deny":
            card.state = "denied"
            card.decision = f"denied by {who}" + (f": {e.message}" if e.message else "")
        else:
            card.state = "proposed"
            scope = "" if e.scope == "once" else f" ({e.scope})"
            card.decision = f"allowed by {who}{scope}"
        self._changed(card)

    def _on_tool_started(self, e: Any) -> None:
        card = self._card(e.tool_use_id, e.name)
        card.state = "running"
        card.started_ts = e.ts
        self._changed(card)

    def _on_tool_output(self, e: Any) -> None:
        card = self._card(e.tool_use_id)
        card.output.append(e.text)
        card.output_chars += len(e.text)
        self._changed(card)

    def _on_tool_finished(self, e: Any) -> None:
        card = self._card(e.tool_use_id, e.name)
        card.result = e.content
        card.is_error = e.is_error
        card.exit_code = e.exit_code
        card.duration_ms = e.duration_ms
        if card.state != "denied":
            card.state = "error" if e.is_error else "done"
        if e.is_error:
            self.health.failed_tools += 1
        self._changed(card)

    def _on_api_error(self, e: Any) -> None:
        self.health.api_errors += 1
        self._close_streams(e.turn, interrupted=e.will_retry)
        status = f" {e.status}" if e.status else ""
        self._notice("error", f"API error{status} ({e.error_type}): {e.message}".rstrip(": "))

    def _on_retry(self, e: Any) -> None:
        self.health.retries += 1
        self._notice("warn", f"Retrying turn {e.turn} (attempt {e.attempt}) in {e.delay_s:g}s")

    def _on_checkpoint_created(self, e: Any) -> None:
        pass

    def _on_rollback(self, e: Any) -> None:
        self._notice("warn", f"Rolled back to checkpoint {e.checkpoint_id} (seq {e.to_seq})")

    def _on_context_edited(self, e: Any) -> None:
        n = len(e.cleared_tool_use_ids)
        self._notice(
            "info",
            f"Context edited: {n} old tool result(s) cleared "
            f"({e.tokens_before:,} → {e.tokens_after:,} tokens)",
        )

    def _on_compacted(self, e: Any) -> None:
        self._notice("info", f"Context compacted ({e.tokens_before:,} → {e.tokens_after:,} tokens)")

    def _on_watchdog_alert(self, e: Any) -> Attention | None:
        level: NoticeLevel = "warn" if e.action == "warn" else "error"
        text = e.message or f"{e.metric} = {e.value:g} (threshold {e.threshold:g})"
        self._notice(level, f"Watchdog: {text}")
        if e.action in ("pause", "stop", "approve_all"):
            return Attention("watchdog", text)
        return None

    def _on_paused(self, e: Any) -> Attention | None:
        self.paused = True
        by = "you" if e.by == "user" else e.by
        reason = f": {e.reason}" if e.reason else ""
        self._notice("warn", f"Paused by {by}{reason}")
        if e.by != "user":
            return Attention("watchdog", e.reason or "paused by the watchdog")
        return None

    def _on_resumed(self, e: Any) -> None:
        self.paused = False
        self._notice("info", "Resumed")

    def _on_steered(self, e: Any) -> None:
        self._add(MessageItem(role="steer", text=e.text))

    def _on_session_ended(self, e: Any) -> Attention:
        self._close_streams()
        self.ended_status = e.status
        self.end_ts = e.ts
        self.pending.clear()
        level: NoticeLevel = "success" if e.status == "done" else "error"
        reason = f": {e.reason}" if e.reason else ""
        self._notice(level, f"Session {e.status}{reason}")
        return Attention("ended", f"{e.status}{reason}")

    # --- queries --------------------------------------------------------------------------

    def elapsed(self, now: float) -> float:
        if self.start_ts is None:
            return 0.0
        end = self.end_ts if self.end_ts is not None else now
        return max(0.0, end - self.start_ts)

    def first_pending(self) -> ApprovalRequested | None:
        return next(iter(self.pending.values()), None)

    def card(self, tool_use_id: str) -> ToolCardItem | None:
        return self._cards.get(tool_use_id)
