"""Session-file schema: DDL per version, migrations, and the pre-open header checks."""

from __future__ import annotations

import os
import sqlite3
import struct
from collections.abc import Callable
from pathlib import Path

from cockpit.errors import CockpitError

# "Ckpt": identifies a SQLite file as a Cockpit session (PRAGMA application_id).
APPLICATION_ID = 0x436B7074
SCHEMA_VERSION = 3
SUFFIX = ".cockpit"
SQLITE_MAGIC = b"SQLite format 3\x00"

# Version 1: events, blobs, memory files. Kept verbatim so migrations are tested for real.
DDL_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE events (
    seq  INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ts   REAL NOT NULL,
    json TEXT NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE blobs (
    sha   TEXT PRIMARY KEY,
    size  INTEGER NOT NULL,
    codec TEXT NOT NULL,
    data  BLOB NOT NULL
);
CREATE TABLE memory_files (
    path    TEXT PRIMARY KEY,
    text    TEXT NOT NULL,
    size    INTEGER NOT NULL,
    updated REAL NOT NULL
);
"""

# Version 2: the summary row (so listing never reads events) and append-only triggers.
DDL_V2_STEP = """
CREATE TABLE summary (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    title             TEXT NOT NULL DEFAULT '',
    goal              TEXT NOT NULL DEFAULT '',
    model             TEXT NOT NULL DEFAULT '',
    backend           TEXT NOT NULL DEFAULT '',
    workspace         TEXT NOT NULL DEFAULT '',
    forked_from       TEXT,
    status            TEXT NOT NULL DEFAULT 'running',
    created           REAL NOT NULL DEFAULT 0,
    last_activity     REAL NOT NULL DEFAULT 0,
    event_count       INTEGER NOT NULL DEFAULT 0,
    last_seq          INTEGER NOT NULL DEFAULT 0,
    last_hash         BLOB,
    turns             INTEGER NOT NULL DEFAULT 0,
    tool_calls        INTEGER NOT NULL DEFAULT 0,
    errors            INTEGER NOT NULL DEFAULT 0,
    input_tokens      INTEGER NOT NULL DEFAULT 0,
    output_tokens     INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd          REAL NOT NULL DEFAULT 0
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'session events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'session events are append-only'); END;
"""

# Migration from version N-1 to N, run inside one transaction by `migrate`.
Migration = Callable[[sqlite3.Connection], None]


# Version 3: the summary keeps the totals of cockpit.health.totals (failed tools, API errors
# and retries apart, the latest context size) instead of one error count.
DDL_V3_STEP = """
ALTER TABLE summary ADD COLUMN failed_tools INTEGER NOT NULL DEFAULT 0;
ALTER TABLE summary ADD COLUMN api_errors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE summary ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE summary ADD COLUMN context_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE summary DROP COLUMN errors;
"""


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    for statement in _statements(DDL_V2_STEP):
        conn.execute(statement)


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    for statement in _statements(DDL_V3_STEP):
        conn.execute(statement)


def backfill_summary(conn: sqlite3.Connection) -> None:
    """Recompute the summary row from the events (after a migration changed its columns)."""
    from cockpit.store.summary import SummaryState  # the backfill replays the events

    created_row = conn.execute("SELECT value FROM meta WHERE key = 'created'").fetchone()
    state = SummaryState(created=float(created_row[0]) if created_row else 0.0)
    last_hash: bytes | None = None
    cursor = conn.execute("SELECT json, hash FROM events ORDER BY seq")
    while rows := cursor.fetchmany(1000):
        for text, digest in rows:
            state.apply_json(text)
            last_hash = digest
    state.last_hash = last_hash
    conn.execute("DELETE FROM summary")
    conn.execute(state.insert_sql(), state.row())


MIGRATIONS: dict[int, Migration] = {2: _migrate_1_to_2, 3: _migrate_2_to_3}


def _statements(script: str) -> list[str]:
    """Split a DDL script into statements (trigger bodies end with `END;`)."""
    out: list[str] = []
    buf: list[str] = []
    for line in script.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    if buf and "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out


def create_schema(conn: sqlite3.Connection, version: int = SCHEMA_VERSION) -> None:
    """Create the tables of `version` in a fresh file (no transaction handling here)."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for statement in _statements(DDL_V1):
        conn.execute(statement)
    for step in range(2, version + 1):
        MIGRATIONS[step](conn)
    conn.execute(f"PRAGMA user_version = {version}")


def migrate(conn: sqlite3.Connection, from_version: int) -> None:
    """Bring a file from `from_version` to SCHEMA_VERSION in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for step in range(from_version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[step](conn)
        backfill_summary(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# --- checks that touch nothing: run before SQLite ever opens the file ---------------------


def is_writable(path: Path) -> bool:
    """Writable for us; as root, also honour the read-only mode bits (root bypasses them)."""
    if not os.access(path, os.W_OK):
        return False
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return bool(path.stat().st_mode & 0o222)
    return True


def check_new_path(path: Path) -> None:
    """Raise CockpitError unless a new session file can be created at `path`."""
    folder = path.parent
    if not folder.exists():
        raise CockpitError(
            f"The folder {folder} does not exist; create it or choose another sessions folder "
            "with --sessions-dir."
        )
    if not folder.is_dir():
        raise CockpitError(f"{folder} is not a folder; choose another sessions folder.")
    if not is_writable(folder):
        raise CockpitError(
            f"The folder {folder} is read-only; make it writable or choose another sessions "
            "folder with --sessions-dir."
        )
    if path.exists() or path.is_symlink():
        raise CockpitError(f"{path} already exists; choose another name or open it instead.")


def check_existing_file(path: Path, *, readonly: bool) -> None:
    """Raise CockpitError unless `path` looks like a Cockpit session file (reads 100 bytes)."""
    if not path.exists():
        raise CockpitError(
            f"There is no session file at {path}; check the path or run `cockpit ls`."
        )
    if not path.is_file():
        raise CockpitError(f"{path} is not a file; give the path of a .cockpit session file.")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            header = fh.read(100)
    except PermissionError:
        raise CockpitError(
            f"{path} cannot be read (permission denied); check its permissions."
        ) from None
    if size == 0:
        raise CockpitError(
            f"{path} is empty, not a Cockpit session; delete it or pick another file."
        )
    if not header.startswith(SQLITE_MAGIC):
        raise CockpitError(
            f"{path} is not a Cockpit session file (it is not an SQLite database); "
            "give the path of a .cockpit file."
        )
    if len(header) < 100:
        raise CockpitError(f"{path} is truncated or corrupt; restore it from a backup.")
    (app_id,) = struct.unpack(">i", header[68:72])
    if app_id != APPLICATION_ID:
        raise CockpitError(
            f"{path} is an SQLite database of another application, not a Cockpit session; "
            "give the path of a .cockpit file."
        )
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    (change_counter,) = struct.unpack(">I", header[24:28])
    (db_pages,) = struct.unpack(">I", header[28:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    wal = Path(f"{path}-wal")
    wal_pending = wal.exists() and wal.stat().st_size > 0
    if (
        page_size < 512
        or size % page_size != 0
        or (not wal_pending and valid_for == change_counter and size < db_pages * page_size)
    ):
        raise CockpitError(f"{path} is truncated or corrupt; restore it from a backup.")
    if not readonly:
        folder = path.parent
        if not is_writable(path) or not is_writable(folder):
            raise CockpitError(
                f"{path} is read-only (or its folder is); make it writable, or copy it to a "
                "writable folder to continue the session."
            )
