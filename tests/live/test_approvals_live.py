"""The approval dialog and inbox driving real sessions (scripted model, session files).

Each test runs AgentSessions on the scripted server through the real SDK and decides
their requests with keys in the cockpit: grants, expiry, timeouts, edits, the inbox order.
"""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from live_helpers import until as _until
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from cockpit.engine.client import Backend, scripted_client
from cockpit.engine.session import AgentSession
from cockpit.events import ApprovalDecided
from cockpit.scripted.scenario import SCRIPTED_MODEL_PREFIX, parse_scenario, shipped_scenarios
from cockpit.scripted.server import ScriptedServer
from cockpit.scripted.workspace import copy_demo_workspace
from cockpit.store.session_file import SessionStore
from cockpit.ui.app import CockpitApp
from cockpit.ui.screens.approval import ApprovalScreen

SIZE = (160, 48)
WRITES = Path(__file__).parents[1] / "data" / "outside-writes.toml"


@dataclass
class Rig:
    tmp: Path
    server: ScriptedServer
    sessions: list[AgentSession]

    async def session(self, scenario: str = "outside-writes", **options: Any) -> AgentSession:
        n = len(self.sessions)
        folder = self.tmp / f"s{n}"
        folder.mkdir()
        workspace = copy_demo_workspace(folder / "ws")
        store = await SessionStore.create(folder / "s.cockpit")
        backend = Backend(
            scripted_client(self.server), SCRIPTED_MODEL_PREFIX + scenario, "scripted"
        )
        session = AgentSession.new(
            store,
            backend,
            goal=f"{scenario} #{n}",
            workspace=workspace,
            scenario=scenario,
            interactive=True,
            retry_base_s=0.0,
            **options,
        )
        self.sessions.append(session)
        return session

    def decided(self, n: int) -> list[ApprovalDecided]:
        return [e for e in self.sessions[n].events if isinstance(e, ApprovalDecided)]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    scenarios = shipped_scenarios()
    scenarios["outside-writes"] = parse_scenario(tomllib.loads(WRITES.read_text()), str(WRITES))
    server = ScriptedServer(scenarios, speed=0)
    await server.start()
    rig = Rig(tmp_path, server, [])
    yield rig
    for session in rig.sessions:
        await session.shutdown("test over")
        await session.store.close()
        await session.backend.client.close()
    await server.stop()


def _dialog(app: CockpitApp) -> ApprovalScreen | None:
    screen = app.screen
    return screen if isinstance(screen, ApprovalScreen) else None


def _command(app: CockpitApp) -> str:
    dialog = _dialog(app)
    return str(dialog.item.request.input.get("command")) if dialog else ""


async def _open(pilot: Pilot[None], app: CockpitApp, session: AgentSession) -> None:
    """Wait until `session` waits, then open the dialog on it with the inbox key."""
    await _until(pilot, lambda: session.status == "waiting")
    await _until(pilot, lambda: _dialog(app) is not None or bool(_pending(app)))
    if _dialog(app) is None:
        await pilot.press("i")
    await _until(pilot, lambda: _dialog(app) is not None)


def _pending(app: CockpitApp) -> int:
    return sum(len(e.view.pending) for e in app.main.sessions.values())


