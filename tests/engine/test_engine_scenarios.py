"""Every shipped scenario runs end to end through the engine; the workspace ends as expected."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from engine_harness import Harness, count, finish, kinds

from cockpit.events import ModelResponse, ToolFinished
from cockpit.scripted.workspace import DEMO_WORKSPACE
from cockpit.store.session_file import SessionStore


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


def _final_text(session: object) -> str:
    responses = [e for e in session.events if isinstance(e, ModelResponse)]  # type: ignore[attr-defined]
    return str(responses[-1].content[0]["text"])


async def test_ingestion_failure(harness: Harness) -> None:
    pristine = _digest(DEMO_WORKSPACE)
    session = await harness.new_session("ingestion-failure")
    assert await finish(session) == "done"
    ws = session.workspace
    assert (ws / "quarantine" / "orders_0412.csv").is_file()
    assert not (ws / "landing" / "orders_0412.csv").exists()
    assert count(ws, "SELECT COUNT(*) FROM orders") == 85
    assert count(ws, "SELECT COUNT(*) FROM loads") == 2
    assert not any(e.is_error for e in kinds(list(session.events), "tool_finished"))
    assert _final_text(session).startswith("Done. Summary")
    assert _digest(DEMO_WORKSPACE) == pristine, "the packaged workspace must never change"
    events = list(session.events)
    # The scenario has a mid-stream overload: retried, and nothing duplicated.
    assert kinds(events, "retry")
    responses = kinds(events, "model_response")
    assert len({r.turn for r in responses}) == len(responses)
    ids = [e.tool_use_id for e in kinds(events, "tool_call_proposed")]
    assert len(ids) == len(set(ids)) == len(kinds(events, "tool_finished"))
    # The session file holds exactly what the session saw, and the chain verifies.
    store = await SessionStore.open(session.store.path, readonly=True)
    stored = [e async for e in store.iter_events()]
    assert [e.seq for e in stored] == [e.seq for e in events]
    assert (await store.verify()).ok
    summary = await store.summary()
    assert summary.status == "done" and summary.output_tokens > 0
    await store.close()


async def test_ingestion_failure_in_plan_mode_asks_instead(harness: Harness) -> None:
    session = await harness.new_session("ingestion-failure", mode="plan")
    assert await finish(session) == "done"
    # Plan mode denies the quarantine move; the scenario's on_denied branch asks the user.
    assert "Which would you prefer?" in _final_text(session)
    assert (session.workspace / "landing" / "orders_0412.csv").is_file()


async def test_schema_drift(harness: Harness) -> None:
    session = await harness.new_session("schema-drift")
    assert await finish(session) == "done"
    ws = session.workspace
    errors = [e for e in kinds(list(session.events), "tool_finished") if e.is_error]
    assert [e.name for e in errors] == ["bash"]  # only the first run, which shows the drift
    assert "missing: cust_id; unexpected: customer_id" in errors[0].content
    assert count(ws, "SELECT COUNT(*) FROM orders") == 127
    assert count(ws, "SELECT COUNT(*) FROM orders WHERE source_file = 'orders_0413.csv'") == 42
    tests = subprocess.run(
        [sys.executable, "-m", "unittest", "discover", "-s", "tests", "-v"],
        cwd=ws,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0 and "Ran 7 tests" in tests.stderr
    assert "test_renamed_customer_column_is_mapped" in tests.stderr


async def test_rogue_action_headless_denies_and_recovers(harness: Harness) -> None:
    session = await harness.new_session("rogue-action")
    assert await finish(session) == "done"
    events = list(session.events)
    denied = [e for e in kinds(events, "approval_decided") if e.decision == "deny"]
    assert len(denied) == 3 and {e.by for e in denied} == {"headless"}
    tiers = {e.tier for e in kinds(events, "risk_assessed")}
    assert "critical" in tiers
    ws = session.workspace
    assert len(list((ws / "archive").glob("*.csv"))) == 40
    assert (ws / "archive-2025Q1.tar.gz").stat().st_size > 0
    assert (ws / "warehouse.db.bak").is_file()
    assert (ws / "ops" / "cron-orders-pipeline.txt").is_file()
    failed = [e for e in kinds(events, "tool_finished") if e.is_error]
    assert all(e.content.startswith("Permission denied") for e in failed)


async def test_rogue_action_yes_mode_still_denies_critical(harness: Harness) -> None:
    session = await harness.new_session("rogue-action", mode="yes")
    assert await finish(session) == "done"
    assert (session.workspace / "archive").is_dir()  # rm -rf archive/ is CRITICAL
    denied = [e for e in kinds(list(session.events), "approval_decided") if e.decision == "deny"]
    assert denied and all("--yes-critical" in e.message for e in denied)


async def test_rogue_action_yes_critical_lets_it_happen(harness: Harness) -> None:
    session = await harness.new_session("rogue-action", mode="yes", yes_critical=True)
    assert await finish(session) == "done"
    assert not (session.workspace / "archive").exists()


async def test_loop_the_watchdog_stops_a_headless_run_within_four_turns(
    harness: Harness,
) -> None:
    session = await harness.new_session("loop")
    assert await finish(session) == "stopped"
    events = list(session.events)
    alerts = kinds(events, "watchdog_alert")
    assert alerts and alerts[0].rule == "loop.pause" and alerts[0].action == "pause"
    samples = kinds(events, "health_sample")
    assert samples and samples[-1].metrics["loops.failing_repeat"] >= 3
    # The alert came after at most four runs of the same failing command.
    before = [e for e in events if e.seq < alerts[0].seq]
    assert 3 <= len(kinds(before, "tool_call_proposed")) <= 4
    assert "watchdog" in session.end_reason and "loop.pause" in session.end_reason
    reader = await SessionStore.open(session.store.path, readonly=True)
    stored = [e async for e in reader.iter_events()]
    await reader.close()
    assert kinds(stored, "watchdog_alert") and kinds(stored, "health_sample")


async def test_loop_the_watchdog_pauses_and_a_steer_continues(harness: Harness) -> None:
    import asyncio

    session = await harness.new_session("loop", interactive=True)
    task = session.start()
    for _ in range(400):
        await asyncio.sleep(0.01)
        if session.status == "paused":
            break
    assert session.status == "paused"
    paused = kinds(list(session.events), "paused")[-1]
    assert paused.by == "watchdog" and "repeated" in paused.suggested_steer
    turns = session._conv.assistant_turns
    session.steer(paused.suggested_steer)
    session.resume()
    for _ in range(400):
        await asyncio.sleep(0.01)
        if session._conv.assistant_turns > turns and session.status == "paused":
            break
    # It went on (the steer is in the conversation), and the watchdog watches again.
    assert session._conv.assistant_turns > turns
    assert kinds(list(session.events), "steered")
    assert session.status == "paused"
    session.stop()
    assert await task == "stopped"


async def test_long_run_clears_context_and_uses_memory(harness: Harness) -> None:
    session = await harness.new_session("long-run")
    assert await finish(session) == "done"
    events = list(session.events)
    responses = [e for e in events if isinstance(e, ModelResponse)]
    assert len(responses) >= 300
    results = [e for e in events if isinstance(e, ToolFinished)]
    assert not [e for e in results if e.is_error], [e for e in results if e.is_error][:1]
    # Without clearing, the tool output alone would overflow a 200k-token window.
    assert sum(len(e.content) for e in results) // 4 > 200_000
    edits = kinds(events, "context_edited")
    assert edits, "a 300-turn run must clear old tool results"
    peak = max(r.usage.context_tokens for r in responses)
    assert peak < 200_000, f"context overflowed the window: {peak}"
    cleared = {i for e in edits for i in e.cleared_tool_use_ids}
    # Cleared content stays in the store: the full tool output is still in the event.
    full = [e for e in events if isinstance(e, ToolFinished) and e.tool_use_id in cleared]
    assert full and all(e.content and "cleared" not in e.content for e in full)
    memory_ops = [e for e in kinds(events, "tool_finished") if e.name == "memory"]
    assert len(memory_ops) >= 10
    memory_files = await _memory_files(session)
    assert memory_files
    assert count(session.workspace, "SELECT COUNT(*) FROM orders") == 85 + 40 * 150
    assert (session.workspace / "reports" / "backfill.md").is_file()


async def _memory_files(session: object) -> list[tuple[str, int]]:
    from cockpit.engine.session import AgentSession

    assert isinstance(session, AgentSession)
    store = await SessionStore.open(session.store.path, readonly=True)
    try:
        return await store.memory.list("/memories")
    finally:
        await store.close()


async def test_a_spend_cap_stops_the_session(harness: Harness) -> None:
    session = await harness.new_session("ingestion-failure", max_cost_usd=0.0001)
    assert await finish(session) == "stopped"
    alerts = kinds(list(session.events), "watchdog_alert")
    assert [a.rule for a in alerts] == ["cost.cap"] and alerts[0].action == "stop"
    assert alerts[0].value >= 0.0001
    started = kinds(list(session.events), "session_started")[0]
    assert started.max_cost_usd == 0.0001  # in the chain, so a resume keeps the cap
