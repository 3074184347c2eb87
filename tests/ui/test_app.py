"""Pilot tests of the main flows: panes, cards, steering, approvals, palette, themes."""

from __future__ import annotations

import tomllib

from textual.widgets import Input

from cockpit.config import DEFAULT_MODEL, config_file
from cockpit.engine.replay import ReplayControl
from cockpit.ui.app import CockpitApp
from cockpit.ui.requests import NewSessionRequest
from cockpit.ui.screens.approval import ApprovalScreen
from cockpit.ui.screens.help import HelpScreen
from cockpit.ui.screens.new_session import NewSessionScreen
from cockpit.ui.session_view import ToolCardItem
from cockpit.ui.widgets.session_list import SessionList

from . import fixtures as fx
from .apps import make_app, make_sessions

SIZE = (160, 48)


async def test_opens_with_three_sessions_in_panes() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.main
        assert list(main.sessions) == ["ingest", "drift", "rogue"]
        assert main.visible_ids() == ["ingest", "drift", "rogue"]
        assert main.active == "ingest"
        assert app.query_one(SessionList).option_count == 3
        view = main.sessions["ingest"].view
        assert view.pending and view.title == "ingestion-failure"
        assert main.sessions["ingest"].status == "waiting"


async def test_cycle_panes_and_maximise() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.main
        await pilot.press("right_square_bracket")
        assert main.active == "drift"
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert main.active == "ingest"
        await pilot.press("left_square_bracket")
        assert main.active == "rogue"
        await pilot.press("z")
        assert main.visible_ids() == ["rogue"]
        assert main.sessions["ingest"].pane.has_class("hidden")
        await pilot.press("z")
        assert len(main.visible_ids()) == 3
        await pilot.press("1")
        assert main.visible_ids() == ["rogue"]
        await pilot.press("right_square_bracket")
        assert main.visible_ids() == ["ingest"]
        await pilot.press("2")
        assert len(main.visible_ids()) == 2 and "ingest" in main.visible_ids()


async def test_expand_a_tool_card() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        transcript = app.main.sessions["ingest"].pane.transcript
        cards = [i for i in transcript.view.items if isinstance(i, ToolCardItem)]
        log_card = cards[0]
        assert not log_card.expanded
        before = transcript.virtual_size.height
        # k from the bottom: rm card, head card, thinking, then the log card.
        await pilot.press("k", "k", "k", "k", "enter")
        assert transcript.view.items[transcript.selected or 0] is log_card
        assert log_card.expanded
        assert transcript.virtual_size.height > before
        await pilot.press("enter")
        assert not log_card.expanded


async def test_steer_a_session() -> None:
    sessions = make_sessions()
    app = make_app(sessions)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("right_square_bracket", "s")
        assert isinstance(app.focused, Input)
        await pilot.press(*"only the transform tests", "enter")
        await pilot.pause()
        assert sessions[1].commands == [("steer", "only the transform tests")]
        await pilot.pause(0.1)
        roles = [getattr(i, "role", None) for i in app.main.sessions["drift"].view.items]
        assert "steer" in roles


async def test_approve_in_the_dialog() -> None:
    sessions = make_sessions()
    app = make_app(sessions)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a")
        assert isinstance(app.screen, ApprovalScreen)
        assert app.screen.item.request.input == fx.RM_DATA
        await pilot.press("y")
        await pilot.pause(0.1)
        assert sessions[0].commands == [("approve", "req_toolu_ingest_03", "once")]
        assert sessions[0].status == "done"
        # The other visible session waiting for you comes next.
        assert isinstance(app.screen, ApprovalScreen)
        assert app.screen.item.session_id == "rogue"


async def test_deny_with_a_message() -> None:
    sessions = make_sessions()
    app = make_app(sessions)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("left_square_bracket", "a")
        assert isinstance(app.screen, ApprovalScreen)
        assert app.screen.item.session_id == "rogue"
        await pilot.press("m", *"archive it first", "enter")
        await pilot.pause(0.1)
        assert sessions[2].commands == [("deny", "req_toolu_rogue_02", "archive it first")]
        card = app.main.sessions["rogue"].view.card("toolu_rogue_02")
        assert card is not None and card.state == "denied"


async def test_plain_deny_and_escape_leaves_it_waiting() -> None:
    sessions = make_sessions()
    app = make_app(sessions)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a", "escape")
        assert not isinstance(app.screen, ApprovalScreen)
        assert sessions[0].commands == []
        await pilot.press("w")  # next waiting: rogue, opens its dialog
        assert isinstance(app.screen, ApprovalScreen)
        await pilot.press("n")
        await pilot.pause()
        assert sessions[2].commands == [("deny", "req_toolu_rogue_02", "")]


