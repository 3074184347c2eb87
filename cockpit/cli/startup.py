"""Session start-up shared by the headless commands and the cockpit: folders, workspace, file.

Imports stay lazy: the cockpit's first paint must not wait for the SDK or pydantic-settings.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from cockpit.config import Settings
    from cockpit.engine.client import Backend
    from cockpit.engine.session import AgentSession
    from cockpit.scripted.server import ScriptedServer


def load_settings(**overrides: Any) -> Settings:
    """Settings, imported on first use: pydantic-settings stays off the TUI's start-up path."""
    from cockpit.config import load_settings as load

    return load(**overrides)


def ensure_sessions_dir(option: Path | None) -> Path:
    """The sessions folder (flag, env, config or default), created when missing."""
    path = option or load_settings().resolved_sessions_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CockpitError(
            f"Cannot create the sessions folder {path} ({exc.strerror}); "
            "pass --sessions-dir to a writable folder."
        ) from None
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "session"


def new_session_path(sessions_dir: Path, label: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = sessions_dir / f"{stamp}-{_slug(label)}.cockpit"
    n = 2
    while path.exists():
        path = sessions_dir / f"{stamp}-{_slug(label)}-{n}.cockpit"
        n += 1
    return path


def prepare_workspace(workspace: Path | None, scenario: str | None, session_path: Path) -> Path:
    """The given workspace, or a fresh copy of the demo workspace for a scenario."""
    if workspace is not None:
        if not workspace.is_dir():
            raise CockpitError(
                f"The workspace {workspace} does not exist or is not a folder; "
                "create it or pass another --workspace."
            )
        return workspace.resolve()
    if scenario is None:
        raise CockpitError("Pass --workspace DIR (the folder the agent works in).")
    from cockpit.scripted.workspace import copy_demo_workspace

    dest = session_path.with_name(session_path.stem + "-workspace")
    return copy_demo_workspace(dest)


async def start_session(
    *,
    goal: str | None,
    scenario: str | None,
    model: str | None,
    workspace: Path | None,
    session_file: Path | None,
    sessions_dir: Path,
    mode: str,
    interactive: bool,
    speed: float,
    server: ScriptedServer | None = None,
    max_cost_usd: float | None = None,
    yes_critical: bool = False,
    approval_timeout_s: float | None = None,
) -> tuple[AgentSession, Backend]:
    """Create the session file, the backend and the workspace; return the new session."""
    from cockpit.engine.client import open_backend
    from cockpit.engine.session import AgentSession
    from cockpit.store.session_file import SessionStore

    if scenario is not None and not goal:
        from cockpit.scripted.scenario import shipped_scenario

        goal = shipped_scenario(scenario).goal
    if not goal:
        raise CockpitError(
            'Say what the agent should do: cockpit run "GOAL" (or pick a --scenario).'
        )
    backend = await open_backend(model=model, scenario=scenario, speed=speed, server=server)
    path = session_file or new_session_path(sessions_dir, scenario or goal)
    try:
        ws = prepare_workspace(workspace, scenario, path)
        store = await SessionStore.create(path)
    except BaseException:
        await backend.close()
        raise
    session = AgentSession.new(
        store,
        backend,
        goal=goal,
        workspace=ws,
        scenario=scenario,
        mode=mode,
        interactive=interactive,
        max_cost_usd=max_cost_usd,
        yes_critical=yes_critical,
        approval_timeout_s=approval_timeout_s,
        retry_base_s=1.0 if backend.kind == "anthropic" else min(1.0, speed) * 0.5,
    )
    return session, backend


async def open_session(
    file: Path,
    speed: float,
    server: ScriptedServer | None = None,
    verified: bool = False,
    **options: Any,
) -> tuple[AgentSession, Backend]:
    """Open a saved session file to continue it (its chain verified, its backend ready)."""
    from cockpit.engine.client import open_backend
    from cockpit.engine.session import AgentSession
    from cockpit.events import SessionStarted
    from cockpit.store.session_file import SessionStore

    store = await SessionStore.open(file)
    first = [e async for e in store.iter_events(end_seq=1)]
    if not first or not isinstance(first[0], SessionStarted):
        await store.close()
        raise CockpitError(f"{file} has no session_started event; it cannot be resumed.")
    started = first[0]
    if not Path(started.workspace).is_dir():
        await store.close()
        raise CockpitError(
            f"The session's workspace {started.workspace} is gone; restore it to resume."
        )
    try:
        backend = await open_backend(
            model=None if started.backend == "scripted" else started.model,
            scenario=started.scenario if started.backend == "scripted" else None,
            speed=speed,
            server=server,
        )
    except BaseException:
        await store.close()
        raise
    try:
        session = await AgentSession.from_file(store, backend, verified=verified, **options)
    except BaseException:
        # Close both, or their threads and sockets keep the process alive after the error.
        await store.close()
        await backend.close()
        raise
    return session, backend


async def check_resumable(file: Path) -> None:
    """Refuse (CockpitError) a file that cannot be continued, before the cockpit opens."""
    from cockpit.events import SessionStarted
    from cockpit.store.session_file import SessionStore

    store = await SessionStore.open(file, readonly=True)
    try:
        first = await store.read_intact("resumed", first_only=True)
    finally:
        await store.close()
    assert isinstance(first[0], SessionStarted)
    if not Path(first[0].workspace).is_dir():
        raise CockpitError(
            f"The session's workspace {first[0].workspace} is gone; restore it to resume."
        )
