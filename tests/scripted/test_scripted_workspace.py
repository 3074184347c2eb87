"""The demo workspace is real: its failure is real, its copy is fresh.

Each scenario's end state is checked through the real engine in tests/engine.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cockpit.errors import CockpitError
from cockpit.scripted.workspace import copy_demo_workspace


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
