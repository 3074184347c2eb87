"""Events that cannot be read give one sentence and exit 2, never a traceback or a hang."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit import events as ev
from cockpit.store.session_file import SessionStore


async def _session(path: Path, workspace: Path) -> str:
    store = await SessionStore.create(path)
    store.append(
        ev.SessionStarted(
            title="t",
            goal="g",
            model="m",
            backend="scripted",
            workspace=str(workspace),
            scenario="loop",
        )
    )
    store.append(ev.UserMessage(text="g", source="goal"))
    sid = store.session_id
    await store.close()
    return sid


def _append_row(path: Path, data: bytes, kind: str) -> None:
    """Append a row with a correct chain hash (as a newer Cockpit, or a damaged copy, would)."""
    conn = sqlite3.connect(path, isolation_level=None)
    seq, prev = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    digest = hashlib.sha256(prev + data).digest()
    conn.execute(
        "INSERT INTO events VALUES (?, ?, 1.0, ?, ?)",
        (seq + 1, kind, data.decode("utf-8", "replace"), digest),
    )
    conn.execute(
        "UPDATE summary SET event_count = event_count + 1, last_seq = ?, last_hash = ?",
        (seq + 1, digest),
    )
    conn.close()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args],
        capture_output=True,
        text=True,
        timeout=30,  # a hang fails the test instead of the suite
        cwd=cwd,
    )


@pytest.mark.parametrize("case", ["unknown-kind", "bad-json", "wrong-fields"])
async def test_resume_and_export_of_an_unreadable_event(tmp_path: Path, case: str) -> None:
    path = tmp_path / "s.cockpit"
    sid = await _session(path, tmp_path)
    fields = {"session_id": sid, "seq": 3, "ts": 1.0}
    if case == "unknown-kind":
        data, kind = json.dumps({**fields, "kind": "from_the_future"}).encode(), "from_the_future"
    elif case == "bad-json":
        data, kind = b'{"kind": "user_message", "text": ', "user_message"
    else:
        data, kind = (
            json.dumps({**fields, "kind": "user_message", "txt": 1}).encode(),
            "user_message",
        )
    _append_row(path, data, kind)
    before = path.read_bytes()
    for args in (["resume", str(path)], ["export", str(path), "--format", "md"]):
        proc = _cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr[-1500:])
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("cockpit: ") and proc.stderr.count("\n") == 1
        assert "event 3" in proc.stderr or "audit check" in proc.stderr
    assert path.read_bytes() == before


async def test_export_never_writes_over_a_session_file(tmp_path: Path) -> None:
    path = tmp_path / "s.cockpit"
    await _session(path, tmp_path)
    other = tmp_path / "other.cockpit"
    shutil.copy(path, other)
    before = other.read_bytes()
    for target in (path, tmp_path / "." / "s.cockpit", other):
        proc = _cli("export", str(path), "-o", str(target), cwd=tmp_path)
        assert proc.returncode == 2 and "is a session file" in proc.stderr
    assert other.read_bytes() == before
    ok = _cli("export", str(path), "-o", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    assert ok.returncode == 0 and (tmp_path / "out.jsonl").read_text().count("\n") == 2
