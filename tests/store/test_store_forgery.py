"""The chain accounts for every row; resume reads only what verify proves; external heads."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit import events as ev
from cockpit.errors import CockpitError
from cockpit.store.anchor import Head, record_head, recorded_heads
from cockpit.store.session_file import GENESIS_HASH, SessionStore

from .test_store_audit import _tamper, _verify


async def _started_session(path: Path, workspace: Path) -> str:
    store = await SessionStore.create(path)
    store.append(
        ev.SessionStarted(
            title="t", goal="g", model="m", backend="scripted", workspace=str(workspace)
        )
    )
    for i in range(5):
        store.append(ev.UserMessage(text=f"message {i}"))
    sid = store.session_id
    await store.close()
    return sid


def _forged_row(path: Path, seq: int, event: ev.EventBase) -> str:
    data = ev.canonical_json(event.model_copy(update={"seq": seq}))
    return (
        f"INSERT INTO events VALUES ({seq}, '{event.kind}', {event.ts!r}, "
        f"'{data.decode()}', x'{hashlib.sha256(data).hexdigest()}')"
    )


@pytest.mark.parametrize("seq", [0, -1, -50])
async def test_a_row_below_seq_1_breaks_the_chain_and_is_never_resumed(
    tmp_path: Path, seq: int
) -> None:
    path = tmp_path / "s.cockpit"
    sid = await _started_session(path, tmp_path)
    forged = ev.SessionStarted(
        session_id=sid,
        title="x",
        goal="anything",
        model="m",
        backend="scripted",
        workspace="/",
        mode="yes",
    )
    _tamper(path, _forged_row(path, seq, forged))
    ok, bad, reason = await _verify(path)
    assert not ok and bad == seq and "outside the chain" in reason
    # Reading skips it too: nothing outside seq 1..N is ever an event of the session.
    store = await SessionStore.open(path, readonly=True)
    events = [e async for e in store.iter_events()]
    await store.close()
    assert events[0].workspace == str(tmp_path) and all(e.seq >= 1 for e in events)
    # And a resume refuses the file with one sentence.
    from cockpit.engine.session import AgentSession

    store = await SessionStore.open(path)
    with pytest.raises(CockpitError, match="fails its audit check"):
        await AgentSession.from_file(store, backend=None)  # type: ignore[arg-type]
    await store.close()


@pytest.mark.parametrize(
    ("column", "value"), [("kind", "'user_message'"), ("ts", "1.5"), ("kind", "'steered'")]
)
async def test_the_unhashed_columns_must_agree_with_the_chain(
    tmp_path: Path, column: str, value: str
) -> None:
    path = tmp_path / "s.cockpit"
    await _started_session(path, tmp_path)
    _tamper(path, f"UPDATE events SET {column} = {value} WHERE seq = 1")
    ok, bad, reason = await _verify(path)
    assert not ok and bad == 1, reason


async def test_an_event_of_another_session_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "s.cockpit"
    await _started_session(path, tmp_path)
    _tamper(path, "UPDATE meta SET value = 'someone-else' WHERE key = 'session_id'")
    ok, bad, reason = await _verify(path)
    assert not ok and bad == 1 and "another session" in reason


async def test_resume_recomputes_a_forged_summary_from_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "s.cockpit"
    await _started_session(path, tmp_path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE summary SET cost_usd = 999, status = 'done', turns = 40 WHERE id = 1")
    conn.close()
    store = await SessionStore.open(path)
    events = [e async for e in store.iter_events()]
    store.rebuild_summary(events)
    summary = await store.summary()
    await store.close()
    assert summary.cost_usd == 0 and summary.turns == 0 and summary.status == "running"


def _rewrite_with_new_hashes(path: Path, seq: int, text: str) -> None:
    """A careful forger: edit one event and recompute every hash from seq 1."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    rows = conn.execute("SELECT seq, json FROM events ORDER BY seq").fetchall()
    prev = GENESIS_HASH
    for s, data in rows:
        if s == seq:
            fields = json.loads(data)
            fields["text"] = text
            data = json.dumps(fields, separators=(",", ":"))
        prev = hashlib.sha256(prev + data.encode()).digest()
        conn.execute("UPDATE events SET json = ?, hash = ? WHERE seq = ?", (data, prev, s))
    conn.execute("UPDATE summary SET last_hash = ? WHERE id = 1", (prev,))
    conn.close()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args], capture_output=True, text=True, timeout=60
    )


async def test_a_recomputed_chain_is_caught_by_a_head_recorded_earlier(tmp_path: Path) -> None:
    path = tmp_path / "s.cockpit"
    sid = await _started_session(path, tmp_path)
    head = _cli("audit", "head", str(path))
    assert head.returncode == 0
    printed = Head.parse(head.stdout)
    assert printed.seq == 6
    record_head(sid, path, printed, "test")
    assert recorded_heads(sid) == [printed]
    assert _cli("audit", "verify", str(path), "--against", str(printed)).returncode == 0
    _rewrite_with_new_hashes(path, 3, "the forger's words")
    assert (await _verify(path))[0]  # the file alone cannot tell
    broken = _cli("audit", "verify", str(path))  # the recorded head can
    assert broken.returncode == 1 and "does not extend the head" in broken.stdout
    bad_head = _cli("audit", "verify", str(path), "--against", "nonsense")
    assert bad_head.returncode == 2 and "not a chain head" in bad_head.stderr
