"""Workspace checkpoints in the session file: manifests of content-addressed blobs, and restore.

A checkpoint is a manifest (path -> kind, sha256, size, mode, mtime, inode) stored as a blob,
whose files are blobs too. It is incremental: a file whose size, mtime and inode did not
change since the previous checkpoint is not read again. SQLite databases are captured with
SQLite's backup API (their live WAL included), so a restored database opens and holds the
data of that moment. `.git`, virtualenvs, `node_modules`, caches and the patterns of a
`.cockpitignore` are skipped; a file over the size limit is listed in `skipped`, never
dropped silently.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import json
import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cockpit.atomic import write_atomically
from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from cockpit.store.session_file import SessionStore

IGNORED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".cache",
    }
)
IGNORE_FILE = ".cockpitignore"
MAX_FILE_BYTES = 50 * 1024 * 1024
SQLITE_HEADER = b"SQLite format 3\x00"
# Files SQLite keeps beside a database: captured through the database, never on their own.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")

EntryKind = Literal["file", "sqlite", "symlink", "dir"]


@dataclass(frozen=True)
class Entry:
    """One path of a checkpoint. `sha` addresses the content (for a symlink, its target)."""

    kind: EntryKind
    sha: str = ""
    size: int = 0
    mode: int = 0
    mtime_ns: int = 0
    ino: int = 0
    target: str = ""


FIELDS = [f.name for f in fields(Entry)]


@dataclass
class Manifest:
    entries: dict[str, Entry] = field(default_factory=dict)
    # Not captured, and reported: over the size limit, or unreadable.
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        """Compact: each entry a list in FIELDS order (thousands of entries per checkpoint)."""
        data = {
            "version": 2,
            "fields": FIELDS,
            "entries": {
                p: [e.kind, e.sha, e.size, e.mode, e.mtime_ns, e.ino, e.target]
                for p, e in sorted(self.entries.items())
            },
            "skipped": self.skipped,
        }
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("version") == 1:  # entries as objects (the first layout)
                entries = {_safe(p): Entry(**e) for p, e in data["entries"].items()}
            elif data.get("fields") == FIELDS:
                entries = {_safe(p): Entry(*e) for p, e in data["entries"].items()}
            else:
                raise ValueError("unknown manifest layout")
            return cls(entries, list(data.get("skipped", [])))
        except (ValueError, KeyError, TypeError) as exc:
            raise CockpitError(f"a checkpoint manifest is damaged ({exc})") from None

    @property
    def files(self) -> int:
        return sum(e.kind != "dir" for e in self.entries.values())

    @property
    def databases(self) -> list[str]:
        return sorted(p for p, e in self.entries.items() if e.kind == "sqlite")


@dataclass(frozen=True)
class Capture:
    """A checkpoint just taken: its manifest, the manifest's address and the new bytes."""

    manifest: Manifest
    sha: str
    new_bytes: int
    new_files: int


@dataclass(frozen=True)
class Difference:
    path: str
    change: Literal["added", "removed", "modified"]


def differences(old: Manifest, new: Manifest) -> list[Difference]:
    """What changed from `old` to `new`, by path (content, kind or mode)."""
    out: list[Difference] = []
    for path in sorted(old.entries.keys() | new.entries.keys()):
        a, b = old.entries.get(path), new.entries.get(path)
        if a is None:
            out.append(Difference(path, "added"))
        elif b is None:
            out.append(Difference(path, "removed"))
        elif (a.kind, a.sha, a.mode, a.target) != (b.kind, b.sha, b.mode, b.target):
            out.append(Difference(path, "modified"))
    return out


