"""SessionStore: one session in one SQLite file — batched writer, audit chain, memory, blobs."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import re
import sqlite3
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import aiosqlite

from cockpit import __version__
from cockpit.errors import CockpitError
from cockpit.events import EVENT_KINDS, Event, EventBase, parse_event
from cockpit.store import schema
from cockpit.store.redact import Redactor, default_redactor
from cockpit.store.summary import SessionSummary, SummaryState

GENESIS_HASH = bytes(32)
READ_CHUNK = 1000
MAX_BATCH = 20_000
_INSERT_EVENT = "INSERT INTO events (seq, kind, ts, json, hash) VALUES (?, ?, ?, ?, ?)"
_KIND_MARK = b'"kind":"'


# The head of every event's canonical JSON (pydantic writes EventBase's fields first, then
# `kind`): matched at the start, it cannot be imitated by text further in the event.
_HEAD = re.compile(
    rb'\{"session_id":"([^"\\]*)","seq":(-?[0-9]+),"ts":([-+.eE0-9]+),'
    rb'"prompt_version":"[^"\\]*","policy_version":"[^"\\]*","kind":"([a-z_]+)"'
)


def _row_mismatch(seq: int, kind: str, ts: float, data: bytes, session_id: str) -> str:
    """Why a row's unhashed columns disagree with its hashed JSON ('' when they agree)."""
    head = _HEAD.match(data)
    if head is not None:  # the fast path: no JSON parse
        if int(head.group(2)) != seq:
            return f"event {seq} says it is event {int(head.group(2))}"
        if head.group(4).decode() != kind:
            return f"event {seq}'s kind column ({kind}) differs from the chained event"
        if float(head.group(3)) != ts:
            return f"event {seq}'s time column differs from the chained event"
        if session_id and head.group(1).decode() != session_id:
            return f"event {seq} belongs to another session"
        return ""
    try:
        fields = json.loads(data)
    except ValueError:
        return f"event {seq} is not valid JSON"
    if not isinstance(fields, dict):
        return f"event {seq} is not an event"
    if fields.get("seq") != seq:
        return f"event {seq} says it is event {fields.get('seq')}"
    if fields.get("kind") != kind:
        return f"event {seq}'s kind column ({kind}) differs from the chained event"
    if fields.get("ts") != ts:
        return f"event {seq}'s time column differs from the chained event"
    if session_id and fields.get("session_id") != session_id:
        return f"event {seq} belongs to another session"
    return ""


