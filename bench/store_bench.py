"""Session-file bench: writer throughput, open + verify of a large file, `cockpit ls` time.

Prints figures; it asserts nothing. `--quick` uses small sizes (the test suite runs that).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cockpit import events as ev  # noqa: E402
from cockpit.store.session_file import SessionStore  # noqa: E402

CHUNK = 256  # events appended between two yields to the event loop, like a busy engine


def realistic_mix(n: int) -> list[ev.EventBase]:
    """A session-like mix: mostly streamed text and tool output, some calls and responses."""
    out: list[ev.EventBase] = []
    for i in range(n):
        turn, r, tid = i // 20, i % 20, f"toolu_{i // 20:08d}"
        if r < 8:
            out.append(
                ev.TextDelta(
                    turn=turn,
                    block_index=0,
                    text="The ingestion job failed because the upstream schema added a column ",
                )
            )
        elif r < 13:
            out.append(
                ev.ToolOutput(
                    tool_use_id=tid,
                    text="2024-05-01 12:00:01 INFO loaded 1200 rows from s3://raw/orders.csv\n" * 2,
                )
            )
        elif r == 13:
            out.append(
                ev.ToolCallProposed(
                    turn=turn,
                    tool_use_id=tid,
                    name="bash",
                    input={"command": "python pipeline/ingest.py --date 2024-05-01"},
                )
            )
        elif r == 14:
            out.append(ev.RiskAssessed(tool_use_id=tid, tier="low", reasons=["read-only"]))
        elif r == 15:
            out.append(ev.ToolStarted(tool_use_id=tid, name="bash"))
        elif r == 16:
            out.append(
                ev.ToolFinished(
                    tool_use_id=tid, name="bash", content="loaded 1200 rows", exit_code=0
                )
            )
        elif r == 17:
            out.append(
                ev.ModelResponse(
                    turn=turn,
                    content=[{"type": "text", "text": "Let me check the schema file next."}],
                    usage=ev.Usage(input_tokens=1200, output_tokens=80),
                    cost_usd=0.0048,
                )
            )
        elif r == 18:
            out.append(ev.HealthSample(turn=turn, metrics={"tool_error_rate": 0.1, "tpt": 1200.0}))
        else:
            out.append(ev.ModelRequest(turn=turn + 1, message_count=2 * turn + 1, max_tokens=8192))
    return out


async def append_rate(path: Path, n: int) -> tuple[float, float]:
    """events/s from the first append until flush() confirms everything is committed."""
    events = realistic_mix(n)  # built outside the timing: constructing events is the engine's cost
    store = await SessionStore.create(path)
    started = time.perf_counter()
    for i in range(0, n, CHUNK):
        for event in events[i : i + CHUNK]:
            store.append(event)
        await asyncio.sleep(0)
    appended = time.perf_counter()
    await store.flush()
    done = time.perf_counter()
    await store.close()
    return n / (done - started), n / (appended - started)


def peak_rss_kb() -> int:
    """Peak RSS of this process. VmHWM, because ru_maxrss can carry over the parent's
    high-water mark through fork + exec on Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_verify(path: str) -> None:
    """Runs in a fresh process: open + verify, then report time and peak RSS as JSON."""

    async def run() -> tuple[float, int, bool]:
        t0 = time.perf_counter()
        store = await SessionStore.open(Path(path), readonly=True)
        result = await store.verify()
        elapsed = time.perf_counter() - t0
        await store.close()
        return elapsed, result.checked, result.ok

    elapsed, checked, ok = asyncio.run(run())
    rss_kb = peak_rss_kb()
    print(json.dumps({"seconds": elapsed, "checked": checked, "ok": ok, "rss_mb": rss_kb / 1024}))


def open_verify(path: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child-verify", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


async def make_listing(folder: Path, files: int, events_per_file: int) -> None:
    for f in range(files):
        store = await SessionStore.create(folder / f"session-{f:03d}.cockpit")
        store.append(
            ev.SessionStarted(
                title=f"Session {f}",
                goal="Fix the nightly ingestion",
                model="claude-sonnet-4-5",
                backend="scripted",
                workspace="/tmp/ws",
            )
        )
        for event in realistic_mix(events_per_file):
            store.append(event)
        store.append(ev.SessionEnded(status="done", turns=events_per_file // 20))
        await store.close()


def ls_times(folder: Path) -> tuple[float, float]:
    """(subprocess `cockpit ls` wall time incl. interpreter start-up, in-process ls time)."""
    import io

    from cockpit.cli.sessions import render_ls

    t0 = time.perf_counter()
    buf = io.StringIO()
    count = render_ls(folder, width=200, file=buf)
    in_process = time.perf_counter() - t0
    assert count == len(list(folder.glob("*.cockpit")))
    env = {**os.environ, "COLUMNS": "200"}
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cockpit", "ls", str(folder)],
        check=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
    )
    return time.perf_counter() - t0, in_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--child-verify", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_verify:
        child_verify(args.child_verify)
        return
    n_append = 5_000 if args.quick else 200_000
    n_verify = 5_000 if args.quick else 100_000
    n_files, per_file = (10, 50) if args.quick else (100, 200)
    print(f"store bench ({'quick' if args.quick else 'full'}), {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="cockpit-store-bench-") as tmp:
        folder = Path(tmp)
        rate, append_only = asyncio.run(append_rate(folder / "append.cockpit", n_append))
        print(
            f"append: {rate:,.0f} events/s sustained through the writer "
            f"({n_append:,} events, realistic mix, append() alone {append_only:,.0f}/s) "
            "[target >= 50,000]"
        )
        big = folder / "verify.cockpit"
        asyncio.run(append_rate(big, n_verify))
        size_mb = big.stat().st_size / 1e6
        v = open_verify(big)
        print(
            f"open+verify: {int(v['checked']):,} events ({size_mb:.1f} MB) "
            f"in {v['seconds']:.2f} s, "
            f"chain ok={bool(v['ok'])}, peak RSS {v['rss_mb']:.0f} MB "
            "(fresh process) [targets < 2 s, < 200 MB]"
        )
        listing = folder / "listing"
        listing.mkdir()
        asyncio.run(make_listing(listing, n_files, per_file))
        sub, inproc = ls_times(listing)
        print(
            f"ls: {n_files} session files in {sub:.2f} s as a subprocess `python -m cockpit ls` "
            f"(includes interpreter start-up and imports); {inproc:.3f} s in-process [target < 1 s]"
        )


if __name__ == "__main__":
    main()
