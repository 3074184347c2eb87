"""Streaming Markdown: the pieces rendered while streaming give exactly the whole rendering."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.style import Style
from textual.strip import Strip

from cockpit.ui.items import AssistantTextItem
from cockpit.ui.markdown_split import StreamSplit, block_starts
from cockpit.ui.render import ItemRenderer, Palette

WIDTH = 72

CORPUS = {
    "list-with-paragraphs-and-code": (
        "Steps:\n\n"
        "1. Read the log.\n\n"
        "   The loader stops at row 17, which has nine fields.\n\n"
        "   ```bash\n   tail -n 30 logs/ingest.log\n   ```\n\n"
        "2. Quarantine the file.\n"
        "   - move it\n"
        "     with its manifest\n"
        "   - re-run\n\n"
        "Done with the list.\n"
    ),
    "fences-nested-both-ways": (
        "~~~markdown\nHere is a fence:\n```python\nprint('inner')\n```\nstill inside\n~~~\n\n"
        "````text\n```\nnot closed by three\n```\n````\n\n"
        "After the fences.\n"
    ),
    "table-quote-headings": (
        "# Report\n\nSetext heading\n==============\n\n"
        "| table | rows |\n|---|--:|\n| orders | 1204 |\n| refunds | 0 |\n\n"
        "> A quote with a list:\n> - one\n> - two\n>\n> and a paragraph.\n\n"
        "## Second\n\nSub heading\n---\n\ntext under it\n"
    ),
    "html-and-rules": (
        "<details>\n<summary>more</summary>\n\nhidden text\n</details>\n\n"
        "***\n\nA paragraph with <b>inline</b> html and `code`.\n\n---\n\nEnd.\n"
    ),
    "one-long-list": "".join(f"- item {i} with **bold** text\n" for i in range(12))
    + "\n   continuation of the last item after a blank line\n",
    "loose-then-indented-code": (
        "Paragraph one\ncontinued lazily\n\n    indented code block\n    second line\n\n"
        "* a\n\n* b\n\n  para in b\n\nText.\n"
    ),
    "references": "See [the log][log] first.\n\nThen more.\n\n[log]: https://example.com/log\n",
}


def make_renderer() -> ItemRenderer:
    console = Console(
        width=WIDTH + 4, color_system="truecolor", force_terminal=True, legacy_windows=False
    )
    palette = Palette.from_variables({"foreground": "#e0e0e0", "background": "#101010"}, True)
    return ItemRenderer(console, palette)


def text_of(strips: list[Strip]) -> list[tuple[str, tuple[object, ...]]]:
    """Each line's text and the style of each cell (how segments are cut does not matter)."""
    out = []
    for strip in strips:
        cells: list[object] = []
        for segment in strip:
            style = segment.style or Style()
            cells.extend([style] * len(segment.text))
        out.append((strip.text, tuple(cells)))
    return out


def whole(text: str) -> list[tuple[str, tuple[object, ...]]]:
    item = AssistantTextItem(parts=[text], complete=True)
    return text_of(make_renderer().lines(item, WIDTH))


def streamed(text: str, cuts: list[int]) -> list[tuple[str, tuple[object, ...]]]:
    renderer = make_renderer()
    item = AssistantTextItem()
    for k in cuts:
        item.parts[:] = [text[:k]]
        item.touch()
        renderer.lines(item, WIDTH)
    item.parts[:] = [text]
    item.complete = True
    item.touch()
    return text_of(renderer.lines(item, WIDTH))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_streaming_cut_at_every_position_renders_like_the_whole(name: str) -> None:
    text = CORPUS[name]
    expected = whole(text)
    for k in range(1, len(text)):
        assert streamed(text, [k]) == expected, f"{name}: cut at {k}: {text[:k]!r}"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_streaming_character_by_character_renders_like_the_whole(name: str) -> None:
    text = CORPUS[name]
    assert streamed(text, list(range(1, len(text)))) == whole(text)


def test_pieces_are_the_parsers_top_level_blocks() -> None:
    text = CORPUS["list-with-paragraphs-and-code"]
    starts, refs = block_starts(text)
    assert not refs
    # "Steps:", the ordered list (one block, paragraphs and code inside), the last paragraph.
    assert [text[s : s + 6] for s in starts] == ["Steps:", "1. Rea", "Done w"]
    split = StreamSplit()
    for k in range(1, len(text) + 1):
        split.advance(text[:k])
    split.finish(text)
    assert "".join(p.text for p in split.pieces) == text
    assert split.pieces[1].text.startswith("1. Read") and "tail -n 30" in split.pieces[1].text


def test_an_unclosed_fence_is_never_final_and_is_not_reparsed_line_by_line() -> None:
    text = "Intro.\n\n```python\n" + "".join(f"x = {i}\n" for i in range(500))
    split = StreamSplit()
    split.advance(text)
    assert text[split.consumed :].startswith("```python")
    parsed_at = split.consumed
    split.advance(text + "y = 1\n")
    assert split.consumed == parsed_at
    split.advance(text + "y = 1\n```\n\nAfter.\n")
    assert split.pieces[-1].text.startswith("```python")


def test_a_changed_item_is_rendered_once_per_version() -> None:
    renderer = make_renderer()
    item = AssistantTextItem(parts=["one"], complete=True)
    first = renderer.lines(item, WIDTH)
    assert renderer.lines(item, WIDTH) is first  # cached
    item.parts[:] = ["two"]
    item.touch()
    second = renderer.lines(item, WIDTH)
    assert second is not first and "two" in second[0].text
    assert renderer.lines(item, WIDTH) is second  # the new version is cached, not re-rendered