async def test_live_approval_rings_and_opens_the_dialog() -> None:
    control = ReplayControl(fx.ingestion_failure(), speed=1000.0)
    app = make_app([control])
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, ApprovalScreen):
                break
        assert isinstance(app.screen, ApprovalScreen)
        assert bells
        await pilot.press("y")
        for _ in range(100):
            await pilot.pause(0.05)
            if control.status == "done":
                break
        assert control.status == "done"


async def test_palette_jumps_to_a_session_and_runs_actions() -> None:
    sessions = make_sessions()
    app = make_app(sessions)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.press(*"go to session: schema")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.main.active == "drift"
        await pilot.press("ctrl+p", *"layout: 1 pane")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.main.visible_ids() == ["drift"]
        await pilot.press("ctrl+p", *"pause session")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert sessions[1].commands == [("pause",)]


async def test_theme_switch_is_persisted() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"theme: cockpit-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.theme == "cockpit-light"
    saved = tomllib.loads(config_file().read_text(encoding="utf-8"))
    assert saved["theme"] == "cockpit-light"
    # And a new app starts with it.
    again = CockpitApp(make_sessions())
    assert again.theme == "cockpit-light"


async def test_help_lists_every_binding() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_new_session_dialog_calls_the_factory(tmp_path: object) -> None:
    made: list[NewSessionRequest] = []

    async def factory(request: NewSessionRequest) -> ReplayControl:
        made.append(request)
        return ReplayControl(fx.schema_drift())

    app = CockpitApp(None, factory, clock=lambda: fx.T0, theme="cockpit-dark")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert isinstance(app.screen, NewSessionScreen)
        await pilot.press(*"fix the nightly load", "enter")
        await pilot.pause(0.2)
        assert made and made[0].goal == "fix the nightly load"
        assert made[0].model == DEFAULT_MODEL and made[0].mode == "ask"
        assert list(app.main.sessions) == ["drift"]


async def test_narrow_terminal_shows_one_pane() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.main.visible_ids() == ["ingest"]


async def test_fifty_thousand_events_open_and_scroll() -> None:
    events = fx.long_run(50_000)
    control = ReplayControl(events)
    app = make_app([control])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        transcript = app.main.sessions["long"].pane.transcript
        assert len(transcript.view.items) > 5_000
        await pilot.press("home")
        await pilot.press(*["pagedown"] * 20)
        assert transcript.scroll_y > 0
        await pilot.press("end")
        assert transcript.scroll_y == transcript.max_scroll_y


async def test_a_watchdog_pause_prefills_the_steering_message() -> None:
    from cockpit.events import Paused, WatchdogAlert

    steer_text = "Stop retrying; read the error and try a different approach."
    events = fx.schema_drift(running=False)[:-2]
    last = events[-1]
    events += [
        WatchdogAlert(
            session_id=last.session_id,
            seq=last.seq + 1,
            ts=last.ts + 1,
            metric="loops.score",
            value=1.0,
            threshold=1.0,
            action="pause",
            message="The agent is repeating itself",
            rule="loop.pause",
        ),
        Paused(
            session_id=last.session_id,
            seq=last.seq + 2,
            ts=last.ts + 1,
            reason="The agent is repeating itself",
            by="watchdog",
            suggested_steer=steer_text,
        ),
    ]
    control = ReplayControl(events, speed=1000.0)
    app = make_app([control])
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app.main.sessions["drift"].view.paused:
                break
        pane = app.main.sessions["drift"].pane
        assert pane.steer_input.value == steer_text
        await pilot.press("s", "enter")
        await pilot.pause(0.1)
        assert ("steer", steer_text) in control.commands


async def test_health_strip_and_screen() -> None:
    from cockpit.ui.screens.health import HealthScreen

    sessions = make_sessions()
    app = make_app(sessions)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = app.main.sessions["ingest"].pane
        strip = str(pane.query_one("#health").render())
        assert "drift 0.45" in strip and "ctx 7%" in strip
        app.main.focus_session("ingest")
        await pilot.press("h")
        assert isinstance(app.screen, HealthScreen)
        names = [str(s.render()) for s in app.screen.query(".name")]
        assert any(n.startswith("drift.score  0.45") for n in names)
        assert len(app.screen.query("Sparkline")) == len(names) >= 20
        await pilot.press("escape")
        assert not isinstance(app.screen, HealthScreen)
