"""A real version-1 file (schema N-1) opens with the current code and is upgraded in place."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import pytest

from cockpit import events as ev
from cockpit.store import schema
from cockpit.store.session_file import GENESIS_HASH, SessionStore, read_summary

from .helpers import one_of_each


def _write_v1(path: Path) -> list[ev.EventBase]:
    """A session file exactly as version 1 of the schema wrote it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.executescript(schema.DDL_V1)
    conn.execute("PRAGMA user_version = 1")
    created = time.time() - 60
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)", [("session_id", "old-1"), ("created", repr(created))]
    )
    prev = GENESIS_HASH
    stored = []
    for seq, event in enumerate(one_of_each(), start=1):
        e = event.model_copy(update={"session_id": "old-1", "seq": seq})
        data = ev.canonical_json(e)
        prev = hashlib.sha256(prev + data).digest()
        conn.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?)", (seq, e.kind, e.ts, data.decode(), prev)
        )
        stored.append(e)
    conn.execute("INSERT INTO memory_files VALUES ('/memories/a.md', 'hi', 2, 0)")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return stored


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


async def test_readonly_open_of_v1_does_not_migrate(tmp_path: Path) -> None:
    path = tmp_path / "v1.cockpit"
    stored = _write_v1(path)
    summary = await read_summary(path)  # computed from the events, file untouched
    assert summary.schema_version == 1 and summary.event_count == len(stored)
    assert summary.title == "Fix ingest" and summary.status == "done"
    store = await SessionStore.open(path, readonly=True)
    assert [e async for e in store.iter_events()] == stored
    assert (await store.verify()).ok
    await store.close()
    assert _user_version(path) == 1


async def test_migrates_v1_to_current(tmp_path: Path) -> None:
    path = tmp_path / "v1.cockpit"
    stored = _write_v1(path)
    store = await SessionStore.open(path)
    assert store.session_id == "old-1"
    assert store.schema_version == schema.SCHEMA_VERSION
    assert [e async for e in store.iter_events()] == stored
    s = await store.summary()
    assert (s.title, s.model, s.status, s.event_count) == (
        "Fix ingest",
        "claude-sonnet-4-5",
        "done",
        len(stored),
    )
    assert (s.input_tokens, s.output_tokens) == (1000, 50)
    assert s.cost_usd == pytest.approx(0.0125)
    assert s.last_activity == pytest.approx(stored[-1].ts)
    assert await store.memory.read("/memories/a.md") == "hi"
    new = store.append(ev.UserMessage(text="after the upgrade"))
    assert new.seq == len(stored) + 1
    result = await store.verify()
    assert result.ok and result.checked == len(stored) + 1
    await store.close()
    assert _user_version(path) == schema.SCHEMA_VERSION
    assert (await read_summary(path)).event_count == len(stored) + 1


async def test_failed_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "v1.cockpit"
    _write_v1(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE summary (x)")  # makes step 2 fail half-way
    conn.close()
    from cockpit.errors import CockpitError

    with pytest.raises(CockpitError, match="could not be upgraded"):
        await SessionStore.open(path)
    assert _user_version(path) == 1
    conn = sqlite3.connect(path)
    triggers = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='trigger'").fetchone()
    conn.close()
    assert triggers[0] == 0  # the whole migration rolled back


def _write_v2(path: Path) -> list[ev.EventBase]:
    """A version-2 file: v1 plus the summary table of version 2, its row as v2 wrote it."""
    stored = _write_v1(path)
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in schema._statements(schema.DDL_V2_STEP):
        conn.execute(statement)
    conn.execute(
        "INSERT INTO summary (id, title, status, event_count, last_seq, errors) "
        "VALUES (1, 'Fix ingest', 'done', ?, ?, 7)",
        (len(stored), len(stored)),
    )
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    return stored


def test_the_summary_table_has_exactly_the_models_columns(tmp_path: Path) -> None:
    from cockpit.store.summary import SummaryState

    conn = sqlite3.connect(tmp_path / "fresh.cockpit", isolation_level=None)
    schema.create_schema(conn)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(summary)")]
    conn.close()
    assert columns[0] == "id"
    assert sorted(columns[1:]) == sorted(SummaryState.columns())


async def test_a_version_2_file_migrates_and_its_summary_is_recomputed(tmp_path: Path) -> None:
    path = tmp_path / "v2.cockpit"
    stored = _write_v2(path)
    listed = await read_summary(path)  # read-only: replayed, file untouched
    assert listed.schema_version == 2 and _user_version(path) == 2
    store = await SessionStore.open(path)
    await store.close()
    assert _user_version(path) == schema.SCHEMA_VERSION
    summary = await read_summary(path)
    assert summary.event_count == len(stored) and summary.title == "Fix ingest"
    assert summary.failed_tools == listed.failed_tools
    assert summary.api_errors == listed.api_errors
    assert summary.tokens == listed.tokens and summary.tokens > 0


async def test_a_summary_value_of_the_wrong_type_is_one_clear_error(tmp_path: Path) -> None:
    from cockpit.errors import CockpitError

    path = tmp_path / "s.cockpit"
    store = await SessionStore.create(path, "s-1")
    await store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE summary SET turns = 'many' WHERE id = 1")
    conn.close()
    with pytest.raises(CockpitError, match="'turns'"):
        await read_summary(path)
