"""Approvals end to end: session grants (scope, tier, expiry), timeouts, edits, modes, resume."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from engine_harness import Harness, finish, kinds, start_harness, wait_for

from cockpit.engine.session import AgentSession
from cockpit.events import ApprovalDecided, ApprovalRequested, ModeChanged, ToolFinished
from cockpit.policy.gate import GrantRequest
from cockpit.scripted.scenario import parse_scenario
from cockpit.store.session_file import SessionStore

# Four HIGH writes outside the workspace (into the test's tmp dir): three alike, one not.
OUTSIDE = Path(__file__).parents[1] / "data" / "outside-writes.toml"


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    scenario = parse_scenario(tomllib.loads(OUTSIDE.read_text()), str(OUTSIDE))
    h = await start_harness(tmp_path, {"outside-writes": scenario})
    yield h
    await h.server.stop()


async def _request(session: AgentSession, after: int = 0) -> ApprovalRequested:
    event = await wait_for(session, "approval_requested", after=after)
    assert isinstance(event, ApprovalRequested)
    return event


def _decided(session: AgentSession) -> list[ApprovalDecided]:
    return kinds(list(session.events), "approval_decided")


async def test_a_pattern_grant_covers_the_matching_call_and_not_another(
    harness: Harness, tmp_path: Path
) -> None:
    session = await harness.new_session("outside-writes", interactive=True)
    session.start()
    first = await _request(session)
    assert first.tier == "high" and first.rules
    session.approve(first.request_id, GrantRequest("echo * > ../out-*.txt", exact=False))
    # The second write matches the pattern: no request, decided by the grant.
    third = await _request(session, after=first.seq)
    assert third.input["command"] == "echo three > ../elsewhere.txt"
    session.deny(third.request_id, "not there")
    # The fourth matches again: allowed by the same grant without asking.
    assert await finish(session) == "done"
    decided = _decided(session)
    by = [(d.by, d.decision, d.scope) for d in decided]
    assert by == [
        ("user", "allow", "pattern"),
        ("grant", "allow", "pattern"),
        ("user", "deny", "once"),
        ("grant", "allow", "pattern"),
    ]
    grant = decided[0].grant
    assert grant is not None and grant.max_tier == "high"
    assert decided[1].grant is not None and decided[1].grant.id == grant.id
    assert all(d.rule_ids for d in decided)
    assert (tmp_path / "out-1.txt").read_text() == "one\n"
    assert (tmp_path / "out-2.txt").read_text() == "two\n"
    assert (tmp_path / "out-4.txt").read_text() == "four\n"
    assert not (tmp_path / "elsewhere.txt").exists()


async def test_a_grant_expires_after_its_uses(harness: Harness) -> None:
    session = await harness.new_session("outside-writes", interactive=True)
    session.start()
    first = await _request(session)
    session.approve(first.request_id, GrantRequest("echo * > ../*", exact=False, uses=1))
    # One use covers the second write; the third asks again.
    third = await _request(session, after=first.seq)
    assert third.input["command"].startswith("echo three")
    assert session.grants() == []
    session.approve(third.request_id)
    fourth = await _request(session, after=third.seq)
    session.deny(fourth.request_id)
    await finish(session)
    assert [d.by for d in _decided(session)] == ["user", "grant", "user", "user"]


async def test_a_grant_expires_after_its_time(harness: Harness) -> None:
    session = await harness.new_session("outside-writes", interactive=True)
    session.pause()  # hold the session after the first decision until the grant has expired
    session.start()
    session.resume()
    first = await _request(session)
    session.approve(first.request_id, GrantRequest("echo * > ../*", exact=False, expires_in_s=0.3))
    session.pause()
    await asyncio.sleep(0.5)
    session.resume()
    second = await _request(session, after=first.seq)
    # The first write may have started before the pause; the grant still had time then,
    # but by the next one it is gone.
    assert second.input["command"].startswith(("echo two", "echo three"))
    session.stop()
    await finish(session)


async def test_an_exact_grant_covers_only_the_identical_call(harness: Harness) -> None:
    session = await harness.new_session("outside-writes", interactive=True)
    session.start()
    first = await _request(session)
    session.approve(first.request_id, GrantRequest("echo one > ../out-1.txt", exact=True))
    second = await _request(session, after=first.seq)
    assert second.input["command"] == "echo two > ../out-2.txt"
    session.stop()
    await finish(session)
    assert _decided(session)[0].scope == "session"


async def test_an_unanswered_request_is_denied_after_the_timeout(harness: Harness) -> None:
    session = await harness.new_session("outside-writes", interactive=True, approval_timeout_s=0.2)
    session.start()
    first = await _request(session)
    assert first.deadline is not None and first.deadline > first.ts
    result = await wait_for(session, "tool_finished", after=first.seq)
    assert isinstance(result, ToolFinished) and result.is_error
    assert "nobody answered" in result.content
    session.stop()
    await finish(session)
    assert _decided(session)[0].by == "timeout"


async def test_edit_then_allow_runs_the_edit_and_tells_the_agent(
    harness: Harness, tmp_path: Path
) -> None:
    session = await harness.new_session("outside-writes", interactive=True)
    session.start()
    first = await _request(session)
    session.approve(first.request_id, edited_input={"command": "echo edited > out-1.txt"})
    result = await wait_for(session, "tool_finished", after=first.seq)
    assert isinstance(result, ToolFinished) and not result.is_error
    assert "edited this call" in result.content and "echo edited > out-1.txt" in result.content
    session.stop()
    await finish(session)
    assert (session.workspace / "out-1.txt").read_text() == "edited\n"
    assert not (tmp_path / "out-1.txt").exists()
    decided = _decided(session)[0]
    assert decided.edited_input == {"command": "echo edited > out-1.txt"}
    assert decided.edited_tier == "medium"


async def test_plan_mode_switch_is_an_event_and_the_agent_is_told(harness: Harness) -> None:
    session = await harness.new_session("outside-writes", interactive=True)
    session.start()
    first = await _request(session)
    session.set_mode("plan")
    session.approve(first.request_id)
    assert await finish(session) == "done"
    events = list(session.events)
    changes = kinds(events, "mode_changed")
    assert [(c.previous, c.mode, c.by) for c in changes] == [("ask", "plan", "user")]
    notes = [e for e in kinds(events, "user_message") if e.source == "system"]
    assert notes and "plan mode" in notes[0].text
    # After the switch every mutating call is denied by the policy, without asking.
    later = [d for d in _decided(session) if d.seq > changes[0].seq and d.by != "user"]
    assert later and all(d.decision == "deny" and d.by == "policy" for d in later)
    assert len(kinds(events, "approval_requested")) == 1


async def test_resume_keeps_the_mode_and_the_grants(harness: Harness, tmp_path: Path) -> None:
    session = await harness.new_session("outside-writes", interactive=True)
    session.start()
    first = await _request(session)
    session.approve(first.request_id, GrantRequest("echo * > ../out-*", exact=False, uses=3))
    third = await _request(session, after=first.seq)  # the second used the grant: 2 uses left
    session.set_mode("auto")
    await session.shutdown("test")
    path = session.store.path
    await session.store.close()
    store = await SessionStore.open(path)
    resumed = await AgentSession.from_file(store, session.backend, interactive=True)
    assert resumed.approval_mode == "auto"
    assert [g.uses_left for g in resumed.gate.grants.active()] == [2]
    assert any(isinstance(e, ModeChanged) for e in resumed.events)
    assert third.request_id not in resumed.gate.pending
    await resumed.store.close()
    await session.backend.client.close()


async def test_dry_run_works_on_a_copy_then_applies_all_of_it(harness: Harness) -> None:
    session = await harness.new_session("schema-drift", mode="dry-run")
    real = session.workspace
    before = (real / "pipeline.py").read_text()
    assert await session.wait() == "done"
    # Every edit went to the copy; the real workspace is as it was.
    assert (real / "pipeline.py").read_text() == before
    assert session.tool_context.workspace == session.dry_run_root / "workspace"
    changes = {c.path: c.kind for c in session.dry_run_changes() if c.type != "dir"}
    assert changes.get("pipeline.py") == "modified"
    assert "RENAMED_COLUMNS" in session.dry_run_diff("pipeline.py")
    applied = session.apply_dry_run()
    assert "RENAMED_COLUMNS" in (real / "pipeline.py").read_text()
    assert {c.path for c in applied} >= set(changes)
    assert session.dry_run_changes() == []
    settled = kinds(list(session.events), "dry_run_settled")
    assert settled[-1].action == "apply" and "pipeline.py" in settled[-1].modified
    await finish(session)


async def test_dry_run_apply_refuses_when_the_workspace_changed(harness: Harness) -> None:
    from cockpit.engine.dryrun import ApplyConflict

    session = await harness.new_session("schema-drift", mode="dry-run")
    real = session.workspace
    assert await session.wait() == "done"
    (real / "pipeline.py").write_text("# edited by hand meanwhile\n")
    with pytest.raises(ApplyConflict) as refused:
        session.apply_dry_run()
    assert "pipeline.py" in refused.value.paths and "nothing was applied" in str(refused.value)
    assert (real / "pipeline.py").read_text() == "# edited by hand meanwhile\n"
    assert not kinds(list(session.events), "dry_run_settled")
    await finish(session)


async def test_dry_run_discard_and_leaving_the_mode(harness: Harness) -> None:
    from cockpit.errors import CockpitError

    session = await harness.new_session("schema-drift", mode="dry-run")
    real = session.workspace
    before = (real / "pipeline.py").read_text()
    assert await session.wait() == "done"
    with pytest.raises(CockpitError, match="apply or discard"):
        session.set_mode("ask")
    assert session.approval_mode == "dry-run"
    dropped = session.discard_dry_run()
    assert any(c.path == "pipeline.py" for c in dropped)
    assert (session.tool_context.workspace / "pipeline.py").read_text() == before
    session.set_mode("ask")  # nothing held: back to the real workspace, the copy removed
    assert session.tool_context.workspace == real and not session.dry_run_root.exists()
    assert kinds(list(session.events), "dry_run_settled")[-1].action == "discard"
    await finish(session)


async def test_switching_to_dry_run_mid_session_and_resuming_in_it(harness: Harness) -> None:
    session = await harness.new_session("outside-writes", interactive=True)
    session.set_mode("dry-run")
    session.start()
    first = await _request(session)
    # In the copy the real workspace's files are outside: the write to ../ still asks.
    session.approve(first.request_id, edited_input={"command": "echo copy > out-1.txt"})
    await wait_for(session, "tool_finished", after=first.seq)
    await session.shutdown("test")
    assert not (session.workspace / "out-1.txt").exists()
    path = session.store.path
    await session.store.close()
    store = await SessionStore.open(path)
    resumed = await AgentSession.from_file(store, session.backend, interactive=True)
    assert resumed.in_dry_run and resumed.approval_mode == "dry-run"
    assert [c.path for c in resumed.dry_run_changes()] == ["out-1.txt"]
    await resumed.store.close()
    await session.backend.client.close()
