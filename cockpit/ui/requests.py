"""NewSessionRequest: what the new-session dialog asks the session factory for (no textual)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# dry-run (mutations on a copy of the workspace) is not built yet, so it is not offered.
APPROVAL_MODES: tuple[str, ...] = ("ask", "auto", "plan")


@dataclass(frozen=True)
class NewSessionRequest:
    """A session to start: where, to do what, with which model or scripted scenario."""

    workspace: str
    goal: str
    model: str | None = None
    scenario: str | None = None
    mode: Literal["ask", "auto", "plan", "dry-run", "yes"] = "ask"
    title: str | None = None
