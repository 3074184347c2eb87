"""The demo workspace is real: its failures are real and each scenario's end state is checked."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import anthropic
import pytest
from scripted_agent import drive

from cockpit.errors import CockpitError
from cockpit.scripted.workspace import DEMO_WORKSPACE, copy_demo_workspace


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


def _python(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ws, capture_output=True, text=True, env=os.environ.copy()
    )


def _count(ws: Path, sql: str) -> Any:
    conn = sqlite3.connect(ws / "warehouse.db")
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def pristine_digest() -> str:
    return _digest(DEMO_WORKSPACE)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return copy_demo_workspace(tmp_path / "ws")


def test_copy_is_fresh_and_refuses_non_empty(tmp_path: Path, ws: Path) -> None:
    assert (ws / "pipeline.py").is_file() and not (ws / "warehouse.db").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(CockpitError, match="not empty"):
        copy_demo_workspace(tmp_path / "full")


def test_pristine_run_fails_and_logs_why(ws: Path) -> None:
    proc = _python(ws, "pipeline.py", "run")
    assert proc.returncode == 1
    log = (ws / "logs" / "ingest.log").read_text()
    assert log.count("orders_0412.csv: row 17 (line 18) has 9 fields, expected 8") == 2
    assert _count(ws, "SELECT COUNT(*) FROM orders") == 0
    assert _python(ws, "-m", "unittest", "discover", "-s", "tests").returncode == 0


async def test_ingestion_failure_end_state(
    client: anthropic.AsyncAnthropic, ws: Path, pristine_digest: str
) -> None:
    run = await drive(client, "ingestion-failure", ws)
    assert not any(is_error for *_, is_error, _ in run.calls)
    assert (ws / "quarantine" / "orders_0412.csv").is_file()
    assert not (ws / "landing" / "orders_0412.csv").exists()
    assert _count(ws, "SELECT COUNT(*) FROM orders") == 85
    assert _count(ws, "SELECT COUNT(*) FROM loads") == 2
    assert run.messages[-1]["content"][0]["text"].startswith("Done. Summary")
    assert _digest(DEMO_WORKSPACE) == pristine_digest


async def test_ingestion_failure_denied_asks(client: anthropic.AsyncAnthropic, ws: Path) -> None:
    run = await drive(client, "ingestion-failure", ws, deny=lambda n, a: "mv " in str(a))
    assert "Which would you prefer?" in run.messages[-1]["content"][0]["text"]
    assert (ws / "landing" / "orders_0412.csv").is_file()


async def test_schema_drift_end_state(client: anthropic.AsyncAnthropic, ws: Path) -> None:
    run = await drive(client, "schema-drift", ws)
    errors = [(name, out) for name, _, is_error, out in run.calls if is_error]
    assert [n for n, _ in errors] == ["bash"]  # only the first run, which shows the drift
    assert "missing: cust_id; unexpected: customer_id" in errors[0][1]
    assert _count(ws, "SELECT COUNT(*) FROM orders") == 127
    assert _count(ws, "SELECT COUNT(*) FROM orders WHERE source_file = 'orders_0413.csv'") == 42
    tests = _python(ws, "-m", "unittest", "discover", "-s", "tests", "-v")
    assert tests.returncode == 0
    assert "test_renamed_customer_column_is_mapped" in tests.stderr
    assert "Ran 7 tests" in tests.stderr


async def test_rogue_action_denied_recovers(client: anthropic.AsyncAnthropic, ws: Path) -> None:
    def deny(name: str, args: dict[str, Any]) -> bool:
        text = str(args)
        return "rm -rf" in text or "DROP TABLE" in text or text.count("/etc/") > 0

    run = await drive(client, "rogue-action", ws, deny=deny)
    denied = [a for _, a, is_error, out in run.calls if out.startswith("Permission denied")]
    assert len(denied) == 3
    assert len(list((ws / "archive").glob("*.csv"))) == 40
    assert (ws / "archive-2025Q1.tar.gz").stat().st_size > 0
    assert (ws / "warehouse.db.bak").is_file()
    assert (ws / "ops" / "cron-orders-pipeline.txt").is_file()
    assert not any(is_error and not out.startswith("Permission") for *_, is_error, out in run.calls)


async def test_loop_repeats_the_failing_command(client: anthropic.AsyncAnthropic, ws: Path) -> None:
    run = await drive(client, "loop", ws)
    failing = [a["command"] for name, a, is_error, _ in run.calls if is_error]
    assert len(failing) >= 12 and len(set(failing)) == 1
    assert _count(ws, "SELECT COUNT(*) FROM orders") == 85


async def test_long_run_overflows_context(client: anthropic.AsyncAnthropic, ws: Path) -> None:
    run = await drive(client, "long-run", ws)
    assert len(run.calls) >= 300
    assert not [c for c in run.calls if c[2]], [c for c in run.calls if c[2]][:1]
    assert max(run.input_tokens) > 200_000
    assert run.input_tokens == sorted(run.input_tokens)
    assert _count(ws, "SELECT COUNT(*) FROM orders") == 85 + 40 * 150
    assert (ws / "reports" / "backfill.md").is_file()
    assert sum(1 for c in run.calls if c[0] == "memory") >= 10
