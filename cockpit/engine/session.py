"""AgentSession: the agent loop (model turn -> tools -> gate -> results) and its controls."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cockpit import __version__
from cockpit.engine.context import ContextPolicy, cost_usd, estimate_tokens
from cockpit.engine.conversation import Conversation
from cockpit.engine.stream import StreamAccumulator
from cockpit.engine.tools.base import ToolContext
from cockpit.engine.tools.registry import ToolRegistry
from cockpit.events import (
    DENIED_PREFIX,
    ApiError,
    ApprovalDecided,
    ApprovalMode,
    ApprovalRequested,
    CheckpointCreated,
    ContextEdited,
    Event,
    EventBase,
    GrantRevoked,
    HealthSample,
    MemoryOp,
    ModeChanged,
    ModelRequest,
    ModelResponse,
    Paused,
    Resumed,
    Retry,
    RiskAssessed,
    Rollback,
    SessionEnded,
    SessionStarted,
    SessionStatus,
    Steered,
    TextDelta,
    Thinking,
    ToolCallProposed,
    ToolFinished,
    ToolOutput,
    ToolStarted,
    Usage,
    UserMessage,
    WatchdogAlert,
)
from cockpit.health.monitor import HealthMonitor
from cockpit.health.watchdog import Watchdog, WatchdogRule, default_rules
from cockpit.policy.gate import ApprovalGate, GrantRequest
from cockpit.policy.risk import RiskAssessment, classify, policy_version
from cockpit.vocab import END_STATUSES, TIER_ORDER, EndStatus

if TYPE_CHECKING:
    from cockpit.engine.client import Backend
    from cockpit.engine.dryrun import Change, WorkspaceCopy
    from cockpit.engine.rollback import Timeline
    from cockpit.store.checkpoints import Difference
    from cockpit.store.session_file import SessionStore

logger = logging.getLogger(__name__)
Listener = Callable[[Event], None]

BETAS = ["context-management-2025-06-27"]
OUTPUT_FLUSH_S = 0.1
RETRYABLE_ERROR_TYPES = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}

SYSTEM_PROMPT = """You are an autonomous engineering agent working in a project workspace, \
supervised live by an engineer through Cockpit.

Goal: {goal}

