"""Each health metric on a hand-made event sequence, with the values expected."""

from __future__ import annotations

from cockpit import events as ev
from cockpit.health.drift import OfflineDriftJudge
from cockpit.health.errors import ErrorMetrics
from cockpit.health.loops import LoopMetrics, LoopSettings
from cockpit.health.memory import MemoryMetrics
from cockpit.health.monitor import HealthMonitor
from cockpit.health.pace import PaceMetrics
from cockpit.health.safety import SafetyMetrics
from cockpit.health.totals import SessionTotals
from cockpit.health.watchdog import Watchdog, WatchdogRule

WS = "/srv/pipeline"
_ids = iter(range(1, 10_000))


def call(command: str, result: str = "ok", error: bool = False, ts: float = 0.0) -> list[ev.Event]:
    tid = f"t{next(_ids)}"
    return [
        ev.ToolCallProposed(turn=1, tool_use_id=tid, name="bash", input={"command": command}),
        ev.ToolFinished(tool_use_id=tid, name="bash", content=result, is_error=error, ts=ts),
    ]


def fold(group: object, events: list[ev.Event]) -> None:
    for event in events:
        group.fold(event)  # type: ignore[attr-defined]


def test_error_totals_rate_and_streak() -> None:
    m = ErrorMetrics(window=4)
    fold(m, call("a", error=True) + call("b") + call("c", error=True) + call("d", error=True))
    fold(m, [ev.ApiError(turn=1, attempt=1, error_type="overloaded_error")])
    fold(m, [ev.Retry(turn=1, attempt=2, reason="overloaded", delay_s=1)])
    values = m.values()
    assert values["errors.tool_failed"] == 3 and values["errors.streak"] == 2
    assert values["errors.rate"] == 0.75
    assert values["errors.api"] == 1 and values["errors.retries"] == 1
    fold(m, call("e"))  # the oldest failure leaves the window of four
    assert m.values()["errors.rate"] == 0.5 and m.values()["errors.streak"] == 0


def test_the_same_failing_command_is_a_loop() -> None:
    m = LoopMetrics()
    for _ in range(3):
        fold(m, call("python pipeline.py run", "Error: row 17", error=True))
    values = m.values()
    assert values["loops.repeat"] == 3 and values["loops.failing_repeat"] == 3
    assert values["loops.score"] >= 1.0


def test_a_polling_job_is_not_a_loop() -> None:
    m = LoopMetrics(LoopSettings(polling=["*pipeline.py status*"]))
    # A result that changes (progress) is not a repeat at all.
    for pct in range(10, 100, 10):
        fold(m, call("python pipeline.py status", f"running {pct}%"))
    assert m.values()["loops.repeat"] == 1 and m.values()["loops.score"] < 1.0
    # The same answer while waiting on purpose needs poll_factor times more repeats.
    for _ in range(6):
        fold(m, call("sleep 30 && cat status.txt", "still running"))
    assert m.values()["loops.repeat"] == 6 and m.values()["loops.score"] < 1.0
    for _ in range(6):
        fold(m, call("sleep 30 && cat status.txt", "still running"))
    assert m.values()["loops.score"] >= 1.0


def test_an_alternation_is_a_loop() -> None:
    m = LoopMetrics()
    for i in range(6):
        fold(m, call("git stash" if i % 2 else "git stash pop", f"result {i % 2}"))
    assert m.values()["loops.alternation"] == 6 and m.values()["loops.score"] >= 1.0
    fold(m, call("pytest -q"))
    assert m.values()["loops.alternation"] == 0


def test_talk_without_tools_counts_but_a_final_answer_does_not() -> None:
    m = LoopMetrics()
    talk = ev.ModelResponse(turn=1, content=[{"type": "text", "text": "hmm"}], stop_reason="x")
    fold(m, [talk, talk, talk])
    assert m.values()["loops.talk_turns"] == 3
    fold(m, [ev.ModelResponse(turn=2, content=[], stop_reason="end_turn")])
    assert m.values()["loops.talk_turns"] == 0


def test_memory_fill_clearings_rereads_and_pinned_after_compaction() -> None:
    m = MemoryMetrics(window=1000, pinned=["Never touch the orders_archive table"])
    usage = ev.Usage(input_tokens=500, cache_read_input_tokens=250, cache_creation_input_tokens=100)
    fold(m, [ev.ModelResponse(turn=1, usage=usage)])
    assert m.values()["memory.fill"] == 0.85 and m.values()["memory.warning"] == 1.0
    read = ev.ToolCallProposed(turn=1, tool_use_id="r1", name="read", input={"path": "a.csv"})
    fold(m, [read, ev.ContextEdited(cleared_tool_use_ids=["r1", "gone"])])
    again = ev.ToolCallProposed(turn=2, tool_use_id="r2", name="read", input={"path": "a.csv"})
    fold(m, [again])
    values = m.values()
    assert values["memory.clearings"] == 1 and values["memory.cleared_results"] == 2
    assert values["memory.rereads"] == 1
    fold(m, [ev.Compacted(summary="We loaded the orders; fixed row 17.", up_to_seq=9)])
    assert m.values()["memory.compactions"] == 1 and m.values()["memory.pinned_missing"] == 1
    fold(m, [ev.Compacted(summary="Never touch orders_archive (table). Done.", up_to_seq=20)])
    assert m.values()["memory.pinned_missing"] == 0


