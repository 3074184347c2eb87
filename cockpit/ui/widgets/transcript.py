"""Transcript: a virtualised Line-API view of one session's items (only visible lines render)."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cockpit.ui import compat
from cockpit.ui.items import AssistantTextItem, Item, MessageItem, ThinkingItem, ToolCardItem
from cockpit.ui.render import COLLAPSED_OUTPUT_LINES, ItemRenderer

if TYPE_CHECKING:
    from textual.selection import Selection

    from cockpit.ui.session_view import SessionView


def estimate_height(item: Item, width: int) -> int:
    """A cheap guess of an item's height, used until the item is first drawn."""
    width = max(width - 4, 10)
    if isinstance(item, AssistantTextItem):
        text = item.text
        return text.count("\n") + len(text) // width + 2
    if isinstance(item, ToolCardItem):
        out = item.output_text.count("\n") + 1 if item.output_text else 0
        return 2 + min(out, COLLAPSED_OUTPUT_LINES + 1) + bool(item.decision)
    if isinstance(item, ThinkingItem):
        return 2 if not item.expanded else item.text.count("\n") + len(item.text) // width + 3
    if isinstance(item, MessageItem):
        return 3 + len(item.text) // width
    return 2


class Transcript(ScrollView, can_focus=True):
    """Renders a SessionView's items; heights are exact for drawn items, estimated elsewhere."""

    DEFAULT_CSS = """
    Transcript {
        background: $surface;
        scrollbar-size-vertical: 1;
        scrollbar-background: $surface;
        scrollbar-background-hover: $surface;
        scrollbar-background-active: $surface;
        scrollbar-color: $panel;
        scrollbar-color-hover: $primary 50%;
        overflow-x: hidden;
    }
    """

    BINDINGS = [
        Binding("j", "select(1)", "Next card", show=False),
        Binding("k", "select(-1)", "Previous card", show=False),
        Binding("enter,space", "toggle_card", "Expand/collapse card", show=False),
        Binding("e", "expand_all", "Expand all", show=False),
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "scroll_home", "Top", show=False),
        Binding("end,G", "follow", "Follow", show=False),
        Binding("escape", "unselect", "Unselect", show=False),
    ]

    def __init__(self, view: SessionView, renderer: ItemRenderer, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.view = view
        self.renderer = renderer
        self.follow = True
        self.selected: int | None = None
        self._heights: list[int] = []
        self._exact: list[bool] = []
        self._offsets: list[int] = [0]
        self._width = 0
        self._running_items: set[int] = set()
        self.now = 0.0
        self._base_style = Style()
        self._blank_key: tuple[int, Style] | None = None
        self._blank_strip = Strip.blank(0)

    # --- model sync -------------------------------------------------------------------

    @property
    def content_width(self) -> int:
        return max(self.scrollable_content_region.width, 10)

    def sync(self) -> None:
        """Take in items that changed since the last sync and repaint what is visible."""
        width = self.content_width
        self._base_style = self.rich_style
        items = self.view.items
        start = self.view.dirty_from
        self.view.dirty_from = None
        full = False
        if width != self._width:
            self._width = width
            start = 0
            full = True
        if start is None and len(self._heights) == len(items) and not self._running_items:
            return
        start = 0 if start is None else start
        start = min(start, len(self._heights))
        del self._heights[start:]
        del self._exact[start:]
        for item in items[start:]:
            self._heights.append(estimate_height(item, width))
            self._exact.append(False)
        self._running_items = {
            i for i in self._running_items if i < len(items) and _is_running(items[i])
        } | {i for i in range(start, len(items)) if _is_running(items[i])}
        self._relayout(start)
        self._prepare_visible(start if not full else None)

    def _relayout(self, start: int = 0) -> None:
        start = min(start, len(self._offsets) - 1)
        del self._offsets[start + 1 :]
        self._offsets.extend(
            list(accumulate(self._heights[start:], initial=self._offsets[start]))[1:]
        )
        size = Size(self._width, self._offsets[-1])
        if size != self.virtual_size:
            # Not the reactive setter: that lays out the whole screen on every change.
            self.set_reactive(Transcript.virtual_size, size)
            compat.update_scrollbars(self, size)

    def _measure(self, index: int) -> bool:
        """Render item `index` exactly; True when its height changed."""
        lines = self._lines(index)
        self._exact[index] = True
        if len(lines) != self._heights[index]:
            self._heights[index] = len(lines)
            return True
        return False

    def _lines(self, index: int) -> list[Strip]:
        return self.renderer.lines(
            self.view.items[index],
            self._width,
            selected=index == self.selected,
            now=self.now,
            base=self._base_style,
        )

    def _prepare_visible(self, repaint_from: int | None = None) -> None:
        """Make the heights of the items on screen exact, then scroll and repaint.

        `repaint_from`: only items from this index changed (None: repaint everything).
        """
        height = max(self.scrollable_content_region.height, 1)
        n = len(self._heights)
        if n == 0:
            self.refresh()
            return
        if self.follow:
            # Measure from the bottom up until the viewport is full.
            changed_from: int | None = None
            filled = 0
            i = n - 1
            while i >= 0 and filled < height:
                if (not self._exact[i] or i in self._running_items) and self._measure(i):
                    changed_from = i
                filled += self._heights[i]
                i -= 1
            if changed_from is not None:
                self._relayout(min(changed_from, i + 1))
            old_y = round(self.scroll_y)
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
            if round(self.scroll_y) == old_y and repaint_from is not None:
                # Nothing moved: repaint only the lines of the items that changed.
                top = self._offsets[min(repaint_from, n - 1)]
                self.refresh_lines(top, self._offsets[-1] - top)
                return
        else:
            top = int(self.scroll_y)
            first = max(bisect_right(self._offsets, top) - 1, 0)
            changed = False
            i = first
            while i < n and self._offsets[i] < top + height:
                if not self._exact[i] and self._measure(i):
                    changed = True
                    self._relayout(i)
                i += 1
            del changed
        self.refresh()

    def tick(self, now: float) -> None:
        """Advance spinners of running tool cards that are on screen."""
        self.now = now
        if not self._running_items:
            return
        top = int(self.scroll_y)
        bottom = top + self.scrollable_content_region.height
        for i in self._running_items:
            if (
                i < len(self._offsets) - 1
                and self._offsets[i] < bottom
                and self._offsets[i + 1] > top
            ):
                self.refresh_lines(self._offsets[i], 1)

    # --- rendering ---------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        line = int(self.scroll_y) + y
        if line >= self._offsets[-1] or not self._heights:
            return self._blank()
        index = bisect_right(self._offsets, line) - 1
        lines = self._lines(index)
        row = line - self._offsets[index]
        strip = lines[row] if row < len(lines) else self._blank()
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(line)) is not None:
            strip = self._highlight(strip, *span)
        # Offsets let the screen map the mouse to transcript lines for text selection.
        return strip.apply_offsets(0, line)

    def _highlight(self, strip: Strip, start: int, end: int) -> Strip:
        """Draw characters `start` to `end` (-1: the end) of `strip` selected, as far as it
        has text (as `line_text`, what is copied). Offsets, as the screen reads them from the
        strip, count characters; the strip is cut in cells."""
        text = strip.text
        shown = len(text.rstrip())
        end = shown if end == -1 else min(end, shown)
        if end <= start:
            return strip
        if strip.cell_length != len(text):  # wide characters: characters -> cells
            start, end = cell_len(text[:start]), cell_len(text[:end])
        style = self.screen.get_component_rich_style("screen--selection")
        before, middle, after = strip.divide([start, end, strip.cell_length])
        selected = Strip(Segment.apply_style(list(middle), post_style=style), middle.cell_length)
        return Strip.join([before, selected, after])

    # --- text selection ------------------------------------------------------------------

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text: only the lines in the selection are rendered to get it.

        (Not `Selection.extract`: it splits with `splitlines`, which drops a last blank
        line and then cuts the line before it at the blank line's column.)
        """
        total = self._offsets[-1]
        if not total:
            return None
        start, end = selection
        # Lines outside the transcript: from its first line, to the end of its last.
        if start is not None and start.y < 0:
            start = None
        if end is not None and end.y >= total:
            end = None
        first = start.y if start is not None else 0
        last = end.y if end is not None else total - 1
        if last < first:
            return None
        lines = [self.line_text(y) for y in range(first, last + 1)]
        if end is not None:
            lines[-1] = lines[-1][: end.x]
        if start is not None:
            lines[0] = lines[0][start.x :]
        text = "\n".join(lines)
        # To the end of the transcript: not the blank lines that end its last item.
        return (text if end is not None else text.rstrip("\n")), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    def line_text(self, line: int) -> str:
        """The plain text of transcript line `line` (as drawn, without trailing spaces)."""
        index = bisect_right(self._offsets, line) - 1
        if index < 0 or index >= len(self._heights):
            return ""
        lines = self._lines(index)
        row = line - self._offsets[index]
        return lines[row].text.rstrip() if row < len(lines) else ""

    def _blank(self) -> Strip:
        key = (self._width, self._base_style)
        if self._blank_key != key:
            self._blank_key = key
            self._blank_strip = Strip.blank(self._width, self._base_style)
        return self._blank_strip

    def watch_has_focus(self, _has_focus: bool) -> None:
        """No restyle on focus: no rule depends on the transcript's focus, and restyling
        re-applies CSS to its scrollbars, which costs a layout of the whole screen."""

    def on_resize(self, event: events.Resize) -> None:
        self.sync()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value) and not self.follow:
            self._prepare_visible()

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.follow = False

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.call_after_refresh(self._update_follow)

    def _update_follow(self) -> None:
        self.follow = self.scroll_y >= self.max_scroll_y

    def item_at(self, line: int) -> int | None:
        if not self._heights or line < 0 or line >= self._offsets[-1]:
            return None
        return bisect_right(self._offsets, line) - 1

    def on_click(self, event: events.Click) -> None:
        if self.text_selection is not None:
            return  # the end of a drag that selected text, not a click on a card
        meta_line = event.y + int(self.scroll_y)
        index = self.item_at(meta_line)
        if index is not None and _collapsible(self.view.items[index]):
            self._set_selected(index)
            self.action_toggle_card()

    # --- actions -----------------------------------------------------------------------

    def _set_selected(self, index: int | None) -> None:
        previous = self.selected
        self.selected = index
        for i in (previous, index):
            if i is not None and i < len(self._heights):
                self._measure(i)
                self._relayout(i)
        if index is not None:
            self.follow = False
            top = self._offsets[index]
            self.scroll_to_region(
                Region(0, top, 1, max(self._heights[index] - 1, 1)), animate=False, immediate=True
            )
        self._prepare_visible()

    def action_select(self, step: int) -> None:
        items = self.view.items
        candidates = [i for i, item in enumerate(items) if _collapsible(item)]
        if not candidates:
            return
        if self.selected is None:
            target = candidates[-1]
        else:
            pos = bisect_right(candidates, self.selected) - 1
            target = candidates[max(0, min(len(candidates) - 1, pos + step))]
        self._set_selected(target)

    def action_toggle_card(self) -> None:
        if self.selected is None:
            self.action_select(-1)
        if self.selected is None:
            return
        item = self.view.items[self.selected]
        if isinstance(item, ToolCardItem | ThinkingItem):
            item.expanded = not item.expanded
            item.touch()
            self._measure(self.selected)
            self._relayout(self.selected)
            self._prepare_visible()

    def action_expand_all(self) -> None:
        cards = [i for i in self.view.items if isinstance(i, ToolCardItem | ThinkingItem)]
        expand = not all(c.expanded for c in cards)
        for card in cards:
            card.expanded = expand
            card.touch()
        self.restyle()

    def restyle(self, redraw: bool = True) -> None:
        """Measure every item again (the theme or the cards changed); draw now if `redraw`."""
        self._width = 0
        if redraw:
            self.sync()

    def action_unselect(self) -> None:
        self._set_selected(None)
        self.action_follow()

    def action_follow(self) -> None:
        self.follow = True
        self._prepare_visible()

    def action_scroll_up(self) -> None:
        self.follow = False
        self.scroll_to(y=self.scroll_y - 1, animate=False, immediate=True)

    def action_scroll_down(self) -> None:
        self.scroll_to(y=self.scroll_y + 1, animate=False, immediate=True)
        self._update_follow()

    def action_page_up(self) -> None:
        self.follow = False
        self.scroll_to(
            y=self.scroll_y - self.scrollable_content_region.height, animate=False, immediate=True
        )

    def action_page_down(self) -> None:
        self.scroll_to(
            y=self.scroll_y + self.scrollable_content_region.height, animate=False, immediate=True
        )
        self._update_follow()

    def action_scroll_home(self) -> None:
        self.follow = False
        self.scroll_to(y=0, animate=False, immediate=True)
        self._prepare_visible()


def _collapsible(item: Item) -> bool:
    return isinstance(item, ToolCardItem | ThinkingItem)


def _is_running(item: Item) -> bool:
    return isinstance(item, ToolCardItem) and item.state == "running"
