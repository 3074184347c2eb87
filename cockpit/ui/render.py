"""Renders transcript items to cached Strips: Markdown for finished text, light for streams."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from rich.theme import Theme as RichTheme
from textual.cache import LRUCache
from textual.color import Color
from textual.strip import Strip

from cockpit.ui.items import (
    AssistantTextItem,
    Item,
    MessageItem,
    NoticeItem,
    ThinkingItem,
    ToolCardItem,
    summarize_input,
)
from cockpit.ui.markdown_split import Piece, StreamSplit

LINE_CACHE_ITEMS = 4096
# Messages whose streaming state is kept (a few stream at once; the rest were abandoned or
# completed off screen: dropping one only costs a parse and a render of it again).
STREAM_CACHE_ITEMS = 64
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
COLLAPSED_OUTPUT_LINES = 3
MAX_OUTPUT_LINES = 2000
_PAD = Segment(" ")


def fmt_duration(seconds: float) -> str:
    """850ms, 4.2s, 3m 05s, 2h 03m."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def fmt_tokens(n: int) -> str:
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.2f}M"


@dataclass(frozen=True)
class Palette:
    """Rich styles derived from the current Textual theme."""

    dark: bool
    text: Style
    muted: Style
    faint: Style
    primary: Style
    accent: Style
    success: Style
    warning: Style
    error: Style
    selected_bg: Style
    user_bg: Style
    code_theme: str

    def tier(self, tier: str) -> Style:
        return {
            "low": self.success,
            "medium": self.primary,
            "high": self.warning,
            "critical": self.error + Style(bold=True),
        }.get(tier, self.muted)

    @classmethod
    def from_variables(cls, variables: dict[str, str], dark: bool) -> Palette:
        background = Color.parse(variables.get("background", "#000000"))

        def color(name: str, fallback: str = "#888888") -> Any:
            try:
                value = Color.parse(variables.get(name, fallback))
            except Exception:
                value = Color.parse(fallback)
            return (background + value).rich_color

        def blend(name: str, amount: float) -> Any:
            fg = Color.parse(variables.get(name, "#888888"))
            return background.blend(background + fg, amount).rich_color

        return cls(
            dark=dark,
            text=Style(color=color("foreground")),
            muted=Style(color=blend("foreground", 0.62)),
            faint=Style(color=blend("foreground", 0.4)),
            primary=Style(color=color("text-primary")),
            accent=Style(color=color("text-accent")),
            success=Style(color=color("text-success")),
            warning=Style(color=color("text-warning")),
            error=Style(color=color("text-error")),
            selected_bg=Style(bgcolor=blend("primary", 0.22)),
            user_bg=Style(bgcolor=blend("foreground", 0.07)),
            code_theme="monokai" if dark else "friendly",
        )


# Rich carries one thing from a top-level block to the next: whether a blank line comes
# before what it renders next (after every block but a horizontal rule), and an image inside
# a block is drawn as soon as it is read, after that blank. So a piece is rendered after a
# stand-in for the block before it, a one-line paragraph or a rule, whose lines are dropped:
# every piece then renders exactly as it does inside the whole message.
_AFTER_BLOCK = "x\n\n"
_AFTER_RULE = "***\n\n"


@dataclass
class _Stream:
    """A message streaming here: where it is final, and the finished lines drawn so far.

    Each repaint renders only what is new: the pieces that became final since the last
    one and the lines of the tail that were completed; the rest is reused as drawn.
    """

    split: StreamSplit = field(default_factory=StreamSplit)
    # What the lines below were drawn for: (width, generation, selection style, base).
    drawn_for: tuple[Any, ...] = ()
    # The finished lines of the first `pieces_drawn` final pieces.
    strips: list[Strip] = field(default_factory=list)
    pieces_drawn: int = 0
    # The plain-text tail from offset `tail_start` (where the final pieces end): the
    # finished lines of its complete lines, up to offset `tail_pos`.
    tail_start: int = -1
    tail_pos: int = 0
    tail_strips: list[Strip] = field(default_factory=list)