class VerifyResult(NamedTuple):
    """Outcome of checking the audit chain."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str


# A queued event: (seq, kind, ts, canonical JSON, the stamped event).
_Pending = tuple[int, str, float, bytes, Event]


def _canonical(event: EventBase) -> bytes:
    """Exactly `cockpit.events.canonical_json(event)` (model_dump_json), minus a decode/encode."""
    return event.__pydantic_serializer__.to_json(event)


def memory_digest(files: Iterable[tuple[str, str]]) -> str:
    """sha256 over (path, text) pairs in path order: the memory state a memory_op records."""
    digest = hashlib.sha256()
    for path, text in sorted(files):
        digest.update(json.dumps([path, text]).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?mode={mode}"


def _read_uri(path: Path) -> tuple[str, bool]:
    """(URI, query_only needed) for a connection that only reads and leaves nothing behind.

    A read-only connection to a WAL database creates -wal and -shm and cannot remove them.
    When the file is closed cleanly (no -wal: no writer, nothing to checkpoint) and may be
    written, a read-write connection with query_only on reads the same and, as the last
    connection, removes what it created. Otherwise the file is read as it was found.
    """
    clean = not Path(str(path) + "-wal").exists()
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    return (_uri(path, "rw"), True) if clean and writable else (_uri(path, "ro"), False)


def _read_connect(path: Path) -> sqlite3.Connection:
    uri, query_only = _read_uri(path)
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    if query_only:
        conn.execute("PRAGMA query_only = ON")
    return conn


def _damaged(path: Path, exc: BaseException) -> CockpitError:
    return CockpitError(f"{path} is damaged ({_reason(exc)}); restore it from a backup.")


def _reason(exc: BaseException) -> str:
    """SQLite's message, short and printable: never the damaged row's bytes themselves."""
    text = str(exc).split(" with text ", 1)[0]  # "Could not decode ... with text '<bytes>'"
    first = text.splitlines()[0] if text.strip() else ""
    shown = "".join(ch if ch.isprintable() else "?" for ch in first)
    return shown[:160] or type(exc).__name__


def _inspect(path: Path, *, readonly: bool) -> int:
    """Validate an existing file without writing to it; migrate it unless `readonly`.

    Returns the schema version the file has afterwards.
    """
    schema.check_existing_file(path, readonly=readonly)
    try:
        conn = _read_connect(path)
    except sqlite3.Error as exc:
        raise CockpitError(f"{path} cannot be opened ({exc}); check the path.") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from None
    finally:
        conn.close()
    if app_id != schema.APPLICATION_ID or not {"meta", "events"} <= tables or version < 1:
        raise CockpitError(
            f"{path} is an SQLite database of another application, not a Cockpit session; "
            "give the path of a .cockpit file."
        )
    if version > schema.SCHEMA_VERSION:
        raise CockpitError(
            f"{path} was written by a newer Cockpit (schema version {version}, this one knows "
            f"{schema.SCHEMA_VERSION}); upgrade Cockpit to open it."
        )
    if version < schema.SCHEMA_VERSION and not readonly:
        conn = sqlite3.connect(str(path), isolation_level=None)
        try:
            schema.migrate(conn, version)
        except sqlite3.DatabaseError as exc:
            raise CockpitError(
                f"{path} could not be upgraded to schema version {schema.SCHEMA_VERSION} "
                f"({exc}); nothing was changed, restore it from a backup."
            ) from None
        finally:
            conn.close()
        version = schema.SCHEMA_VERSION
    return version


def _commit_events(
    conn: sqlite3.Connection,
    rows: list[tuple[int, str, float, str, bytes]],
    summary_sql: str,
    summary_row: tuple[Any, ...],
) -> None:
    """One transaction: the batch of events and the updated summary row (connection thread)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(_INSERT_EVENT, rows)
        conn.execute(summary_sql, summary_row)
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


async def _run_in_connection(db: aiosqlite.Connection, fn: Any, *args: Any) -> Any:
    """Run `fn(sqlite3_connection, *args)` on the aiosqlite thread: one round trip per batch.

    Uses aiosqlite's queueing method (`_execute`, which all its public calls go through);
    falls back to one public call per statement if that ever disappears.
    """
    execute = getattr(db, "_execute", None)
    conn = getattr(db, "_connection", None)
    if execute is not None and isinstance(conn, sqlite3.Connection):
        return await execute(fn, conn, *args)
    rows, summary_sql, summary_row = args
    await db.execute("BEGIN IMMEDIATE")
    try:
        await db.executemany(_INSERT_EVENT, rows)
        await db.execute(summary_sql, summary_row)
        await db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            await db.execute("ROLLBACK")
        raise
    return None


def _create_file(path: Path, session_id: str, created: float) -> None:
    schema.check_new_path(path)
    try:
        conn = sqlite3.connect(str(path), isolation_level=None)
    except sqlite3.Error as exc:
        raise CockpitError(f"{path} cannot be created ({exc}); check the folder.") from None
    try:
        conn.execute("BEGIN")
        schema.create_schema(conn)
        conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [
                ("session_id", session_id),
                ("created", repr(created)),
                ("cockpit_version", __version__),
            ],
        )
        state = SummaryState(created=created)
        conn.execute(state.insert_sql(), state.row())
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as exc:
        conn.close()
        for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise CockpitError(f"{path} cannot be created ({exc}); check the folder.") from None
    conn.close()


