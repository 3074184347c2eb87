"""`cockpit dry-run FILE`: what a dry-run session would change; apply or discard it."""

from __future__ import annotations

from pathlib import Path

import click

from cockpit.errors import CockpitError


@click.command("dry-run")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--diff", "show_diff", is_flag=True, help="Print the diff of every changed file.")
@click.option("--apply", "apply", is_flag=True, help="Write the changes into the workspace.")
@click.option("--discard", is_flag=True, help="Throw the changes away.")
def dry_run_command(file: Path, show_diff: bool, apply: bool, discard: bool) -> None:
    """List the changes a dry-run session made to its copy of the workspace.

    --apply writes them all into the real workspace, or none: it refuses, naming the
    files, when the workspace changed since the copy was made. Both --apply and --discard
    are recorded in the session file.
    """
    if apply and discard:
        raise CockpitError("Pass either --apply or --discard, not both.")
    import asyncio

    asyncio.run(_main(file, show_diff, "apply" if apply else "discard" if discard else None))


async def _main(file: Path, show_diff: bool, action: str | None) -> None:
    from cockpit.engine.dryrun import WorkspaceCopy, dry_run_root, settled_event
    from cockpit.events import SessionStarted
    from cockpit.store.anchor import Head, record_head
    from cockpit.store.session_file import SessionStore

    store = await SessionStore.open(file, readonly=action is None)
    try:
        first = await store.read_intact("applied from", first_only=True)
        assert isinstance(first[0], SessionStarted)
        root = dry_run_root(store.path)
        if not (root / "manifest.json").is_file():
            raise CockpitError(
                f"{file} has no dry-run copy: it did not run in dry-run mode, or its changes "
                "were already applied or discarded and the mode left."
            )
        copy = WorkspaceCopy.open(Path(first[0].workspace), root)
        changes = [c for c in copy.changes() if c.type != "dir"]
        marks = {"added": "+", "removed": "-", "modified": "~"}
        click.echo(f"workspace {copy.workspace}")
        click.echo(f"copy      {copy.path}")
        if not changes:
            click.echo("Nothing would change.")
        for change in changes:
            click.echo(f"  {marks[change.kind]} {change.path}")
            if show_diff:
                click.echo(copy.diff(change.path))
        if action is None or not changes:
            return
        head_seq, _ = await store.head()
        last = [e async for e in store.iter_events(start_seq=max(1, head_seq))]
        versions = {}
        if last:
            versions = {
                "prompt_version": last[-1].prompt_version,
                "policy_version": last[-1].policy_version,
            }
        if action == "apply":
            done = copy.apply()
            event = settled_event("apply", done)
        else:
            done = copy.changes()
            copy.discard()
            event = settled_event("discard", done)
        store.append(event.model_copy(update=versions))
        await store.flush()
        seq, digest = await store.head()
        record_head(store.session_id, store.path, Head(seq, digest.hex()), f"dry-run {action}")
        files = sum(c.type != "dir" for c in done)
        verb = "Applied" if action == "apply" else "Discarded"
        click.echo(f"{verb} {files} change(s).")
    finally:
        await store.close()