class Checkpointer:
    """Takes checkpoints of one workspace into one session file, and restores them."""

    def __init__(
        self, store: SessionStore, workspace: Path, max_file_bytes: int = MAX_FILE_BYTES
    ) -> None:
        self.store = store
        self.workspace = workspace.resolve()
        self.max_file_bytes = max_file_bytes
        self._last: Manifest | None = None
        self._pending: dict[str, bytes] = {}

    # --- capture -------------------------------------------------------------------------

    async def capture(self) -> Capture:
        previous = self._last
        manifest, blobs = await asyncio.to_thread(self._scan, previous)
        # Only what changed since the previous checkpoint was read; the file keeps one copy
        # of each content (INSERT OR IGNORE), so a content seen before costs nothing more.
        new = list(blobs.items())
        raw = manifest.to_json()
        sha = hashlib.sha256(raw).hexdigest()
        await self.store.put_blobs([*new, (sha, raw)])
        self._last = manifest
        return Capture(manifest, sha, sum(len(d) for _, d in new), len(new))

    def _scan(self, previous: Manifest | None) -> tuple[Manifest, dict[str, bytes]]:
        """The workspace now, reading only what changed since `previous`; new blobs by sha."""
        manifest = Manifest()
        blobs: dict[str, bytes] = {}
        known = previous.entries if previous is not None else {}
        for rel, st, abspath in self._walk():
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISDIR(st.st_mode):
                manifest.entries[rel] = Entry("dir", mode=mode)
                continue
            if stat.S_ISLNK(st.st_mode):
                try:
                    target = os.readlink(abspath)
                except OSError:
                    continue  # gone meanwhile
                manifest.entries[rel] = Entry("symlink", _sha(target.encode()), target=target)
                continue
            if not stat.S_ISREG(st.st_mode) or _is_sqlite_side_file(rel, self.workspace):
                continue
            if st.st_size > self.max_file_bytes:
                manifest.skipped.append(rel)
                continue
            old = known.get(rel)
            unchanged = (
                old is not None
                and (old.size, old.mtime_ns, old.ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
                and not (old.kind == "sqlite" and _side_files_changed(abspath))
            )
            if unchanged and old is not None:
                same = old.mode == mode
                manifest.entries[rel] = (
                    old if same else Entry(old.kind, old.sha, old.size, mode, old.mtime_ns, old.ino)
                )
                continue
            try:
                kind, data = _read_content(Path(abspath))
            except OSError:
                manifest.skipped.append(rel)  # unreadable (or gone meanwhile): reported
                continue
            sha = _sha(data)
            if old is None or old.sha != sha:  # re-read but the same (a database): no new blob
                blobs.setdefault(sha, data)
            manifest.entries[rel] = Entry(kind, sha, st.st_size, mode, st.st_mtime_ns, st.st_ino)
        return manifest, blobs

    def _walk(self) -> Iterator[tuple[str, os.stat_result, str]]:
        patterns = _ignore_patterns(self.workspace)
        stack: list[tuple[str, str | Path]] = [("", self.workspace)]
        while stack:
            prefix, folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for item in entries:
                rel = prefix + item.name
                if _ignored(rel, item.name, patterns, item.is_dir(follow_symlinks=False)):
                    continue
                try:
                    st = item.stat(follow_symlinks=False)
                except OSError:
                    continue  # gone between the listing and the look
                yield rel, st, item.path
                if stat.S_ISDIR(st.st_mode):
                    stack.append((rel + "/", item.path))

    # --- restore -------------------------------------------------------------------------

    async def load(self, sha: str) -> Manifest:
        raw = await self.store.get_blob(sha)
        if raw is None:
            raise CockpitError(f"the checkpoint manifest {sha[:12]} is missing from the file")
        return Manifest.from_json(raw)

    async def current(self) -> Manifest:
        """The workspace now, as a manifest (nothing stored)."""
        manifest, blobs = await asyncio.to_thread(self._scan, self._last)
        self._pending = blobs  # contents read for files that changed, for text_of
        return manifest

    async def text_of(self, sha: str, limit: int = 256_000) -> str | None:
        """A file content as text, from the file's blobs (or what `current` just read)."""
        data = self._pending.get(sha) if sha in self._pending else await self.store.get_blob(sha)
        if data is None or len(data) > limit or b"\x00" in data[:8192]:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    async def plan(self, target: Manifest) -> list[Difference]:
        """What restoring `target` would change in the workspace now (from now to target)."""
        current, _ = await asyncio.to_thread(self._scan, self._last)
        return differences(current, target)

    async def restore(self, target: Manifest) -> list[Difference]:
        """Make the workspace equal `target`: files, modes, symlinks, databases; extras removed."""
        current, _ = await asyncio.to_thread(self._scan, self._last)
        changes = differences(current, target)
        contents: dict[str, bytes] = {}
        for change in changes:
            entry = target.entries.get(change.path)
            if entry is not None and entry.kind in ("file", "sqlite"):
                data = await self.store.get_blob(entry.sha)
                if data is None:
                    raise CockpitError(f"the content of {change.path} is missing from the file")
                contents[change.path] = data
        await asyncio.to_thread(self._apply, changes, target, current, contents)
        self._last = None  # re-read everything next time: mtimes changed
        return changes

    def _apply(
        self,
        changes: list[Difference],
        target: Manifest,
        current: Manifest,
        contents: dict[str, bytes],
    ) -> None:
        root = self.workspace
        # Removals first, deepest first (files before the folders that held them).
        for change in sorted(changes, key=lambda c: -c.path.count("/")):
            entry = target.entries.get(change.path)
            now = current.entries.get(change.path)
            if now is None or (entry is not None and entry.kind == now.kind == "dir"):
                continue
            path = root / change.path
            if now.kind == "dir":
                if entry is None or entry.kind != "dir":
                    _remove_tree(path)
            elif entry is None or entry.kind == "dir" or now.kind != entry.kind:
                path.unlink(missing_ok=True)
                if now.kind == "sqlite":
                    _remove_side_files(path)
        # Then folders, files and links, shallowest first.
        for change in sorted(changes, key=lambda c: c.path.count("/")):
            entry = target.entries.get(change.path)
            if entry is None:
                continue
            path = root / change.path
            path.parent.mkdir(parents=True, exist_ok=True)
            if entry.kind == "dir":
                path.mkdir(exist_ok=True)
                os.chmod(path, entry.mode)
            elif entry.kind == "symlink":
                if path.is_symlink() or path.exists():
                    path.unlink()
                os.symlink(entry.target, path)
            else:
                if path.is_dir() and not path.is_symlink():
                    _remove_tree(path)
                write_atomically(path, contents[change.path], entry.mode)
                if entry.kind == "sqlite":
                    _remove_side_files(path)


def _safe(rel: str) -> str:
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"unsafe path {rel!r}")
    return rel


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _ignore_patterns(workspace: Path) -> list[str]:
    try:
        text = (workspace / IGNORE_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = (line.strip() for line in text.splitlines())
    return [line.rstrip("/") for line in lines if line and not line.startswith("#")]


def _ignored(rel: str, name: str, patterns: list[str], is_dir: bool) -> bool:
    if is_dir and name in IGNORED_DIRS:
        return True
    return bool(patterns) and any(
        fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns
    )


def _is_sqlite_side_file(rel: str, workspace: Path) -> bool:
    if not rel.endswith(SQLITE_SIDE_FILES):
        return False
    for suffix in SQLITE_SIDE_FILES:
        if rel.endswith(suffix) and _is_sqlite(workspace / rel[: -len(suffix)]):
            return True
    return False


def _side_files_changed(path: str) -> bool:
    """A database with a live WAL may change without its own mtime moving."""
    return any(os.path.exists(path + s) for s in ("-wal", "-journal"))


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(16) == SQLITE_HEADER
    except OSError:
        return False


def _read_content(path: Path) -> tuple[EntryKind, bytes]:
    """A file's bytes; for a SQLite database a consistent copy made with the backup API."""
    with path.open("rb") as f:
        head = f.read(16)
        if head != SQLITE_HEADER:
            return "file", head + f.read()
    with tempfile.TemporaryDirectory(prefix="cockpit-ckpt-") as tmp:
        copy = Path(tmp) / "db"
        try:
            src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                dst = sqlite3.connect(copy)
                try:
                    src.backup(dst)
                finally:
                    dst.close()
            finally:
                src.close()
        except sqlite3.DatabaseError:
            return "file", path.read_bytes()  # not a database after all: keep its bytes
        return "sqlite", copy.read_bytes()


def _remove_side_files(path: Path) -> None:
    for suffix in SQLITE_SIDE_FILES:
        Path(str(path) + suffix).unlink(missing_ok=True)


def _remove_tree(path: Path) -> None:
    import shutil

    if path.is_symlink():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)
