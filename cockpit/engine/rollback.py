"""The timeline of a session: its checkpoints, and rollback of files and conversation.

Shared by AgentSession and `cockpit rollback`: both give it the session's events, a
Checkpointer of the workspace and the function that records an event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cockpit.errors import CockpitError
from cockpit.events import CheckpointCreated, Event, ModelResponse, Rollback, ToolCallProposed
from cockpit.store.checkpoints import Checkpointer, Difference, differences


def checkpoints(events: Sequence[Event]) -> list[CheckpointCreated]:
    """The session's checkpoints in order (the timeline; number 1 is the first)."""
    return [e for e in events if isinstance(e, CheckpointCreated)]


def find_checkpoint(events: Sequence[Event], number: int) -> CheckpointCreated:
    found = checkpoints(events)
    for checkpoint in found:
        if checkpoint.number == number:
            return checkpoint
    if not found:
        raise CockpitError("This session has no checkpoints yet (none before a mutating action).")
    raise CockpitError(
        f"There is no checkpoint {number}; this session has checkpoints 1 to {found[-1].number}."
    )


def known_state(events: Sequence[Event]) -> str:
    """The manifest of the workspace as Cockpit last left it ('' before any checkpoint).

    That is the latest checkpoint, or, after a rollback of the files, the checkpoint it
    restored; whatever differs from it now changed outside Cockpit.
    """
    manifests: dict[str, str] = {}
    known = ""
    for event in events:
        if isinstance(event, CheckpointCreated):
            manifests[event.checkpoint_id] = known = event.manifest
        elif isinstance(event, Rollback) and event.files:
            known = manifests.get(event.checkpoint_id, known)
    return known


def conversation_cut(events: Sequence[Event], checkpoint: CheckpointCreated) -> int:
    """The seq the conversation goes back to: just before the turn that proposed the action.

    Rolling back to "before `rm -rf archive/`" removes the model's turn that proposed it,
    so the agent decides again; a checkpoint with no action (the session's end, a rollback)
    keeps the conversation up to the checkpoint itself.
    """
    if not checkpoint.tool_use_id:
        return checkpoint.seq
    turn = next(
        (
            e.turn
            for e in events
            if isinstance(e, ToolCallProposed) and e.tool_use_id == checkpoint.tool_use_id
        ),
        None,
    )
    response = next(
        (e for e in events if isinstance(e, ModelResponse) and e.turn == turn),
        None,
    )
    return response.seq - 1 if response is not None else checkpoint.seq


