"""Bad input: each case is one clear CockpitError, and the file's bytes are never changed."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from cockpit import events as ev
from cockpit.errors import CockpitError
from cockpit.store import schema
from cockpit.store.session_file import SessionStore, read_summary


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _no_sidecars(path: Path) -> bool:
    return not Path(f"{path}-wal").exists() and not Path(f"{path}-journal").exists()


async def _make_session(path: Path, n: int = 200) -> None:
    store = await SessionStore.create(path)
    for i in range(n):
        store.append(ev.ToolOutput(tool_use_id="t", text=f"row {i} " * 20))
    await store.close()


async def _assert_rejected(path: Path, *words: str, readonly_too: bool = True) -> str:
    before = _fingerprint(path)
    modes = (False, True) if readonly_too else (False,)
    message = ""
    for readonly in modes:
        with pytest.raises(CockpitError) as info:
            await SessionStore.open(path, readonly=readonly)
        message = str(info.value)
        assert "\n" not in message and str(path) in message
        for word in words:
            assert word in message
    with pytest.raises(CockpitError):
        await read_summary(path)
    assert _fingerprint(path) == before
    return message


async def test_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.cockpit"
    path.write_text("just some text, definitely not a database\n" * 10)
    await _assert_rejected(path, "not an SQLite database")
    assert _no_sidecars(path) and not Path(f"{path}-shm").exists()


async def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.cockpit"
    path.write_bytes(b"")
    await _assert_rejected(path, "empty")


async def test_sqlite_of_another_application(tmp_path: Path) -> None:
    path = tmp_path / "other.cockpit"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('ada')")
    conn.commit()
    conn.close()
    await _assert_rejected(path, "another application")
    assert _no_sidecars(path) and not Path(f"{path}-shm").exists()


async def test_sqlite_with_our_id_but_no_cockpit_tables(tmp_path: Path) -> None:
    path = tmp_path / "fake.cockpit"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("CREATE TABLE stuff (x)")
    conn.commit()
    conn.close()
    await _assert_rejected(path, "another application")


async def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.cockpit"
    await _make_session(path)
    data = path.read_bytes()
    assert _no_sidecars(path)
    path.write_bytes(data[: len(data) // 2])
    await _assert_rejected(path, "truncated or corrupt")
    path.write_bytes(data[:60])  # not even a whole header
    await _assert_rejected(path, "truncated or corrupt")


async def test_corrupt_pages(tmp_path: Path) -> None:
    path = tmp_path / "bad.cockpit"
    await _make_session(path)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = os.urandom(len(data) - page)  # keep page 1 (header, schema), garble the rest
    path.write_bytes(bytes(data))
    await _assert_rejected(path, "damaged")


async def test_newer_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "future.cockpit"
    await _make_session(path, 5)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    message = await _assert_rejected(path, "newer Cockpit", "upgrade")
    assert str(schema.SCHEMA_VERSION + 1) in message


async def test_missing_file_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CockpitError, match="no session file"):
        await SessionStore.open(tmp_path / "nope.cockpit")
    with pytest.raises(CockpitError, match="does not exist"):
        await SessionStore.create(tmp_path / "missing" / "s.cockpit")
    assert not (tmp_path / "missing").exists()


async def test_create_refuses_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "s.cockpit"
    await _make_session(path, 3)
    before = _fingerprint(path)
    with pytest.raises(CockpitError, match="already exists"):
        await SessionStore.create(path)
    assert _fingerprint(path) == before


async def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "s.cockpit"
    await _make_session(path, 5)
    before = _fingerprint(path)
    folder.chmod(0o555)
    try:
        with pytest.raises(CockpitError, match="read-only"):
            await SessionStore.create(folder / "new.cockpit")
        with pytest.raises(CockpitError, match="read-only"):
            await SessionStore.open(path)
        assert not (folder / "new.cockpit").exists()
        # read-only access still works: export, verify, ls
        store = await SessionStore.open(path, readonly=True)
        assert (await store.verify()).ok
        await store.close()
    finally:
        folder.chmod(0o755)
    assert _fingerprint(path) == before


async def test_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "s.cockpit"
    await _make_session(path, 5)
    path.chmod(0o444)
    try:
        with pytest.raises(CockpitError, match="read-only"):
            await SessionStore.open(path)
        assert (await read_summary(path)).event_count == 5
    finally:
        path.chmod(0o644)


async def test_folder_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CockpitError, match="not a folder"):
        await SessionStore.create(blocker / "s.cockpit")


async def test_one_writer_at_a_time(tmp_path: Path) -> None:
    from cockpit.store.session_file import SessionStore, session_in_use

    path = tmp_path / "live.cockpit"
    store = await SessionStore.create(path)
    assert session_in_use(path)
    with pytest.raises(CockpitError, match="another Cockpit process"):
        await SessionStore.open(path)
    reader = await SessionStore.open(path, readonly=True)  # reading a live session is fine
    await reader.close()
    await store.close()
    assert not session_in_use(path)
    again = await SessionStore.open(path)
    await again.close()


def test_ls_shows_a_dead_running_session_as_interrupted(tmp_path: Path) -> None:
    import asyncio

    from cockpit.cli.sessions import render_ls
    from cockpit.events import SessionStarted
    from cockpit.store.session_file import SessionStore

    async def make() -> None:
        store = await SessionStore.create(tmp_path / "dead.cockpit")
        store.append(
            SessionStarted(title="t", goal="g", model="m", backend="scripted", workspace="/w")
        )
        await store.close()  # no session_ended: the process "died"

    asyncio.run(make())
    import io

    out = io.StringIO()
    render_ls(tmp_path, width=160, file=out)
    assert "│ interrupted" in out.getvalue() and "│ running" not in out.getvalue()

    async def reopen_and_list() -> str:
        store = await SessionStore.open(tmp_path / "dead.cockpit")  # live again
        try:
            live = io.StringIO()
            render_ls(tmp_path, width=160, file=live)
            return live.getvalue()
        finally:
            await store.close()

    assert "│ running" in asyncio.run(reopen_and_list())
