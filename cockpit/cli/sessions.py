"""CLI commands over session files: `cockpit ls`, `cockpit audit verify`, `cockpit export`."""

from __future__ import annotations

import asyncio
import io
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click

from cockpit.errors import CockpitError


def _sessions_dir(directory: Path | None, sessions_dir: Path | None) -> Path:
    if directory is not None:
        return directory
    if sessions_dir is not None:
        return sessions_dir
    from cockpit.config import load_settings

    return load_settings().resolved_sessions_dir()


def _ago(ts: float, now: float) -> str:
    if not ts:
        return "-"
    delta = max(0.0, now - ts)
    if delta < 60:
        return f"{delta:.0f}s ago"
    if delta < 3600:
        return f"{delta / 60:.0f}m ago"
    if delta < 86400:
        return f"{delta / 3600:.0f}h ago"
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    return str(n)


STATUS_STYLE = {
    "running": "green",
    "waiting": "yellow",
    "paused": "yellow",
    "done": "cyan",
    "failed": "red",
    "stopped": "magenta",
    "interrupted": "red",
}
LIVE_STATUSES = {"running", "waiting", "paused"}


def render_ls(folder: Path, width: int | None = None, file: IO[str] | None = None) -> int:
    """Print the sessions table; returns the number of sessions listed."""
    import time

    from rich.console import Console
    from rich.table import Table

    from cockpit.store.session_file import list_sessions, session_in_use
    from cockpit.store.summary import SessionSummary

    summaries, problems = list_sessions(folder)
    console = Console(file=file, width=width, highlight=False)
    if not summaries and not problems:
        console.print(f"No sessions in {folder}.")
        return 0
    now = time.time()
    table = Table(title=f"Sessions in {folder}", title_justify="left", expand=True)
    # One line per session: cells are cut with an ellipsis, never wrapped; a narrow
    # terminal drops the model and activity columns rather than squeezing every column.
    wide = console.width >= 120
    columns: list[tuple[str, dict[str, Any]]] = [
        ("Title", {"ratio": 3}),
        ("Status", {"width": 11}),
        ("Model", {"ratio": 2}),
        ("Events", {"justify": "right", "width": 6}),
        ("Tokens", {"justify": "right", "width": 6}),
        ("Cost", {"justify": "right", "width": 7}),
        ("Last activity", {"justify": "right", "width": 13}),
        ("File", {"ratio": 3}),
    ]
    keep = [name for name, _ in columns if wide or name not in ("Model", "Last activity")]
    for name, options in columns:
        if name in keep:
            table.add_column(name, overflow="ellipsis", no_wrap=True, **options)
    for s in summaries:
        assert isinstance(s, SessionSummary)
        status = s.status
        if status in LIVE_STATUSES and not session_in_use(s.path):
            status = "interrupted"  # says running, but no process is writing it
        style = STATUS_STYLE.get(status, "")
        cells = {
            "Title": s.title or "(untitled)",
            "Status": f"[{style}]{status}[/]" if style else status,
            "Model": s.model or "-",
            "Events": str(s.event_count),
            "Tokens": _tokens(s.total_tokens),
            "Cost": f"${s.cost_usd:.2f}",
            "Last activity": _ago(s.last_activity, now),
            "File": s.path.name,
        }
        table.add_row(*(cells[name] for name in keep))
    console.print(table)
    for path, problem in problems:
        console.print(f"[yellow]skipped[/] {path.name}: {problem}")
    return len(summaries)


@click.command("ls")
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--sessions-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of session files (default: the configured sessions folder).",
)
def ls_command(directory: Path | None, sessions_dir: Path | None) -> None:
    """List the sessions in DIR (default: the sessions folder)."""
    render_ls(_sessions_dir(directory, sessions_dir))


@click.group("audit")
def audit_group() -> None:
    """Check the integrity of session files."""


@audit_group.command("verify")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--against",
    "against",
    metavar="HEAD",
    help="A head printed earlier by `cockpit audit head` (SEQ:HASH) the file must extend.",
)
def verify_command(file: Path, against: str | None) -> None:
    """Recompute FILE's hash chain: exit 0 when it holds, 1 with the first broken event.

    The file must also extend every head recorded for its session in the data folder (at
    each session end), and HEAD when one is given.
    """
    from cockpit.store.anchor import Head, recorded_heads
    from cockpit.store.session_file import SessionStore

    wanted = Head.parse(against) if against else None

    async def run() -> tuple[bool, int, int | None, str, int]:
        store = await SessionStore.open(file, readonly=True)
        try:
            result = await store.verify()
            if not result.ok:
                return result.ok, result.checked, result.first_bad_seq, result.reason, 0
            heads = recorded_heads(store.session_id) + ([wanted] if wanted else [])
            for head in heads:
                stored = await store.hash_at(head.seq) if head.seq else None
                if head.seq > result.checked or (head.seq and stored != bytes.fromhex(head.digest)):
                    return (
                        False,
                        result.checked,
                        head.seq,
                        f"the file does not extend the head {head} recorded earlier "
                        "(rewritten, or cut short)",
                        len(heads),
                    )
            return True, result.checked, None, result.reason, len(heads)
        finally:
            await store.close()

    ok, checked, bad, reason, anchors = asyncio.run(run())
    if ok:
        extends = f", extends {anchors} recorded head(s)" if anchors else ""
        click.echo(f"OK {file}: {checked} events, audit chain intact{extends}")
        return
    click.echo(f"BROKEN {file}: first bad event seq {bad}: {reason}")
    sys.exit(1)


@audit_group.command("head")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def head_command(file: Path) -> None:
    """Print FILE's chain head (SEQ:HASH); keep it to prove later the file was not rewritten."""
    from cockpit.store.anchor import Head
    from cockpit.store.session_file import SessionStore

    async def run() -> Head:
        store = await SessionStore.open(file, readonly=True)
        try:
            seq, digest = await store.head()
        finally:
            await store.close()
        return Head(seq, digest.hex())

    click.echo(str(asyncio.run(run())))


@click.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "md"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one canonical event per line; md: a readable transcript.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file (atomically) instead of standard output.",
)
def export_command(file: Path, fmt: str, output: Path | None) -> None:
    """Export session FILE as JSONL events or a Markdown transcript."""
    from cockpit.store.export import export_session, write_atomically

    if output is not None and _is_session_file(output, file):
        raise CockpitError(
            f"{output} is a session file; exporting over it would destroy it. Pass another -o path."
        )
    # Validate before creating any output file.
    asyncio.run(_check_readable(file))
    if output is None:
        buffer = io.StringIO()
        asyncio.run(export_session(file, fmt, buffer))
        click.echo(buffer.getvalue(), nl=False)
        return
    text = io.StringIO()
    asyncio.run(export_session(file, fmt, text))
    write_atomically(output, lambda fh: fh.write(text.getvalue()))
    click.echo(f"Wrote {output}", err=True)


def _is_session_file(output: Path, source: Path) -> bool:
    """True for the exported file itself (by any path) or any other Cockpit session file."""
    try:
        if output.exists() and source.exists() and output.samefile(source):
            return True
        with output.open("rb") as fh:
            header = fh.read(100)
    except OSError:
        return False
    from cockpit.store.schema import APPLICATION_ID

    return header.startswith(b"SQLite format 3\x00") and (
        int.from_bytes(header[68:72], "big") == APPLICATION_ID or output.suffix == ".cockpit"
    )


async def _check_readable(file: Path) -> None:
    from cockpit.store.session_file import SessionStore

    store = await SessionStore.open(file, readonly=True)
    await store.close()
