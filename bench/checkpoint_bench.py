"""Checkpoint bench: first and incremental checkpoints, rollback, and a git snapshot beside.

Run: .venv/bin/python bench/checkpoint_bench.py [--quick]
On a generated workspace (2,000 files, 50 MB; --quick: 200 files, 5 MB) prints the first
full checkpoint, an incremental checkpoint after 10 files changed, the rollback of those
10 changes, and as the anchor a git snapshot as OpenCode takes one (`git add -A` and
`git write-tree` into a separate git dir), each the median of 3 rounds.
Targets: incremental < 100 ms and faster than git, rollback < 500 ms, first < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cockpit.store.checkpoints import Checkpointer  # noqa: E402
from cockpit.store.session_file import SessionStore  # noqa: E402


def make_workspace(root: Path, files: int, total_bytes: int) -> None:
    rng = random.Random(7)
    size = total_bytes // files
    for i in range(files):
        folder = root / f"pkg{i % 40:02d}" / f"mod{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        # Half text-like (compressible), half random (not), as a real tree mixes both.
        text = (f"row {i}," * (size // 8 + 1)).encode()[:size]
        data = rng.randbytes(size) if i % 2 else text
        (folder / f"f{i:05d}.dat").write_bytes(data)


def touch_ten(root: Path, round_: int) -> list[Path]:
    paths = sorted(root.rglob("*.dat"))[:: max(1, len(list(root.rglob("*.dat"))) // 10)][:10]
    for p in paths:
        p.write_bytes(p.read_bytes()[:-16] + f"changed {round_:07d}".encode()[:16])
    return paths


def git_snapshot(workspace: Path, git_dir: Path) -> float:
    env = {**os.environ, "GIT_DIR": str(git_dir), "GIT_WORK_TREE": str(workspace)}
    start = time.perf_counter()
    subprocess.run(["git", "add", "-A"], env=env, check=True, capture_output=True)
    subprocess.run(["git", "write-tree"], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


async def bench(files: int, total: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cockpit-ckpt-bench-") as tmp:
        base = Path(tmp)
        ws = base / "ws"
        make_workspace(ws, files, total)
        store = await SessionStore.create(base / "s.cockpit")
        cp = Checkpointer(store, ws)
        t = time.perf_counter()
        first = await cp.capture()
        first_s = time.perf_counter() - t
        incremental: list[float] = []
        rollback: list[float] = []
        git: list[float] = []
        have_git = shutil.which("git") is not None
        git_dir = base / "git"
        if have_git:
            subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], check=True)
            git_snapshot(ws, git_dir)  # the first snapshot, as the checkpoint's
        for r in range(3):
            before = await cp.capture()
            touch_ten(ws, r)
            t = time.perf_counter()
            await cp.capture()
            incremental.append(time.perf_counter() - t)
            if have_git:
                git.append(git_snapshot(ws, git_dir))
            target = await cp.load(before.sha)
            t = time.perf_counter()
            await cp.restore(target)
            rollback.append(time.perf_counter() - t)
        await store.close()
        size_mb = total / 1e6
        print(f"checkpoint bench: {files} files, {size_mb:.0f} MB")
        print(
            f"first checkpoint       {first_s * 1000:8.1f} ms  (target < 2000)  "
            f"{first.new_files} blobs"
        )
        inc = statistics.median(incremental) * 1000
        print(f"incremental (10 files) {inc:8.1f} ms  (target < 100)")
        print(
            f"rollback (10 files)    {statistics.median(rollback) * 1000:8.1f} ms  (target < 500)"
        )
        if git:
            g = statistics.median(git) * 1000
            print(
                f"git add -A + write-tree {g:7.1f} ms  (anchor)  ratio incremental/git "
                f"{inc / g:.2f}"
            )
        else:
            print("git not found: no anchor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small tree (smoke test)")
    args = parser.parse_args()
    if args.quick:
        asyncio.run(bench(200, 5_000_000))
    else:
        asyncio.run(bench(2000, 50_000_000))


if __name__ == "__main__":
    main()