class ItemRenderer:
    """Turns items into Strips for a given width; caches per item and version."""

    def __init__(self, console: Console, palette: Palette) -> None:
        self.console = console
        self.palette = palette
        # Rendered lines per item (bounded: items far off screen are rendered again). Keyed
        # by the item itself, not its id: a cached item stays alive, so no new item can
        # reuse its id and be drawn with its lines.
        self._cache: LRUCache[Item, tuple[Any, list[Strip]]] = LRUCache(LINE_CACHE_ITEMS)
        self._md_theme: RichTheme | None = None
        self._md_palette: Palette | None = None
        # Messages streaming now: their final pieces and those pieces' lines.
        self._streams: LRUCache[Item, _Stream] = LRUCache(STREAM_CACHE_ITEMS)
        # Bumped by clear(): lines drawn before it (old theme) are not reused.
        self._generation = 0
        # How many lines each stand-in of `piece_lines` renders to (the same at any width).
        self._standins: dict[str, int] = {}

    def clear(self) -> None:
        """Forget every rendered line (the palette or the console theme changed)."""
        self._cache.clear()
        self._generation += 1

    def forget(self, item: Item) -> None:
        self._cache.discard(item)
        self._streams.discard(item)

    def lines(
        self,
        item: Item,
        width: int,
        selected: bool = False,
        now: float = 0.0,
        base: Style | None = None,
    ) -> list[Strip]:
        """The item's lines, each exactly `width` cells, styled over `base` (cached)."""
        frame = 0
        if isinstance(item, ToolCardItem) and item.state == "running":
            frame = int(now * 10) % len(SPINNER)
        key = (item.version, width, selected, frame, base)
        cached = self._cache.get(item)
        if cached is not None and cached[0] == key:
            return cached[1]
        base = base or Style()
        over = self.palette.selected_bg if selected else None
        strips = None
        if isinstance(item, AssistantTextItem):
            strips = self._assistant_strips(item, width, over, base)
        if strips is None:
            strips = self._finish(self._render(item, max(width - 2, 10), frame), width, over, base)
        strips.append(Strip(list(Segment.apply_style([Segment(" " * width, base)], base)), width))
        self._cache.discard(item)  # LRUCache.set keeps an existing key's old value
        self._cache.set(item, (key, strips))
        return strips

    # --- low level -----------------------------------------------------------------

    @staticmethod
    def _finish(lines: list[Strip], width: int, over: Style | None, base: Style) -> list[Strip]:
        """Lines as drawn: padded to exactly `width` cells, over `base`, selected if `over`."""
        # One Strip per line, built from segments (each Strip carries seven small caches:
        # chaining Strip operations allocated three per line).
        adjust, apply = Segment.adjust_line_length, Segment.apply_style
        strips = []
        for line in lines:
            segments: Any = [_PAD, *line]
            if over is not None:
                segments = list(apply(segments, over))
            strips.append(Strip(list(apply(adjust(segments, width, base), base)), width))
        return strips

    def _render_lines(self, renderable: RenderableType, width: int) -> list[Strip]:
        options = self.console.options.update_width(max(width, 1))
        return [
            Strip(line)
            for line in self.console.render_lines(renderable, options, pad=False, new_lines=False)
        ]

    def _gutter(self, strips: list[Strip], first: str, style: Style, rest: str = "") -> list[Strip]:
        rest = rest or " " * len(first)
        out = []
        for i, strip in enumerate(strips):
            mark = first if i == 0 else rest
            out.append(Strip([Segment(mark, style), *strip], len(mark) + strip.cell_length))
        return out

    def _text(self, text: str | Text, width: int, style: Style | None = None) -> list[Strip]:
        content = text if isinstance(text, Text) else Text(text, style=style or "")
        return self._render_lines(content, width)

    def _markdown(self, text: str, width: int, after: str = "") -> list[Strip]:
        """`text` as Rich Markdown; `after`: a stand-in block rendered first, then dropped."""
        from rich.markdown import Markdown  # imported after the first paint

        with self.console.use_theme(self._markdown_theme()):
            lines = self._render_lines(
                Markdown(after + text, code_theme=self.palette.code_theme, hyperlinks=False),
                width,
            )
        if not after:
            return lines
        drop = self._standins.get(after)
        if drop is None:
            drop = self._standins[after] = len(self._markdown(after, width))
        return lines[drop:]

    def piece_lines(self, pieces: list[Piece], index: int, width: int) -> list[Strip]:
        """The lines piece `index` of a message adds to the lines of the pieces before it."""
        piece = pieces[index]
        if not index:
            return self._markdown(piece.text, width)
        after = _AFTER_RULE if pieces[index - 1].kind == "hr" else _AFTER_BLOCK
        return self._markdown(piece.text, width, after)

    def _markdown_theme(self) -> RichTheme:
        """Markdown element styles in the colours of the current theme (rich's are for dark)."""
        if self._md_theme is None or self._md_palette is not self.palette:
            p = self.palette
            code = p.accent + p.user_bg
            self._md_theme = RichTheme(
                {
                    "markdown.code": code,
                    "markdown.h1": p.primary + Style(bold=True),
                    "markdown.h2": p.primary + Style(bold=True),
                    "markdown.h3": p.text + Style(bold=True),
                    "markdown.h4": p.text + Style(bold=True, italic=True),
                    "markdown.link": p.primary + Style(underline=True),
                    "markdown.link_url": p.primary,
                    "markdown.block_quote": p.muted + Style(italic=True),
                    "markdown.item.bullet": p.muted,
                    "markdown.item.number": p.muted,
                    "markdown.hr": p.faint,
                }
            )
            self._md_palette = self.palette
        return self._md_theme

    # --- items --------------------------------------------------------------------------

    def _render(self, item: Item, width: int, frame: int) -> list[Strip]:
        if isinstance(item, AssistantTextItem):
            return self._assistant(item, width)
        if isinstance(item, ToolCardItem):
            return self._tool_card(item, width, frame)
        if isinstance(item, ThinkingItem):
            return self._thinking(item, width)
        if isinstance(item, MessageItem):
            return self._message(item, width)
        if isinstance(item, NoticeItem):
            return self._notice(item, width)
        return []

    def _assistant(self, item: AssistantTextItem, width: int) -> list[Strip]:
        """A message rendered whole (it did not stream here, or it defines references)."""
        p = self.palette
        inner = width - 2
        body = self._markdown(item.text, inner) if item.text.strip() else []
        if item.interrupted:
            body += self._interrupted(inner)
        if not body:
            body = [Strip.blank(0)]
        return self._gutter(body, "● ", p.text)

    def _interrupted(self, width: int) -> list[Strip]:
        return self._text("(interrupted, retrying)", width, self.palette.faint + Style(italic=True))

    def _assistant_strips(
        self, item: AssistantTextItem, width: int, over: Style | None, base: Style
    ) -> list[Strip] | None:
        """A message that streams (or streamed) here, drawn from what its earlier versions
        drew: final pieces as Markdown, each rendered once, and the growing tail as plain
        text. When it completes, only the rest is rendered: the cut points are the
        parser's, so the pieces render exactly as the whole text would (what the user saw
        while it streamed stays). None: render it whole."""
        stream = self._streams.get(item)
        text = item.text
        if item.complete:
            if stream is None:
                return None
            self._streams.discard(item)
            stream.split.finish(text)
            if stream.split.has_references:
                return None
        elif stream is None:
            stream = _Stream()
            self._streams.set(item, stream)
            stream.split.advance(text)
        else:
            stream.split.advance(text)
        inner = max(width - 2, 10) - 2
        drawn_for = (width, self._generation, over, base)
        if stream.drawn_for != drawn_for:
            stream.drawn_for = drawn_for
            stream.strips = []
            stream.pieces_drawn = 0
            stream.tail_start = -1
        pieces = stream.split.pieces
        for index in range(stream.pieces_drawn, len(pieces)):
            lines = self._marked(self.piece_lines(pieces, index, inner), not stream.strips)
            stream.strips += self._finish(lines, width, over, base)
        stream.pieces_drawn = len(pieces)
        strips = list(stream.strips)
        if item.complete:
            more = self._interrupted(inner) if item.interrupted else []
        else:
            tail = self._tail(stream, text, inner, width, over, base)
            if tail and strips:
                strips += self._finish(self._marked([Strip.blank(0)], False), width, over, base)
            strips += tail
            more = []
        if more or not strips:
            lines = self._marked(more or [Strip.blank(0)], not strips)
            strips += self._finish(lines, width, over, base)
        return strips

    def _tail(
        self, stream: _Stream, text: str, inner: int, width: int, over: Style | None, base: Style
    ) -> list[Strip]:
        """The finished lines of the text after the final pieces, as plain text with a
        cursor; lines completed in earlier versions are reused (plain text wraps line by
        line, so this is the same as wrapping the whole tail)."""
        start = stream.split.consumed
        end = len(text)
        while end > start and text[end - 1] == "\n":
            end -= 1
        if end == start:
            return []
        style = self.palette.text
        first = not stream.strips
        if stream.tail_start != start:
            stream.tail_start = stream.tail_pos = start
            stream.tail_strips = []
        newline = text.rfind("\n", stream.tail_pos, end)
        if newline >= 0:
            lines = self._text(text[stream.tail_pos : newline], inner, style)
            lines = self._marked(lines, first and not stream.tail_strips)
            stream.tail_strips += self._finish(lines, width, over, base)
            stream.tail_pos = newline + 1
        last = self._text(text[stream.tail_pos : end] + " ▍", inner, style)
        last = self._marked(last, first and not stream.tail_strips)
        return [*stream.tail_strips, *self._finish(last, width, over, base)]

    def _marked(self, lines: list[Strip], first: bool) -> list[Strip]:
        """Lines of a message in its gutter; `first`: they start the message (its dot)."""
        return self._gutter(lines, "● " if first else "  ", self.palette.text, "  ")

    def _thinking(self, item: ThinkingItem, width: int) -> list[Strip]:
        p = self.palette
        style = p.muted + Style(italic=True)
        n = item.text.count("\n") + 1
        if not item.expanded:
            label = Text.assemble(
                ("✻ Thinking", style), (f"  {n} line{'s' if n != 1 else ''} · enter", p.faint)
            )
            return self._text(label, width)
        head = self._text(Text("✻ Thinking", style=style), width)
        body = self._gutter(self._text(item.text, width - 2, style), "  ", style)
        return head + body

    def _message(self, item: MessageItem, width: int) -> list[Strip]:
        p = self.palette
        if item.role == "goal":
            label, style = "Goal", p.accent + Style(bold=True)
        elif item.role == "steer":
            label, style = "You (steer)", p.primary + Style(bold=True)
        elif item.role == "system":
            label, style = "System", p.muted + Style(bold=True)
        else:
            label, style = "You", p.primary + Style(bold=True)
        body = self._text(Text(item.text, style=p.text), width - 2)
        head = Strip([Segment(label, style)])
        lines = [head, *body]
        lines = self._gutter(lines, "▌ ", style, "▌ ")
        return [s.extend_cell_length(width).apply_style(p.user_bg) for s in lines]

    def _notice(self, item: NoticeItem, width: int) -> list[Strip]:
        p = self.palette
        icon, style = {
            "info": ("ℹ", p.muted),
            "warn": ("⚠", p.warning),
            "error": ("✗", p.error),
            "success": ("✓", p.success),
        }[item.level]
        return self._gutter(self._text(item.text, width - 2, style), f"{icon} ", style)

    def _tool_card(self, item: ToolCardItem, width: int, frame: int) -> list[Strip]:
        p = self.palette
        tier_style = p.tier(item.tier)
        icon, icon_style = {
            "proposed": ("○", p.muted),
            "awaiting": ("◆", p.warning + Style(bold=True)),
            "running": (SPINNER[frame], p.primary),
            "done": ("✓", p.success),
            "error": ("✗", p.error),
            "denied": ("⊘", p.error),
        }.get(item.state, ("○", p.muted))
        summary = summarize_input(item.name, item.input)
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(f"{icon} ", icon_style)
        head.append(item.name, p.text + Style(bold=True))
        if summary:
            head.append(f"({summary})", p.text)
        meta = Text()
        if item.tier:
            meta.append(f" {item.tier.upper()} ", tier_style + Style(reverse=True))
        if item.state in ("done", "error"):
            if item.duration_ms:
                meta.append(f" {fmt_duration(item.duration_ms / 1000)}", p.muted)
            if item.exit_code is not None:
                meta.append(f" exit {item.exit_code}", p.error if item.exit_code else p.muted)
        elif item.state == "awaiting":
            meta.append(" waiting for you", p.warning + Style(bold=True))
        elif item.state == "running":
            meta.append(" running", p.primary)
        inner = width - 2
        room = max(inner - meta.cell_len - 1, 12)
        head.truncate(room, overflow="ellipsis")
        head.pad_right(max(0, inner - head.cell_len - meta.cell_len))
        head.append_text(meta)
        lines = self._text(head, inner)[:1]
        sub: list[Text] = []
        if item.decision:
            sub.append(Text(item.decision, p.error if item.state == "denied" else p.muted))
        if item.state == "awaiting" and item.reasons:
            sub.append(Text("; ".join(item.reasons), p.warning))
        body = item.output_text
        out_lines = body.rstrip("\n").split("\n") if body.strip() else []
        out_style = p.error if item.is_error and item.state != "denied" else p.muted
        shown: list[str]
        more = 0
        if item.state == "denied" and item.decision:
            shown = []
        elif item.expanded:
            shown = out_lines[:MAX_OUTPUT_LINES]
            more = len(out_lines) - len(shown)
        elif item.state == "running":
            shown = out_lines[-COLLAPSED_OUTPUT_LINES:]
        else:
            shown = out_lines[:COLLAPSED_OUTPUT_LINES]
            more = len(out_lines) - len(shown)
        for i, line in enumerate(shown):
            sub.append(Text(line, out_style, no_wrap=not item.expanded, overflow="ellipsis"))
            if i == 0 and not item.expanded:
                sub[-1].truncate(inner - 4, overflow="ellipsis")
        if more > 0:
            plural = "s" if more != 1 else ""
            hint = f"… +{more} line{plural} (enter to expand)"
            sub.append(Text(hint, p.faint + Style(italic=True)))
        elif item.expanded and len(out_lines) > COLLAPSED_OUTPUT_LINES:
            sub.append(Text("(enter to collapse)", p.faint + Style(italic=True)))
        for i, text in enumerate(sub):
            rendered = self._text(text, inner - 2)
            lines += self._gutter(rendered, "└ " if i == 0 else "  ", p.faint)
        return self._gutter(lines, "▌ ", tier_style, "▌ ")
