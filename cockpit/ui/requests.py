"""NewSessionRequest: what the new-session dialog asks the session factory for (no textual)."""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.vocab import ApprovalMode


@dataclass(frozen=True)
class NewSessionRequest:
    """A session to start: where, to do what, with which model or scripted scenario."""

    workspace: str
    goal: str
    model: str | None = None
    scenario: str | None = None
    mode: ApprovalMode = "ask"
    title: str | None = None
    # A saved session file to open and continue instead of starting a new session.
    resume: str | None = None
    verified: bool = False  # its chain was verified just now (by `cockpit resume`)
