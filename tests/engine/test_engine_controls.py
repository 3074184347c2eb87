"""Engine controls and robustness: approvals, pause/steer/stop, resume, retries, failures."""

from __future__ import annotations

import asyncio
import sqlite3
import tomllib
from pathlib import Path

import pytest
from engine_harness import Harness, finish, kinds, start_harness
from engine_harness import wait_for as _wait_for

from cockpit.engine.client import Backend, scripted_client
from cockpit.engine.session import AgentSession
from cockpit.events import ApprovalRequested, ToolFinished
from cockpit.scripted.scenario import SCRIPTED_MODEL_PREFIX, parse_scenario
from cockpit.store.session_file import SessionStore

FAULTS = ("rate_limit", "overloaded", "api_error", "overloaded_midstream", "drop_connection")


def _fault(kind: str) -> tuple[str, object]:
    extra = ", retry_after_s = 0.01" if kind in ("overloaded", "api_error", "rate_limit") else ""
    text = f'''
[scenario]
name = "fault-{kind}"
goal = "Check the landing folder."

[[turn]]
text = "Listing the landing folder, after a fault that must be retried."
tools = [{{ name = "list_files", input = {{ path = "landing" }} }}]
fault = {{ kind = "{kind}", after_tokens = 3{extra} }}

[[turn]]
text = "Three files are waiting."
'''
    return f"fault-{kind}", parse_scenario(tomllib.loads(text), f"fault-{kind}.toml")


@pytest.mark.parametrize("kind", FAULTS)
async def test_faults_are_retried_without_duplicates(tmp_path: Path, kind: str) -> None:
    name, scenario = _fault(kind)
    harness = await start_harness(tmp_path, {name: scenario})  # type: ignore[dict-item]
    try:
        session = await harness.new_session(name)
        assert await finish(session) == "done"
    finally:
        await harness.server.stop()
    events = list(session.events)
    responses = kinds(events, "model_response")
    assert [r.turn for r in responses] == [1, 2]
    assert len(kinds(events, "tool_call_proposed")) == 1
    if kind in ("overloaded_midstream", "drop_connection"):
        # The SDK cannot retry a stream that already started: the engine does, and records it.
        assert len(kinds(events, "api_error")) == 1 and len(kinds(events, "retry")) == 1
        assert len(kinds(events, "model_request")) == 3
    else:
        # 429 / 529 / 500 before the body are retried by the SDK itself.
        assert not kinds(events, "api_error")
        assert len(kinds(events, "model_request")) == 2


async def test_interactive_approve_runs_the_command(harness: Harness) -> None:
    session = await harness.new_session("rogue-action", interactive=True)
    session.start()
    request = await _wait_for(session, "approval_requested")
    assert isinstance(request, ApprovalRequested)
    assert request.tier == "critical" and "rm -rf" in request.input["command"]
    assert session.status == "waiting"
    session.approve(request.request_id)
    await _wait_for(session, "tool_finished", after=request.seq)
    assert not (session.workspace / "archive").exists()
    session.stop()
    assert await finish(session) == "stopped"


async def test_interactive_deny_with_message_reaches_the_model(harness: Harness) -> None:
    session = await harness.new_session("rogue-action", interactive=True)
    session.start()
    request = await _wait_for(session, "approval_requested")
    assert isinstance(request, ApprovalRequested)
    session.deny(request.request_id, "keep the archive, compress it instead")
    result = await _wait_for(session, "tool_finished", after=request.seq)
    assert isinstance(result, ToolFinished) and result.is_error
    assert "keep the archive" in result.content
    assert (session.workspace / "archive").is_dir()
    session.stop()
    await finish(session)
    decided = [e for e in kinds(list(session.events), "approval_decided") if e.by == "user"]
    assert decided[0].decision == "deny" and decided[0].request_id == request.request_id


