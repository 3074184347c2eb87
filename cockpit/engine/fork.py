"""Fork a session at a checkpoint: a new session file and a new workspace as they were then.

The new file holds the source's events up to just before the action the checkpoint names
(a new chain, its `session_started` saying where it came from) and the blobs of the
checkpoints it keeps, so it can itself be rolled back; the new workspace is the
checkpoint's files. `cockpit resume NEW` continues it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cockpit.engine.rollback import checkpoints, conversation_cut, find_checkpoint
from cockpit.errors import CockpitError
from cockpit.events import SessionEnded, SessionStarted, UserMessage
from cockpit.store.checkpoints import Checkpointer, Manifest
from cockpit.store.session_file import SessionStore


async def fork_session(source: Path, number: int, dest: Path, workspace: Path) -> Path:
    """Write the fork of `source` at checkpoint `number` to `dest`, its files to `workspace`."""
    if dest.exists():
        raise CockpitError(f"{dest} already exists; pick another path for the fork.")
    if workspace.exists() and any(workspace.iterdir()):
        raise CockpitError(f"{workspace} is not empty; the fork needs a new workspace folder.")
    src = await SessionStore.open(source, readonly=True)
    try:
        events = await src.read_intact("forked")
        assert isinstance(events[0], SessionStarted)
        target = find_checkpoint(events, number)
        cut = conversation_cut(events, target)
        kept = [e for e in events[1:] if e.seq <= cut and not isinstance(e, SessionEnded)]
        created = not workspace.exists()
        workspace.mkdir(parents=True, exist_ok=True)
        restorer = Checkpointer(src, workspace.resolve())
        try:
            await restorer.restore(await restorer.load(target.manifest))
        except BaseException:
            if created:  # never leave a half-made fork behind
                shutil.rmtree(workspace, ignore_errors=True)
            raise
        blobs = await _blobs_of(src, [p.manifest for p in checkpoints(kept)])
        started = events[0].model_copy(
            update={
                "workspace": str(workspace.resolve()),
                "forked_from": events[0].session_id,
                "forked_at_seq": cut,
                "title": f"{events[0].title} (fork at {number})",
            }
        )
    finally:
        await src.close()
    store = await SessionStore.create(dest)
    try:
        await store.put_blobs(blobs)
        store.append(started)
        for event in kept:
            store.append(event.model_copy(update={"session_id": store.session_id}))
        what = f"before {target.action}" if target.tool_use_id else target.action
        store.append(
            UserMessage(
                text=f"[Cockpit] This session is a fork of {started.forked_from} at checkpoint "
                f"{number} ({what}); the workspace is as it was then.",
                source="system",
            ).model_copy(
                update={
                    "prompt_version": kept[-1].prompt_version if kept else "",
                    "policy_version": kept[-1].policy_version if kept else "",
                }
            )
        )
        await store.flush()
    finally:
        await store.close()
    return dest


async def _blobs_of(store: SessionStore, manifests: list[str]) -> list[tuple[str, bytes]]:
    """Every blob the kept checkpoints need: their manifests and their files."""
    wanted: dict[str, None] = {}
    for sha in manifests:
        raw = await store.get_blob(sha)
        if raw is None:
            continue
        wanted[sha] = None
        for entry in Manifest.from_json(raw).entries.values():
            if entry.kind in ("file", "sqlite"):
                wanted[entry.sha] = None
    out: list[tuple[str, bytes]] = []
    for sha in wanted:
        data = await store.get_blob(sha)
        if data is not None:
            out.append((sha, data))
    return out
