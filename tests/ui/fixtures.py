"""Deterministic event sequences for UI tests and snapshots (data-pipeline runs)."""

from __future__ import annotations

from typing import Any

from cockpit.events import (
    ApiError,
    ApprovalRequested,
    Event,
    HealthSample,
    ModelRequest,
    ModelResponse,
    Retry,
    RiskAssessed,
    SessionEnded,
    SessionStarted,
    TextDelta,
    Thinking,
    ToolCallProposed,
    ToolFinished,
    ToolOutput,
    ToolStarted,
    Usage,
    UserMessage,
)

T0 = 1_760_000_000.0


class Script:
    """Builds a session's events with a fake clock (every event 0.4 s after the previous)."""

    def __init__(self, session_id: str, t0: float = T0) -> None:
        self.session_id = session_id
        self.ts = t0
        self.events: list[Event] = []
        self.turn = 0
        self._tool = 0

    def add(self, cls: type[Any], dt: float = 0.4, **fields: Any) -> Any:
        self.ts += dt
        event = cls(session_id=self.session_id, seq=len(self.events) + 1, ts=self.ts, **fields)
        self.events.append(event)
        return event

    def start(self, title: str, goal: str, scenario: str) -> None:
        self.add(
            SessionStarted,
            dt=0,
            title=title,
            goal=goal,
            model="claude-sonnet-4-5",
            backend="scripted",
            scenario=scenario,
            workspace="/tmp/cockpit-demo",
        )
        self.add(UserMessage, text=goal, source="goal")

    def say(
        self,
        text: str,
        thinking: str = "",
        tools: list[tuple[str, dict[str, Any]]] | None = None,
        chunk: int = 24,
        context: int = 4_000,
    ) -> list[str]:
        """One model turn: streamed text (many deltas), then the full response; returns tool ids."""
        self.turn += 1
        self.add(ModelRequest, turn=self.turn, message_count=2 * self.turn - 1, max_tokens=8192)
        content: list[dict[str, Any]] = []
        index = 0
        if thinking:
            self.add(Thinking, turn=self.turn, block_index=0, text=thinking)
            content.append({"type": "thinking", "thinking": thinking, "signature": "sig"})
            index = 1
        for i in range(0, len(text), chunk):
            self.add(
                TextDelta, dt=0.05, turn=self.turn, block_index=index, text=text[i : i + chunk]
            )
        content.append({"type": "text", "text": text})
        ids: list[str] = []
        for name, data in tools or []:
            self._tool += 1
            tool_id = f"toolu_{self.session_id}_{self._tool:02d}"
            ids.append(tool_id)
            content.append({"type": "tool_use", "id": tool_id, "name": name, "input": data})
        self.add(
            ModelResponse,
            turn=self.turn,
            message_id=f"msg_{self.turn}",
            model="claude-sonnet-4-5",
            content=content,
            stop_reason="tool_use" if tools else "end_turn",
            usage=Usage(input_tokens=context, output_tokens=len(text) // 4 + 40),
            cost_usd=0.004 * self.turn,
            duration_ms=2400,
        )
        for tool_id, (name, data) in zip(ids, tools or [], strict=True):
            self.add(ToolCallProposed, turn=self.turn, tool_use_id=tool_id, name=name, input=data)
        return ids

    def assess(self, tool_id: str, tier: str, reasons: list[str] | None = None) -> None:
        self.add(
            RiskAssessed,
            tool_use_id=tool_id,
            tier=tier,
            reasons=reasons or [],
            mutating=tier != "low",
        )

    def run(
        self,
        tool_id: str,
        name: str,
        output: str,
        exit_code: int | None = 0,
        finish: bool = True,
    ) -> None:
        self.add(ToolStarted, tool_use_id=tool_id, name=name)
        lines = output.splitlines(keepends=True)
        for i in range(0, len(lines), 4):
            self.add(ToolOutput, dt=0.1, tool_use_id=tool_id, text="".join(lines[i : i + 4]))
        if finish:
            self.add(
                ToolFinished,
                tool_use_id=tool_id,
                name=name,
                content=output,
                is_error=bool(exit_code),
                exit_code=exit_code,
                duration_ms=1234 if exit_code is not None else 80,
            )

    def ask(
        self, tool_id: str, name: str, data: dict[str, Any], tier: str, reasons: list[str]
    ) -> str:
        request_id = f"req_{tool_id}"
        self.add(
            ApprovalRequested,
            tool_use_id=tool_id,
            request_id=request_id,
            tier=tier,
            name=name,
            input=data,
            summary=str(data.get("command", data.get("path", ""))),
            reasons=reasons,
        )
        return request_id


INGEST_LOG = """\
2025-10-09 02:00:01 INFO  ingest: starting nightly load (landing/ -> warehouse.db)
2025-10-09 02:00:01 INFO  ingest: found 4 files in landing/ (orders_0409 .. orders_0412)
2025-10-09 02:00:02 INFO  ingest: orders_0409.csv loaded (1,204 rows)
2025-10-09 02:00:02 INFO  ingest: orders_0410.csv loaded (1,187 rows)
2025-10-09 02:00:03 INFO  ingest: orders_0411.csv loaded (1,311 rows)
2025-10-09 02:00:03 ERROR ingest: orders_0412.csv line 17: expected 8 fields, saw 9
2025-10-09 02:00:03 ERROR ingest: load aborted; transaction rolled back
Traceback (most recent call last):
  File "pipeline.py", line 88, in load_file
    rows = list(reader)
csv.Error: line 17: expected 8 fields, saw 9
"""

CSV_HEAD = """\
order_id,customer_id,sku,qty,unit_price,currency,ordered_at,status
41201,C-1881,SKU-204,2,19.90,EUR,2025-04-12T08:14:00,paid
41202,C-0042,SKU-771,1,249.00,EUR,2025-04-12T08:15:12,paid
41217,C-3310,SKU-118,3,7.50,EUR,2025-04-12 09:02:44,paid,"gift, wrapped"
"""

RM_DATA = {"command": "rm -rf data/"}


def health(turn: int, fill: float, drift: float) -> dict[str, float]:
    """A health sample's metrics, as the engine records them after a turn."""
    return {
        "turns": turn,
        "drift.score": drift,
        "errors.streak": 0,
        "loops.score": 0.0,
        "memory.fill": fill,
        "safety.critical": 0,
        "cost.usd": 0.02 * turn,
    }


def ingestion_failure(until_approval: bool = False) -> list[Event]:
    """Nightly load failed: read the log, inspect the file, then ask to wipe data/ (critical)."""
    s = Script("ingest")
    s.start(
        "ingestion-failure",
        "Nightly load failed; find out why and get the warehouse loaded.",
        "ingestion-failure",
    )
    (log,) = s.say(
        "I'll start with the ingestion log to see where the nightly load stopped.",
        tools=[("bash", {"command": "tail -n 30 logs/ingest.log"})],
    )
    s.assess(log, "low")
    s.run(log, "bash", INGEST_LOG)
    s.add(HealthSample, turn=1, metrics=health(1, fill=0.04, drift=0.1))
    (head,) = s.say(
        "The load aborted on **orders_0412.csv**, line 17: 9 fields where the header has 8.\n\n"
        "Let me look at that file.",
        thinking="Row 17 has an extra field. Probably an unquoted comma in a free-text column. "
        "I should look at the raw line before deciding what to do.",
        tools=[("bash", {"command": "head -n 20 landing/orders_0412.csv"})],
        context=9_000,
    )
    s.assess(head, "low")
    s.run(head, "bash", CSV_HEAD)
    s.add(HealthSample, turn=2, metrics=health(2, fill=0.07, drift=0.45))
    (rm,) = s.say(
        "## Diagnosis\n\n"
        "Order `41217` carries an extra, unquoted field (`gift, wrapped`). The other three files "
        "loaded, but the transaction was rolled back, so:\n\n"
        "- the warehouse has **no** rows for 04-09 .. 04-12\n"
        "- `data/` still holds the partial staging tables\n\n"
        "I'll clear the staging folder and re-run the load without the bad file.",
        tools=[("bash", RM_DATA)],
        context=14_000,
    )
    reasons = ["rm -rf on a broad path (data/)", "deletes the staging tables of the warehouse"]
    s.assess(rm, "critical", reasons)
    s.ask(rm, "bash", RM_DATA, "critical", reasons)
    if until_approval:
        return s.events
    # What the recording did next (played after the user decides).
    s.run(rm, "bash", "", exit_code=0)
    (run,) = s.say(
        "Staging cleared. Re-running the pipeline with orders_0412.csv quarantined.",
        tools=[("bash", {"command": "python pipeline.py run --skip orders_0412.csv"})],
    )
    s.assess(run, "medium")
    s.run(run, "bash", "loaded 3 files, 3,702 rows\n")
    s.say("The warehouse is loaded (3,702 rows). `orders_0412.csv` needs a fix upstream.")
    s.add(SessionEnded, status="done", turns=s.turn)
    return s.events


TRANSFORM_OLD = (
    'def transform(row):\n    return {"customer": row["customer_id"], "qty": int(row["qty"])}\n'
)
TRANSFORM_NEW = (
    'def transform(row):\n    customer = row.get("customer_id") or row["client_id"]\n'
    '    return {"customer": customer, "qty": int(row["qty"])}\n'
)


def schema_drift(running: bool = True) -> list[Event]:
    """An upstream column was renamed; the agent edits the transform and runs the tests."""
    s = Script("drift", t0=T0 + 30)
    s.start(
        "schema-drift",
        "Upstream renamed a column; adapt the transform and keep the tests green.",
        "schema-drift",
    )
    (grep,) = s.say(
        "The failing test says `KeyError: 'customer_id'`. Searching for the column.",
        tools=[("grep", {"pattern": "customer_id", "path": "."})],
    )
    s.assess(grep, "low")
    s.run(
        grep,
        "grep",
        'pipeline/transform.py:2:    return {"customer": row["customer_id"], ...}\n'
        'tests/test_transform.py:9:    assert out["customer"] == row["customer_id"]\n',
    )
    (edit,) = s.say(
        "Upstream now sends `client_id`. I'll accept both names:\n\n"
        '```python\ncustomer = row.get("customer_id") or row["client_id"]\n```',
        tools=[
            (
                "edit_file",
                {
                    "path": "pipeline/transform.py",
                    "old_str": TRANSFORM_OLD,
                    "new_str": TRANSFORM_NEW,
                },
            )
        ],
        context=21_000,
    )
    s.assess(edit, "medium")
    s.run(edit, "edit_file", "Edited pipeline/transform.py (+2 -1)")
    (test,) = s.say("Running the test suite.", tools=[("bash", {"command": "pytest -q tests/"})])
    s.assess(test, "medium")
    s.run(test, "bash", "..........                       [100%]\n", finish=not running)
    if not running:
        s.say("All 10 tests pass with the renamed column.")
        s.add(SessionEnded, status="done", turns=s.turn)
    return s.events


def rogue_action() -> list[Event]:
    """An overloaded API mid-stream, a retry, then a DROP TABLE that waits for approval."""
    s = Script("rogue", t0=T0 + 60)
    s.start(
        "rogue-action",
        "Free disk space on the warehouse host.",
        "rogue-action",
    )
    s.turn += 1
    s.add(ModelRequest, turn=1, message_count=1, max_tokens=8192)
    s.add(TextDelta, turn=1, block_index=0, text="Checking which tables take the most")
    s.add(
        ApiError,
        turn=1,
        attempt=1,
        error_type="overloaded_error",
        status=529,
        message="Overloaded",
        will_retry=True,
    )
    s.add(Retry, turn=1, attempt=2, reason="overloaded_error", delay_s=2.0)
    s.turn -= 1
    (du,) = s.say(
        "Checking which tables take the most space.",
        tools=[
            (
                "bash",
                {"command": "sqlite3 warehouse.db 'SELECT name, SUM(pgsize) FROM dbstat'"},
            )
        ],
    )
    s.assess(du, "low")
    s.run(du, "bash", "orders_archive|2147483648\norders|73400320\ncustomers|1048576\n")
    drop = {"command": "sqlite3 warehouse.db 'DROP TABLE orders_archive'"}
    (rm,) = s.say(
        "`orders_archive` holds 2 GB. Dropping it frees the space.", tools=[("bash", drop)]
    )
    reasons = ["destructive SQL: DROP TABLE", "no backup of orders_archive exists"]
    s.assess(rm, "critical", reasons)
    s.ask(rm, "bash", drop, "critical", reasons)
    return s.events


def all_sessions() -> list[list[Event]]:
    return [ingestion_failure(), schema_drift(), rogue_action()]


def last_ts(events: list[Event]) -> float:
    return max(e.ts for e in events)


def long_run(n_events: int) -> list[Event]:
    """A long session of about `n_events` events (repeated read/fix turns)."""
    s = Script("long")
    s.start("long-run", "Keep the warehouse healthy overnight.", "long-run")
    i = 0
    while len(s.events) < n_events:
        i += 1
        text = (
            f"Pass {i}: checking the next partition.\n\n"
            f"- partition `p{i:05d}` has **{i * 7 % 1000}** rows\n- nothing unusual"
        )
        (tool,) = s.say(text, tools=[("bash", {"command": f"wc -l landing/p{i:05d}.csv"})])
        s.assess(tool, "low")
        s.run(tool, "bash", f"{i * 7 % 1000} landing/p{i:05d}.csv\n" * 6)
    return s.events
