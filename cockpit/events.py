"""The event vocabulary: every fact about a session as an immutable pydantic model."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from cockpit.policy.grants import Grant
from cockpit.vocab import DENIED_PREFIX, ApprovalMode, EndStatus, RiskTier, SessionStatus

__all__ = ["DENIED_PREFIX", "ApprovalMode", "EndStatus", "RiskTier", "SessionStatus"]


class Usage(BaseModel):
    """Token usage of one model response, as the Messages API reports it."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    @property
    def context_tokens(self) -> int:
        """Tokens the request occupied in the context window."""
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens


class EventBase(BaseModel):
    """Fields every event carries. `seq`/`ts`/versions are stamped by the recorder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_id: str = ""
    seq: int = 0
    ts: float = Field(default_factory=time.time)
    prompt_version: str = ""
    policy_version: str = ""


class SessionStarted(EventBase):
    kind: Literal["session_started"] = "session_started"
    title: str
    goal: str
    model: str
    backend: Literal["anthropic", "scripted"]
    scenario: str | None = None
    workspace: str
    mode: ApprovalMode = "ask"
    system_prompt: str = ""
    tools: list[dict[str, Any]] = Field(default_factory=list)
    forked_from: str | None = None
    forked_at_seq: int | None = None
    cockpit_version: str = ""
    max_cost_usd: float | None = None


class UserMessage(EventBase):
    kind: Literal["user_message"] = "user_message"
    text: str
    source: Literal["user", "goal", "steer", "system"] = "user"


class ModelRequest(EventBase):
    kind: Literal["model_request"] = "model_request"
    turn: int
    attempt: int = 1
    message_count: int = 0
    max_tokens: int = 0


class TextDelta(EventBase):
    """Coalesced assistant text: many wire deltas become one event."""

    kind: Literal["text_delta"] = "text_delta"
    turn: int
    block_index: int
    text: str


class Thinking(EventBase):
    kind: Literal["thinking"] = "thinking"
    turn: int
    block_index: int
    text: str
    signature: str = ""


class ModelResponse(EventBase):
    """The complete assistant message: full content blocks, so the conversation is derivable."""

    kind: Literal["model_response"] = "model_response"
    turn: int
    message_id: str = ""
    model: str = ""
    content: list[dict[str, Any]] = Field(default_factory=list)
    stop_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    duration_ms: float = 0.0


class ToolCallProposed(EventBase):
    kind: Literal["tool_call_proposed"] = "tool_call_proposed"
    turn: int
    tool_use_id: str
    name: str
    input: dict[str, Any] = Field(default_factory=dict)


class RiskAssessed(EventBase):
    kind: Literal["risk_assessed"] = "risk_assessed"
    tool_use_id: str
    tier: RiskTier
    reasons: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    mutating: bool = False


class ApprovalRequested(EventBase):
    kind: Literal["approval_requested"] = "approval_requested"
    tool_use_id: str
    request_id: str
    tier: RiskTier
    name: str
    input: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""
    reasons: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    # When an unanswered request is denied (epoch seconds), if the session has a timeout.
    deadline: float | None = None


class ApprovalDecided(EventBase):
    """Who let a call run (or stopped it): the user, a grant, the policy's rules, a timeout.

    A user's "allow for this session" carries the grant it creates (scope session = the exact
    call, pattern = a pattern); a call a grant allowed carries that grant (by = "grant").
    """

    kind: Literal["approval_decided"] = "approval_decided"
    tool_use_id: str
    request_id: str = ""
    decision: Literal["allow", "deny"]
    by: Literal["user", "grant", "policy", "timeout", "headless", "watchdog"] = "policy"
    how: str = ""
    scope: Literal["once", "session", "pattern"] = "once"
    message: str = ""
    rule_ids: list[str] = Field(default_factory=list)
    grant: Grant | None = None
    # The user's edit of the call: what actually ran instead of what the model proposed.
    edited_input: dict[str, Any] | None = None
    edited_tier: RiskTier | None = None


class ModeChanged(EventBase):
    """The session's approval mode switched (ask, auto, plan, dry-run)."""

    kind: Literal["mode_changed"] = "mode_changed"
    mode: ApprovalMode
    previous: ApprovalMode
    by: Literal["user", "watchdog", "policy"] = "user"
    reason: str = ""


class DryRunSettled(EventBase):
    """The dry-run copy's changes were applied to the real workspace, or thrown away."""

    kind: Literal["dry_run_settled"] = "dry_run_settled"
    action: Literal["apply", "discard"]
    added: list[str] = Field(default_factory=list)
    modified: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    by: Literal["user", "watchdog", "policy"] = "user"


class GrantRevoked(EventBase):
    kind: Literal["grant_revoked"] = "grant_revoked"
    grant_id: str
    by: Literal["user", "watchdog", "policy"] = "user"


class ToolStarted(EventBase):
    kind: Literal["tool_started"] = "tool_started"
    tool_use_id: str
    name: str


class ToolOutput(EventBase):
    """A chunk of live tool output (already redacted)."""

    kind: Literal["tool_output"] = "tool_output"
    tool_use_id: str
    text: str
    stream: Literal["stdout", "stderr"] = "stdout"


