"""Fuzz the session reader: random corruptions of a real file never hang or trace back.

Every reading command on every corrupted copy ends with exit 0 (the damage was in a part
nothing reads), 1 (audit verify: the chain is broken) or 2 (one sentence), and prints no
traceback. One child process runs all the cases, under a timeout, so a hang fails the test.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
from pathlib import Path

from cockpit.store.session_file import SessionStore

from .helpers import one_of_each

CASES = 100
CHILD = r"""
import contextlib, io, json, sys
from cockpit.cli import main

results = []
for path, out in json.loads(sys.argv[1]):
    for args in (["audit", "verify", path], ["export", path, "--format", "md", "-o", out],
                 ["checkpoints", path], ["audit", "head", path]):
        err = io.StringIO()
        code = 0
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                main(args)
            except SystemExit as exc:
                code = int(exc.code or 0)
            except BaseException as exc:  # what must never happen: an escaped exception
                code = -1
                err.write(f"Traceback (escaped): {exc!r}")
        results.append([args[0], path, code, err.getvalue()])
print(json.dumps(results))
"""


def _corrupt(data: bytes, rng: random.Random) -> bytes:
    kind = rng.choice(["flip", "flip", "truncate", "zero-page", "splice"])
    buf = bytearray(data)
    if kind == "flip":
        for _ in range(rng.randint(1, 24)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del buf[rng.randrange(100, len(buf)) :]
    elif kind == "zero-page":
        page = rng.randrange(len(buf) // 4096) * 4096
        buf[page : page + 4096] = bytes(min(4096, len(buf) - page))
    else:
        start = rng.randrange(len(buf) - 64)
        buf[start : start + 64] = rng.randbytes(64)
    return bytes(buf)


def test_random_corruptions_never_hang_or_trace_back(tmp_path: Path) -> None:
    source = tmp_path / "real.cockpit"

    async def make() -> None:
        store = await SessionStore.create(source)
        for _ in range(30):
            for event in one_of_each():
                store.append(event)
        await store.close()

    asyncio.run(make())
    data = source.read_bytes()
    rng = random.Random(2026)
    cases = []
    for i in range(CASES):
        path = tmp_path / f"c{i:02d}.cockpit"
        path.write_bytes(_corrupt(data, rng))
        cases.append([str(path), str(tmp_path / f"c{i:02d}.md")])
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) == CASES * 4
    for command, path, code, err in results:
        assert code in (0, 1, 2), (command, path, code, err)
        assert "Traceback" not in err, (command, path, err)
        if code == 2:
            assert err.startswith("cockpit: ") and err.count("\n") <= 1, (command, path, err)
    # The corruptions were real: most cases did not pass as intact.
    assert sum(code != 0 for c, _, code, _ in results if c == "audit") >= CASES // 2