def _summary_from_conn(conn: sqlite3.Connection, path: Path) -> SessionSummary:
    """The summary of an open file (replays the events only for a file of an older version)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    session_id = str(meta.get("session_id", ""))
    if version >= schema.SCHEMA_VERSION:
        row = conn.execute(SummaryState.select_sql()).fetchone()
        columns = SummaryState.columns()
        state = (
            SummaryState.from_row(dict(zip(columns, row, strict=True)), path)
            if row
            else SummaryState()
        )
    else:
        state = SummaryState(created=float(meta.get("created", 0.0)))
        cursor = conn.execute("SELECT json FROM events ORDER BY seq")
        while rows := cursor.fetchmany(READ_CHUNK):
            for (text,) in rows:
                state.apply_json(text)
    return state.to_summary(session_id, path, version)


def read_summary_sync(path: Path) -> SessionSummary:
    """The summary row of a session file, read-only (the `cockpit ls` code path)."""
    version = _inspect(path, readonly=True)
    del version
    conn = _read_connect(path)
    try:
        return _summary_from_conn(conn, path)
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from None
    finally:
        conn.close()


def list_sessions(folder: Path) -> tuple[list[SessionSummary], list[tuple[Path, str]]]:
    """(summaries newest first, [(file, problem)]) for every *.cockpit file in `folder`."""
    from cockpit.store.schema import SUFFIX

    if not folder.exists():
        raise CockpitError(
            f"The sessions folder {folder} does not exist; run a session first or pass another "
            "folder."
        )
    if not folder.is_dir():
        raise CockpitError(f"{folder} is not a folder; pass the folder that holds .cockpit files.")
    summaries: list[SessionSummary] = []
    problems: list[tuple[Path, str]] = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            summaries.append(read_summary_sync(path))
        except CockpitError as exc:
            problems.append((path, str(exc)))
    summaries.sort(key=lambda s: s.last_activity, reverse=True)
    return summaries, problems


async def read_summary(path: Path) -> SessionSummary:
    """The summary of a session file without reading its events (fast, for `cockpit ls`)."""
    return await asyncio.to_thread(read_summary_sync, Path(path))


class StoreMemory:
    """The agent's memory files (Anthropic memory tool backend), kept in the session file."""

    def __init__(self, store: SessionStore) -> None:
        self._store = store

    async def read(self, path: str) -> str | None:
        row = await self._store._fetchone("SELECT text FROM memory_files WHERE path = ?", (path,))
        return None if row is None else str(row[0])

    async def write(self, path: str, text: str) -> None:
        text = self._store._redactor.redact(text)
        size = len(text.encode("utf-8", "surrogateescape"))
        await self._store._write(
            [
                (
                    "INSERT OR REPLACE INTO memory_files (path, text, size, updated) "
                    "VALUES (?, ?, ?, ?)",
                    (path, text, size, time.time()),
                )
            ]
        )

    async def digest(self) -> str:
        """sha256 of every memory file (path and text), as MemoryOp.state records it."""
        rows = await self._store._fetchall("SELECT path, text FROM memory_files ORDER BY path", ())
        return memory_digest((str(p), str(t)) for p, t in rows)

    async def delete(self, path: str) -> bool:
        """Delete one file, or everything under a directory prefix. False when nothing matched."""
        base = path.rstrip("/")
        lo, hi = base + "/", base + "0"  # "0" sorts right after "/"
        changed = await self._store._write(
            [
                (
                    "DELETE FROM memory_files "
                    "WHERE path = ? OR path = ? OR (path >= ? AND path < ?)",
                    (path, base, lo, hi),
                )
            ]
        )
        return changed > 0

    async def rename(self, old: str, new: str) -> bool:
        """Rename a file or a directory prefix. False when `old` is missing or `new` exists."""
        if await self.read(new) is not None or await self.list(new):
            return False
        if await self.read(old) is not None:
            changed = await self._store._write(
                [
                    (
                        "UPDATE memory_files SET path = ?, updated = ? WHERE path = ?",
                        (new, time.time(), old),
                    )
                ]
            )
            return changed > 0
        entries = await self.list(old)
        if not entries:
            return False
        base_old, base_new = old.rstrip("/"), new.rstrip("/")
        now = time.time()
        statements: list[tuple[str, tuple[Any, ...]]] = [
            (
                "UPDATE memory_files SET path = ?, updated = ? WHERE path = ?",
                (base_new + p[len(base_old) :], now, p),
            )
            for p, _size in entries
        ]
        return await self._store._write(statements) > 0

    async def list(self, prefix: str) -> list[tuple[str, int]]:
        """(path, size in bytes) of every file at or under `prefix`, sorted by path."""
        base = prefix.rstrip("/")
        if not base:
            rows = await self._store._fetchall(
                "SELECT path, size FROM memory_files ORDER BY path", ()
            )
        else:
            rows = await self._store._fetchall(
                "SELECT path, size FROM memory_files "
                "WHERE path = ? OR (path >= ? AND path < ?) ORDER BY path",
                (base, base + "/", base + "0"),
            )
        return [(str(p), int(s)) for p, s in rows]