Workspace: the current directory of every tool is the workspace root; give paths relative to it. \
File tools and bash are confined to the workspace. Run the project's own scripts and tests to \
verify your work. High-impact actions (deleting data, destructive SQL, network access, writing \
outside the workspace) need the engineer's approval and may be denied: when a tool result says \
"Permission denied", do not retry the same action; find a safer way or explain what you need. \
Use the memory tool (/memories) to keep notes that must survive a long session. \
Be concise: say what you are about to do and why, then do it."""


PLAN_NOTE = (
    "[Cockpit] The engineer switched this session to plan mode: nothing that changes files, "
    "data or systems will run. Investigate with read-only actions and describe the changes "
    "you would make, step by step, instead of making them."
)
PLAN_OVER_NOTE = (
    "[Cockpit] Plan mode is over: you may make changes again (high-impact ones still need "
    "the engineer's approval)."
)
EDITED_NOTE = "[The engineer edited this call before it ran; what ran was: "


class SessionFailed(Exception):
    """The model could not be reached or rejected the request for good."""


class AgentSession:
    """One agent session: runs the loop, records every fact, and obeys the controls.

    Implements `cockpit.engine.controller.SessionControl`.
    """

    def __init__(
        self,
        store: SessionStore,
        backend: Backend,
        workspace: Path,
        *,
        goal: str = "",
        mode: ApprovalMode = "ask",
        interactive: bool = False,
        max_tokens: int = 8192,
        retry_base_s: float = 1.0,
        max_attempts: int = 5,
        context_policy: ContextPolicy | None = None,
        tools: ToolRegistry | None = None,
        bash_timeout_s: float = 120.0,
        approval_timeout_s: float | None = None,
        yes_critical: bool = False,
        thinking_budget: int = 2048,
        max_cost_usd: float | None = None,
        watchdog_rules: list[WatchdogRule] | None = None,
    ) -> None:
        self.store = store
        self.backend = backend
        self.session_id = store.session_id
        self.workspace = workspace.resolve()
        self.goal = goal
        self.mode: ApprovalMode = mode
        self.max_tokens = max_tokens
        self.thinking_budget = thinking_budget
        self.retry_base_s = retry_base_s
        self.max_attempts = max_attempts
        self.context_policy = context_policy or ContextPolicy()
        self.tools = tools or ToolRegistry()
        self.gate = ApprovalGate(
            mode=mode,
            interactive=interactive,
            timeout_s=approval_timeout_s,
            yes_critical=yes_critical,
        )
        self.tool_context = ToolContext(
            workspace=self.workspace, memory=store.memory, bash_timeout_s=bash_timeout_s
        )
        self.system_prompt = SYSTEM_PROMPT.format(goal=goal)
        self._events: list[Event] = []
        self._listeners: list[Listener] = []
        self._conv = Conversation()
        self._status: SessionStatus = "running"
        self._running = asyncio.Event()
        self._running.set()
        self._steers: list[str] = []
        self._notes: list[str] = []  # system notes for the agent (a mode switch), sent next turn
        self._task: asyncio.Task[EndStatus] | None = None
        self._continue_assistant = False
        self._prompt_version = _prompt_version(
            self.system_prompt, self.tools.definitions(), backend.model
        )
        self._policy_version = _policy_version_of(self.workspace)
        self.end_reason = ""
        self.interactive = interactive
        self.max_cost_usd = max_cost_usd
        self.health = HealthMonitor(context_window=self.context_policy.window)
        self.watchdog = Watchdog(
            watchdog_rules if watchdog_rules is not None else default_rules(max_cost_usd)
        )
        self._sampled_turn = 0
        self._copy: WorkspaceCopy | None = None
        self._timeline: Timeline | None = None
        if mode == "dry-run":
            self._enter_dry_run()

    # ----------------------------------------------------------------- creation
    @classmethod
    def new(
        cls,
        store: SessionStore,
        backend: Backend,
        *,
        goal: str,
        workspace: Path,
        title: str | None = None,
        scenario: str | None = None,
        **options: Any,
    ) -> AgentSession:
        """Start a new session in an empty session file."""
        session = cls(store, backend, workspace, goal=goal, **options)
        session._emit(
            SessionStarted(
                title=title or _title_from(goal),
                goal=goal,
                model=backend.model,
                backend=backend.kind,
                scenario=scenario,
                workspace=str(session.workspace),
                mode=session.mode,
                system_prompt=session.system_prompt,
                tools=session.tools.definitions(),
                cockpit_version=__version__,
                max_cost_usd=session.max_cost_usd,
            )
        )
        session._emit(UserMessage(text=goal, source="goal"))
        return session

    @classmethod
    async def from_file(
        cls, store: SessionStore, backend: Backend, verified: bool = False, **options: Any
    ) -> AgentSession:
        """Rebuild a session from its file; it continues where the events stop.

        Only a file whose audit chain verifies is resumed (`verified`: the caller checked it
        just now, in this process), and everything the session does next is derived from the
        chained events (the summary row is recomputed from them).
        """
        from cockpit.errors import CockpitError

        if verified:
            events: list[Event] = [e async for e in store.iter_events()]
            if not events or not isinstance(events[0], SessionStarted):
                raise CockpitError(f"{store.path} has no session_started event.")
        else:
            events = await store.read_intact("resumed")
        store.rebuild_summary(events)
        started = events[0]
        assert isinstance(started, SessionStarted)
        explicit_mode = options.get("mode")
        options.setdefault("mode", started.mode)
        options.setdefault("max_cost_usd", started.max_cost_usd)
        session = cls(store, backend, Path(started.workspace), goal=started.goal, **options)
        session._events = events
        session._conv = Conversation.from_events(events)
        for event in events:
            session.health.fold(event)
            session._fold_approvals(event)
        # `resume --yes` and the like win over the recorded mode; a dry-run copy is reopened,
        # or left (refused while it holds changes not applied or discarded).
        final = explicit_mode or session.gate.mode
        session.gate.mode = session.mode = final
        if final == "dry-run" and session._copy is None:
            session._enter_dry_run()
        elif final != "dry-run" and session._copy is not None:
            session._leave_dry_run()
            if isinstance(event, HealthSample):
                session._sampled_turn = max(session._sampled_turn, event.turn)
        last = session._last_model_response()
        session._continue_assistant = last is not None and last.stop_reason == "pause_turn"
        ended = next((e for e in reversed(events) if isinstance(e, SessionEnded)), None)
        if ended is not None and ended.seq == events[-1].seq:
            session._status = ended.status
        else:
            # The process died without closing the session: say so before continuing.
            session._emit(
                SessionEnded(
                    status="interrupted",
                    reason="the process stopped without closing the session",
                    turns=session._conv.assistant_turns,
                )
            )
            session._status = "interrupted"
        return session

    # ----------------------------------------------------------------- control surface
    @property
    def status(self) -> SessionStatus:
        return self._status

    @property
    def events(self) -> Sequence[Event]:
        return self._events

    @property
    def model(self) -> str:
        return self.backend.model

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def approve(
        self,
        request_id: str,
        grant: GrantRequest | None = None,
        edited_input: dict[str, Any] | None = None,
    ) -> None:
        self.gate.allow(request_id, grant, edited_input)

    def deny(self, request_id: str, message: str = "") -> None:
        self.gate.deny(request_id, message)

    @property
    def approval_mode(self) -> ApprovalMode:
        return self.gate.mode

    def set_mode(
        self, mode: ApprovalMode, by: Literal["user", "watchdog", "policy"] = "user"
    ) -> None:
        """Switch the approval mode now; the switch is an event and the agent is told of plan."""
        previous = self.gate.mode
        if mode == previous:
            return
        if mode == "dry-run":
            self._enter_dry_run()
        elif previous == "dry-run":
            self._leave_dry_run()
        self.gate.mode = mode
        self.mode = mode
        self._emit(ModeChanged(mode=mode, previous=previous, by=by))
        if mode == "plan":
            self._notes.append(PLAN_NOTE)
        elif previous == "plan":
            self._notes.append(PLAN_OVER_NOTE)

    # ----------------------------------------------------------------- dry-run
    @property
    def dry_run_root(self) -> Path:
        from cockpit.engine.dryrun import dry_run_root

        return dry_run_root(self.store.path)

    @property
    def in_dry_run(self) -> bool:
        return self._copy is not None

    def dry_run_changes(self) -> list[Change]:
        """What applying the dry-run would change in the real workspace (files and folders)."""
        return self._copy.changes() if self._copy is not None else []

    def dry_run_diff(self, path: str) -> str:
        return self._copy.diff(path) if self._copy is not None else ""

    def apply_dry_run(self) -> list[Change]:
        """Write the copy's changes into the real workspace, all or nothing (CockpitError)."""
        if self._copy is None:
            return []
        self.store.check_writable()  # the apply must be recorded, or not happen
        changes = self._copy.apply()
        self._settled("apply", changes)
        return changes

    def discard_dry_run(self) -> list[Change]:
        """Throw the copy's changes away; the copy starts again from the real workspace."""
        if self._copy is None:
            return []
        self.store.check_writable()
        changes = self._copy.changes()
        self._copy.discard()
        self._settled("discard", changes)
        return changes

    def _settled(self, action: Literal["apply", "discard"], changes: list[Change]) -> None:
        from cockpit.engine.dryrun import settled_event

        self._emit(settled_event(action, changes))

    def _enter_dry_run(self) -> None:
        """Work on a copy of the workspace from now on (the one made earlier, if any)."""
        from cockpit.engine.dryrun import WorkspaceCopy

        root = self.dry_run_root
        if (root / "manifest.json").exists():
            self._copy = WorkspaceCopy.open(self.workspace, root)
        else:
            if root.exists():
                import shutil

                shutil.rmtree(root)  # a copy whose manifest was never written: unusable
            self._copy = WorkspaceCopy.create(self.workspace, root)
        self.tool_context = dataclasses.replace(self.tool_context, workspace=self._copy.path)

    def _leave_dry_run(self) -> None:
        """Back to the real workspace; refused while the copy holds changes not settled."""
        from cockpit.errors import CockpitError

        if self._copy is None:
            return
        pending = [c for c in self._copy.changes() if c.type != "dir"]
        if pending:
            raise CockpitError(
                f"The dry-run copy holds {len(pending)} change(s); apply or discard them "
                "before leaving dry-run mode."
            )
        self._copy.remove()
        self._copy = None
        self.tool_context = dataclasses.replace(self.tool_context, workspace=self.workspace)

    # ----------------------------------------------------------------- checkpoints
    @property
    def timeline(self) -> Timeline:
        """Checkpoints and rollback of the workspace the tools work in now."""
        from cockpit.engine.rollback import Timeline
        from cockpit.store.checkpoints import Checkpointer

        workspace = self.tool_context.workspace
        if self._timeline is None or self._timeline.checkpointer.workspace != workspace:
            self._timeline = Timeline(self._events, Checkpointer(self.store, workspace), self._emit)
        return self._timeline

    async def check_workspace(self) -> list[Difference]:
        """On resume: what changed in the workspace since Cockpit last left it.

        When something did, a warning is recorded (the cockpit shows it and the timeline
        offers the rollback); the caller decides whether to continue.
        """
        from cockpit.engine.rollback import known_state

        known = known_state(self._events)
        if not known:
            return []
        checkpointer = self.timeline.checkpointer
        outside = await checkpointer.plan(await checkpointer.load(known))
        if outside:
            shown = ", ".join(d.path for d in outside[:3])
            more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
            self._emit(
                WatchdogAlert(
                    metric="workspace.changed_outside",
                    value=len(outside),
                    threshold=1,
                    action="warn",
                    rule="resume.workspace_changed",
                    message=(
                        f"the workspace changed outside Cockpit since the last checkpoint "
                        f"({shown}{more}): press t to see it and roll back, or steer to go on"
                    ),
                )
            )
        return outside

    async def fork(self, number: int) -> Path:
        """Fork this session at checkpoint `number` into a new file and workspace beside it."""
        from cockpit.engine.fork import fork_session

        self.timeline.find(number)
        await self.store.flush()
        base = self.store.path
        n = 1
        dest = base.with_name(f"{base.stem}-fork-{number}{base.suffix}")
        while dest.exists() or dest.with_name(dest.stem + "-workspace").exists():
            n += 1
            dest = base.with_name(f"{base.stem}-fork-{number}-{n}{base.suffix}")
        return await fork_session(base, number, dest, dest.with_name(dest.stem + "-workspace"))

    async def checkpoint_changes(self, number: int) -> tuple[list[Difference], str]:
        """What the action after checkpoint `number` changed (paths, and text diffs)."""
        return await self.timeline.caused(number)

    async def rollback_plan(self, number: int) -> tuple[list[Difference], list[Difference]]:
        """(what restoring checkpoint `number` changes now, what changed outside Cockpit)."""
        running = self._task is not None and not self._task.done()
        return await self.timeline.plan(number, compare_outside=not running)

    async def rollback(
        self, number: int, *, files: bool = True, conversation: bool = True, force: bool = False
    ) -> Rollback:
        """Go back to checkpoint `number` (see Timeline.rollback).

        A running loop stops first and starts again from the rolled-back state afterwards.
        """
        self.timeline.find(number)  # a bad number is refused before anything stops
        was_running = self._task is not None and not self._task.done()
        if was_running:
            await self.shutdown(f"rolled back to checkpoint {number}")
        event = await self.timeline.rollback(
            number, files=files, conversation=conversation, force=force
        )
        if conversation:
            self._conv = Conversation.from_events(self._events)
            self._continue_assistant = False
        self._notes.append(self.timeline.note(event))
        await self.store.flush()
        if was_running:
            self.start()
        return event

    def grants(self) -> list[str]:
        """The live grants of this session, as the user reads them."""
        return [g.describe() for g in self.gate.grants.active()]

    def revoke_grants(self, by: Literal["user", "watchdog", "policy"] = "user") -> int:
        """Withdraw every grant of this session; returns how many there were."""
        live = self.gate.grants.active()
        for grant in live:
            self.gate.grants.revoke(grant.id)
            self._emit(GrantRevoked(grant_id=grant.id, by=by))
        return len(live)

    def pause(
        self,
        reason: str = "",
        by: Literal["user", "watchdog", "policy"] = "user",
        suggested_steer: str = "",
    ) -> None:
        if not self._running.is_set() or self._status in END_STATUSES:
            return
        self._running.clear()
        self._set_status("paused")
        self._emit(Paused(reason=reason, by=by, suggested_steer=suggested_steer))

    def resume(self, by: Literal["user", "watchdog", "policy"] = "user") -> None:
        if self._running.is_set():
            return
        self.watchdog.rearm()
        self._running.set()
        self._set_status("waiting" if self.gate.pending else "running")
        self._emit(Resumed(by=by))

    def steer(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        self._steers.append(text)
        if self._task is None or self._task.done():
            self.start()

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def shutdown(self, reason: str) -> None:
        """Stop the loop if it runs, recording `reason`, and wait until it has ended."""
        task = self._task
        if task is not None and not task.done():
            self.end_reason = reason
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # ----------------------------------------------------------------- running
    def start(self) -> asyncio.Task[EndStatus]:
        """Run the loop as a task (idempotent while it runs)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run())
        return self._task

    async def wait(self) -> EndStatus:
        """Start the session if it never ran, then wait for its current (or last) run."""
        task = self._task or self.start()
        return await task

    async def run(self) -> EndStatus:
        """Run until the agent finishes, fails, or is stopped; always records session_ended."""
        self._set_status("running" if self._running.is_set() else "paused")
        self.end_reason = ""  # a steer after the end starts a new run with its own outcome
        status: EndStatus
        try:
            status = await self._loop()
        except asyncio.CancelledError:
            self._close_pending("stopped by the user before this tool finished")
            status, self.end_reason = "stopped", self.end_reason or "stopped by the user"
        except SessionFailed as exc:
            status, self.end_reason = "failed", str(exc)
        turns = self._conv.assistant_turns
        self._set_status(status)
        if any(isinstance(e, CheckpointCreated) for e in reversed(self._events)):
            # The state the last action left, so a later rollback can tell what changed
            # outside Cockpit since.
            with contextlib.suppress(Exception):
                await self.timeline.checkpoint("", "end of the run")
        self._emit(SessionEnded(status=status, reason=self.end_reason, turns=turns))
        await self.store.flush()
        await self._anchor("session end")
        return status

    async def _anchor(self, why: str) -> None:
        """Record the chain head outside the session file (the audit's external anchor)."""
        from cockpit.store.anchor import Head, record_head

        seq, digest = await self.store.head()
        record_head(self.session_id, self.store.path, Head(seq, digest.hex()), why)

    async def _loop(self) -> EndStatus:
        self._close_pending("interrupted: the session stopped before this tool finished")
        while True:
            if (ended := self._check_health()) is not None:
                return ended
            await self._running.wait()
            self._drain_steers()
            pending = self._unanswered_tool_uses()
            if pending:
                await self._run_tools(pending, self._conv.assistant_turns)
                continue
            last = self._conv.messages[-1] if self._conv.messages else None
            if last is not None and last["role"] == "assistant" and not self._continue_assistant:
                self.end_reason = "the agent finished"
                return "done"
            self._continue_assistant = False
            turn = self._conv.assistant_turns + 1
            response = await self._model_turn(turn)
            stop = response.stop_reason
            if stop == "refusal":
                self.end_reason = "the model declined to continue (refusal)"
                return "stopped"
            if stop == "max_tokens":
                self._emit(
                    UserMessage(
                        text="Your last reply hit the output limit; continue where you stopped.",
                        source="system",
                    )
                )
            elif stop == "pause_turn":
                self._continue_assistant = True
            self._maybe_clear_context(response.usage)

    def _check_health(self) -> EndStatus | None:
        """After each complete turn (its tool results in): sample health, run the watchdog.

        Returns an end status when a rule stops the session (or pauses a headless one,
        which nobody could resume).
        """
        turn = self._conv.assistant_turns
        if turn <= self._sampled_turn or self._unanswered_tool_uses():
            return None
        self._sampled_turn = turn
        sample = self.health.sample()
        self._emit(HealthSample(turn=turn, metrics=sample))
        for verdict in self.watchdog.evaluate(sample):
            rule = verdict.rule
            self._emit(
                WatchdogAlert(
                    metric=rule.metric,
                    value=verdict.value,
                    threshold=rule.threshold,
                    action=rule.action,
                    message=verdict.text,
                    rule=rule.id,
                )
            )
            if rule.action == "stop" or (rule.action == "pause" and not self.interactive):
                self.end_reason = f"stopped by the watchdog: {verdict.text}"
                return "stopped"
            if rule.action == "pause":
                self.pause(verdict.text, by="watchdog", suggested_steer=rule.steer)
                return None
            if rule.action == "approve_all":
                self.gate.ask_always = True
        return None

    def _drain_steers(self) -> None:
        while self._notes:
            self._emit(UserMessage(text=self._notes.pop(0), source="system"))
        while self._steers:
            text = self._steers.pop(0)
            self._emit(Steered(text=text))
            self._emit(UserMessage(text=text, source="steer"))

    def _unanswered_tool_uses(self) -> list[dict[str, Any]]:
        answered = set(self._conv.result_ids())
        return [b for b in self._conv.pending_tool_uses() if b["id"] not in answered]

    def _close_pending(self, reason: str) -> None:
        """Give every tool call without a result an error result, so the conversation is valid."""
        for block in self._unanswered_tool_uses():
            self._emit(
                ToolFinished(
                    tool_use_id=block["id"], name=block["name"], content=reason, is_error=True
                )
            )

    # ----------------------------------------------------------------- model turns
    async def _model_turn(self, turn: int) -> ModelResponse:
        attempt = 0
        while True:
            attempt += 1
            await self._running.wait()
            self._emit(
                ModelRequest(
                    turn=turn,
                    attempt=attempt,
                    message_count=len(self._conv.messages),
                    max_tokens=self.max_tokens,
                )
            )
            try:
                return await self._stream_once(turn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error_type, status, message, retryable = _describe_error(exc)
                will_retry = retryable and attempt < self.max_attempts
                self._emit(
                    ApiError(
                        turn=turn,
                        attempt=attempt,
                        error_type=error_type,
                        status=status,
                        message=message,
                        will_retry=will_retry,
                    )
                )
                if not will_retry:
                    raise SessionFailed(f"model request failed: {error_type}: {message}") from exc
                delay = min(30.0, self.retry_base_s * 2 ** (attempt - 1))
                self._emit(Retry(turn=turn, attempt=attempt + 1, reason=error_type, delay_s=delay))
                await asyncio.sleep(delay)

    async def _stream_once(self, turn: int) -> ModelResponse:
        started = time.monotonic()
        # Raw events, accumulated here: far faster than the SDK's snapshotting stream helper.
        params: dict[str, Any] = {
            "model": self.backend.model,
            "max_tokens": self.max_tokens,
            "system": self.system_prompt,
            "messages": self._conv.messages,
            "tools": self.tools.definitions(),
            "betas": BETAS,
            "metadata": {"user_id": self.session_id},
            **self._thinking_param(),
        }
        stream: Any = await self.backend.client.beta.messages.create(stream=True, **params)

        def on_text(index: int, text: str) -> None:
            self._emit(TextDelta(turn=turn, block_index=index, text=text))

        def on_thinking(index: int, text: str, signature: str) -> None:
            self._emit(Thinking(turn=turn, block_index=index, text=text, signature=signature))

        accumulator = StreamAccumulator(self.backend.model, on_text, on_thinking)
        feed = accumulator.feed
        async with stream:
            async for event in stream:
                feed(event)
        message = accumulator.finish()
        content, usage = message.content, message.usage
        response = ModelResponse(
            turn=turn,
            message_id=message.message_id,
            model=message.model,
            content=content,
            stop_reason=message.stop_reason,
            usage=usage,
            cost_usd=cost_usd(self.backend.model, usage),
            duration_ms=(time.monotonic() - started) * 1000,
        )
        self._emit(response)
        for block in content:
            if block["type"] == "tool_use":
                self._emit(
                    ToolCallProposed(
                        turn=turn, tool_use_id=block["id"], name=block["name"], input=block["input"]
                    )
                )
        return response

    def _thinking_param(self) -> dict[str, Any]:
        budget = self.thinking_budget
        if budget <= 0 or budget >= self.max_tokens:
            return {}
        return {"thinking": {"type": "enabled", "budget_tokens": budget}}

    # ----------------------------------------------------------------- tools
    async def _run_tools(self, blocks: list[dict[str, Any]], turn: int) -> None:
        await asyncio.gather(*(self._run_tool(block, turn) for block in blocks))

    async def _run_tool(self, block: dict[str, Any], turn: int) -> None:
        tool_use_id, name = block["id"], block["name"]
        tool_input: dict[str, Any] = block.get("input") or {}
        assessment = self._classify(name, tool_input)
        self._emit(
            RiskAssessed(
                tool_use_id=tool_use_id,
                tier=assessment.tier,
                reasons=assessment.reasons,
                rules=assessment.rules,
                mutating=assessment.mutating,
            )
        )
        decision = self.gate.preflight(name, tool_input, assessment)
        request_id = ""
        if decision is None:
            request_id = f"apr_{uuid.uuid4().hex[:12]}"
            tool = self.tools.get(name)
            timeout = self.gate.timeout_s
            self._emit(
                ApprovalRequested(
                    tool_use_id=tool_use_id,
                    request_id=request_id,
                    tier=assessment.tier,
                    name=name,
                    input=tool_input,
                    summary=_argument_summary(tool.summary(tool_input), name) if tool else "",
                    reasons=assessment.reasons,
                    rules=assessment.rules,
                    deadline=None if timeout is None else time.time() + timeout,
                )
            )
            self._set_status("waiting")
            decision = await self.gate.wait(request_id, name, tool_input, assessment.tier)
            if not self.gate.pending:
                self._set_status("running" if self._running.is_set() else "paused")
        edited = decision.edited_input
        edited_tier = self._classify(name, edited).tier if edited is not None else None
        self._emit(
            ApprovalDecided(
                tool_use_id=tool_use_id,
                request_id=request_id,
                decision="allow" if decision.allow else "deny",
                by=decision.by,
                how=decision.how,
                scope=decision.scope,
                message=decision.message,
                rule_ids=list(decision.rule_ids or assessment.rules),
                grant=decision.grant,
                edited_input=edited,
                edited_tier=edited_tier,
            )
        )
        if not decision.allow:
            self._emit(
                ToolFinished(
                    tool_use_id=tool_use_id,
                    name=name,
                    content=decision.message or f"{DENIED_PREFIX}.",
                    is_error=True,
                )
            )
            return
        if edited is not None:
            tool_input = edited
        await self._running.wait()
        if assessment.mutating or TIER_ORDER[assessment.tier] >= TIER_ORDER["medium"]:
            tool = self.tools.get(name)
            summary = tool.summary(tool_input) if tool else name
            await self.timeline.checkpoint(tool_use_id, summary)
        self._emit(ToolStarted(tool_use_id=tool_use_id, name=name))
        # Write ahead: the call, its risk, the decision and its start are on disk before the
        # tool runs, so a crash can never leave an executed action without its record.
        await self.store.flush()
        output = _OutputCoalescer(
            lambda text, stream: self._emit(
                ToolOutput(tool_use_id=tool_use_id, text=text, stream=stream)  # type: ignore[arg-type]
            )
        )
        ctx = dataclasses.replace(self.tool_context, on_output=output.add)
        started = time.monotonic()
        try:
            result = await self.tools.run(name, tool_input, ctx)
        finally:
            output.flush()
        if name == "memory":
            # Chain what the memory holds now: a resumed agent reads only recorded memory.
            where = tool_input.get("path") or tool_input.get("old_path") or ""
            self._emit(
                MemoryOp(
                    command=str(tool_input.get("command", "")),
                    path=str(where),
                    ok=not result.is_error,
                    state=await self.store.memory.digest(),
                )
            )
        content = result.content
        if edited is not None:
            content = f"{EDITED_NOTE}{_edit_summary(name, edited)}]\n\n{content}"
        self._emit(
            ToolFinished(
                tool_use_id=tool_use_id,
                name=name,
                content=content,
                is_error=result.is_error,
                exit_code=result.exit_code,
                output_elided=result.output_elided,
                duration_ms=(time.monotonic() - started) * 1000,
            )
        )

    def _classify(self, name: str, tool_input: dict[str, Any]) -> RiskAssessment:
        """The call's risk; a policy file broken mid-session makes every call HIGH (ask)."""
        from cockpit.errors import CockpitError
        from cockpit.policy.loader import load_policy

        try:
            # The rules of the real workspace, even in dry-run (the copy's file is the agent's).
            policy = load_policy(self.workspace)
            return classify(name, tool_input, self.tool_context.workspace, policy)
        except CockpitError as exc:
            return RiskAssessment("high", [f"the policy cannot be read: {exc}"], ["policy-error"])

    def _fold_approvals(self, event: Event) -> None:
        """Rebuild the gate's mode and grants from a recorded event (resume)."""
        if isinstance(event, ModeChanged):
            self.gate.mode = self.mode = event.mode
        elif isinstance(event, ApprovalDecided) and event.grant is not None:
            if event.by == "user" and event.decision == "allow":
                self.gate.grants.add(event.grant)
            elif event.by == "grant":
                self.gate.grants.spend(event.grant.id)
        elif isinstance(event, GrantRevoked):
            self.gate.grants.revoke(event.grant_id)

    # ----------------------------------------------------------------- context
    def _maybe_clear_context(self, usage: Usage) -> None:
        policy = self.context_policy
        used = usage.context_tokens + usage.output_tokens
        if not policy.enabled or used < policy.trigger_tokens:
            return
        ids = [i for i in self._conv.result_ids() if i not in self._conv.cleared]
        candidates = ids[: max(0, len(ids) - policy.keep_recent)]
        sizes = self._result_sizes()
        cleared: list[str] = []
        estimate = used
        for tool_use_id in candidates:
            if estimate <= policy.target_tokens:
                break
            cleared.append(tool_use_id)
            estimate -= sizes.get(tool_use_id, 0)
        if cleared:
            self._emit(
                ContextEdited(
                    cleared_tool_use_ids=cleared, tokens_before=used, tokens_after=max(0, estimate)
                )
            )

    def _result_sizes(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for message in self._conv.messages:
            if message["role"] != "user":
                continue
            for block in message["content"]:
                if block.get("type") == "tool_result":
                    sizes[block["tool_use_id"]] = estimate_tokens(str(block.get("content", "")))
        return sizes

    # ----------------------------------------------------------------- events
    def _emit(self, event: EventBase) -> Event:
        event = event.model_copy(
            update={"prompt_version": self._prompt_version, "policy_version": self._policy_version}
        )
        stamped = self.store.append(event)
        self._events.append(stamped)
        self._conv.apply(stamped)
        self.health.fold(stamped)
        for listener in list(self._listeners):
            try:
                listener(stamped)
            except Exception:  # a broken viewer must never stop the agent
                logger.exception("event listener failed on %s", stamped.kind)
        return stamped

    def _set_status(self, status: SessionStatus) -> None:
        self._status = status

    def _last_model_response(self) -> ModelResponse | None:
        for event in reversed(self._events):
            if isinstance(event, ModelResponse):
                return event
        return None


class _OutputCoalescer:
    """Batches live tool output into a few events a second.

    A timed flush holds back the last unfinished line (up to HELD_LINE characters), so a
    secret is never cut in two events that the store redacts one by one; the final flush
    sends everything.
    """

    HELD_LINE = 4096

    def __init__(self, emit: Callable[[str, str], None]) -> None:
        self._emit = emit
        self._buffer: list[tuple[str, str]] = []
        self._handle: asyncio.TimerHandle | None = None

    def add(self, stream: str, chunk: str) -> None:
        self._buffer.append((stream, chunk))
        if self._handle is None:
            self._handle = asyncio.get_running_loop().call_later(OUTPUT_FLUSH_S, self._tick)

    def _tick(self) -> None:
        self._handle = None
        self.flush(final=False)

    def flush(self, final: bool = True) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if not self._buffer:
            return
        runs: list[tuple[str, str]] = []
        for s, chunk in self._buffer:
            if runs and runs[-1][0] == s:
                runs[-1] = (s, runs[-1][1] + chunk)
            else:
                runs.append((s, chunk))
        self._buffer.clear()
        if not final:
            stream, text = runs[-1]
            cut = text.rfind("\n") + 1
            if len(text) - cut <= self.HELD_LINE and cut < len(text):
                runs[-1] = (stream, text[:cut])
                self._buffer.append((stream, text[cut:]))
                self._handle = asyncio.get_running_loop().call_later(OUTPUT_FLUSH_S, self._tick)
        for stream, text in runs:
            if text:
                self._emit(text, stream)


def _describe_error(exc: Exception) -> tuple[str, int | None, str, bool]:
    """(error type, HTTP status, message, retryable) for anything the stream can raise."""
    from anthropic import APIConnectionError, APIStatusError

    if isinstance(exc, APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        error_type = str((error or {}).get("type") or type(exc).__name__)
        message = str((error or {}).get("message") or exc.message)
        status = exc.status_code
        retryable = (
            error_type in RETRYABLE_ERROR_TYPES or status in (408, 409, 429) or status >= 500
        )
        return error_type, status, message, retryable
    if isinstance(exc, APIConnectionError):
        return "connection_error", None, str(exc), True
    module = type(exc).__module__
    if isinstance(exc, ConnectionError | OSError) or module.startswith(
        ("httpx", "httpcore", "h11")
    ):
        return "connection_error", None, f"{type(exc).__name__}: {exc}", True
    return type(exc).__name__, None, str(exc), False


def _policy_version_of(workspace: Path) -> str:
    """The policy version for `workspace`; a broken policy file is recorded as such."""
    from cockpit.errors import CockpitError

    try:
        return policy_version(workspace)
    except CockpitError:
        return "unreadable"


def _edit_summary(name: str, tool_input: dict[str, Any]) -> str:
    command = tool_input.get("command")
    if name == "bash" and isinstance(command, str):
        return command
    return json.dumps(tool_input, ensure_ascii=False)[:2000]


def _argument_summary(summary: str, name: str) -> str:
    """A tool's one-line summary without its leading "name: " (the UI shows the name)."""
    prefix = f"{name}: "
    return summary[len(prefix) :] if summary.startswith(prefix) else summary


def _prompt_version(system: str, tools: list[dict[str, Any]], model: str) -> str:
    digest = hashlib.sha256()
    digest.update(system.encode())
    digest.update(json.dumps(tools, sort_keys=True).encode())
    digest.update(model.encode())
    return digest.hexdigest()[:16]


def _title_from(goal: str) -> str:
    """The goal's first sentence (or line), cut to 60 characters."""
    first = goal.strip().splitlines()[0] if goal.strip() else "Untitled session"
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    return sentence if len(sentence) <= 60 else sentence[:59] + "…"
