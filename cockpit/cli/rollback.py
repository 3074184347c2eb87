"""`cockpit checkpoints FILE` (the timeline) and `cockpit rollback FILE --to N`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from cockpit.engine.rollback import Timeline
    from cockpit.events import Event
    from cockpit.store.session_file import SessionStore


@click.command("checkpoints")
@click.argument("file", type=click.Path(path_type=Path))
def checkpoints_command(file: Path) -> None:
    """The session's checkpoints: each with the action that followed it."""
    asyncio.run(_list(file))


async def _list(file: Path) -> None:
    from cockpit.engine.rollback import checkpoints

    async with _timeline(file, readonly=True) as (timeline, _store):
        points = checkpoints(timeline.events)
        if not points:
            click.echo("No checkpoints: the session made no change yet.")
        for p in points:
            when = datetime.fromtimestamp(p.ts).strftime("%Y-%m-%d %H:%M:%S")
            extra = f"  ({len(p.skipped)} file(s) over the size limit)" if p.skipped else ""
            what = f"before {p.action}" if p.tool_use_id else p.action
            click.echo(f"{p.number:4}  {when}  {p.files:5} files  {what}{extra}")


@click.command("rollback")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--to", "number", type=int, required=True, help="Checkpoint number (see checkpoints)."
)
@click.option("--files-only", is_flag=True, help="Restore the files, keep the conversation.")
@click.option("--conversation-only", is_flag=True, help="Rewind the conversation, keep the files.")
@click.option("--force", is_flag=True, help="Overwrite changes made outside Cockpit since.")
@click.option("--dry-run", "preview", is_flag=True, help="Only print what would change.")
def rollback_command(
    file: Path,
    number: int,
    files_only: bool,
    conversation_only: bool,
    force: bool,
    preview: bool,
) -> None:
    """Restore the workspace and/or the conversation to checkpoint N.

    Files come back exactly (modes, links, databases); files created later are removed.
    The rollback is appended to the session (history is never deleted) and the state it
    replaces is checkpointed first, so it can be undone. `cockpit resume FILE` then
    continues from there.
    """
    if files_only and conversation_only:
        raise CockpitError("Pass --files-only or --conversation-only, not both.")
    asyncio.run(_rollback(file, number, not conversation_only, not files_only, force, preview))


async def _rollback(
    file: Path, number: int, files: bool, conversation: bool, force: bool, preview: bool
) -> None:
    async with _timeline(file, readonly=preview) as (timeline, store):
        target = timeline.find(number)
        plan, outside = await timeline.plan(number)
        # From now back to the target: + brought back, - removed, ~ restored.
        marks = {"added": "+", "removed": "-", "modified": "~"}
        click.echo(f"checkpoint {number}: {'before ' if target.tool_use_id else ''}{target.action}")
        if files:
            for d in plan:
                click.echo(f"  {marks[d.change]} {d.path}")
            if not plan:
                click.echo("  the files are as they were then")
        if outside:
            click.echo(f"changed outside Cockpit since the last checkpoint: {len(outside)} path(s)")
            for d in outside[:20]:
                click.echo(f"  ! {d.path}")
        if preview:
            return
        event = await timeline.rollback(number, files=files, conversation=conversation, force=force)
        timeline.emit(_note(timeline, event))  # the agent is told when it continues
        await store.flush()
        done = []
        if files:
            done.append(f"{event.restored_files} restored, {event.removed_files} removed")
        if conversation:
            done.append("the conversation continues from before that action")
        click.echo("Rolled back: " + "; ".join(done) + f". Continue with `cockpit resume {file}`.")


def _note(timeline: Timeline, event: Any) -> Any:
    from cockpit.events import UserMessage

    return UserMessage(text=timeline.note(event), source="system")


def _working_copy(file: Path, events: list[Event]) -> Path:
    """The folder the session's tools work in: its workspace, or its dry-run copy."""
    from cockpit.engine.dryrun import dry_run_root
    from cockpit.events import ModeChanged, SessionStarted

    mode = events[0].mode if isinstance(events[0], SessionStarted) else "ask"
    for event in events:
        if isinstance(event, ModeChanged):
            mode = event.mode
    copy = dry_run_root(file) / "workspace"
    if mode == "dry-run" and copy.is_dir():
        return copy
    return Path(events[0].workspace) if isinstance(events[0], SessionStarted) else copy


@asynccontextmanager
async def _timeline(file: Path, readonly: bool) -> AsyncIterator[tuple[Timeline, SessionStore]]:
    from cockpit.engine.rollback import Timeline
    from cockpit.store.checkpoints import Checkpointer
    from cockpit.store.session_file import SessionStore

    store = await SessionStore.open(file, readonly=readonly)
    try:
        events = await store.read_intact("rolled back")
        workspace = _working_copy(file, events)
        if not workspace.is_dir():
            raise CockpitError(f"The session's workspace {workspace} is gone; restore it first.")
        versions = {
            "prompt_version": events[-1].prompt_version,
            "policy_version": events[-1].policy_version,
        }

        def emit(event: Any) -> Event:
            stamped = store.append(event.model_copy(update=versions))
            events.append(stamped)
            return stamped

        yield Timeline(events, Checkpointer(store, workspace), emit), store
        if not readonly:
            from cockpit.store.anchor import Head, record_head

            await store.flush()
            seq, digest = await store.head()
            record_head(store.session_id, store.path, Head(seq, digest.hex()), "rollback")
    finally:
        await store.close()


@click.command("fork")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--at", "number", type=int, required=True, help="Checkpoint number to fork at.")
@click.option("--session", "dest", type=click.Path(path_type=Path), help="The new session file.")
@click.option(
    "--workspace", type=click.Path(path_type=Path), help="A new folder for the fork's files."
)
def fork_command(file: Path, number: int, dest: Path | None, workspace: Path | None) -> None:
    """Fork a session at checkpoint N: a new session file and a new workspace as they were.

    The original is untouched; `cockpit resume NEW` continues the fork from before the
    action the checkpoint names.
    """
    from cockpit.cli.startup import new_session_path
    from cockpit.engine.fork import fork_session

    if not file.is_file():
        raise CockpitError(f"{file} does not exist; `cockpit ls` lists the sessions.")
    dest = dest or new_session_path(file.parent, f"{file.stem[16:] or 'session'}-fork-{number}")
    workspace = workspace or dest.with_name(dest.stem + "-workspace")
    made = asyncio.run(fork_session(file, number, dest, workspace))
    click.echo(f"session   {made}")
    click.echo(f"workspace {workspace.resolve()}")
    click.echo(f"Continue it with `cockpit resume {made}`.")
