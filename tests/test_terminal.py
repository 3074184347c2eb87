"""Terminal escape sequences in tool output never reach the terminal as controls."""

from __future__ import annotations

import io

from rich.console import Console

from cockpit import events as ev
from cockpit.cli.printer import HeadlessPrinter
from cockpit.terminal import neutralize
from cockpit.ui.session_view import SessionView

HOSTILE = "ok\x1b[2J\x1b]0;pwned\x07\x1b[1A\rhidden\x9b31m\ttab\nnext"


def test_neutralize_keeps_text_and_makes_controls_visible() -> None:
    out = neutralize(HOSTILE)
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out and "\x9b" not in out
    assert out.startswith("ok␛[2J") and "\ttab\nnext" in out
    assert neutralize("plain text\n") == "plain text\n"


def test_the_headless_log_never_prints_a_control_character() -> None:
    buffer = io.StringIO()
    printer = HeadlessPrinter(console=Console(file=buffer, force_terminal=False, width=200))
    printer(ev.ToolCallProposed(turn=1, tool_use_id="t", name="bash", input={"command": "x"}))
    printer(ev.ToolFinished(tool_use_id="t", name="bash", content=HOSTILE))
    printer(ev.TextDelta(turn=1, block_index=0, text=HOSTILE))
    printed = buffer.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed and "\x9b" not in printed


def test_the_cockpit_view_holds_no_control_character() -> None:
    view = SessionView("s")
    view.fold(ev.ToolCallProposed(turn=1, tool_use_id="t", name="bash", input={"command": "x"}))
    view.fold(ev.ToolOutput(tool_use_id="t", text=HOSTILE))
    view.fold(ev.ToolFinished(tool_use_id="t", name="bash", content=HOSTILE))
    view.fold(ev.TextDelta(turn=1, block_index=0, text=HOSTILE))
    card = view.card("t")
    assert card is not None and "\x1b" not in card.output_text and "\x1b" not in card.result
    assert all("\x1b" not in getattr(item, "text", "") for item in view.items)
