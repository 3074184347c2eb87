"""Runs AgentSessions end to end: real SDK, scripted server on loopback, real session file."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.engine.client import Backend, scripted_client
from cockpit.engine.session import AgentSession
from cockpit.events import Event
from cockpit.scripted.scenario import SCRIPTED_MODEL_PREFIX, Scenario, shipped_scenarios
from cockpit.scripted.server import ScriptedServer
from cockpit.scripted.workspace import copy_demo_workspace
from cockpit.store.session_file import SessionStore


@dataclass
class Harness:
    """One server, many sessions: each gets a fresh workspace copy and session file."""

    tmp: Path
    server: ScriptedServer
    scenarios: Mapping[str, Scenario]

    async def new_session(
        self, scenario: str, *, goal: str | None = None, **options: Any
    ) -> AgentSession:
        n = len(list(self.tmp.glob("*.cockpit")))
        workspace = copy_demo_workspace(self.tmp / f"ws{n}")
        store = await SessionStore.create(self.tmp / f"s{n}.cockpit")
        backend = Backend(
            scripted_client(self.server), SCRIPTED_MODEL_PREFIX + scenario, "scripted"
        )
        options.setdefault("retry_base_s", 0.0)
        return AgentSession.new(
            store,
            backend,
            goal=goal or self.scenarios[scenario].goal,
            workspace=workspace,
            scenario=scenario,
            **options,
        )


async def start_harness(tmp: Path, extra: Mapping[str, Scenario] | None = None) -> Harness:
    scenarios = shipped_scenarios()
    scenarios.update(extra or {})
    server = ScriptedServer(scenarios, speed=0)
    await server.start()
    return Harness(tmp, server, scenarios)


async def finish(session: AgentSession) -> str:
    status = await session.wait()
    await session.store.close()
    await session.backend.client.close()
    return status


def kinds(events: list[Event] | Any, kind: str) -> list[Any]:
    return [e for e in events if e.kind == kind]


def count(workspace: Path, sql: str) -> Any:
    conn = sqlite3.connect(workspace / "warehouse.db")
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


async def wait_for(
    session: AgentSession, kind: str, after: int = 0, timeout: float = 20.0
) -> Event:
    """The first event of `kind` with a seq above `after` (already there or still to come)."""
    found: asyncio.Future[Event] = asyncio.get_running_loop().create_future()

    def listener(event: Event) -> None:
        if event.kind == kind and event.seq > after and not found.done():
            found.set_result(event)

    for event in session.events:
        if event.kind == kind and event.seq > after:
            return event
    unsubscribe = session.subscribe(listener)
    try:
        return await asyncio.wait_for(found, timeout)
    finally:
        unsubscribe()
