"""The compact live log a headless run prints (Rich), one listener over the event stream."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from cockpit import events as ev
from cockpit.health.totals import SessionTotals
from cockpit.terminal import neutralize

if TYPE_CHECKING:
    from cockpit.engine.session import AgentSession

TIER_STYLE = {"low": "green", "medium": "cyan", "high": "yellow", "critical": "bold red"}
OUTPUT_LINES = 4


class HeadlessPrinter:
    """Prints assistant text as it streams and one line per tool call, approval and error."""

    def __init__(self, quiet: bool = False, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self.quiet = quiet
        self._in_text = False
        self._tiers: dict[str, str] = {}
        self.totals = SessionTotals()

    def __call__(self, event: ev.Event) -> None:
        self.totals.fold(event)
        if isinstance(event, ev.TextDelta):
            if not self.quiet:
                self.console.print(neutralize(event.text), end="", style="default", markup=False)
                self._in_text = True
            return
        if self._in_text:
            self.console.print()
            self._in_text = False
        self._line(event)

    def _line(self, event: ev.Event) -> None:
        c = self.console
        if isinstance(event, ev.SessionStarted):
            c.print(Text.assemble(("goal  ", "bold"), event.goal))
            c.print(Text(f"model {event.model}  mode {event.mode}", style="dim"))
        elif isinstance(event, ev.Thinking) and not self.quiet:
            first = event.text.strip().splitlines()[0] if event.text.strip() else ""
            c.print(Text(f"  (thinking) {first[:150]}", style="dim italic"))
        elif isinstance(event, ev.RiskAssessed):
            self._tiers[event.tool_use_id] = event.tier
        elif isinstance(event, ev.ApprovalRequested):
            c.print(Text(f"  ? approval needed ({event.tier}): {event.summary}", style="yellow"))
        elif isinstance(event, ev.ApprovalDecided) and event.decision == "deny":
            c.print(Text(f"  x denied by {event.by}: {event.message}", style="red"))
        elif isinstance(event, ev.ModeChanged):
            c.print(Text(f"  mode {event.previous} -> {event.mode} (by {event.by})", style="dim"))
        elif isinstance(event, ev.ToolStarted):
            pass
        elif isinstance(event, ev.ToolFinished):
            self._tool_finished(event)
        elif isinstance(event, ev.ApiError):
            style = "yellow" if event.will_retry else "bold red"
            c.print(
                Text(
                    f"  ! API {event.error_type} ({event.status or '-'}): {event.message}",
                    style=style,
                )
            )
        elif isinstance(event, ev.Retry):
            c.print(Text(f"  ~ retrying turn {event.turn} in {event.delay_s:.1f}s", style="yellow"))
        elif isinstance(event, ev.ContextEdited):
            c.print(
                Text(
                    f"  ~ context: cleared {len(event.cleared_tool_use_ids)} old tool results "
                    f"({event.tokens_before:,} -> ~{event.tokens_after:,} tokens)",
                    style="magenta",
                )
            )
        elif isinstance(event, ev.WatchdogAlert):
            style = "yellow" if event.action == "warn" else "bold red"
            c.print(Text(f"  ! watchdog ({event.action}): {event.message}", style=style))
        elif isinstance(event, ev.Paused):
            c.print(Text(f"  || paused by {event.by}: {event.reason}", style="yellow"))
        elif isinstance(event, ev.Steered):
            c.print(Text(f"  > {event.text}", style="cyan"))
        elif isinstance(event, ev.SessionEnded):
            style = "bold green" if event.status == "done" else "bold red"
            c.print(Text(f"\n{event.status}: {event.reason} ({event.turns} turns)", style=style))

    def _tool_finished(self, event: ev.ToolFinished) -> None:
        tier = self._tiers.get(event.tool_use_id, "low")
        mark = "x" if event.is_error else "+"
        style = "red" if event.is_error else TIER_STYLE.get(tier, "")
        head = Text.assemble(
            (f"  {mark} ", style),
            (event.name, "bold"),
            (f" [{tier}]", TIER_STYLE.get(tier, "")),
            (f" {event.duration_ms:.0f} ms" if event.duration_ms else "", "dim"),
            (f" exit {event.exit_code}" if event.exit_code not in (None, 0) else "", "red"),
        )
        self.console.print(head)
        if self.quiet:
            return
        lines = neutralize(event.content).rstrip().splitlines()
        for line in lines[:OUTPUT_LINES]:
            self.console.print(Text("    " + line[:160], style="dim"))
        if len(lines) > OUTPUT_LINES:
            self.console.print(Text(f"    ... {len(lines) - OUTPUT_LINES} more lines", style="dim"))

    def finish(self, session: AgentSession) -> None:
        t = self.totals
        self.console.print(
            Text(
                f"{t.tool_calls} tool calls ({t.failed_tools} failed), "
                f"{t.tokens - t.output_tokens:,} in / {t.output_tokens:,} out tokens, "
                f"${t.cost_usd:.2f}",
                style="dim",
            )
        )
        if session.in_dry_run:
            changes = [c for c in session.dry_run_changes() if c.type != "dir"]
            path = session.store.path
            self.console.print(
                Text(
                    f"dry-run: {len(changes)} file(s) would change in {session.workspace}; "
                    f"review with `cockpit dry-run {path} --diff`, then add --apply or --discard",
                    style="bold yellow" if changes else "dim",
                )
            )
