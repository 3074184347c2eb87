"""The cockpit driving real sessions: scripted model, real SDK, session files, workspaces."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from live_helpers import until as _until

from cockpit.cli.tui import SessionLauncher
from cockpit.engine.session import AgentSession
from cockpit.store.session_file import SessionStore
from cockpit.ui.app import CockpitApp
from cockpit.ui.requests import NewSessionRequest
from cockpit.ui.screens.approval import ApprovalScreen


def _tables(workspace: Path) -> set[str]:
    conn = sqlite3.connect(workspace / "warehouse.db")
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


async def test_rogue_action_approve_then_deny_in_the_dialog(tmp_path: Path) -> None:
    launcher = SessionLauncher(tmp_path / "sessions", speed=0)
    request = NewSessionRequest(workspace="", goal="", scenario="rogue-action")
    app = CockpitApp(session_factory=launcher, requests=[request], persist_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: bool(launcher.sessions))
        session: AgentSession = launcher.sessions[0][0]
        workspace = session.workspace

        def dialog_open() -> bool:
            """the approval dialog"""
            return isinstance(app.screen, ApprovalScreen)

        # 1: rm -rf archive/ stops the pane on the dialog; allow it once.
        await _until(pilot, dialog_open)
        assert session.status == "waiting"
        assert (workspace / "archive").is_dir()
        await pilot.press("y")
        await _until(pilot, lambda: not (workspace / "archive").exists())

        # 2: DROP TABLE orders: deny it; the table survives and the agent goes on.
        await _until(pilot, dialog_open)
        await pilot.press("n")
        await _until(pilot, lambda: session.status in ("done", "waiting"))
        assert "orders" in _tables(workspace)
        if session.status == "waiting":  # the /etc write: deny with a message
            await _until(pilot, dialog_open)
            await pilot.press("m")
            await pilot.pause(0.1)
            await pilot.press(*"use ops/ instead", "enter")
        await _until(pilot, lambda: session.status == "done")
    await launcher.close()

    store = await SessionStore.open(session.store.path, readonly=True)
    decided = [e async for e in store.iter_events(kinds={"approval_decided"})]
    assert (await store.verify()).ok
    await store.close()
    by_user = [(e.decision, e.by) for e in decided if e.by == "user"]  # type: ignore[attr-defined]
    assert by_user[0] == ("allow", "user") and by_user[1] == ("deny", "user")


async def test_steer_from_the_pane_reaches_the_agent(tmp_path: Path) -> None:
    launcher = SessionLauncher(tmp_path / "sessions", speed=0)
    request = NewSessionRequest(workspace="", goal="", scenario="ingestion-failure")
    app = CockpitApp(session_factory=launcher, requests=[request], persist_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: bool(launcher.sessions))
        session = launcher.sessions[0][0]
        await _until(pilot, lambda: session.status == "done")
        await pilot.press("s")
        await pilot.press(*"also report the row counts", "enter")
        await _until(
            pilot,
            lambda: any(e.kind == "steered" for e in session.events) and session.status == "done",
        )
    await launcher.close()
    steered = [e for e in session.events if e.kind == "user_message" and e.source == "steer"]  # type: ignore[union-attr]
    assert steered and steered[0].text == "also report the row counts"  # type: ignore[union-attr]
    assert (session.workspace / "quarantine" / "orders_0412.csv").is_file()


async def test_rogue_action_stops_on_every_dangerous_proposal_and_denials_change_nothing(
    tmp_path: Path,
) -> None:
    launcher = SessionLauncher(tmp_path / "sessions", speed=0)
    request = NewSessionRequest(workspace="", goal="", scenario="rogue-action")
    app = CockpitApp(session_factory=launcher, requests=[request], persist_theme=False)
    shown: list[str] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: bool(launcher.sessions))
        session: AgentSession = launcher.sessions[0][0]
        workspace = session.workspace
        archive = sorted(p.name for p in (workspace / "archive").iterdir())
        while session.status != "done":
            await _until(
                pilot,
                lambda: isinstance(app.screen, ApprovalScreen) or session.status == "done",
            )
            if isinstance(app.screen, ApprovalScreen):
                req = app.screen.item.request
                shown.append(f"{req.tier}:{req.input.get('command') or req.input.get('path')}")
                await pilot.press("n")
                await pilot.pause(0.05)
    await launcher.close()
    assert len(shown) == 3 and all(s.split(":")[0] in ("high", "critical") for s in shown)
    assert sorted(p.name for p in (workspace / "archive").iterdir()) == archive
    assert "orders" in _tables(workspace)  # the DROP TABLE was denied
    assert not Path("/etc/cron.d/orders-pipeline").exists()


async def test_resume_opens_a_saved_session_in_the_cockpit_and_a_steer_continues_it(
    tmp_path: Path,
) -> None:
    from cockpit.cli.startup import check_resumable

    launcher = SessionLauncher(tmp_path / "sessions", speed=0)
    request = NewSessionRequest(workspace="", goal="", scenario="ingestion-failure")
    app = CockpitApp(session_factory=launcher, requests=[request], persist_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: bool(launcher.sessions))
        first: AgentSession = launcher.sessions[0][0]
        await _until(pilot, lambda: first.status == "done")
    await launcher.close()
    path = first.store.path
    await check_resumable(path)

    reopened = SessionLauncher(tmp_path / "sessions", speed=0)
    again = NewSessionRequest(workspace="", goal="", resume=str(path))
    app = CockpitApp(session_factory=reopened, requests=[again], persist_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: bool(app.main.sessions))
        session: AgentSession = reopened.sessions[0][0]
        entry = app.main.sessions[session.session_id]
        assert entry.view.title == first.events[0].title  # type: ignore[union-attr]
        assert len(session.events) >= len(first.events)
        session.steer("Also list the quarantine folder.")
        await _until(
            pilot,
            lambda: session.status == "done" and any(e.kind == "steered" for e in session.events),
        )
    await reopened.close()


async def _run_to_the_end(folder: Path, scenario: str) -> AgentSession:
    """A scenario run in the cockpit until it is done, its session file closed (to reopen)."""
    launcher = SessionLauncher(folder, speed=0)
    request = NewSessionRequest(workspace="", goal="", scenario=scenario)
    app = CockpitApp(session_factory=launcher, requests=[request], persist_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: bool(launcher.sessions))
        saved: AgentSession = launcher.sessions[0][0]
        await _until(pilot, lambda: saved.status == "done")
    await launcher.close()
    return saved


async def test_the_session_browser_opens_a_saved_session(tmp_path: Path) -> None:
    from cockpit.ui.screens.sessions import SessionBrowser

    folder = tmp_path / "sessions"
    saved = await _run_to_the_end(folder, "schema-drift")

    browser_launcher = SessionLauncher(folder, speed=0)
    app = CockpitApp(
        session_factory=browser_launcher, persist_theme=False, ask_when_empty=False,
        sessions_dir=folder,
    )  # fmt: skip
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await _until(pilot, lambda: isinstance(app.screen, SessionBrowser))
        assert str(saved.store.path) in app.screen.paths  # type: ignore[attr-defined]
        await pilot.press("enter")
        await _until(pilot, lambda: saved.session_id in app.main.sessions)
        entry = app.main.sessions[saved.session_id]
        assert entry.view.title == saved.events[0].title  # type: ignore[union-attr]
    await browser_launcher.close()


async def test_opening_a_session_whose_workspace_changed_warns_and_waits(tmp_path: Path) -> None:
    from cockpit.cli.startup import check_resumable

    folder = tmp_path / "sessions"
    saved = await _run_to_the_end(folder, "ingestion-failure")
    (saved.workspace / "pipeline.py").write_text("# edited by hand overnight\n")
    await check_resumable(saved.store.path)

    reopened = SessionLauncher(folder, speed=0)
    again = NewSessionRequest(workspace="", goal="", resume=str(saved.store.path))
    app = CockpitApp(session_factory=reopened, requests=[again], persist_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        from cockpit.ui.screens.resume_choice import ResumeChoiceScreen
        from cockpit.ui.screens.timeline import TimelineScreen

        await _until(pilot, lambda: saved.session_id in app.main.sessions)
        session: AgentSession = reopened.sessions[0][0]
        alerts = [e for e in session.events if e.kind == "watchdog_alert"]
        assert alerts and alerts[-1].rule == "resume.workspace_changed"  # type: ignore[attr-defined]
        assert "pipeline.py" in alerts[-1].message  # type: ignore[attr-defined]
        assert session.status == "done"  # nothing continued on its own
        # The user is asked: continue, roll back or read; rolling back opens the timeline.
        await _until(pilot, lambda: isinstance(app.screen, ResumeChoiceScreen))
        assert "pipeline.py" in app.screen.text  # type: ignore[attr-defined]
        await pilot.press("r")
        await _until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        await pilot.press("escape")
    await reopened.close()


async def test_fork_from_the_timeline_opens_side_by_side(tmp_path: Path) -> None:
    from cockpit.ui.screens.timeline import TimelineScreen

    launcher = SessionLauncher(tmp_path / "sessions", speed=0)
    request = NewSessionRequest(workspace="", goal="", scenario="rogue-action")
    app = CockpitApp(session_factory=launcher, requests=[request], persist_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: bool(launcher.sessions))
        session: AgentSession = launcher.sessions[0][0]
        await _until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        await pilot.press("y")  # rm -rf archive/
        await _until(pilot, lambda: not (session.workspace / "archive").exists())
        await _until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        await pilot.press("escape")
        await pilot.press("t")
        await _until(pilot, lambda: isinstance(app.screen, TimelineScreen))
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        screen.query_one("#points").highlighted = len(screen.points) - 1  # type: ignore[attr-defined]
        await _until(pilot, lambda: screen.selected == 1)
        await pilot.press("k")
        await _until(pilot, lambda: len(app.main.sessions) == 2, timeout=30)
        fork = next(s for s, _ in launcher.sessions if s is not session)
        assert len(list((fork.workspace / "archive").glob("*.csv"))) == 40
        assert fork.events[0].forked_from == session.session_id  # type: ignore[union-attr]
        assert set(app.main.visible_ids()) == {session.session_id, fork.session_id}
        session.stop()
        fork.stop()
    await launcher.close()
