"""Every use of Textual's private API, in one place (tests/ui/test_compat.py guards each)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.reactive import Reactive
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.geometry import Size
    from textual.widget import Widget


def update_scrollbars(widget: Widget, virtual_size: Size) -> None:
    """Resize a scrollable widget's scrollbars to `virtual_size` without a screen layout.

    Setting `virtual_size` through its reactive lays out the whole screen on every change;
    a transcript that grows 30 times a second in eight panes sets it with `set_reactive`
    and updates only its own scrollbars through `Widget._scroll_update`.
    """
    widget._scroll_update(virtual_size)


def focus_without_repaint() -> Reactive[Widget | None]:
    """A replacement for `Screen.focused` that does not repaint the whole screen.

    Textual declares `Screen.focused` as a repainting reactive, so moving focus repaints
    every pane, the sidebar and the key bar (~30 ms a pane switch with eight panes); the
    widgets whose look depends on focus refresh themselves. The returned descriptor is
    assigned as `focused` in a Screen subclass.
    """
    return Reactive(None, repaint=False)


def check() -> list[str]:
    """What this module relies on that the installed Textual no longer provides."""
    from textual.widget import Widget

    problems: list[str] = []
    if not callable(getattr(Widget, "_scroll_update", None)):
        problems.append("Widget._scroll_update is gone")
    focused = Screen.__dict__.get("focused")
    if not isinstance(focused, Reactive):
        problems.append("Screen.focused is no longer a Reactive")
    return problems