class SessionStore:
    """One session file. Writes go through a single batched writer task; reads stream."""

    path: Path
    session_id: str
    memory: StoreMemory

    def __init__(self, path: Path, session_id: str, *, readonly: bool) -> None:
        self.path = path
        self.session_id = session_id
        self.readonly = readonly
        # (events, head hash) of the last successful verify().
        self.verified_head: tuple[int, bytes] | None = None
        self.memory = StoreMemory(self)
        self.schema_version = schema.SCHEMA_VERSION
        self._redactor: Redactor = default_redactor()
        self._writer_db: aiosqlite.Connection | None = None
        self._reader_db: aiosqlite.Connection | None = None
        self._lock_fd: int | None = None
        self._write_lock = asyncio.Lock()
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._writer_task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self._closing = False
        self._closed = False
        self._next_seq = 1
        self._committed_seq = 0
        self._prev_hash = GENESIS_HASH
        self._state = SummaryState()

    # --- opening and closing ---------------------------------------------------------------

    @classmethod
    async def create(cls, path: Path, session_id: str | None = None) -> SessionStore:
        """Create a new session file; CockpitError if it exists or the folder is unusable."""
        path = Path(path)
        sid = session_id or uuid.uuid4().hex
        await asyncio.to_thread(_create_file, path, sid, time.time())
        return await cls._connect(path, readonly=False)

    @classmethod
    async def open(cls, path: Path, *, readonly: bool = False) -> SessionStore:
        """Open an existing file (validated first, upgraded unless `readonly`)."""
        path = Path(path)
        await asyncio.to_thread(_inspect, path, readonly=readonly)
        return await cls._connect(path, readonly=readonly)

    @classmethod
    async def _connect(cls, path: Path, *, readonly: bool) -> SessionStore:
        store = cls(path, "", readonly=readonly)
        try:
            if readonly:
                uri, query_only = _read_uri(path)
                store._reader_db = await aiosqlite.connect(uri, uri=True, isolation_level=None)
                if query_only:
                    await store._reader_db.execute("PRAGMA query_only = ON")
            else:
                store._lock_fd = _take_writer_lock(path)
                writer = await aiosqlite.connect(str(path), isolation_level=None)
                store._writer_db = writer
                await writer.execute("PRAGMA journal_mode = WAL")
                await writer.execute("PRAGMA synchronous = NORMAL")
                await writer.execute("PRAGMA foreign_keys = ON")
                await writer.execute("PRAGMA busy_timeout = 5000")
                store._reader_db = await aiosqlite.connect(str(path), isolation_level=None)
                await store._reader_db.execute("PRAGMA query_only = ON")
            reader = store._reader_db
            await reader.execute("PRAGMA foreign_keys = ON")
            await store._load_state()
        except sqlite3.DatabaseError as exc:
            await store._close_connections()
            raise _damaged(path, exc) from None
        except BaseException:
            await store._close_connections()
            raise
        if not readonly:
            store._writer_task = asyncio.create_task(store._writer(), name=f"store:{path.name}")
        return store

    async def _load_state(self) -> None:
        assert self._reader_db is not None
        rows = await self._fetchall("SELECT key, value FROM meta", ())
        meta = {str(k): str(v) for k, v in rows}
        self.session_id = meta.get("session_id", "")
        version_row = await self._fetchone("PRAGMA user_version", ())
        self.schema_version = int(version_row[0]) if version_row else 0
        last = await self._fetchone("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", ())
        if last is not None:
            self._next_seq = int(last[0]) + 1
            self._committed_seq = int(last[0])
            self._prev_hash = bytes(last[1])
        if self.schema_version >= schema.SCHEMA_VERSION:
            row = await self._fetchone(SummaryState.select_sql(), ())
            columns = SummaryState.columns()
            self._state = (
                SummaryState.from_row(dict(zip(columns, row, strict=True)), self.path)
                if row
                else SummaryState()
            )
        else:  # read-only view of an older file: replay to get the summary
            state = SummaryState(created=float(meta.get("created", 0.0)))
            async for event in self.iter_events():
                state.apply(event)
            self._state = state

    async def close(self) -> None:
        """Flush everything appended, stop the writer and close the file."""
        if self._closed:
            return
        self._closing = True
        try:
            if self._writer_task is not None:
                self._wake.set()
                await self._writer_task
        finally:
            self._closed = True
            await self._close_connections()
        if self._failure is not None:
            raise self._failure_error()

    async def _close_connections(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None
        for conn in (self._writer_db, self._reader_db):
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
        self._writer_db = self._reader_db = None

    async def __aenter__(self) -> SessionStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- appending -------------------------------------------------------------------------

    @property
    def next_seq(self) -> int:
        return self._next_seq

    def check_writable(self) -> None:
        """Raise the CockpitError `append` would raise, before doing what it should record."""
        if self.readonly:
            raise CockpitError(f"{self.path} was opened read-only; events cannot be appended.")
        if self._failure is not None:
            raise self._failure_error()
        if self._closing:
            raise CockpitError(f"{self.path} is closed; events cannot be appended.")

    def append(self, event: EventBase) -> Event:
        """Stamp, redact and queue one event; never waits for the disk."""
        self.check_writable()
        seq = self._next_seq
        stamped: Any = _stamp(event, self.session_id, seq)
        data = _canonical(stamped)
        start = data.find(_KIND_MARK)
        redacted = self._redactor.redact_bytes(data, max(start, 0))
        if redacted is not None:
            stamped = self._reparse(redacted, stamped)
            data = _canonical(stamped)
        self._next_seq = seq + 1
        self._pending.append((seq, stamped.kind, stamped.ts, data, stamped))
        self._wake.set()
        result: Event = stamped
        return result

    def _reparse(self, redacted: bytes, original: EventBase) -> EventBase:
        try:
            return parse_event(redacted)
        except ValueError:
            # The redaction crossed JSON structure: redact each string value instead.
            data = _redact_strings(original.model_dump(mode="json"), self._redactor)
            return type(original).model_validate(data)

    async def flush(self) -> None:
        """Return once everything appended so far is committed."""
        if self.readonly:
            return
        target = self._next_seq - 1
        if self._failure is not None:
            raise self._failure_error()
        if self._committed_seq >= target:
            return
        if self._writer_task is None or self._writer_task.done():
            raise CockpitError(f"{self.path} is closed; pending events cannot be written.")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        self._wake.set()
        await future

    def _failure_error(self) -> CockpitError:
        if isinstance(self._failure, CockpitError):
            return self._failure
        return CockpitError(
            f"Writing to {self.path} failed ({self._failure}); check free disk space and "
            "permissions, then resume the session."
        )

    async def _writer(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._pending:
                    batch = self._pending[:MAX_BATCH]
                    del self._pending[:MAX_BATCH]
                    await self._write_batch(batch)
                    self._committed_seq = batch[-1][0]
                    self._release_waiters()
                if self._closing:
                    return
        except BaseException as exc:
            self._failure = exc
            error = self._failure_error()
            for _target, future in self._waiters:
                if not future.done():
                    future.set_exception(error)
            self._waiters.clear()
            if isinstance(exc, asyncio.CancelledError):
                raise

    def _release_waiters(self) -> None:
        done = self._committed_seq
        keep: list[tuple[int, asyncio.Future[None]]] = []
        for target, future in self._waiters:
            if target <= done:
                if not future.done():
                    future.set_result(None)
            else:
                keep.append((target, future))
        self._waiters = keep

    async def _write_batch(self, batch: list[_Pending]) -> None:
        db = self._writer_db
        assert db is not None
        sha256 = hashlib.sha256
        prev = self._prev_hash
        state = self._state
        fold = state.fold_status
        last_ts = state.last_activity
        rows: list[tuple[int, str, float, str, bytes]] = []
        add_row = rows.append
        for seq, kind, ts, data, event in batch:
            prev = sha256(prev + data).digest()
            add_row((seq, kind, ts, data.decode(), prev))
            if ts > last_ts:
                last_ts = ts
            fold(event)
        state.event_count += len(batch)
        state.last_seq = batch[-1][0]
        state.last_activity = last_ts
        state.last_hash = prev
        async with self._write_lock:
            await _run_in_connection(db, _commit_events, rows, state.insert_sql(), state.row())
        self._prev_hash = prev

    # --- other writes and reads ------------------------------------------------------------

    async def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> int:
        """Run some statements in one transaction on the writer connection; rows changed."""
        if self.readonly:
            raise CockpitError(f"{self.path} was opened read-only; it cannot be changed.")
        db = self._writer_db
        if db is None:
            raise CockpitError(f"{self.path} is closed.")
        changed = 0
        async with self._write_lock:
            await db.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    cursor = await db.execute(sql, params)
                    changed += max(cursor.rowcount, 0)
                await db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    await db.execute("ROLLBACK")
                raise
        return changed

    def _reader(self) -> aiosqlite.Connection:
        if self._reader_db is None:
            raise CockpitError(f"{self.path} is closed.")
        return self._reader_db

    async def _fetchone(self, sql: str, params: tuple[Any, ...]) -> Any:
        try:
            async with self._reader().execute(sql, params) as cursor:
                return await cursor.fetchone()
        except sqlite3.DatabaseError as exc:
            raise _damaged(self.path, exc) from None

    async def _fetchall(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        try:
            async with self._reader().execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.DatabaseError as exc:
            raise _damaged(self.path, exc) from None

    async def iter_events(
        self,
        start_seq: int = 0,
        end_seq: int | None = None,
        kinds: Collection[str] | None = None,
    ) -> AsyncIterator[Event]:
        """Events with start_seq <= seq <= end_seq (and of `kinds`), in order, in chunks."""
        await self.flush()  # what was appended is readable
        # Only the chain's rows (seq 1..N): a row planted outside it is never read.
        where = ["seq > ?"]
        params: list[Any] = [max(start_seq, 1) - 1]
        if end_seq is not None:
            where.append("seq <= ?")
            params.append(end_seq)
        if kinds is not None:
            kinds = list(kinds)
            if not kinds:
                return
            where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            params.extend(kinds)
        sql = f"SELECT seq, json FROM events WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?"
        while True:
            rows = await self._fetchall(sql, (*params, READ_CHUNK))
            for seq, text in rows:
                yield self._parse(seq, text)
            if len(rows) < READ_CHUNK:
                return
            params[0] = rows[-1][0]

    def _parse(self, seq: int, text: str) -> Event:
        """One stored event; one that cannot be read is a CockpitError naming it."""
        try:
            return parse_event(text)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            kind = ""
            with contextlib.suppress(ValueError, AttributeError):
                kind = str(json.loads(text).get("kind", ""))
            known = kind in EVENT_KINDS
            why = (
                f"its kind '{kind}' is unknown (written by a newer Cockpit?)"
                if kind and not known
                else f"it is not a valid event ({type(exc).__name__})"
            )
            raise CockpitError(
                f"{self.path}: event {seq} cannot be read: {why}; "
                "open it with the Cockpit that wrote it, or check it with `cockpit audit verify`."
            ) from None

    async def iter_raw(self) -> AsyncIterator[tuple[int, str]]:
        """(seq, canonical JSON) of every event in order, without parsing (for export)."""
        await self.flush()  # what was appended is readable
        last = 0
        sql = "SELECT seq, json FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
        while True:
            rows = await self._fetchall(sql, (last, READ_CHUNK))
            for seq, text in rows:
                yield int(seq), str(text)
            if len(rows) < READ_CHUNK:
                return
            last = rows[-1][0]

    def rebuild_summary(self, events: Sequence[Event]) -> None:
        """Recompute the writer's summary from the chained events (its row is unchained);
        written with the next batch."""
        state = SummaryState(created=self._state.created)
        for event in events:
            state.apply(event)
        state.last_hash = self._prev_hash if events else None
        self._state = state

    async def summary(self) -> SessionSummary:
        """The session summary as of everything appended so far."""
        await self.flush()
        return self._state.to_summary(self.session_id, self.path, self.schema_version)

    async def verify(self) -> VerifyResult:
        """Check the hash chain and every row of the events table against it.

        Every row must be in the chain: seq 1..N with no gap and nothing outside it, each
        hash the sha256 of the previous one and the row's canonical JSON, and the columns
        outside the hash (`kind`, `ts`) and the file's session id equal to what the JSON
        says. The summary must end where the chain ends.
        """
        await self.flush()
        sha256 = hashlib.sha256
        prev = GENESIS_HASH
        expected = 1
        checked = 0
        outside = await self._fetchone("SELECT COUNT(*), MIN(seq) FROM events WHERE seq < 1", ())
        if outside is not None and int(outside[0]):
            return VerifyResult(
                False, 0, int(outside[1]), f"event {outside[1]} is outside the chain (seq < 1)"
            )
        sql = "SELECT seq, kind, ts, json, hash FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
        last = 0
        try:
            while True:
                rows = await self._fetchall(sql, (last, 5000))
                for seq, kind, ts, text, digest in rows:
                    if seq != expected:
                        return VerifyResult(
                            False, checked, expected, f"event {expected} is missing (deleted)"
                        )
                    data = text.encode() if isinstance(text, str) else bytes(text)
                    prev = sha256(prev + data).digest()
                    if prev != digest:
                        return VerifyResult(
                            False,
                            checked,
                            seq,
                            f"event {seq} does not match the audit chain (edited or reordered)",
                        )
                    problem = _row_mismatch(seq, kind, ts, data, self.session_id)
                    if problem:
                        return VerifyResult(False, checked, seq, problem)
                    expected += 1
                    checked += 1
                if len(rows) < 5000:
                    break
                last = rows[-1][0]
        except CockpitError as exc:
            return VerifyResult(False, checked, expected, str(exc))
        if self.schema_version >= 2:
            row = await self._fetchone("SELECT event_count, last_hash FROM summary WHERE id=1", ())
            if row is not None and (int(row[0]) != checked or (checked and row[1] != prev)):
                return VerifyResult(
                    False,
                    checked,
                    expected,
                    f"the file ends early: the summary records {row[0]} events, "
                    f"the chain has {checked}",
                )
        problem = await self._memory_mismatch()
        if problem:
            return VerifyResult(False, checked, None, problem)
        self.verified_head = (checked, prev)
        return VerifyResult(True, checked, None, f"{checked} events, audit chain intact")

    async def _memory_mismatch(self) -> str:
        """'' when the memory files are what the chain's last memory_op recorded."""
        recorded = await self._fetchall(
            "SELECT json FROM events WHERE kind = 'memory_op' ORDER BY seq DESC LIMIT 1", ()
        )
        state = ""
        if recorded:
            state = str(json.loads(recorded[0][0]).get("state", ""))
        if not state:
            return ""
        rows = await self._fetchall("SELECT path, text FROM memory_files ORDER BY path", ())
        actual = memory_digest((str(p), str(t)) for p, t in rows)
        if state != actual:
            return "the memory files differ from what the chain recorded (changed outside Cockpit)"
        # A file from before memory was chained (no memory_op with a state) is taken as is.
        return ""

    async def head(self) -> tuple[int, bytes]:
        """The chain head: the last seq and its hash (GENESIS_HASH for an empty file)."""
        await self.flush()
        row = await self._fetchone("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", ())
        return (int(row[0]), bytes(row[1])) if row else (0, GENESIS_HASH)

    async def hash_at(self, seq: int) -> bytes | None:
        """The chain hash stored at `seq` (None when the file has no such event)."""
        await self.flush()
        row = await self._fetchone("SELECT hash FROM events WHERE seq = ?", (seq,))
        return bytes(row[0]) if row else None

    # --- content-addressed blobs (checkpoints) ---------------------------------------------

    async def put_blob(self, data: bytes) -> str:
        """Store `data` once under its sha256 (hex) and return that address."""
        if len(data) > 1 << 20:
            sha, codec, stored = await asyncio.to_thread(_pack_blob, data)
        else:
            sha, codec, stored = _pack_blob(data)
        await self._write(
            [
                (
                    "INSERT OR IGNORE INTO blobs (sha, size, codec, data) VALUES (?, ?, ?, ?)",
                    (sha, len(data), codec, stored),
                )
            ]
        )
        return sha

    async def read_intact(self, doing: str, first_only: bool = False) -> list[Event]:
        """The events of a file whose chain verifies and which starts with session_started.

        CockpitError otherwise, saying why it is not `doing` ("resumed", "forked"...).
        `first_only` returns just the session_started event.
        """
        from cockpit.events import SessionStarted

        checked = await self.verify()
        if not checked.ok:
            raise CockpitError(
                f"{self.path} fails its audit check ({checked.reason}); it was changed outside "
                f"Cockpit, so it is not {doing} — inspect it with `cockpit audit verify`."
            )
        end = 1 if first_only else None
        events: list[Event] = [e async for e in self.iter_events(end_seq=end)]
        if not events or not isinstance(events[0], SessionStarted):
            raise CockpitError(f"{self.path} has no session_started event; it cannot be {doing}.")
        return events

    async def put_blobs(self, items: list[tuple[str, bytes]]) -> None:
        """Store many (sha256 hex, data) pairs in one transaction; known ones are skipped."""
        if not items:
            return
        packed = await asyncio.to_thread(
            lambda: [(sha, len(data), *_encode_blob(data)) for sha, data in items]
        )
        sql = "INSERT OR IGNORE INTO blobs (sha, size, codec, data) VALUES (?, ?, ?, ?)"
        await self._write([(sql, row) for row in packed])

    async def get_blob(self, sha: str) -> bytes | None:
        row = await self._fetchone("SELECT codec, data FROM blobs WHERE sha = ?", (sha,))
        if row is None:
            return None
        codec, stored = str(row[0]), bytes(row[1])
        return zlib.decompress(stored) if codec == "zlib" else stored


_STAMPED_FIELDS = frozenset({"session_id", "seq"})
_set = object.__setattr__


def _take_writer_lock(path: Path) -> int:
    """An exclusive advisory lock held while this process writes the file (one writer only)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise CockpitError(
            f"{path} is being written by another Cockpit process (its session is running "
            "there); stop it there first, or read it with `cockpit export`."
        ) from None
    return fd


def session_in_use(path: Path) -> bool:
    """True while some process holds the file open for writing (its session is live)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock if it was taken
    return False


def _stamp(event: EventBase, session_id: str, seq: int) -> EventBase:
    """`event.model_copy(update={"session_id": ..., "seq": ...})`, about twice as fast.

    Does what pydantic's own `__copy__` does (events are frozen, so sharing values is safe);
    tests/store check that it equals `model_copy` for every event kind.
    """
    new = object.__new__(type(event))
    values = event.__dict__.copy()
    values["session_id"] = session_id
    values["seq"] = seq
    _set(new, "__dict__", values)
    _set(new, "__pydantic_fields_set__", event.__pydantic_fields_set__ | _STAMPED_FIELDS)
    _set(new, "__pydantic_extra__", event.__pydantic_extra__)
    _set(new, "__pydantic_private__", event.__pydantic_private__)
    return new


def _pack_blob(data: bytes) -> tuple[str, str, bytes]:
    return (hashlib.sha256(data).hexdigest(), *_encode_blob(data))


def _encode_blob(data: bytes) -> tuple[str, bytes]:
    """(codec, stored bytes): zlib when it saves a tenth or more."""
    if len(data) >= 512:
        packed = zlib.compress(data, 1)
        if len(packed) < len(data) * 0.9:
            return "zlib", packed
    return "raw", data


def _redact_strings(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {k: _redact_strings(v, redactor) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_strings(v, redactor) for v in value]
    return value
