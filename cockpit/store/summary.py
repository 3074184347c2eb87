"""The session summary: one definition for the summary row, the writer's state and `cockpit ls`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from cockpit import events as ev
from cockpit.errors import CockpitError
from cockpit.health.totals import SessionTotals
from cockpit.vocab import END_STATUSES

_SQL_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (float, int),
    "str": (str,),
    "str | None": (str, type(None)),
    "bytes | None": (bytes, type(None)),
}


@dataclass
class SummaryState(SessionTotals):
    """The summary row's columns: the session's totals, who it is and where it stands.

    Updated event by event by the writer (or by a migration's backfill); its fields are the
    columns of the `summary` table (tests/store check the DDL against them).
    """

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

    INTERNAL: ClassVar[frozenset[str]] = frozenset({"last_hash"})

    def apply(self, event: ev.Event) -> None:
        """Fold one stored event into the summary."""
        self.event_count += 1
        self.last_seq = event.seq
        if event.ts > self.last_activity:
            self.last_activity = event.ts
        self.fold_status(event)

    def fold_status(self, event: ev.Event) -> None:
        """Everything but the counters of `apply` (the writer counts a batch at once)."""
        self.fold(event)
        match event:
            case ev.SessionStarted():
                self.title, self.goal, self.model = event.title, event.goal, event.model
                self.backend, self.workspace = event.backend, event.workspace
                self.forked_from = event.forked_from
                self.status = "running"
                if not self.created:
                    self.created = event.ts
            case ev.ModelResponse():
                if not self.model and event.model:
                    self.model = event.model
            case ev.ApprovalRequested():
                self.status = "waiting"
            case ev.ApprovalDecided():
                if self.status == "waiting":
                    self.status = "running"
            case ev.Paused():
                self.status = "paused"
            case ev.Resumed():
                self.status = "running"
            case ev.SessionEnded():
                self.status = event.status
            case ev.ModelRequest() | ev.Steered() | ev.ToolStarted():
                # A session that goes on after it ended (resumed, steered) is running again.
                if self.status in END_STATUSES:
                    self.status = "running"
            case _:
                pass

    def apply_json(self, text: str | bytes) -> None:
        self.apply(ev.parse_event(text))

    # --- the row --------------------------------------------------------------------------

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.columns())

    @classmethod
    def insert_sql(cls) -> str:
        cols = cls.columns()
        return (
            f"INSERT OR REPLACE INTO summary (id, {', '.join(cols)}) "
            f"VALUES (1, {', '.join('?' for _ in cols)})"
        )

    @classmethod
    def select_sql(cls) -> str:
        return f"SELECT {', '.join(cls.columns())} FROM summary WHERE id = 1"

    @classmethod
    def from_row(cls, row: Mapping[str, Any], path: Path | str = "") -> SummaryState:
        """The state from a row read by column name; a value of the wrong type is an error."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = row.get(f.name)
            allowed = _SQL_TYPES.get(str(f.type), (object,))
            if value is None and type(None) not in allowed:
                continue  # a column this row lacks keeps its default
            if not isinstance(value, allowed) or isinstance(value, bool):
                raise CockpitError(
                    f"{path or 'The session file'}'s summary has a {type(value).__name__} in "
                    f"'{f.name}'; the file was edited or damaged — check it with "
                    "`cockpit audit verify`."
                )
            values[f.name] = (
                float(value) if isinstance(value, int) and allowed[0] is float else value
            )
        return cls(**values)

    def to_summary(self, session_id: str, path: Path, schema_version: int) -> SessionSummary:
        data = {name: getattr(self, name) for name in self.columns()}
        return SessionSummary(
            session_id=session_id, path=path, schema_version=schema_version, **data
        )


@dataclass
class SessionSummary(SummaryState):
    """One session at a glance, as `cockpit ls` shows it (read from the summary row)."""

    session_id: str = ""
    path: Path = Path()
    schema_version: int = 0

    @property
    def total_tokens(self) -> int:
        return self.tokens