async def test_pause_steer_resume(harness: Harness) -> None:
    session = await harness.new_session("ingestion-failure")
    session.pause()
    assert session.status == "paused"
    task = session.start()
    await asyncio.sleep(0.2)
    assert session.status == "paused"
    assert not kinds(list(session.events), "model_request"), (
        "a paused session must not call the model"
    )
    session.steer("Please keep a note of what you quarantine.")
    session.resume()
    assert await task == "done"
    await finish(session)
    events = list(session.events)
    steer_seq = kinds(events, "steered")[0].seq
    first_request = kinds(events, "model_request")[0].seq
    assert steer_seq < first_request
    assert any(e.text.startswith("Please keep") for e in kinds(events, "user_message"))


async def test_stop_then_resume_from_file_finishes(harness: Harness) -> None:
    session = await harness.new_session("ingestion-failure")
    session.start()
    await _wait_for(session, "tool_finished")
    session.stop()
    assert await finish(session) == "stopped"
    path = session.store.path

    store = await SessionStore.open(path)
    backend = Backend(scripted_client(harness.server), session.backend.model, "scripted")
    resumed = await AgentSession.from_file(store, backend, retry_base_s=0.0)
    assert resumed.status == "stopped"
    assert await finish(resumed) == "done"
    assert (resumed.workspace / "quarantine" / "orders_0412.csv").is_file()
    check = await SessionStore.open(path, readonly=True)
    assert (await check.verify()).ok
    ended = [e async for e in check.iter_events(kinds={"session_ended"})]
    assert [e.status for e in ended] == ["stopped", "done"]  # type: ignore[attr-defined]
    await check.close()


async def test_bad_request_fails_the_session_with_the_reason(tmp_path: Path) -> None:
    harness = await start_harness(tmp_path)
    try:
        session = await harness.new_session("ingestion-failure")
        # A model the server does not know: a 404 the engine must not retry forever.
        session.backend = Backend(
            scripted_client(harness.server), SCRIPTED_MODEL_PREFIX + "no-such", "scripted"
        )
        assert await finish(session) == "failed"
    finally:
        await harness.server.stop()
    errors = kinds(list(session.events), "api_error")
    assert len(errors) == 1 and not errors[0].will_retry
    assert "failed" in session.end_reason


def _scenario(name: str, body: str) -> tuple[str, object]:
    text = f'[scenario]\nname = "{name}"\ngoal = "Check the landing folder."\n\n{body}'
    return name, parse_scenario(tomllib.loads(text), f"{name}.toml")


async def _run_custom(tmp_path: Path, name: str, body: str) -> AgentSession:
    scenario_name, scenario = _scenario(name, body)
    harness = await start_harness(tmp_path, {scenario_name: scenario})  # type: ignore[dict-item]
    try:
        session = await harness.new_session(scenario_name)
        await finish(session)
    finally:
        await harness.server.stop()
    return session


async def test_max_tokens_continues(tmp_path: Path) -> None:
    session = await _run_custom(
        tmp_path,
        "cut",
        '[[turn]]\ntext = "The first half of a long answer"\nstop_reason = "max_tokens"\n\n'
        '[[turn]]\ntext = "and the second half."\n',
    )
    assert session.status == "done"
    events = list(session.events)
    assert [r.stop_reason for r in kinds(events, "model_response")] == ["max_tokens", "end_turn"]
    assert any(e.source == "system" for e in kinds(events, "user_message"))


async def test_pause_turn_continues_the_same_turn(tmp_path: Path) -> None:
    session = await _run_custom(
        tmp_path,
        "paused",
        '[[turn]]\ntext = "Working on it"\nstop_reason = "pause_turn"\n\n'
        '[[turn]]\ntext = "Finished."\n',
    )
    assert session.status == "done"
    responses = kinds(list(session.events), "model_response")
    assert [r.stop_reason for r in responses] == ["pause_turn", "end_turn"]


async def test_refusal_stops_the_session(tmp_path: Path) -> None:
    session = await _run_custom(
        tmp_path, "refuse", '[[turn]]\ntext = "I can\'t help with that."\nstop_reason = "refusal"\n'
    )
    assert session.status == "stopped"
    assert "refus" in kinds(list(session.events), "session_ended")[0].reason