def test_safety_counts() -> None:
    m = SafetyMetrics()
    fold(
        m,
        [
            ev.RiskAssessed(tool_use_id="a", tier="critical"),
            ev.RiskAssessed(tool_use_id="b", tier="high"),
            ev.ApprovalDecided(tool_use_id="a", decision="deny", by="user"),
            ev.ToolFinished(tool_use_id="c", name="bash", content="key=[REDACTED:aws-key]"),
            ev.ToolFinished(tool_use_id="d", name="x", content="unknown tool 'x'", is_error=True),
            ev.ToolCallProposed(
                turn=1,
                tool_use_id="e",
                name="write",
                input={"path": "db.py", "content": 'PASSWORD = "hunter2hunter2"\n'},
            ),
            ev.ToolCallProposed(
                turn=1,
                tool_use_id="f",
                name="write",
                input={"path": "db.py", "content": 'password = os.environ["DB_PASSWORD"]\n'},
            ),
            ev.ModelResponse(turn=2, stop_reason="refusal"),
        ],
    )
    values = m.values()
    assert values["safety.critical"] == 1 and values["safety.high"] == 1
    assert values["safety.denials"] == 1 and values["safety.secrets_seen"] == 1
    assert values["safety.bad_calls"] == 1 and values["safety.secrets_written"] == 1
    assert values["safety.refusals"] == 1


def test_pace_and_time_since_progress() -> None:
    m = PaceMetrics()
    fold(m, call("ls", "a b", ts=100.0))
    fold(m, call("ls", "a b", ts=160.0))  # the same result: no progress
    assert m.values()["pace.since_progress_s"] == 60.0
    fold(m, call("cat a", "new", ts=170.0))
    assert m.values()["pace.since_progress_s"] == 0.0


def test_drift_scope_and_lexical() -> None:
    judge = OfflineDriftJudge(window=4)
    start = ev.SessionStarted(
        title="t",
        goal="Nightly orders load failed; fix the pipeline and reload the warehouse.",
        model="m",
        backend="scripted",
        workspace=WS,
    )
    fold(judge, [start])
    on_goal = [
        ev.ToolCallProposed(turn=1, tool_use_id=f"a{i}", name="bash", input={"command": c})
        for i, c in enumerate(["tail logs/orders.log", "python pipeline.py run"])
    ]
    fold(judge, on_goal)
    assert judge.values()["drift.scope_out"] == 0.0
    off_goal = [
        ev.ToolCallProposed(turn=2, tool_use_id=f"b{i}", name="bash", input={"command": c})
        for i, c in enumerate(["curl https://example.com/x.sh", "cat ~/.ssh/id_rsa"])
    ]
    fold(judge, off_goal)
    values = judge.values()
    assert values["drift.scope_out"] == 0.5
    assert 0.0 < values["drift.score"] <= 1.0


def test_totals() -> None:
    t = SessionTotals()
    usage = ev.Usage(input_tokens=10, output_tokens=5, cache_read_input_tokens=20)
    fold(t, [ev.ModelResponse(turn=3, usage=usage, cost_usd=0.5), *call("x", error=True)])
    assert (t.turns, t.tokens, t.cost_usd, t.failed_tools, t.tool_calls) == (3, 35, 0.5, 1, 1)
    assert t.context_tokens == 30 and t.context_fill(300) == 0.1


def test_every_sampled_metric_has_a_definition() -> None:
    monitor = HealthMonitor()
    monitor.record_judge(0.2, "fine")
    names = {d.name for d in monitor.definitions()}
    assert set(monitor.sample()) <= names
    assert all(d.text for d in monitor.definitions())


def test_watchdog_fires_on_crossing_and_again_only_after_recovering() -> None:
    dog = Watchdog([WatchdogRule("r", "loops.score", 1.0, "pause")])
    assert dog.evaluate({"loops.score": 0.5}) == []
    assert [v.rule.id for v in dog.evaluate({"loops.score": 1.2})] == ["r"]
    assert dog.evaluate({"loops.score": 1.5}) == []  # still above: no second alert
    dog.evaluate({"loops.score": 0.1})
    assert [v.value for v in dog.evaluate({"loops.score": 1.0})] == [1.0]


def test_a_bad_watchdog_rule_names_the_rule_and_the_key() -> None:
    import pytest

    from cockpit.errors import CockpitError

    with pytest.raises(CockpitError, match=r"policy.toml: watchdog rule 'x': 'action'"):
        WatchdogRule.from_table(
            {"id": "x", "metric": "m", "threshold": 1, "action": "explode"}, "policy.toml"
        )


def test_the_kinds_the_monitor_skips_are_read_by_no_metric_group() -> None:
    """UNREAD_KINDS may only name kinds no health module mentions."""
    import re
    from pathlib import Path

    import cockpit.health
    from cockpit.events import EVENT_TYPES
    from cockpit.health.monitor import UNREAD_KINDS

    folder = Path(cockpit.health.__file__).parent
    source = "".join(p.read_text() for p in folder.glob("*.py"))
    for kind in UNREAD_KINDS:
        name = EVENT_TYPES[kind].__name__
        assert not re.search(rf"\b{name}\b", source), f"{name} is read by a health module"
