"""Text in a pane can be selected and copied, as in Textual's own Log widget."""

from __future__ import annotations

from textual.geometry import Offset
from textual.selection import Selection

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
