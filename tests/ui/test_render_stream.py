"""Streaming Markdown: the pieces rendered while streaming give exactly the whole rendering."""

from __future__ import annotations

import gc

import pytest
from rich.console import Console
from rich.style import Style
from textual.strip import Strip

from cockpit.ui import render
from cockpit.ui.items import AssistantTextItem, NoticeItem
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
    "one-long-list": "".join(f"- item {i} with **bold** text\n" for i in range(6))
    + "\n   continuation of the last item after a blank line\n",
    "loose-then-indented-code": (
        "Paragraph one\ncontinued lazily\n\n    indented code block\n    second line\n\n"
        "* a\n\n* b\n\n  para in b\n\nText.\n"
    ),
    "references": "See [the log][log] first.\n\nThen more.\n\n[log]: https://example.com/log\n",
    # Rich draws an image as soon as it reads it, after the blank line the block before
    # asked for (so here before the list that holds it); a rule asks for none.
    "images-and-rules": (
        "~~~\n~~~\n- item\n![chart](x.png)\n\nText ![icon](i.png) inline.\n\n"
        "***\n- after a rule\n\n> quoted\n>\n> ***\n\nEnd ![last](l.png)\n"
    ),
    "adjacent-and-numbered-lists": (
        "- a\n- b\n\n* c\n\n* d\n\n3. three\n4. four\n10) ten\n\nPara\n1. interrupts\n"
        "2) other delimiter\n- [ ] task\n"
    ),
    "html-blocks-and-setext": (
        "<div>\nhi\n</div>\n\n<!-- comment\nmore -->\ntext\n\n<pre>\ncode\n\nstill\n</pre>\n"
        "Title\n===\nline\nmore\n---\n\n- item\n---\n"
    ),
}


def make_renderer(background: str = "#101010") -> ItemRenderer:
    console = Console(
        width=WIDTH + 4, color_system="truecolor", force_terminal=True, legacy_windows=False
    )
    palette = Palette.from_variables({"foreground": "#e0e0e0", "background": background}, True)
    return ItemRenderer(console, palette)


Lines = list[tuple[str, tuple[object, ...]]]


def text_of(strips: list[Strip]) -> Lines:
    """Each line's text and the style of each cell (how segments are cut does not matter)."""
    out = []
    for strip in strips:
        cells: list[object] = []
        for segment in strip:
            style = segment.style or Style()
            cells.extend([style] * len(segment.text))
        out.append((strip.text, tuple(cells)))
    return out


def whole(text: str) -> Lines:
    item = AssistantTextItem(parts=[text], complete=True)
    return text_of(make_renderer().lines(item, WIDTH))


def streamed(text: str, cuts: list[int]) -> Lines:
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


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_final_pieces_render_together_as_the_whole_text(name: str) -> None:
    text = CORPUS[name]
    split = StreamSplit()
    for k in range(1, len(text) + 1):
        split.advance(text[:k])
    split.finish(text)
    assert "".join(p.text for p in split.pieces) == text
    renderer = make_renderer()
    if split.has_references:
        return  # rendered whole: the test above covers it
    pieces = [
        line
        for index in range(len(split.pieces))
        for line in renderer.piece_lines(split.pieces, index, WIDTH)
    ]
    assert text_of(pieces) == text_of(renderer._markdown(text, WIDTH))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_repaint_while_streaming_draws_what_a_fresh_draw_would(name: str) -> None:
    """Lines reused from earlier repaints (final pieces, completed tail lines) are the
    lines a draw from scratch of the same state gives."""
    text = CORPUS[name]
    renderer = make_renderer()
    item = AssistantTextItem()
    for k in range(1, len(text), 3):
        item.parts[:] = [text[:k]]
        item.touch()
        incremental = text_of(renderer.lines(item, WIDTH))
        renderer.clear()  # the next draw starts from nothing but the split
        assert text_of(renderer.lines(item, WIDTH)) == incremental, f"{name} at {k}"
        stream = renderer._streams.get(item)
        assert stream is not None
        if text[stream.split.consumed : k].strip("\n"):
            assert incremental[-2][0].rstrip().endswith("▍")  # the cursor ends the tail


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


def test_a_theme_change_while_streaming_redraws_the_final_pieces() -> None:
    text = CORPUS["table-quote-headings"]
    renderer = make_renderer()
    item = AssistantTextItem(parts=[text[: len(text) // 2]])
    renderer.lines(item, WIDTH)
    renderer.palette = make_renderer("#f0f0f0").palette
    renderer.clear()
    item.parts[:] = [text]
    item.complete = True
    item.touch()
    fresh = make_renderer("#f0f0f0")
    expected = fresh.lines(AssistantTextItem(parts=[text], complete=True), WIDTH)
    assert text_of(renderer.lines(item, WIDTH)) == text_of(expected)


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


def test_the_caches_are_bounded_and_never_mistake_one_item_for_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert 1000 <= render.LINE_CACHE_ITEMS <= 10_000 and render.STREAM_CACHE_ITEMS >= 16
    monkeypatch.setattr(render, "LINE_CACHE_ITEMS", 300)
    monkeypatch.setattr(render, "STREAM_CACHE_ITEMS", 8)
    renderer = make_renderer()
    for i in range(400):
        # Each item is dropped at once: with caches keyed by id(), a new item that got the
        # same address (and version 0) would be drawn with the old one's lines.
        item = NoticeItem(text=f"notice {i}")
        assert f"notice {i}" in renderer.lines(item, WIDTH)[0].text
        del item
        if i % 100 == 0:
            gc.collect()
    assert len(renderer._cache) == 300
    streams = [AssistantTextItem(parts=[f"para {i}\n\nmore"]) for i in range(16)]
    for item in streams:
        renderer.lines(item, WIDTH)
    assert len(renderer._streams) == 8
    # A stream dropped from the cache starts again and still ends as the whole text.
    first = streams[0]
    first.parts[:] = ["para 0\n\nmore text\n"]
    first.complete = True
    first.touch()
    assert text_of(renderer.lines(first, WIDTH)) == whole("para 0\n\nmore text\n")
