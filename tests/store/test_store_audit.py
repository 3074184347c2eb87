"""The audit chain detects edited, deleted and reordered rows; a SIGKILL loses nothing flushed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cockpit import events as ev
from cockpit.store.session_file import SessionStore


async def _session(path: Path, n: int = 20) -> None:
    store = await SessionStore.create(path)
    for i in range(n):
        store.append(ev.UserMessage(text=f"message {i}"))
    await store.close()


def _tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.close()


async def _verify(path: Path) -> tuple[bool, int | None, str]:
    store = await SessionStore.open(path, readonly=True)
    try:
        r = await store.verify()
    finally:
        await store.close()
    return r.ok, r.first_bad_seq, r.reason


async def test_intact_chain(tmp_path: Path) -> None:
    path = tmp_path / "ok.cockpit"
    await _session(path)
    assert await _verify(path) == (True, None, "20 events, audit chain intact")


async def test_rows_cannot_be_changed_through_sqlite_by_accident(tmp_path: Path) -> None:
    path = tmp_path / "t.cockpit"
    await _session(path)
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET json = '{}' WHERE seq = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM events WHERE seq = 3")
    conn.close()


async def test_edited_row(tmp_path: Path) -> None:
    path = tmp_path / "e.cockpit"
    await _session(path)
    _tamper(path, "UPDATE events SET json = replace(json, 'message 7', 'message X') WHERE seq = 8")
    ok, bad, reason = await _verify(path)
    assert not ok and bad == 8 and "edited" in reason


async def test_edited_row_with_recomputed_hash_breaks_the_next(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "h.cockpit"
    await _session(path)
    conn = sqlite3.connect(path)
    prev = conn.execute("SELECT hash FROM events WHERE seq = 7").fetchone()[0]
    text = conn.execute("SELECT json FROM events WHERE seq = 8").fetchone()[0]
    conn.close()
    forged = text.replace("message 7", "message X")
    digest = hashlib.sha256(prev + forged.encode()).digest()
    _tamper(path, f"UPDATE events SET json = '{forged}', hash = x'{digest.hex()}' WHERE seq = 8")
    ok, bad, _ = await _verify(path)
    assert not ok and bad == 9


async def test_deleted_row(tmp_path: Path) -> None:
    path = tmp_path / "d.cockpit"
    await _session(path)
    _tamper(path, "DELETE FROM events WHERE seq = 5")
    ok, bad, reason = await _verify(path)
    assert not ok and bad == 5 and "missing" in reason


async def test_deleted_last_row(tmp_path: Path) -> None:
    path = tmp_path / "l.cockpit"
    await _session(path)
    _tamper(path, "DELETE FROM events WHERE seq = 20")
    ok, bad, reason = await _verify(path)
    assert not ok and bad == 20 and "ends early" in reason


async def test_reordered_rows(tmp_path: Path) -> None:
    path = tmp_path / "r.cockpit"
    await _session(path)
    _tamper(
        path,
        "UPDATE events SET seq = -1 WHERE seq = 11",
        "UPDATE events SET seq = 11 WHERE seq = 12",
        "UPDATE events SET seq = 12 WHERE seq = -1",
    )
    ok, bad, reason = await _verify(path)
    assert not ok and bad == 11 and "reordered" in reason


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from cockpit import events as ev
    from cockpit.store.session_file import SessionStore

    async def main() -> None:
        store = await SessionStore.create(Path(sys.argv[1]))
        i = 0
        while True:
            for _ in range(97):
                store.append(ev.ToolOutput(tool_use_id="t", text=f"line {i} " * 30))
                i += 1
            await store.flush()
            print(store.next_seq - 1, flush=True)
            for _ in range(50):  # keep appending without flushing: the kill lands mid-write
                store.append(ev.TextDelta(turn=0, block_index=0, text=f"d{i}"))
                i += 1
            await asyncio.sleep(0)

    asyncio.run(main())
    """
)


async def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "crash.cockpit"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    acknowledged = 0
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            acknowledged = int(line)
            if acknowledged >= 20_000:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert acknowledged >= 20_000

    store = await SessionStore.open(path)
    summary = await store.summary()
    assert summary.event_count >= acknowledged
    seqs = [e.seq async for e in store.iter_events()]
    assert seqs == list(range(1, summary.event_count + 1))  # no gap, no partial row
    result = await store.verify()
    assert result.ok, result.reason
    # and the session can go on
    assert store.append(ev.UserMessage(text="resumed")).seq == summary.event_count + 1
    await store.close()
