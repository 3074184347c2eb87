"""Live output is capped per call (head and tail kept, the middle marked); memory stays flat."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from cockpit.engine.tools.base import ToolContext
from cockpit.engine.tools.bash import BashTool

BASH = BashTool()


async def test_a_flood_streams_only_head_and_tail_with_a_marker(ctx: ToolContext) -> None:
    chunks: list[tuple[str, str]] = []
    capped = dataclasses.replace(
        ctx, live_output_cap=10_000, on_output=lambda s, t: chunks.append((s, t))
    )
    result = await BASH.run(
        {"command": "echo FIRST; yes | head -c 5000000; echo; echo LAST"}, capped
    )
    streamed = "".join(t for _, t in chunks)
    assert streamed.startswith("FIRST")
    assert streamed.rstrip().endswith("LAST")
    assert "characters of output elided" in streamed
    assert len(streamed) <= 10_000 + 100
    assert result.output_elided > 4_900_000
    assert len(result.content) <= ctx.output_cap + 100  # what the model sees: capped apart


async def test_a_command_under_the_cap_streams_everything(ctx: ToolContext) -> None:
    chunks: list[str] = []
    capped = dataclasses.replace(
        ctx, live_output_cap=10_000, on_output=lambda s, t: chunks.append(t)
    )
    result = await BASH.run({"command": "seq 1 1000"}, capped)
    assert "".join(chunks) == "".join(f"{i}\n" for i in range(1, 1001))
    assert result.output_elided == 0


async def test_a_timed_out_flood_ends_and_stays_bounded(ctx: ToolContext) -> None:
    chunks: list[str] = []
    capped = dataclasses.replace(
        ctx, live_output_cap=50_000, bash_timeout_s=1.0, on_output=lambda s, t: chunks.append(t)
    )
    result = await BASH.run({"command": "yes"}, capped)
    assert result.is_error and "timed out" in result.content
    assert sum(map(len, chunks)) <= 50_000 + 100


async def test_a_flood_of_tiny_writes_makes_few_output_calls(ctx: ToolContext) -> None:
    calls: list[str] = []
    counted = dataclasses.replace(ctx, on_output=lambda s, t: calls.append(t))
    command = "for i in $(seq 1 20000); do echo $i; echo e$i >&2; done"
    start = time.monotonic()
    result = await BASH.run({"command": command}, counted)
    elapsed = time.monotonic() - start
    assert not result.is_error
    lines = "".join(calls).split()
    assert sorted(lines) == sorted(
        [str(i) for i in range(1, 20001)] + [f"e{i}" for i in range(1, 20001)]
    )
    # At most one flush per 50 ms (or per 64 K characters), each of at most 8 stream runs.
    assert len(calls) <= (elapsed / 0.05 + 4) * 8, f"{len(calls)} calls in {elapsed:.2f}s"


def test_memory_stays_flat_whatever_a_command_prints(tmp_path: Path) -> None:
    """In a fresh process: 300 MB of output through the tool grows RSS by a few MB only."""
    script = textwrap.dedent(
        f"""
        import asyncio, resource, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from pathlib import Path
        from cockpit.engine.tools.base import ToolContext
        from cockpit.engine.tools.bash import BashTool
        sizes = []
        async def main():
            ctx = ToolContext(workspace=Path({str(tmp_path)!r}), memory=None,
                              on_output=lambda s, t: sizes.append(len(t)))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            r = await BashTool().run({{"command": "yes | head -c 300000000"}}, ctx)
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print((after - before) // 1024, sum(sizes), r.output_elided)
        asyncio.run(main())
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    grew_mb, streamed, elided = map(int, proc.stdout.split())
    assert streamed <= 4_000_100 and elided >= 295_000_000
    assert grew_mb < 50, f"RSS grew {grew_mb} MB"
