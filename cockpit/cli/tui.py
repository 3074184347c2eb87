"""Opens the cockpit TUI: starts sessions on demand and closes them cleanly on exit."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cockpit.engine.client import Backend
    from cockpit.engine.session import AgentSession
    from cockpit.scripted.server import ScriptedServer
    from cockpit.ui.requests import NewSessionRequest

from cockpit.defaults import DEMO_SCENARIOS


class SessionLauncher:
    """The cockpit's session factory: one scripted server shared by all offline sessions."""

    def __init__(self, sessions_dir: Path | None = None, speed: float | None = None) -> None:
        # Resolved on the first session, after the first paint (settings import is slow).
        self._sessions_dir = sessions_dir
        self._speed = speed
        self.server: ScriptedServer | None = None
        self.sessions: list[tuple[AgentSession, Backend]] = []

    async def __call__(self, request: NewSessionRequest) -> AgentSession:
        from cockpit.cli.startup import ensure_sessions_dir, load_settings, start_session
        from cockpit.engine.client import start_scripted_server

        if request.resume:
            return await self.open(Path(request.resume), request.goal, request.verified)

        settings = load_settings()
        if self._speed is None:
            self._speed = settings.speed
        self._sessions_dir = ensure_sessions_dir(self._sessions_dir)
        scenario = request.scenario or None
        if scenario is not None and self.server is None:
            self.server = await start_scripted_server(self._speed)
        session, backend = await start_session(
            goal=request.goal or None,
            scenario=scenario,
            model=request.model or None,
            workspace=Path(request.workspace).expanduser() if request.workspace else None,
            session_file=None,
            sessions_dir=self._sessions_dir,
            mode=request.mode,
            interactive=True,
            speed=self._speed,
            server=self.server,
            approval_timeout_s=settings.approval_timeout or None,
        )
        self.sessions.append((session, backend))
        session.start()
        return session

    async def open(self, file: Path, message: str = "", verified: bool = False) -> AgentSession:
        """Open a saved session in the cockpit; an interrupted one continues at once."""
        from cockpit.cli.startup import load_settings, open_session
        from cockpit.engine.client import start_scripted_server

        settings = load_settings()
        if self._speed is None:
            self._speed = settings.speed
        if self.server is None and await _ran_scripted(file):
            self.server = await start_scripted_server(self._speed)
        session, backend = await open_session(
            file,
            self._speed,
            server=self.server,
            interactive=True,
            approval_timeout_s=settings.approval_timeout or None,
            verified=verified,
        )
        self.sessions.append((session, backend))
        # Changed outside Cockpit: nothing continues on its own; the warning says what to do.
        changed = await session.check_workspace()
        if message:
            session.steer(message)
        elif session.status == "interrupted" and not changed:
            session.start()
        return session

    async def close(self) -> None:
        """Stop what still runs (it can be resumed later), flush every file, stop the server."""
        await asyncio.gather(
            *(session.shutdown("the cockpit was closed") for session, _ in self.sessions)
        )
        for session, backend in self.sessions:
            await session.store.close()
            await backend.close()
        if self.server is not None:
            await self.server.stop()


def launch(
    demo: bool,
    sessions_dir: Path | None = None,
    speed: float | None = None,
    resume: list[Path] | None = None,
    message: str | None = None,
) -> None:
    """Run the cockpit until the user quits: on three scripted demo sessions, on saved
    session files to continue (`resume`), or with the new-session dialog."""
    from cockpit.ui.app import CockpitApp
    from cockpit.ui.requests import NewSessionRequest

    launcher = SessionLauncher(sessions_dir, speed)
    requests = (
        [NewSessionRequest(workspace="", goal="", scenario=name) for name in DEMO_SCENARIOS]
        if demo
        else [
            # `cockpit resume` verified the file before the screen opened (check_resumable).
            NewSessionRequest(workspace="", goal=message or "", resume=str(f), verified=True)
            for f in resume or []
        ]
    )
    app = CockpitApp(session_factory=launcher, requests=requests, sessions_dir=sessions_dir)

    async def main() -> None:
        try:
            await app.run_async()
        finally:
            await launcher.close()

    asyncio.run(main())


async def _ran_scripted(file: Path) -> bool:
    """Whether a session file ran on the scripted model (a read-only look at its start)."""
    from cockpit.events import SessionStarted
    from cockpit.store.session_file import SessionStore

    store = await SessionStore.open(file, readonly=True)
    try:
        first = [e async for e in store.iter_events(end_seq=1)]
    finally:
        await store.close()
    return bool(first) and isinstance(first[0], SessionStarted) and first[0].backend == "scripted"