async def test_a_pattern_grant_from_the_dialog_covers_the_next_match_only(rig: Rig) -> None:
    session = await rig.session()
    app = CockpitApp([session], persist_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        session.start()
        await _open(pilot, app, session)
        assert _command(app) == "echo one > ../out-1.txt"
        await pilot.press("a")
        pattern = app.screen.query_one("#pattern", Input)
        assert pattern.has_focus
        pattern.value = "echo * > ../out-*.txt"
        await pilot.press("enter")
        # The second write runs under the grant; the third is different and asks.
        await _until(pilot, lambda: _command(app) == "echo three > ../elsewhere.txt")
        await pilot.press("d")
        await pilot.press(*"not there", "enter")
        await _until(pilot, lambda: session.status == "done")
    by = [(d.by, d.decision) for d in rig.decided(0)]
    assert by == [("user", "allow"), ("grant", "allow"), ("user", "deny"), ("grant", "allow")]
    assert "not there" in rig.decided(0)[2].message
    assert (rig.tmp / "s0" / "out-2.txt").read_text() == "two\n"
    assert not (rig.tmp / "s0" / "elsewhere.txt").exists()


async def test_a_grant_for_one_use_expires(rig: Rig) -> None:
    session = await rig.session()
    app = CockpitApp([session], persist_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        session.start()
        await _open(pilot, app, session)
        await pilot.press("a")
        app.screen.query_one("#pattern", Input).value = "echo *"
        app.screen.query_one("#expiry", Select).value = 4  # for the next use only
        await pilot.press("enter")
        # "echo *" never covers a redirect, so the next write still asks: the grant is
        # spent on nothing and stays; widen it to cover redirects to ../ for one use.
        await _until(pilot, lambda: _command(app) == "echo two > ../out-2.txt")
        await pilot.press("a")
        app.screen.query_one("#pattern", Input).value = "echo * > ../*"
        app.screen.query_one("#expiry", Select).value = 4
        await pilot.press("enter")
        # One use: it covers the third write; the fourth asks again.
        await _until(pilot, lambda: _command(app) == "echo four > ../out-4.txt")
        await pilot.press("n")
        await _until(pilot, lambda: session.status == "done")
    by = [d.by for d in rig.decided(0)]
    assert by == ["user", "user", "grant", "user"]


async def test_an_unanswered_request_times_out_and_the_dialog_moves_on(rig: Rig) -> None:
    session = await rig.session(approval_timeout_s=1.5)
    app = CockpitApp([session], persist_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        session.start()
        await _open(pilot, app, session)
        first = _dialog(app)
        assert first is not None and "denied in" in str(first.query_one("#tool").render())
        # Nobody answers: the session denies it, and the dialog leaves that request.
        await _until(pilot, lambda: _dialog(app) is not first, timeout=10)
        # The next request's dialog follows; let it settle before the app closes.
        await _until(pilot, lambda: _dialog(app) is not None)
        await pilot.pause(0.2)
        session.stop()
    decided = rig.decided(0)
    assert decided[0].by == "timeout" and decided[0].decision == "deny"
    assert not (rig.tmp / "s0" / "out-1.txt").exists()


async def test_edit_then_allow_runs_the_edited_command(rig: Rig) -> None:
    session = await rig.session()
    app = CockpitApp([session], persist_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        session.start()
        await _open(pilot, app, session)
        await pilot.press("e")
        area = app.screen.query_one("#edit-text", TextArea)
        assert area.has_focus
        area.text = "echo edited > out-1.txt"
        await pilot.pause(0.05)
        assert "MEDIUM" in str(app.screen.query_one("#edit-tier").render())
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: (session.workspace / "out-1.txt").exists())
        session.stop()
    assert (session.workspace / "out-1.txt").read_text() == "edited\n"
    assert not (rig.tmp / "s0" / "out-1.txt").exists()
    assert rig.decided(0)[0].edited_input == {"command": "echo edited > out-1.txt"}


async def test_the_inbox_walks_three_panes_in_order_of_arrival(rig: Rig) -> None:
    sessions = [await rig.session() for _ in range(3)]
    streaming = await rig.session("bench-200k")  # keeps streaming while we decide
    app = CockpitApp([*sessions, streaming], persist_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        streaming.start()
        for session in sessions:  # arrival order: 0, 1, 2
            session.start()
            await _until(pilot, lambda s=session: s.status == "waiting")  # type: ignore[misc]
        await _until(pilot, lambda: _pending(app) >= 3)  # all three folded into the views
        if _dialog(app) is None:
            await pilot.press("i")
        order: list[int] = []
        for _ in range(3):
            await _until(pilot, lambda: _dialog(app) is not None)
            dialog = _dialog(app)
            assert dialog is not None
            order.append([s.session_id for s in sessions].index(dialog.item.session_id))
            assert dialog.place()[1] >= 3 - len(order) + 1  # the inbox's count, live
            await pilot.press("n")
            await pilot.pause(0.05)
        assert order == [0, 1, 2]
        # Deciding in one pane never stalled the others: the stream went on meanwhile.
        assert any(e.kind == "text_delta" for e in streaming.events)
        assert app.query_one("KeyBar").render()  # the badge's bar is drawn
        for session in sessions:
            session.stop()
        streaming.stop()
    assert all(rig.decided(i)[0].decision == "deny" for i in range(3))


async def test_the_dry_run_screen_refuses_a_conflict_applies_and_discards(rig: Rig) -> None:
    from cockpit.ui.screens.dry_run import DryRunScreen

    applied = await rig.session("schema-drift", mode="dry-run")
    discarded = await rig.session("schema-drift", mode="dry-run")
    app = CockpitApp([applied, discarded], persist_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        applied.start()
        discarded.start()
        await _until(pilot, lambda: applied.status == "done" and discarded.status == "done")
        real = applied.workspace
        before = (real / "pipeline.py").read_text()
        app.main.focus_session(applied.session_id)
        await pilot.press("D")
        await _until(pilot, lambda: isinstance(app.screen, DryRunScreen))
        screen = app.screen
        assert isinstance(screen, DryRunScreen)
        assert "pipeline.py" in [c.path for c in screen.changes]
        readme = (real / "README.md").read_text()
        (real / "README.md").write_text("edited by hand meanwhile\n")
        await pilot.press("a")
        await pilot.pause(0.1)
        assert app.screen is screen  # refused: still open, nothing written
        assert (real / "pipeline.py").read_text() == before
        (real / "README.md").write_text(readme)
        await pilot.press("a")
        await _until(pilot, lambda: not isinstance(app.screen, DryRunScreen))
        assert "RENAMED_COLUMNS" in (real / "pipeline.py").read_text()

        app.main.focus_session(discarded.session_id)
        await pilot.press("D")
        await _until(pilot, lambda: isinstance(app.screen, DryRunScreen))
        await pilot.press("x", "x")
        await _until(pilot, lambda: not isinstance(app.screen, DryRunScreen))
        assert discarded.dry_run_changes() == []
        assert "RENAMED_COLUMNS" not in (discarded.workspace / "pipeline.py").read_text()
    settled = [e.kind for e in applied.events if e.kind == "dry_run_settled"]
    assert settled == ["dry_run_settled"]


async def test_the_timeline_rolls_back_rm_rf_and_the_agent_continues(rig: Rig) -> None:
    from cockpit.ui.screens.timeline import TimelineScreen

    session = await rig.session("rogue-action")
    archive = sorted(p.name for p in (session.workspace / "archive").iterdir())
    app = CockpitApp([session], persist_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        session.start()
        await _open(pilot, app, session)
        assert _command(app) == "rm -rf archive/"
        await pilot.press("y")
        await _until(pilot, lambda: not (session.workspace / "archive").exists())
        await _until(pilot, lambda: _dialog(app) is not None)  # the DROP TABLE waits
        await pilot.press("escape")
        await pilot.press("t")
        await _until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        first = screen.points[-1]
        assert first.number == 1 and "rm -rf archive/" in first.action
        screen.query_one("#points").highlighted = len(screen.points) - 1  # type: ignore[attr-defined]
        await _until(pilot, lambda: screen.selected == 1 and bool(screen.plan))
        assert any(d.path == "archive/orders_0301.csv" for d in screen.plan)
        await pilot.press("b")
        assert "again" in str(screen.query_one("#armed").render())
        await pilot.press("b")
        await _until(pilot, lambda: not isinstance(app.screen, TimelineScreen))
        assert sorted(p.name for p in (session.workspace / "archive").iterdir()) == archive
        # The conversation went back too: the agent proposes the same step again.
        await _until(pilot, lambda: _command(app) == "rm -rf archive/")
        await pilot.press("n")
        session.stop()
    rollbacks = [e for e in session.events if e.kind == "rollback"]
    assert len(rollbacks) == 1 and rollbacks[0].files and rollbacks[0].conversation
