"""The approval dialog is one worker loop: one dialog at a time, requests in order."""

from __future__ import annotations

from cockpit.ui.items import Attention
from cockpit.ui.messages import AttentionNeeded
from cockpit.ui.screens.approval import ApprovalScreen

from .apps import make_app, make_sessions

SIZE = (160, 48)


def dialogs(app: object) -> int:
    return sum(isinstance(s, ApprovalScreen) for s in app.screen_stack)  # type: ignore[attr-defined]


async def test_attention_while_the_dialog_is_open_never_stacks_a_second_dialog() -> None:
    sessions = make_sessions()
    app = make_app(sessions)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a")
        assert dialogs(app) == 1
        for _ in range(3):  # more requests arrive from other panes while it is open
            app.main.post_message(
                AttentionNeeded("rogue", "rogue-action", Attention("approval", "rm"), True)
            )
        await pilot.pause(0.1)
        assert dialogs(app) == 1
        assert isinstance(app.screen, ApprovalScreen)
        assert app.screen.item.session_id == "ingest"
        await pilot.press("y")
        await pilot.pause(0.1)
        # The loop goes on to the next visible request, still one dialog.
        assert dialogs(app) == 1
        assert isinstance(app.screen, ApprovalScreen)
        assert app.screen.item.session_id == "rogue"
        await pilot.press("n")
        await pilot.pause(0.1)
        assert dialogs(app) == 0
        assert sessions[0].commands == [("approve", "req_toolu_ingest_03", "once")]
        assert sessions[2].commands == [("deny", "req_toolu_rogue_02", "")]
        assert not app.main.sessions["ingest"].needs_you


async def test_a_decided_request_is_never_offered_again() -> None:
    sessions = make_sessions()
    app = make_app(sessions)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a", "y")
        # Before the decision's event is folded the view still lists the request:
        # the loop must skip it rather than ask twice.
        await pilot.pause(0.1)
        assert isinstance(app.screen, ApprovalScreen)
        assert app.screen.item.request.request_id != "req_toolu_ingest_03"
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert dialogs(app) == 0
        # Escape ends the loop; the key opens it again on what still waits.
        await pilot.press("w")
        await pilot.pause(0.1)
        assert dialogs(app) == 1


async def test_two_requests_at_once_open_one_dialog() -> None:
    sessions = make_sessions()
    app = make_app(sessions)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.review("ingest")
        app.review("rogue")  # before the first worker has even started
        await pilot.pause(0.2)
        assert dialogs(app) == 1
