"""The workspace copy behind dry-run mode: its baseline, its changes, their diff and apply."""

from __future__ import annotations

import codecs
import contextlib
import difflib
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Literal

from cockpit.atomic import write_atomically
from cockpit.errors import CockpitError
from cockpit.events import DryRunSettled

STAGING_PREFIX = ".cockpit-apply-"
CHUNK = 1024 * 1024
SNIFF = 8192
MANIFEST_VERSION = 1

EntryType = Literal["file", "dir", "symlink"]


@dataclass(frozen=True)
class Change:
    """One path that differs between the baseline and the copy."""

    path: str
    kind: Literal["added", "removed", "modified"]
    binary: bool
    before_size: int | None
    after_size: int | None
    type: EntryType  # what the path is now (what it was, for a removed path)
    before_mode: int | None = None
    after_mode: int | None = None
    before_target: str | None = None
    after_target: str | None = None


class ApplyConflict(CockpitError):
    """The real workspace changed since the copy was made; nothing was applied."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        shown = ", ".join(paths[:2])
        if len(paths) > 2:
            shown += f" and {len(paths) - 2} more"
        super().__init__(
            f"The workspace changed since the dry-run copy was made ({shown}); nothing was "
            "applied — discard the dry-run or reconcile those files first."
        )


class _RestoreIncomplete(CockpitError):
    """Apply failed and some paths could not be put back; their backups are kept."""


@dataclass(frozen=True)
class _Entry:
    """What the manifest records for one path."""

    type: EntryType
    mode: int | None = None
    sha256: str | None = None
    size: int | None = None
    target: str | None = None


Digest = Callable[[Path], tuple[str, int]]


def _pump(src: Path, out: BinaryIO | None = None) -> tuple[str, int]:
    """sha256 and size of a file read in chunks (never through a symlink), copied to out."""
    h, size = hashlib.sha256(), 0
    with os.fdopen(os.open(src, os.O_RDONLY | os.O_NOFOLLOW), "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
            if out is not None:
                out.write(chunk)
    return h.hexdigest(), size


def _entry_from_stat(path: Path, st: os.stat_result, digest: Digest) -> _Entry | None:
    if stat.S_ISLNK(st.st_mode):
        return _Entry("symlink", target=os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return _Entry("dir", mode=stat.S_IMODE(st.st_mode))
    if stat.S_ISREG(st.st_mode):
        sha, size = digest(path)
        return _Entry("file", mode=stat.S_IMODE(st.st_mode), sha256=sha, size=size)
    return None  # sockets, fifos, devices: not part of a workspace copy


def _scan(base: Path, digest: Digest = _pump) -> dict[str, _Entry]:
    """Every file, symlink and directory under base, by relative POSIX path."""
    found: dict[str, _Entry] = {}

    def walk(folder: Path, prefix: str) -> None:
        with os.scandir(folder) as it:
            items = sorted(it, key=lambda e: e.name)
        for item in items:
            if not prefix and item.name.startswith(STAGING_PREFIX):
                continue
            entry = _entry_from_stat(Path(item.path), item.stat(follow_symlinks=False), digest)
            if entry is None:
                continue
            found[prefix + item.name] = entry
            if entry.type == "dir":
                walk(Path(item.path), f"{prefix}{item.name}/")

    walk(base, "")
    return found


def _entry_at(base: Path, rel: str) -> _Entry | None:
    """The entry at one relative path, without following symlinks on the way."""
    current = base
    try:
        for part in rel.split("/")[:-1]:
            current = current / part
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                return None
        target = base / rel
        return _entry_from_stat(target, os.lstat(target), _pump)
    except FileNotFoundError:
        return None


def _checked_path(rel: object) -> str:
    """A relative POSIX path that stays inside the workspace, or CockpitError."""
    text = rel if isinstance(rel, str) else ""
    parts = PurePosixPath(text).parts
    if (
        not text
        or "\0" in text
        or text.startswith("/")
        or str(PurePosixPath(text)) != text
        or any(p in ("..", ".") for p in parts)
    ):
        raise CockpitError(
            f"The dry-run path {rel!r} is not a plain relative path inside the "
            "workspace; the manifest may be tampered with — remove the dry-run."
        )
    return text


def _entry_from_json(raw: Any) -> _Entry:
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "symlink" and isinstance(raw.get("target"), str):
        return _Entry("symlink", target=raw["target"])
    if kind == "dir" and isinstance(raw.get("mode"), int):
        return _Entry("dir", mode=raw["mode"])
    sha = raw.get("sha256") if kind == "file" else None
    if (
        isinstance(sha, str)
        and len(sha) == 64
        and all(c in "0123456789abcdef" for c in sha)
        and isinstance(raw.get("size"), int)
        and isinstance(raw.get("mode"), int)
    ):
        return _Entry("file", mode=raw["mode"], sha256=sha, size=raw["size"])
    raise ValueError(f"bad entry {raw!r}")


def _entry_to_json(entry: _Entry) -> dict[str, Any]:
    return {k: v for k, v in vars(entry).items() if v is not None}


def _force_rmtree(path: Path) -> None:
    """rmtree that makes read-only folders writable on the way."""

    def retry(func: Callable[..., Any], failed: str, _exc: object) -> None:
        os.chmod(os.path.dirname(failed), 0o700)
        func(failed)

    if not path.is_dir() or path.is_symlink():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    shutil.rmtree(path, onerror=retry)


def _copy_ignore(top: str) -> Callable[[str, list[str]], set[str]]:
    """copytree's ignore: special files everywhere, staging folders at the top."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if folder == top and n.startswith(STAGING_PREFIX)}
        for name in names:
            mode = os.lstat(os.path.join(folder, name)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                skipped.add(name)
        return skipped

    return ignore


def _copy_entry(src: Path, dst: Path) -> None:
    """Copy one file or symlink (as a link), mode kept."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    else:
        shutil.copy2(src, dst, follow_symlinks=False)


def _is_binary(data: bytes, complete: bool) -> bool:
    if b"\0" in data[:SNIFF]:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError:
        return True
    return False


def _summary(entry: _Entry | None) -> str:
    if entry is None:
        return "nothing"
    if entry.type == "symlink":
        return f"symlink to {entry.target}"
    if entry.type == "dir":
        return f"directory (mode {entry.mode:o})"
    return f"file ({entry.size} bytes, mode {entry.mode:o})"


def _unified(rel: str, old: str | None, new: str | None) -> str:
    lines = difflib.unified_diff(
        (old or "").splitlines(keepends=True),
        (new or "").splitlines(keepends=True),
        fromfile="/dev/null" if old is None else f"a/{rel}",
        tofile="/dev/null" if new is None else f"b/{rel}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


class WorkspaceCopy:
    """A copy of a workspace under root, with the baseline it was copied from."""

    def __init__(self, workspace: Path, root: Path) -> None:
        self._workspace = workspace
        self._root = root

    @property
    def workspace(self) -> Path:
        return self._workspace

    @property
    def path(self) -> Path:
        return self._root / "workspace"

    @property
    def root(self) -> Path:
        return self._root

    @classmethod
    def create(cls, workspace: Path, root: Path) -> WorkspaceCopy:
        real = workspace.resolve()
        if not real.is_dir():
            raise CockpitError(
                f"The workspace {workspace} is missing or not a folder; "
                "pick an existing folder for the dry-run."
            )
        if os.path.lexists(root):
            raise CockpitError(
                f"The dry-run folder {root} already exists; remove it or "
                "reopen it instead of creating a new copy."
            )
        if root.resolve().is_relative_to(real):
            raise CockpitError(
                f"The dry-run folder {root} is inside the workspace {real}; "
                "put the copy somewhere outside it."
            )
        copy = cls(real, root.resolve())
        try:
            root.mkdir(parents=True)
            shutil.copytree(real, copy.path, symlinks=True, ignore=_copy_ignore(str(real)))
            copy._rebaseline(_scan(copy.path, copy._store_blob))
        except OSError as exc:
            _force_rmtree(root)
            raise CockpitError(
                f"Copying {real} for the dry-run failed ({exc}); "
                "nothing was kept — check the folders and try again."
            ) from exc
        return copy

    @classmethod
    def open(cls, workspace: Path, root: Path) -> WorkspaceCopy:
        copy = cls(workspace.resolve(), root.resolve())
        recorded = copy._read_manifest()[0]
        if recorded != str(copy.workspace):
            raise CockpitError(
                f"The dry-run at {root} was made from {recorded}, not "
                f"{copy.workspace}; open it with its own workspace."
            )
        if not copy.path.is_dir():
            raise CockpitError(
                f"The dry-run copy {copy.path} is missing; remove the dry-run and start a new one."
            )
        return copy

    # -- the baseline ---------------------------------------------------------------

    def _read_manifest(self) -> tuple[str, dict[str, _Entry]]:
        manifest = self._root / "manifest.json"
        try:
            raw = json.loads(manifest.read_text(encoding="utf-8"))
            if raw.get("version") != MANIFEST_VERSION or not isinstance(raw["workspace"], str):
                raise ValueError("unknown manifest version")
            entries = {k: _entry_from_json(v) for k, v in raw["entries"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CockpitError(
                f"The dry-run manifest {manifest} is missing or unreadable "
                f"({exc}); remove the dry-run and start a new one."
            ) from exc
        for rel in entries:
            _checked_path(rel)
        return raw["workspace"], entries

    def _baseline(self) -> dict[str, _Entry]:
        return self._read_manifest()[1]

    def _blob(self, sha: str) -> Path:
        return self._root / "blobs" / sha[:2] / sha

    def _store_blob(self, src: Path) -> tuple[str, int]:
        """Copy a file's bytes into the blob store while hashing them."""
        blobs = self._root / "blobs"
        blobs.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=blobs, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                sha, size = _pump(src, out)
            self._blob(sha).parent.mkdir(exist_ok=True)
            os.replace(tmp, self._blob(sha))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return sha, size

    def _rebaseline(self, entries: dict[str, _Entry]) -> None:
        """Write the manifest for entries and drop blobs nothing refers to any more."""
        doc = {
            "version": MANIFEST_VERSION,
            "workspace": str(self.workspace),
            "entries": {k: _entry_to_json(entries[k]) for k in sorted(entries)},
        }
        write_atomically(self._root / "manifest.json", json.dumps(doc, indent=1).encode())
        wanted = {e.sha256 for e in entries.values() if e.sha256}
        for blob in (self._root / "blobs").glob("*/*"):
            if blob.name not in wanted:
                blob.unlink()

    # -- what changed ---------------------------------------------------------------

    def changes(self) -> list[Change]:
        return self._changes(self._baseline(), _scan(self.path))

    def _changes(self, baseline: dict[str, _Entry], current: dict[str, _Entry]) -> list[Change]:
        out = []
        for rel in sorted(baseline.keys() | current.keys()):
            before, after = baseline.get(rel), current.get(rel)
            if before != after:
                out.append(self._change(rel, before, after))
        return out

    def _change(self, rel: str, before: _Entry | None, after: _Entry | None) -> Change:
        kind: Literal["added", "removed", "modified"] = (
            "added" if before is None else "removed" if after is None else "modified"
        )
        binary = False
        for entry, base in ((before, None), (after, self.path / rel)):
            if entry is not None and entry.type == "file" and not binary:
                src = base or self._blob(entry.sha256 or "")
                with contextlib.suppress(OSError), open(src, "rb") as f:
                    binary = _is_binary(f.read(SNIFF), complete=False)
        shown = after or before
        assert shown is not None
        return Change(
            path=rel,
            kind=kind,
            binary=binary,
            before_size=before.size if before else None,
            after_size=after.size if after else None,
            type=shown.type,
            before_mode=before.mode if before else None,
            after_mode=after.mode if after else None,
            before_target=before.target if before else None,
            after_target=after.target if after else None,
        )

    def diff(self, path: str, max_bytes: int = 512_000) -> str:
        rel = _checked_path(path)
        before, after = self._baseline().get(rel), _entry_at(self.path, rel)
        if before is None and after is None:
            raise CockpitError(
                f"{path} is neither in the dry-run copy nor in its baseline; "
                "pick a path from the list of changes."
            )
        if before == after:
            return ""
        if any(e.type != "file" for e in (before, after) if e):
            return f"{rel}: {_summary(before)} → {_summary(after)}\n"
        head = ""
        if before and after and before.mode != after.mode:
            head = f"old mode {before.mode:o}\nnew mode {after.mode:o}\n"
        old_size, new_size = before.size if before else 0, after.size if after else 0
        if max(old_size or 0, new_size or 0) > max_bytes:
            return head + f"File too large to diff ({old_size} → {new_size} bytes)\n"
        old = self._blob(before.sha256 or "").read_bytes() if before else None
        new = (self.path / rel).read_bytes() if after else None
        if any(_is_binary(data, complete=True) for data in (old, new) if data is not None):
            return head + f"Binary file changed ({old_size} → {new_size} bytes)\n"
        return head + _unified(
            rel,
            None if old is None else old.decode("utf-8"),
            None if new is None else new.decode("utf-8"),
        )

    # -- apply, discard, remove -----------------------------------------------------

    def apply(self) -> list[Change]:
        """Write the copy's changes into the real workspace, all or nothing."""
        baseline, current = self._baseline(), _scan(self.path)
        changes = self._changes(baseline, current)
        if not changes:
            return []
        real = _scan(self.workspace)
        conflicts = sorted(
            p for p in baseline.keys() | real.keys() if baseline.get(p) != real.get(p)
        )
        if conflicts:
            raise ApplyConflict(conflicts)
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.workspace))
        except OSError as exc:
            raise CockpitError(
                f"Cannot create a staging folder in {self.workspace} ({exc}); "
                "nothing was applied — make the workspace writable."
            ) from exc
        try:
            new, old, applied = self._stage(changes, baseline, current, staging)
            self._swap_in(changes, baseline, current, new, old, staging)
        except _RestoreIncomplete:
            raise  # the backups stay in staging
        except BaseException:
            _force_rmtree(staging)
            raise
        _force_rmtree(staging)
        self._rebaseline(applied)
        return changes

    def _stage(
        self,
        changes: list[Change],
        baseline: dict[str, _Entry],
        current: dict[str, _Entry],
        staging: Path,
    ) -> tuple[dict[str, Path], dict[str, Path], dict[str, _Entry]]:
        """New bytes and backups into staging; the manifest entries of the applied state."""
        new: dict[str, Path] = {}
        old: dict[str, Path] = {}
        applied = dict(baseline)
        for i, change in enumerate(changes):
            rel, before, after = change.path, baseline.get(change.path), current.get(change.path)
            try:
                if after is None:
                    del applied[rel]
                elif after.type == "dir":
                    applied[rel] = after
                elif after.type == "symlink":
                    target = os.readlink(self.path / rel)
                    os.symlink(target, staging / f"new-{i}")
                    applied[rel], new[rel] = _Entry("symlink", target=target), staging / f"new-{i}"
                else:
                    sha, size = self._store_blob(self.path / rel)
                    shutil.copyfile(self._blob(sha), staging / f"new-{i}")
                    os.chmod(staging / f"new-{i}", after.mode or 0o644)
                    applied[rel] = _Entry("file", mode=after.mode, sha256=sha, size=size)
                    new[rel] = staging / f"new-{i}"
                if before is not None and before.type != "dir":
                    _copy_entry(self.workspace / rel, staging / f"old-{i}")
                    old[rel] = staging / f"old-{i}"
            except OSError as exc:
                raise CockpitError(
                    f"Applying the dry-run failed at {rel} ({exc.strerror or exc}); "
                    "the workspace was restored unchanged, the copy is kept."
                ) from exc
        return new, old, applied

    def _swap_in(
        self,
        changes: list[Change],
        baseline: dict[str, _Entry],
        current: dict[str, _Entry],
        new: dict[str, Path],
        old: dict[str, Path],
        staging: Path,
    ) -> None:
        """Move the staged changes in; on failure undo them and raise CockpitError."""

        def is_dir(entry: _Entry | None) -> bool:
            return entry is not None and entry.type == "dir"

        paths = [c.path for c in changes]
        gone_files = [
            p for p in paths if p in baseline and not is_dir(baseline[p]) and p not in new
        ]
        gone_dirs = [p for p in paths if is_dir(baseline.get(p)) and not is_dir(current.get(p))]
        new_dirs = [p for p in paths if is_dir(current.get(p)) and not is_dir(baseline.get(p))]
        mode_dirs = [p for p in paths if is_dir(baseline.get(p)) and is_dir(current.get(p))]
        journal: list[tuple[str, str, int]] = []
        ws, rel = self.workspace, ""
        try:
            for rel in gone_files:
                os.unlink(ws / rel)
                journal.append(("restore", rel, 0))
            for rel in sorted(gone_dirs, reverse=True):
                os.rmdir(ws / rel)
                journal.append(("mkdir", rel, baseline[rel].mode or 0o755))
            for rel in sorted(new_dirs):
                os.mkdir(ws / rel, 0o700)
                journal.append(("rmdir", rel, 0))
            for rel in mode_dirs:
                before_mode, after_mode = baseline[rel].mode or 0, current[rel].mode or 0
                os.chmod(ws / rel, before_mode | after_mode | stat.S_IRWXU)
                journal.append(("chmod", rel, before_mode))
            for rel in sorted(new):
                os.replace(new[rel], ws / rel)
                journal.append(("restore" if rel in old else "unlink", rel, 0))
            for rel in sorted(new_dirs + mode_dirs, reverse=True):
                prior = stat.S_IMODE(os.lstat(ws / rel).st_mode)
                os.chmod(ws / rel, current[rel].mode or 0o755)
                journal.append(("chmod", rel, prior))
        except OSError as exc:
            failed = self._undo(journal, old)
            reason = exc.strerror or str(exc)
            if failed:
                raise _RestoreIncomplete(
                    f"Applying the dry-run failed at {rel} ({reason}) and some paths "
                    f"could not be restored ({', '.join(sorted(failed))}); their backups are kept "
                    f"in {staging} and the copy is kept."
                ) from exc
            raise CockpitError(
                f"Applying the dry-run failed at {rel} ({reason}); the workspace "
                "was restored unchanged, the copy is kept."
            ) from exc

    def _undo(self, journal: list[tuple[str, str, int]], old: dict[str, Path]) -> list[str]:
        """Reverse the journal; the paths that could not be put back."""
        failed: list[str] = []
        modes: list[tuple[str, int]] = []
        for op, rel, mode in reversed(journal):
            target = self.workspace / rel
            try:
                if op == "restore":
                    os.replace(old[rel], target)
                elif op == "unlink":
                    os.unlink(target)
                elif op == "rmdir":
                    os.rmdir(target)
                elif op == "mkdir":
                    os.mkdir(target, 0o700)
                    modes.append((rel, mode))
                else:
                    os.chmod(target, mode)
            except OSError:
                failed.append(rel)
        for rel, mode in sorted(modes, reverse=True):
            try:
                os.chmod(self.workspace / rel, mode)
            except OSError:
                failed.append(rel)
        return failed

    def discard(self) -> None:
        """Replace the copy with a fresh copy of the real workspace and re-baseline."""
        if not self.workspace.is_dir():
            raise CockpitError(
                f"The workspace {self.workspace} is gone; the dry-run cannot be "
                "refreshed from it — remove the dry-run."
            )
        try:
            for child in list(self.path.iterdir()):
                _force_rmtree(child)
            ignore = _copy_ignore(str(self.workspace))
            shutil.copytree(
                self.workspace, self.path, symlinks=True, ignore=ignore, dirs_exist_ok=True
            )
            self._rebaseline(_scan(self.path, self._store_blob))
        except OSError as exc:
            raise CockpitError(
                f"Discarding the dry-run failed ({exc}); the copy may be "
                "incomplete — discard again or remove the dry-run."
            ) from exc

    def remove(self) -> None:
        """Delete the copy, its manifest and its blobs."""
        _force_rmtree(self._root)


def dry_run_root(session_file: Path) -> Path:
    """Where a session's workspace copy lives: beside its session file."""
    return session_file.with_name(session_file.name + ".dry-run")


def settled_event(action: Literal["apply", "discard"], changes: list[Change]) -> DryRunSettled:
    """The event that records an apply or a discard, naming the files (folders left out)."""
    files = [c for c in changes if c.type != "dir"]
    return DryRunSettled(
        action=action,
        added=[c.path for c in files if c.kind == "added"],
        modified=[c.path for c in files if c.kind == "modified"],
        removed=[c.path for c in files if c.kind == "removed"],
    )