class ToolFinished(EventBase):
    """The tool result exactly as the model will see it."""

    kind: Literal["tool_finished"] = "tool_finished"
    tool_use_id: str
    name: str
    content: str
    is_error: bool = False
    exit_code: int | None = None
    duration_ms: float = 0.0
    # Characters of live output over the per-call cap, not streamed nor stored (head and
    # tail were; the tool_output events carry a marker where the middle was cut).
    output_elided: int = 0


class ApiError(EventBase):
    kind: Literal["api_error"] = "api_error"
    turn: int
    attempt: int
    error_type: str
    status: int | None = None
    message: str = ""
    will_retry: bool = False


class Retry(EventBase):
    kind: Literal["retry"] = "retry"
    turn: int
    attempt: int
    reason: str
    delay_s: float


class CheckpointCreated(EventBase):
    """The workspace as it was before the action named (its manifest is a blob in the file)."""

    kind: Literal["checkpoint_created"] = "checkpoint_created"
    checkpoint_id: str
    tool_use_id: str = ""
    files: int = 0
    bytes: int = 0  # new content stored by this checkpoint (the rest was already there)
    number: int = 0  # 1 for the session's first checkpoint, as the timeline shows it
    manifest: str = ""  # sha256 of the manifest blob
    action: str = ""  # what follows it: "bash: rm -rf archive/", "before rollback to 3"
    skipped: list[str] = Field(default_factory=list)  # over the size limit: not captured
    databases: list[str] = Field(default_factory=list)  # SQLite files captured consistently


class Rollback(EventBase):
    """The workspace and/or the conversation went back to a checkpoint (history is kept)."""

    kind: Literal["rollback"] = "rollback"
    checkpoint_id: str
    to_seq: int
    restored_files: int = 0
    removed_files: int = 0
    number: int = 0
    files: bool = True  # the workspace was restored
    conversation: bool = True  # the conversation continues from before the checkpoint's action
    safety_checkpoint: str = ""  # the checkpoint of the state it replaced (undo the rollback)
    forced: bool = False  # changes made outside Cockpit were overwritten on purpose


class ContextEdited(EventBase):
    """Old tool results cleared from what is sent; the full content stays in the store."""

    kind: Literal["context_edited"] = "context_edited"
    cleared_tool_use_ids: list[str] = Field(default_factory=list)
    tokens_before: int = 0
    tokens_after: int = 0


class Compacted(EventBase):
    kind: Literal["compacted"] = "compacted"
    summary: str
    up_to_seq: int
    tokens_before: int = 0
    tokens_after: int = 0


class MemoryOp(EventBase):
    """A memory-tool call, and the digest of every memory file after it (see verify)."""

    kind: Literal["memory_op"] = "memory_op"
    command: str
    path: str
    ok: bool = True
    # sha256 of all memory files after the op: the memory the agent resumes with must match.
    state: str = ""


class HealthSample(EventBase):
    kind: Literal["health_sample"] = "health_sample"
    turn: int
    metrics: dict[str, float] = Field(default_factory=dict)


class WatchdogAlert(EventBase):
    kind: Literal["watchdog_alert"] = "watchdog_alert"
    metric: str
    value: float
    threshold: float
    action: Literal["warn", "pause", "approve_all", "stop"]
    message: str = ""
    rule: str = ""


class Paused(EventBase):
    kind: Literal["paused"] = "paused"
    reason: str = ""
    by: Literal["user", "watchdog", "policy"] = "user"
    suggested_steer: str = ""


class Resumed(EventBase):
    kind: Literal["resumed"] = "resumed"
    by: Literal["user", "watchdog", "policy"] = "user"


class Steered(EventBase):
    kind: Literal["steered"] = "steered"
    text: str


class SessionEnded(EventBase):
    kind: Literal["session_ended"] = "session_ended"
    status: EndStatus
    reason: str = ""
    turns: int = 0


Event = Annotated[
    SessionStarted
    | UserMessage
    | ModelRequest
    | TextDelta
    | Thinking
    | ModelResponse
    | ToolCallProposed
    | RiskAssessed
    | ApprovalRequested
    | ApprovalDecided
    | ModeChanged
    | GrantRevoked
    | DryRunSettled
    | ToolStarted
    | ToolOutput
    | ToolFinished
    | ApiError
    | Retry
    | CheckpointCreated
    | Rollback
    | ContextEdited
    | Compacted
    | MemoryOp
    | HealthSample
    | WatchdogAlert
    | Paused
    | Resumed
    | Steered
    | SessionEnded,
    Field(discriminator="kind"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

EVENT_TYPES: dict[str, type[EventBase]] = {
    cls.model_fields["kind"].default: cls
    for cls in EventBase.__subclasses__()
    if "kind" in cls.model_fields
}
EVENT_KINDS: tuple[str, ...] = tuple(EVENT_TYPES)


def parse_event(data: str | bytes) -> Event:
    """Parse one event from its canonical JSON."""
    return EVENT_ADAPTER.validate_json(data)


def canonical_json(event: EventBase) -> bytes:
    """The exact bytes that are hashed into the audit chain and stored."""
    return event.model_dump_json().encode()
