"""Text in a pane can be selected and copied, as in Textual's own Log widget."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Offset
from textual.selection import Selection
from textual.strip import Strip

from cockpit.ui.app import CockpitApp
from cockpit.ui.items import ToolCardItem

from .apps import make_app

SIZE = (160, 48)


async def test_selected_lines_are_the_text_shown_and_are_highlighted() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.flush_now()
        await pilot.pause()
        transcript = app.main.sessions["ingest"].pane.transcript
        shown = [transcript.line_text(y) for y in range(transcript.virtual_size.height)]
        first = next(y for y, text in enumerate(shown) if "●" in text)
        selection = Selection(Offset(0, first), Offset(len(shown[first + 1]), first + 1))
        extracted = transcript.get_selection(selection)
        assert extracted is not None
        assert extracted[0].splitlines() == [shown[first], shown[first + 1]]
        # The screen's own selection machinery gives the same text (what ctrl+c copies).
        app.screen.selections = {transcript: selection}
        await pilot.pause()
        assert app.screen.get_selected_text() == extracted[0]
        # The selected cells are drawn in the selection style; lines carry their offsets.
        style = app.screen.get_component_rich_style("screen--selection")
        strip = transcript.render_line(first - int(transcript.scroll_y))
        assert any(seg.style is not None and seg.style.bgcolor == style.bgcolor for seg in strip)
        assert all(seg.style is not None and seg.style.meta.get("offset") for seg in strip)


async def test_selection_to_the_end_covers_only_the_lines_it_spans() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.flush_now()
        await pilot.pause()
        transcript = app.main.sessions["drift"].pane.transcript
        total = transcript.virtual_size.height
        extracted = transcript.get_selection(Selection(Offset(0, total - 3), None))
        assert extracted is not None
        expected = "\n".join(transcript.line_text(y) for y in range(total - 3, total))
        assert extracted[0] == expected.rstrip("\n")


def _post_mouse(app: CockpitApp, cls: type[events.MouseEvent], x: int, y: int) -> None:
    """A mouse event as the driver sends it: through App.on_event, which also turns a
    MouseUp on the widget of the MouseDown into a Click (Pilot's helpers skip that)."""
    app.post_message(cls(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y))


async def test_a_mouse_drag_selects_what_is_shown_and_does_not_toggle_the_card() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.flush_now()
        await pilot.pause()
        transcript = app.main.sessions["ingest"].pane.transcript
        items = transcript.view.items
        card = max(i for i, item in enumerate(items) if isinstance(item, ToolCardItem))
        top = int(transcript.scroll_y)
        row = transcript._offsets[card] - top  # the card's first line, on screen
        assert 2 <= row < transcript.scrollable_content_region.height
        region = transcript.content_region
        was_expanded = items[card].expanded
        # Drag from column 3 two lines above the card to column 10 of its first line.
        _post_mouse(app, events.MouseDown, region.x + 3, region.y + row - 2)
        await pilot.pause()
        _post_mouse(app, events.MouseMove, region.x + 10, region.y + row)
        await pilot.pause()
        _post_mouse(app, events.MouseUp, region.x + 10, region.y + row)
        await pilot.pause()
        lines = [transcript.line_text(top + row + d) for d in (-2, -1, 0)]
        # The screen counts the character under the mouse as selected.
        expected = "\n".join([lines[0][3:], lines[1], lines[2][:11]])
        assert app.screen.get_selected_text() == expected
        # What is highlighted is what is copied.
        style = app.screen.get_component_rich_style("screen--selection")
        for d, line in zip((-2, 0), (lines[0][3:], lines[2][:11]), strict=True):
            strip = transcript.render_line(row + d)
            marked = "".join(
                seg.text for seg in strip if seg.style and seg.style.bgcolor == style.bgcolor
            )
            assert marked == line
        assert items[card].expanded == was_expanded  # the drag ended on it: not a click
        # A plain click on the card still toggles it and clears the selection (elsewhere
        # than where the drag ended: there, it would be the second click of a double click,
        # which selects the whole transcript).
        _post_mouse(app, events.MouseDown, region.x + 14, region.y + row)
        _post_mouse(app, events.MouseUp, region.x + 14, region.y + row)
        await pilot.pause()
        assert items[card].expanded != was_expanded
        assert app.screen.get_selected_text() is None


async def test_a_selection_ending_on_a_blank_line_keeps_the_line_before_it_whole() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.flush_now()
        await pilot.pause()
        transcript = app.main.sessions["ingest"].pane.transcript
        total = transcript.virtual_size.height
        shown = [transcript.line_text(y) for y in range(total)]
        blank = next(y for y in range(2, total) if not shown[y] and shown[y - 1])
        extracted = transcript.get_selection(Selection(Offset(1, blank - 1), Offset(5, blank)))
        assert extracted == (shown[blank - 1][1:] + "\n", "\n")
        # Past either end of the transcript: from its first line, to the end of its last.
        everything = transcript.get_selection(Selection(Offset(7, -3), Offset(2, total + 5)))
        assert everything is not None
        assert everything[0] == "\n".join(shown).rstrip("\n")


async def test_the_highlight_covers_the_selected_characters_when_some_are_wide() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        transcript = app.main.sessions["ingest"].pane.transcript
        style = app.screen.get_component_rich_style("screen--selection")
        strip = Strip([Segment("ab🌆cd", Style())])
        # Characters 2..4 ("🌆c") are cells 2..5: the offsets the screen reads count chars.
        highlighted = transcript._highlight(strip, 2, 4)
        cells = [
            (char, seg.style is not None and seg.style.bgcolor == style.bgcolor)
            for seg in highlighted
            for char in seg.text
        ]
        assert cells == [("a", False), ("b", False), ("🌆", True), ("c", True), ("d", False)]


async def test_restyle_measures_every_item_again() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.flush_now()
        await pilot.pause()
        transcript = app.main.sessions["ingest"].pane.transcript
        height = transcript.virtual_size.height
        cards = [i for i in transcript.view.items if isinstance(i, ToolCardItem)]
        for card in cards:  # changed behind the transcript's back (as a theme change does)
            card.expanded = True
            card.touch()
        transcript.restyle()
        expected = sum(len(transcript._lines(i)) for i in range(len(transcript.view.items)))
        visible = transcript.scrollable_content_region.height
        assert expected > height  # the cards grew (what is on screen is measured below)
        top = int(transcript.scroll_y)
        bottom = top + visible
        first = transcript.item_at(top)
        assert first is not None
        # Items on screen are measured exactly; the total is exact once all are drawn.
        assert all(transcript._exact[i] for i in range(first, len(transcript.view.items)))
        for i in range(len(transcript.view.items)):
            transcript._measure(i)
        transcript._relayout()
        assert transcript.virtual_size.height == expected
        assert bottom <= expected
