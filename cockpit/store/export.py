"""Exporting a session file: canonical JSONL, or a readable Markdown transcript."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from cockpit import events as ev
from cockpit.errors import CockpitError
from cockpit.store.session_file import SessionStore

FORMATS = ("jsonl", "md")


async def export_session(path: Path, fmt: str, out: TextIO) -> int:
    """Write the session at `path` to `out` in `fmt`; returns the number of events."""
    if fmt not in FORMATS:
        raise CockpitError(f"Unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    store = await SessionStore.open(path, readonly=True)
    try:
        if fmt == "jsonl":
            count = 0
            async for _seq, text in store.iter_raw():
                out.write(text)
                out.write("\n")
                count += 1
            return count
        return await write_markdown(store.iter_events(), out)
    finally:
        await store.close()


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _fence(text: str, lang: str = "") -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}\n"


def _short(value: Any, limit: int = 4000) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more chars)"


async def write_markdown(events: AsyncIterator[ev.Event], out: TextIO) -> int:
    """A transcript: goal, assistant text, tool calls with inputs and results, approvals, errors."""
    count = 0
    text_buf: list[str] = []
    turns_with_text: set[int] = set()

    def flush_text() -> None:
        if text_buf:
            out.write("".join(text_buf).strip() + "\n\n")
            text_buf.clear()

    async for e in events:
        count += 1
        if isinstance(e, ev.TextDelta):
            text_buf.append(e.text)
            turns_with_text.add(e.turn)
            continue
        flush_text()
        if isinstance(e, ev.SessionStarted):
            out.write(f"# {e.title or 'Cockpit session'}\n\n")
            out.write(f"- Session: `{e.session_id}`\n- Started: {_when(e.ts)}\n")
            out.write(f"- Model: `{e.model}` ({e.backend})\n- Workspace: `{e.workspace}`\n")
            out.write(f"- Approval mode: {e.mode}\n")
            if e.forked_from:
                out.write(f"- Forked from `{e.forked_from}` at event {e.forked_at_seq}\n")
            out.write(f"\n## Goal\n\n{e.goal}\n\n## Transcript\n\n")
        elif isinstance(e, ev.UserMessage):
            if e.source != "goal":
                out.write(f"**{e.source.capitalize()}:** {e.text}\n\n")
        elif isinstance(e, ev.ModelResponse):
            # Text normally came as deltas; show a reply's text only when none were stored.
            if e.turn not in turns_with_text:
                for block in e.content:
                    if block.get("type") == "text" and block.get("text"):
                        out.write(str(block["text"]).strip() + "\n\n")
            out.write(
                f"_Turn {e.turn}: {e.usage.input_tokens} in / {e.usage.output_tokens} out tokens"
                f", ${e.cost_usd:.4f}, stop: {e.stop_reason}_\n\n"
            )
        elif isinstance(e, ev.Thinking):
            out.write(
                "<details><summary>Thinking</summary>\n\n" + e.text.strip() + "\n\n</details>\n\n"
            )
        elif isinstance(e, ev.ToolCallProposed):
            out.write(f"### Tool call `{e.name}` ({e.tool_use_id})\n\n")
            out.write(_fence(_short(e.input), "json"))
            out.write("\n")
        elif isinstance(e, ev.RiskAssessed):
            reasons = "; ".join(e.reasons)
            out.write(f"Risk: **{e.tier}**" + (f" ({reasons})" if reasons else "") + "\n\n")
        elif isinstance(e, ev.ApprovalRequested):
            out.write(f"**Approval requested** ({e.tier}): {e.summary or e.name}\n\n")
        elif isinstance(e, ev.ApprovalDecided):
            verdict = "Approved" if e.decision == "allow" else "Denied"
            how = f", {e.how}" if e.how else ""
            msg = f": {e.message}" if e.message else ""
            rules = f"; rules {', '.join(e.rule_ids)}" if e.rule_ids else ""
            out.write(f"**{verdict}** by {e.by} (scope {e.scope}{how}{rules}){msg}\n\n")
            if e.edited_input is not None:
                out.write("The user edited the call before it ran:\n\n")
                out.write(_fence(_short(e.edited_input), "json"))
                out.write("\n")
        elif isinstance(e, ev.ModeChanged):
            out.write(f"> **Mode** {e.previous} → {e.mode} (by {e.by})\n\n")
        elif isinstance(e, ev.GrantRevoked):
            out.write(f"> **Grant withdrawn** {e.grant_id} (by {e.by})\n\n")
        elif isinstance(e, ev.DryRunSettled):
            n = len(e.added) + len(e.modified) + len(e.removed)
            verb = "applied to the workspace" if e.action == "apply" else "discarded"
            out.write(f"> **Dry-run {verb}**: {n} file(s)\n\n")
        elif isinstance(e, ev.ToolFinished):
            status = "error" if e.is_error else "result"
            code = f", exit {e.exit_code}" if e.exit_code is not None else ""
            out.write(f"Tool {status} (`{e.name}`{code}, {e.duration_ms:.0f} ms):\n\n")
            out.write(_fence(_short(e.content)))
            out.write("\n")
        elif isinstance(e, ev.ApiError):
            retry = " — retrying" if e.will_retry else ""
            out.write(f"> **API error** {e.error_type} ({e.status}): {e.message}{retry}\n\n")
        elif isinstance(e, ev.CheckpointCreated):
            out.write(f"_Checkpoint {e.checkpoint_id}: {e.files} files_\n\n")
        elif isinstance(e, ev.Rollback):
            out.write(f"> **Rolled back** to checkpoint {e.checkpoint_id} (event {e.to_seq})\n\n")
        elif isinstance(e, ev.Compacted):
            out.write(f"> Context compacted ({e.tokens_before} -> {e.tokens_after} tokens)\n\n")
        elif isinstance(e, ev.WatchdogAlert):
            out.write(f"> **Watchdog** {e.metric}={e.value:g} (>{e.threshold:g}): {e.message}\n\n")
        elif isinstance(e, ev.Paused):
            out.write(f"> Paused by {e.by}: {e.reason}\n\n")
        elif isinstance(e, ev.Resumed):
            out.write(f"> Resumed by {e.by}\n\n")
        elif isinstance(e, ev.Steered):
            out.write(f"**Steer:** {e.text}\n\n")
        elif isinstance(e, ev.SessionEnded):
            reason = f": {e.reason}" if e.reason else ""
            out.write(f"## Ended: {e.status}{reason}\n\n_{e.turns} turns, {_when(e.ts)}_\n")
    flush_text()
    return count


def write_atomically(target: Path, write: Any) -> None:
    """Call `write(fh)` on a temporary file beside `target`, then rename it into place."""
    folder = target.parent
    if not folder.is_dir():
        raise CockpitError(
            f"The folder {folder} does not exist; create it or choose another -o path."
        )
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CockpitError(
            f"Cannot write to {folder} ({exc.strerror}); choose another -o path."
        ) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
