"""KeyBar: a one-line footer of the active key bindings that redraws only when they change.

Textual's Footer rebuilds its widgets on every focus change; with many panes that is
the most expensive part of moving between them.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

KEY_NAMES = {
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "question_mark": "?",
    "escape": "esc",
    "enter": "⏎",
    "ctrl+p": "^p",
}


class KeyBar(Static):
    """The bindings of the focused widget and its ancestors, as `key description` pairs."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom; height: 1; background: $panel; color: $text-muted;
        padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: tuple[tuple[str, str], ...] = ()
        self._badge = 0

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        pairs: list[tuple[str, str]] = []
        seen: set[str] = set()
        for binding, enabled, _tooltip in (
            (b.binding, b.enabled, b.tooltip) for b in self.screen.active_bindings.values()
        ):
            if not binding.show or not enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            key = binding.key_display or KEY_NAMES.get(binding.key, binding.key)
            pairs.append((key, binding.description))
        shown = tuple(pairs)
        if shown == self._shown:
            return
        self._shown = shown
        self._draw()

    def set_badge(self, waiting: int) -> None:
        """Show how many approval requests wait across every session (the inbox badge)."""
        if waiting != self._badge:
            self._badge = waiting
            self._draw()

    def _draw(self) -> None:
        shown = self._shown
        parts: list[Content | tuple[str, str] | str] = []
        if self._badge:
            parts += [
                (f" ◆ {self._badge} waiting ", "reverse bold $text-warning"),
                " ",
            ]
        for key, description in shown:
            parts += [(f" {key} ", "bold $text-primary"), (f"{description} ", "$text-muted")]
        parts.append(("  ctrl+p palette · ? help", "$text-muted") if len(shown) < 3 else "")
        self.update(Content.assemble(*parts), layout=False)