class Timeline:
    """Checkpoints and rollback over one session's events and workspace."""

    def __init__(
        self, events: Sequence[Event], checkpointer: Checkpointer, emit: Callable[[Any], Event]
    ) -> None:
        self.events = events
        self.checkpointer = checkpointer
        self.emit = emit

    def find(self, number: int) -> CheckpointCreated:
        return find_checkpoint(self.events, number)

    async def checkpoint(self, tool_use_id: str, action: str) -> CheckpointCreated:
        """Capture the workspace before `action` into the session file (incrementally)."""
        capture = await self.checkpointer.capture()
        points = checkpoints(self.events)
        number = points[-1].number + 1 if points else 1
        event = self.emit(
            CheckpointCreated(
                checkpoint_id=f"ckpt_{number}_{capture.sha[:8]}",
                tool_use_id=tool_use_id,
                files=capture.manifest.files,
                bytes=capture.new_bytes,
                number=number,
                manifest=capture.sha,
                action=action,
                skipped=capture.manifest.skipped,
                databases=capture.manifest.databases,
            )
        )
        assert isinstance(event, CheckpointCreated)
        return event

    async def caused(self, number: int, max_diffs: int = 5) -> tuple[list[Difference], str]:
        """What the action after checkpoint `number` changed: the paths, and text diffs.

        Compared with the next checkpoint (or the workspace now, after the last one); the
        unified diffs cover the first `max_diffs` changed text files.
        """
        import difflib

        target = self.find(number)
        cp = self.checkpointer
        before = await cp.load(target.manifest)
        later = [p for p in checkpoints(self.events) if p.seq > target.seq]
        if later:
            after = await cp.load(later[0].manifest)
        else:
            after = await cp.current()
        changes = differences(before, after)
        texts: list[str] = []
        for change in changes:
            if len(texts) >= max_diffs:
                break
            old, new = before.entries.get(change.path), after.entries.get(change.path)
            if (old and old.kind != "file") or (new and new.kind != "file"):
                continue
            a = await cp.text_of(old.sha) if old else ""
            b = await cp.text_of(new.sha) if new else ""
            if a is None or b is None:
                continue  # binary, or content not kept (the workspace now, unread)
            texts.append(
                "".join(
                    difflib.unified_diff(
                        a.splitlines(keepends=True),
                        b.splitlines(keepends=True),
                        fromfile=f"a/{change.path}" if old else "/dev/null",
                        tofile=f"b/{change.path}" if new else "/dev/null",
                    )
                )
            )
        return changes, "\n".join(texts)

    async def plan(
        self, number: int, compare_outside: bool = True
    ) -> tuple[list[Difference], list[Difference]]:
        """(what restoring checkpoint `number` changes now, what changed outside Cockpit).

        The second list is what differs from the state Cockpit last left (`known_state`):
        changes nobody recorded, which a rollback would overwrite.
        """
        target = self.find(number)
        cp = self.checkpointer
        plan = await cp.plan(await cp.load(target.manifest))
        if not compare_outside:
            return plan, []
        return plan, await cp.plan(await cp.load(known_state(self.events)))

    async def rollback(
        self, number: int, *, files: bool = True, conversation: bool = True, force: bool = False
    ) -> Rollback:
        """Go back to checkpoint `number`: its files, its conversation, or both.

        Refused when the workspace changed outside Cockpit since, unless `force`; the state it
        replaces is checkpointed first, so a rollback can itself be rolled back. The history
        is kept: the rollback is one more event.
        """
        if not (files or conversation):
            raise CockpitError("Roll back the files, the conversation, or both.")
        target = self.find(number)
        restored: list[Difference] = []
        safety = ""
        if files:
            _, outside = await self.plan(number)
            if outside and not force:
                shown = ", ".join(d.path for d in outside[:5])
                more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
                raise CockpitError(
                    f"The workspace changed outside Cockpit since the last checkpoint ({shown}"
                    f"{more}); rolling back would lose that — pass --force to do it anyway."
                )
            safety = (await self.checkpoint("", f"before rollback to {number}")).checkpoint_id
            cp = self.checkpointer
            restored = await cp.restore(await cp.load(target.manifest))
        event = self.emit(
            Rollback(
                checkpoint_id=target.checkpoint_id,
                number=number,
                to_seq=conversation_cut(self.events, target) if conversation else target.seq,
                restored_files=sum(d.change != "removed" for d in restored),
                removed_files=sum(d.change == "removed" for d in restored),
                files=files,
                conversation=conversation,
                safety_checkpoint=safety,
                forced=force,
            )
        )
        assert isinstance(event, Rollback)
        return event

    def note(self, event: Rollback) -> str:
        return rollback_note(self.find(event.number), event.files, event.conversation)


def rollback_note(checkpoint: CheckpointCreated, files: bool, conversation: bool) -> str:
    """What the agent is told after a rollback."""
    what = {
        (True, True): "the workspace and this conversation",
        (True, False): "the workspace (the conversation is kept)",
        (False, True): "this conversation (the files are as they are now)",
    }[(files, conversation)]
    action = checkpoint.action or f"checkpoint {checkpoint.number}"
    return (
        f"[Cockpit] The engineer rolled back {what} to before `{action}`. "
        "Re-check the state before continuing; do not repeat what was undone without a reason."
    )
