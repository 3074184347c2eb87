"""ReplayControl: a recorded session played back, stopping at approvals."""

from __future__ import annotations

import asyncio

from cockpit.engine.replay import ReplayControl
from cockpit.events import Event

from . import fixtures as fx


def test_instant_replay_stops_at_the_approval() -> None:
    control = ReplayControl(fx.ingestion_failure())
    assert control.status == "waiting"
    assert control.events[-1].kind == "approval_requested"
    assert [e.seq for e in control.events] == list(range(1, len(control.events) + 1))


def test_approve_continues_with_the_recording() -> None:
    control = ReplayControl(fx.ingestion_failure())
    seen: list[Event] = []
    control.subscribe(seen.append)
    request_id = control.events[-1].request_id  # type: ignore[union-attr]
    control.approve(request_id)
    assert control.commands == [("approve", request_id, "once")]
    kinds = [e.kind for e in seen]
    assert kinds[0] == "approval_decided"
    assert "tool_started" in kinds
    assert control.status == "done"


def test_deny_skips_the_recorded_run_and_shows_the_denial() -> None:
    control = ReplayControl(fx.ingestion_failure())
    request = control.events[-1]
    control.deny(request.request_id, "keep the data")  # type: ignore[union-attr]
    after = list(control.events)[len(fx.ingestion_failure(until_approval=True)) :]
    decided = after[0]
    assert decided.kind == "approval_decided" and decided.decision == "deny"  # type: ignore[union-attr]
    finished = [e for e in after if e.kind == "tool_finished"]
    assert finished[0].is_error and "keep the data" in finished[0].content  # type: ignore[union-attr]
    rm_id = request.tool_use_id  # type: ignore[union-attr]
    assert not [e for e in after if e.kind == "tool_started" and e.tool_use_id == rm_id]  # type: ignore[union-attr]


def test_steer_pause_resume_stop_are_recorded_as_events() -> None:
    control = ReplayControl(fx.schema_drift())
    control.steer("run only the transform tests")
    control.pause()
    assert control.status == "paused"
    control.resume()
    control.stop()
    kinds = [e.kind for e in control.events[-4:]]
    assert kinds == ["steered", "paused", "resumed", "session_ended"]
    assert control.status == "stopped"


async def test_paced_replay_follows_the_recorded_clock() -> None:
    events = fx.schema_drift(running=False)
    control = ReplayControl(events, speed=50.0)
    assert control.events == []
    got: list[Event] = []
    control.subscribe(got.append)
    for _ in range(200):
        if control.finished:
            break
        await asyncio.sleep(0.02)
    assert control.finished
    assert len(got) == len(events)
    assert control.status == "done"
