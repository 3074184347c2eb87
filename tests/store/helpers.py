"""Sample events of every kind, shared by the store tests."""

from __future__ import annotations

from cockpit import events as ev


def one_of_each() -> list[ev.EventBase]:
    """One plausible instance of every class in EVENT_TYPES, in a session-like order."""
    t = "toolu_01"
    samples: list[ev.EventBase] = [
        ev.SessionStarted(
            title="Fix ingest",
            goal="Make the orders ingestion pass again",
            model="claude-sonnet-4-5",
            backend="scripted",
            scenario="schema-drift",
            workspace="/tmp/ws",
            tools=[{"name": "bash", "input_schema": {"type": "object"}}],
            prompt_version="p1",
            policy_version="q1",
        ),
        ev.UserMessage(text="Please fix it", source="goal"),
        ev.ModelRequest(turn=1, message_count=1, max_tokens=8192),
        ev.Thinking(turn=1, block_index=0, text="The schema drifted.", signature="sig=="),
        ev.TextDelta(turn=1, block_index=1, text="Let me look at the log. "),
        ev.ToolCallProposed(turn=1, tool_use_id=t, name="bash", input={"command": "ls -la"}),
        ev.RiskAssessed(tool_use_id=t, tier="low", reasons=["read-only"], rules=["ls"]),
        ev.ApprovalRequested(
            tool_use_id=t, request_id="r1", tier="high", name="bash", input={"command": "rm x"}
        ),
        ev.ApprovalDecided(tool_use_id=t, request_id="r1", decision="allow", by="user", how="y"),
        ev.ModeChanged(mode="plan", previous="ask", by="user"),
        ev.GrantRevoked(grant_id="grant_1"),
        ev.DryRunSettled(action="apply", added=["a.txt"], modified=["b.txt"]),
        ev.CheckpointCreated(checkpoint_id="c1", tool_use_id=t, files=3, bytes=120),
        ev.ToolStarted(tool_use_id=t, name="bash"),
        ev.ToolOutput(tool_use_id=t, text="total 3\n-rw-r--r-- a.csv\n", stream="stdout"),
        ev.ToolFinished(tool_use_id=t, name="bash", content="total 3", exit_code=0, duration_ms=5),
        ev.ModelResponse(
            turn=1,
            message_id="msg_1",
            model="claude-sonnet-4-5",
            content=[{"type": "text", "text": "Let me look at the log."}],
            stop_reason="tool_use",
            usage=ev.Usage(input_tokens=1000, output_tokens=50, cache_read_input_tokens=200),
            cost_usd=0.0125,
        ),
        ev.ApiError(turn=2, attempt=1, error_type="overloaded_error", status=529, will_retry=True),
        ev.Retry(turn=2, attempt=2, reason="overloaded", delay_s=1.5),
        ev.Rollback(checkpoint_id="c1", to_seq=9, restored_files=1),
        ev.ContextEdited(cleared_tool_use_ids=[t], tokens_before=5000, tokens_after=3000),
        ev.Compacted(summary="So far: found the drift.", up_to_seq=10, tokens_before=9000),
        ev.MemoryOp(command="create", path="/memories/notes.md"),
        ev.HealthSample(turn=2, metrics={"tool_error_rate": 0.1, "tokens_per_turn": 1050.0}),
        ev.WatchdogAlert(metric="loop", value=3, threshold=2, action="pause", message="looping"),
        ev.Paused(reason="watchdog", by="watchdog", suggested_steer="try another approach"),
        ev.Steered(text="Check the schema file first"),
        ev.Resumed(by="user"),
        ev.SessionEnded(status="done", reason="goal met", turns=2),
    ]
    assert {type(e) for e in samples} == set(ev.EVENT_TYPES.values())
    return samples
