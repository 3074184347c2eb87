"""Checkpoints restore exactly what shell commands changed: files, modes, links, databases."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cockpit.store.checkpoints import Checkpointer
from cockpit.store.session_file import SessionStore


def tree(root: Path) -> dict[str, str]:
    """Every path under `root` (but .git) with its content hash, mode and link target."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            st = path.lstat()
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                out[rel] = f"dir:{st.st_mode & 0o7777:o}"
            elif rel.endswith(("-wal", "-shm")):
                continue
            elif rel.endswith(".db"):
                out[rel] = "db:" + repr(rows(path))
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
                out[rel] = f"{digest}:{st.st_mode & 0o7777:o}"
    return out


def rows(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [(t, *r) for t in sorted(tables) for r in conn.execute(f"SELECT * FROM {t}")]
    finally:
        conn.close()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "data" / "raw").mkdir(parents=True)
    (ws / "pipeline.py").write_text("print('load')\n")
    (ws / "run.sh").write_text("#!/bin/sh\necho run\n")
    (ws / "run.sh").chmod(0o755)
    for i in range(5):
        (ws / "data" / "raw" / f"d{i}.csv").write_text(f"id,value\n{i},{i * 10}\n")
    os.symlink("pipeline.py", ws / "link.py")
    conn = sqlite3.connect(ws / "warehouse.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE orders (id INTEGER, total REAL)")
    conn.executemany("INSERT INTO orders VALUES (?, ?)", [(i, i * 1.5) for i in range(20)])
    conn.commit()
    conn.close()
    (ws / ".git").mkdir()
    (ws / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return ws


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SessionStore]:
    s = await SessionStore.create(tmp_path / "s.cockpit")
    yield s
    await s.close()


def sh(workspace: Path, command: str) -> None:
    subprocess.run(command, shell=True, cwd=workspace, check=True)


SHELL_CHANGES = [
    "rm -rf data/raw",
    "sed -i 's/load/LOAD/' pipeline.py",
    "mv pipeline.py main.py",
    "echo new > created.txt && mkdir -p out/deep && echo x > out/deep/y.txt",
    "chmod 600 run.sh",
    "rm link.py && ln -s run.sh link.py",
    "sqlite3 warehouse.db 'DROP TABLE orders'"
    if shutil.which("sqlite3")
    else "python3 -c \"import sqlite3; c=sqlite3.connect('warehouse.db'); "
    "c.execute('DROP TABLE orders'); c.commit()\"",
    "python3 -c \"import sqlite3; c=sqlite3.connect('warehouse.db'); "
    "c.execute('DELETE FROM orders WHERE id > 3'); c.commit()\"",
]


@pytest.mark.parametrize("command", SHELL_CHANGES)
async def test_restore_undoes_a_shell_change_exactly(
    workspace: Path, store: SessionStore, command: str
) -> None:
    checkpointer = Checkpointer(store, workspace)
    before = tree(workspace)
    git_head = (workspace / ".git" / "HEAD").read_bytes()
    capture = await checkpointer.capture()
    sh(workspace, command)
    assert tree(workspace) != before
    target = await checkpointer.load(capture.sha)
    plan = await checkpointer.plan(target)
    assert plan
    await checkpointer.restore(target)
    assert tree(workspace) == before
    assert (workspace / ".git" / "HEAD").read_bytes() == git_head
    assert await checkpointer.plan(target) == []


async def test_a_second_checkpoint_reads_only_what_changed(
    workspace: Path, store: SessionStore
) -> None:
    checkpointer = Checkpointer(store, workspace)
    first = await checkpointer.capture()
    assert first.new_files >= 8 and first.manifest.databases == ["warehouse.db"]
    again = await checkpointer.capture()
    assert again.new_files == 0 and again.sha == first.sha
    (workspace / "data" / "raw" / "d1.csv").write_text("changed\n")
    third = await checkpointer.capture()
    assert third.new_files == 1


async def test_limits_and_ignores_are_reported_not_silent(
    workspace: Path, store: SessionStore
) -> None:
    (workspace / "big.bin").write_bytes(b"x" * 100_000)
    (workspace / "node_modules").mkdir()
    (workspace / "node_modules" / "m.js").write_text("x")
    (workspace / ".cockpitignore").write_text("# scratch\ntmp/\n*.log\n")
    (workspace / "tmp").mkdir()
    (workspace / "tmp" / "scratch").write_text("x")
    (workspace / "app.log").write_text("x")
    capture = await Checkpointer(store, workspace, max_file_bytes=50_000).capture()
    paths = set(capture.manifest.entries)
    assert capture.manifest.skipped == ["big.bin"]
    assert not {p for p in paths if p.startswith((".git", "node_modules", "tmp"))}
    assert "app.log" not in paths and ".cockpitignore" in paths


async def test_an_unreadable_file_is_reported_and_the_rest_captured(
    workspace: Path, store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cockpit.store import checkpoints

    (workspace / "locked.txt").write_text("x")
    real = checkpoints._read_content

    def read(path: Path) -> tuple[str, bytes]:
        if path.name == "locked.txt":  # as root nothing is unreadable: inject the failure
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(checkpoints, "_read_content", read)
    capture = await Checkpointer(store, workspace).capture()
    assert capture.manifest.skipped == ["locked.txt"]
    assert "pipeline.py" in capture.manifest.entries
