"""SessionView: folds a session's events into what the UI shows (transcript items, status, health).

Pure Python, no textual: the widgets read from it; tests can drive it directly. It imports
the event models (pydantic), so the UI imports it only when the first session is added.
"""

from __future__ import annotations

from collections import deque

from cockpit.events import (
    ApiError,
    ApprovalDecided,
    ApprovalRequested,
    Compacted,
    ContextEdited,
    Event,
    GrantRevoked,
    HealthSample,
    ModeChanged,
    ModelRequest,
    ModelResponse,
    Paused,
    Resumed,
    Retry,
    RiskAssessed,
    Rollback,
    SessionEnded,
    SessionStarted,
    Steered,
    TextDelta,
    Thinking,
    ToolCallProposed,
    ToolFinished,
    ToolOutput,
    ToolStarted,
    UserMessage,
    WatchdogAlert,
)
from cockpit.health.totals import SessionTotals
from cockpit.terminal import neutralize
from cockpit.ui.items import (
    AssistantTextItem,
    Attention,
    Item,
    MessageItem,
    NoticeItem,
    NoticeLevel,
    ThinkingItem,
    ToolCardItem,
    summarize_input,
)
from cockpit.vocab import MODE_HELP

HISTORY = 400  # health samples kept for the charts (the file keeps them all)


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
        self.totals = SessionTotals()
        self.pending: dict[str, ApprovalRequested] = {}
        self.ended_status: str | None = None
        self.paused = False
        self.suggested_steer = ""  # a watchdog's pre-filled steering message while paused
        self.attention: Attention | None = None
        self.event_count = 0
        # The latest health sample, and the last samples for the health screen's charts.
        self.health: dict[str, float] = {}
        self.health_history: deque[tuple[int, int, dict[str, float]]] = deque(maxlen=HISTORY)
        # Items that changed since the widgets last looked (index of first changed item).
        self.dirty_from: int | None = None
        self._text_blocks: dict[tuple[int, int], AssistantTextItem] = {}
        # Blocks still streaming, and the keys of the latest blocks (bounded).
        self._open_blocks: dict[tuple[int, int], AssistantTextItem] = {}
        self._recent_keys: deque[tuple[int, int]] = deque(maxlen=64)
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
        """Mark the blocks still streaming (of `turn`, or all) complete.

        Only open blocks are looked at, so the cost does not grow with the session's age.
        """
        for key, item in list(self._open_blocks.items()):
            if turn is not None and key[0] != turn:
                continue
            item.complete = True
            item.interrupted = interrupted
            self._changed(item)
            del self._open_blocks[key]
        if interrupted:
            for key in self._open_turn_keys(turn):
                self._text_blocks.pop(key, None)

    def _open_turn_keys(self, turn: int | None) -> list[tuple[int, int]]:
        """Keys of the text blocks of `turn` (the latest turns only are ever interrupted)."""
        if turn is None:
            return list(self._text_blocks)
        return [k for k in self._recent_keys if k[0] == turn]

    def fold(self, event: Event, live: bool = True) -> Attention | None:
        """Apply one event; returns an Attention when it is a reason to call the user."""
        self.event_count += 1
        self.last_ts = event.ts
        self.totals.fold(event)
        attention = self._apply(event)
        if attention is not None:
            self.attention = attention
        return attention if live else None

    def _apply(self, event: Event) -> Attention | None:
        match event:
            case SessionStarted():
                self._on_session_started(event)
            case UserMessage():
                self._on_user_message(event)
            case ModelRequest():
                self._on_model_request(event)
            case TextDelta():
                self._on_text_delta(event)
            case Thinking():
                self._on_thinking(event)
            case ModelResponse():
                self._on_model_response(event)
            case ToolCallProposed():
                self._on_tool_call_proposed(event)
            case RiskAssessed():
                self._on_risk_assessed(event)
            case ApprovalRequested():
                return self._on_approval_requested(event)
            case ApprovalDecided():
                self._on_approval_decided(event)
            case ModeChanged():
                self._on_mode_changed(event)
            case GrantRevoked():
                self._notice("info", "Session grants withdrawn: every risky call asks again.")
            case ToolStarted():
                self._on_tool_started(event)
            case ToolOutput():
                self._on_tool_output(event)
            case ToolFinished():
                self._on_tool_finished(event)
            case ApiError():
                self._on_api_error(event)
            case Retry():
                self._on_retry(event)
            case Rollback():
                self._on_rollback(event)
            case ContextEdited():
                self._on_context_edited(event)
            case Compacted():
                self._on_compacted(event)
            case WatchdogAlert():
                return self._on_watchdog_alert(event)
            case HealthSample():
                self._on_health_sample(event)
            case Paused():
                return self._on_paused(event)
            case Resumed():
                self._on_resumed(event)
            case Steered():
                self._on_steered(event)
            case SessionEnded():
                return self._on_session_ended(event)
            case _:
                pass
        return None

    def _on_session_started(self, e: SessionStarted) -> None:
        self.title = e.title or e.session_id
        self.goal = e.goal
        self.model = e.model
        self.mode = e.mode
        self.scenario = e.scenario
        self.workspace = e.workspace
        self.start_ts = e.ts

    def _on_user_message(self, e: UserMessage) -> None:
        if e.source == "goal" and e.text == self.goal:
            return  # the pane header shows the goal
        self._add(MessageItem(role=e.source, text=e.text))

    def _on_model_request(self, e: ModelRequest) -> None:
        if e.attempt > 1:
            self._close_streams(e.turn, interrupted=True)

    def _on_text_delta(self, e: TextDelta) -> None:
        key = (e.turn, e.block_index)
        item = self._text_blocks.get(key)
        if item is None:
            self._close_streams()
            item = AssistantTextItem(turn=e.turn, block_index=e.block_index)
            self._text_blocks[key] = item
            self._open_blocks[key] = item
            self._recent_keys.append(key)
            self._add(item)
        item.parts.append(neutralize(e.text))
        self._changed(item)

    def _on_thinking(self, e: Thinking) -> None:
        self._thinking_seen.add((e.turn, e.block_index))
        self._close_streams()
        self._add(ThinkingItem(text=e.text))

    def _on_model_response(self, e: ModelResponse) -> None:
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
                    self._recent_keys.append(key)
                    self._add(item)
                item.parts[:] = [neutralize(str(block.get("text", "")))]
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

    def _on_tool_call_proposed(self, e: ToolCallProposed) -> None:
        self._close_streams()
        card = self._card(e.tool_use_id, e.name)
        card.input = dict(e.input)
        self._changed(card)

    def _on_risk_assessed(self, e: RiskAssessed) -> None:
        card = self._card(e.tool_use_id)
        card.tier = e.tier
        card.reasons = list(e.reasons)
        self._changed(card)

    def _on_approval_requested(self, e: ApprovalRequested) -> Attention:
        self.pending[e.request_id] = e
        card = self._card(e.tool_use_id, e.name)
        if not card.input:
            card.input = dict(e.input)
        card.tier = e.tier or card.tier
        card.reasons = list(e.reasons) or card.reasons
        card.state = "awaiting"
        self._changed(card)
        return Attention("approval", f"{e.name}: {e.summary or summarize_input(e.name, e.input)}")

    def _on_approval_decided(self, e: ApprovalDecided) -> None:
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
            if e.by == "grant" and e.grant is not None:
                card.decision = f"allowed by your grant: {e.grant.pattern}"
            elif e.grant is not None:
                kind = "exactly this" if e.grant.exact else e.grant.pattern
                card.decision = f"allowed by you for this session ({kind})"
            elif e.edited_input is not None:
                card.decision = "edited and allowed by you"
                card.input = dict(e.edited_input)
            else:
                card.decision = f"allowed by {who}"
        self._changed(card)

    def _on_mode_changed(self, e: ModeChanged) -> None:
        self.mode = e.mode
        by = "you" if e.by == "user" else e.by
        self._notice(
            "warn" if e.mode == "auto" else "info",
            f"Mode {e.mode} (was {e.previous}), set by {by}: {MODE_HELP.get(e.mode, '')}",
        )

    def _on_tool_started(self, e: ToolStarted) -> None:
        card = self._card(e.tool_use_id, e.name)
        card.state = "running"
        card.started_ts = e.ts
        self._changed(card)

    def _on_tool_output(self, e: ToolOutput) -> None:
        card = self._card(e.tool_use_id)
        text = neutralize(e.text)
        card.output.append(text)
        card.output_chars += len(text)
        self._changed(card)

    def _on_tool_finished(self, e: ToolFinished) -> None:
        card = self._card(e.tool_use_id, e.name)
        card.result = neutralize(e.content)
        card.is_error = e.is_error
        card.exit_code = e.exit_code
        card.duration_ms = e.duration_ms
        if card.state != "denied":
            card.state = "error" if e.is_error else "done"
        self._changed(card)

    def _on_api_error(self, e: ApiError) -> None:
        self._close_streams(e.turn, interrupted=e.will_retry)
        status = f" {e.status}" if e.status else ""
        self._notice("error", f"API error{status} ({e.error_type}): {e.message}".rstrip(": "))

    def _on_retry(self, e: Retry) -> None:
        self._notice("warn", f"Retrying turn {e.turn} (attempt {e.attempt}) in {e.delay_s:g}s")

    def _on_rollback(self, e: Rollback) -> None:
        what = " and ".join(
            w for w, on in (("files", e.files), ("conversation", e.conversation)) if on
        )
        counts = f": {e.restored_files} restored, {e.removed_files} removed" if e.files else ""
        self._notice(
            "warn", f"Rolled back {what} to checkpoint {e.number or e.checkpoint_id}{counts}"
        )

    def _on_context_edited(self, e: ContextEdited) -> None:
        n = len(e.cleared_tool_use_ids)
        self._notice(
            "info",
            f"Context edited: {n} old tool result(s) cleared "
            f"({e.tokens_before:,} → {e.tokens_after:,} tokens)",
        )

    def _on_compacted(self, e: Compacted) -> None:
        self._notice("info", f"Context compacted ({e.tokens_before:,} → {e.tokens_after:,} tokens)")

    def _on_health_sample(self, e: HealthSample) -> None:
        self.health = e.metrics
        self.health_history.append((e.seq, e.turn, e.metrics))

    def _on_watchdog_alert(self, e: WatchdogAlert) -> Attention | None:
        level: NoticeLevel = "warn" if e.action == "warn" else "error"
        text = e.message or f"{e.metric} = {e.value:g} (threshold {e.threshold:g})"
        self._notice(level, f"Watchdog: {text}")
        if e.action in ("pause", "stop", "approve_all"):
            return Attention("watchdog", text)
        return None

    def _on_paused(self, e: Paused) -> Attention | None:
        self.paused = True
        self.suggested_steer = e.suggested_steer
        by = "you" if e.by == "user" else e.by
        reason = f": {e.reason}" if e.reason else ""
        self._notice("warn", f"Paused by {by}{reason}")
        if e.by != "user":
            return Attention("watchdog", e.reason or "paused by the watchdog")
        return None

    def _on_resumed(self, e: Resumed) -> None:
        self.paused = False
        self.suggested_steer = ""
        self._notice("info", "Resumed")

    def _on_steered(self, e: Steered) -> None:
        self._add(MessageItem(role="steer", text=e.text))

    def _on_session_ended(self, e: SessionEnded) -> Attention:
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