async def test_parallel_tool_calls_in_one_turn(tmp_path: Path) -> None:
    session = await _run_custom(
        tmp_path,
        "parallel",
        '[[turn]]\ntext = "Two looks at once."\ntools = [\n'
        '  { name = "list_files", input = { path = "landing" } },\n'
        '  { name = "read_file", input = { path = "README.md" } },\n'
        '  { name = "bash", input = { command = "sleep 0.3; echo slow" } },\n]\n\n'
        '[[turn]]\ntext = "Both done."\n',
    )
    assert session.status == "done"
    events = list(session.events)
    finished = kinds(events, "tool_finished")
    assert len(finished) == 3, finished
    assert not any(e.is_error for e in finished), [e.content for e in finished if e.is_error]
    # The slow call finished last although it was proposed last: they ran concurrently.
    started = [e.seq for e in kinds(events, "tool_started")]
    assert max(started) < min(e.seq for e in finished)


async def test_resume_after_a_crash_records_the_interruption(harness: Harness) -> None:
    # A session whose process died mid-run: events on disk, no session_ended.
    session = await harness.new_session("ingestion-failure")
    session.start()
    await _wait_for(session, "tool_finished")
    await session.store.flush()
    path = session.store.path
    crashed = path.with_name("crashed.cockpit")
    with sqlite3.connect(path) as src, sqlite3.connect(crashed) as dst:
        src.backup(dst)  # the file as a crash would leave it: flushed events, no ending
    session.stop()
    await finish(session)
    store = await SessionStore.open(path)
    await store.close()

    store = await SessionStore.open(crashed)
    before = [e async for e in store.iter_events()]
    assert before and before[-1].kind != "session_ended"
    backend = Backend(scripted_client(harness.server), session.backend.model, "scripted")
    resumed = await AgentSession.from_file(store, backend, retry_base_s=0.0)
    assert resumed.status == "interrupted"
    assert await finish(resumed) == "done"
    check = await SessionStore.open(crashed, readonly=True)
    ended = [e async for e in check.iter_events(kinds={"session_ended"})]
    assert (await check.verify()).ok
    await check.close()
    assert [e.status for e in ended] == ["interrupted", "done"]  # type: ignore[attr-defined]


async def test_a_new_run_after_the_end_has_its_own_outcome(harness: Harness) -> None:
    session = await harness.new_session("ingestion-failure")
    assert await session.wait() == "done"
    # Steering a finished session starts a new run; stopping that run must say so.
    session.subscribe(lambda e: session.stop() if e.kind == "steered" else None)
    session.steer("One more check, please.")
    assert await session.wait() == "stopped"
    await finish(session)
    ended = kinds(list(session.events), "session_ended")
    outcomes = [(e.status, e.reason) for e in ended]
    assert outcomes == [
        ("done", "the agent finished"),
        ("stopped", "stopped by the user"),
    ], outcomes


async def test_every_tool_runs_only_after_its_record_is_on_disk(harness: Harness) -> None:
    """Write ahead: the call, its risk, the decision and its start are committed first."""
    import sqlite3

    session = await harness.new_session("ingestion-failure", mode="yes")
    seen: list[tuple[str, set[str]]] = []
    run = session.tools.run

    async def checked_run(name: str, tool_input: dict[str, object], ctx: object) -> object:
        conn = sqlite3.connect(f"file:{session.store.path}?mode=ro", uri=True)
        try:
            on_disk = {k for (k,) in conn.execute("SELECT kind FROM events")}
        finally:
            conn.close()
        seen.append((name, on_disk))
        return await run(name, tool_input, ctx)  # type: ignore[arg-type]

    session.tools.run = checked_run  # type: ignore[method-assign]
    await session.run()
    assert seen
    for _name, on_disk in seen:
        assert {
            "tool_call_proposed",
            "risk_assessed",
            "approval_decided",
            "tool_started",
        } <= on_disk
