"""The session summary: the model `cockpit ls` shows and the state the writer keeps current."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from cockpit import events as ev


class SessionSummary(BaseModel):
    """One session at a glance (read from the summary row, never from all events)."""

    session_id: str
    path: Path
    title: str = ""
    goal: str = ""
    model: str = ""
    backend: str = ""
    workspace: str = ""
    forked_from: str | None = None
    status: str = "running"
    created: float = 0.0
    last_activity: float = 0.0
    event_count: int = 0
    last_seq: int = 0
    turns: int = 0
    tool_calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    schema_version: int = 0

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )


@dataclass
class SummaryState:
    """Running summary, updated event by event (by the writer, or by a migration backfill)."""

    title: str = ""
    goal: str = ""
    model: str = ""
    backend: str = ""
    workspace: str = ""
    forked_from: str | None = None
    status: str = "running"
    created: float = 0.0
    last_activity: float = 0.0
    event_count: int = 0
    last_seq: int = 0
    last_hash: bytes | None = None
    turns: int = 0
    tool_calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0

    def apply(self, event: ev.EventBase) -> None:
        """Fold one stored event into the summary."""
        self.event_count += 1
        self.last_seq = event.seq
        if event.ts > self.last_activity:
            self.last_activity = event.ts
        handler = SUMMARY_HANDLERS.get(getattr(event, "kind", ""))
        if handler is not None:
            handler(self, event)

    def apply_json(self, text: str | bytes) -> None:
        self.apply(ev.parse_event(text))

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    @staticmethod
    def columns() -> tuple[str, ...]:
        return tuple(f.name for f in fields(SummaryState))

    @classmethod
    def insert_sql(cls) -> str:
        cols = cls.columns()
        return (
            f"INSERT OR REPLACE INTO summary (id, {', '.join(cols)}) "
            f"VALUES (1, {', '.join('?' for _ in cols)})"
        )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> SummaryState:
        return cls(*row)

    def to_summary(self, session_id: str, path: Path, schema_version: int) -> SessionSummary:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "last_hash"}
        return SessionSummary(
            session_id=session_id, path=path, schema_version=schema_version, **data
        )


def _started(s: SummaryState, e: Any) -> None:
    s.title, s.goal, s.model = e.title, e.goal, e.model
    s.backend, s.workspace, s.forked_from = e.backend, e.workspace, e.forked_from
    s.status = "running"
    if not s.created:
        s.created = e.ts


def _response(s: SummaryState, e: Any) -> None:
    u = e.usage
    s.input_tokens += u.input_tokens
    s.output_tokens += u.output_tokens
    s.cache_read_tokens += u.cache_read_input_tokens
    s.cache_write_tokens += u.cache_creation_input_tokens
    s.cost_usd += e.cost_usd
    s.turns = max(s.turns, e.turn)
    if not s.model and e.model:
        s.model = e.model


def _status(value: str) -> Any:
    def handler(s: SummaryState, e: Any) -> None:
        s.status = value

    return handler


def _decided(s: SummaryState, e: Any) -> None:
    if s.status == "waiting":
        s.status = "running"


def _tool_call(s: SummaryState, e: Any) -> None:
    s.tool_calls += 1


def _error(s: SummaryState, e: Any) -> None:
    s.errors += 1


def _tool_finished(s: SummaryState, e: Any) -> None:
    if e.is_error:
        s.errors += 1


def _ended(s: SummaryState, e: Any) -> None:
    s.status = e.status
    s.turns = max(s.turns, e.turns)


# kind -> how an event of that kind changes the summary (other kinds only count).
SUMMARY_HANDLERS: dict[str, Any] = {
    "session_started": _started,
    "model_response": _response,
    "approval_requested": _status("waiting"),
    "approval_decided": _decided,
    "paused": _status("paused"),
    "resumed": _status("running"),
    "session_ended": _ended,
    "tool_call_proposed": _tool_call,
    "api_error": _error,
    "tool_finished": _tool_finished,
}
