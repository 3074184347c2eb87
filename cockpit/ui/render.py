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
from cockpit.ui.markdown_split import StreamSplit

LINE_CACHE_ITEMS = 4096
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


@dataclass
class _Stream:
    """A message being streamed: where it is final, and the lines of its final pieces."""

    split: StreamSplit = field(default_factory=StreamSplit)
    width: int = 0
    rendered: list[list[Strip]] = field(default_factory=list)


class ItemRenderer:
    """Turns items into Strips for a given width; caches per item and version."""

    def __init__(self, console: Console, palette: Palette) -> None:
        self.console = console
        self.palette = palette
        # Rendered lines per item (bounded: items far off screen are rendered again).
        self._cache: LRUCache[int, tuple[Any, list[Strip]]] = LRUCache(LINE_CACHE_ITEMS)
        self._md_theme: RichTheme | None = None
        self._md_palette: Palette | None = None
        # Messages streaming now: item id -> their final pieces and those pieces' lines.
        self._streams: dict[int, _Stream] = {}

    def clear(self) -> None:
        self._cache.clear()
        for stream in self._streams.values():
            stream.rendered.clear()

    def forget(self, item: Item) -> None:
        self._cache.discard(id(item))
        self._streams.pop(id(item), None)

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
        cached = self._cache.get(id(item))
        if cached is not None and cached[0] == key:
            return cached[1]
        rendered = self._render(item, max(width - 2, 10), frame)
        base = base or Style()
        # One Strip per line, built from segments (each Strip carries seven small caches:
        # chaining Strip operations allocated three per line).
        over = self.palette.selected_bg if selected else None
        adjust, apply = Segment.adjust_line_length, Segment.apply_style
        strips = []
        for line in rendered:
            segments: Any = [_PAD, *line]
            if over is not None:
                segments = list(apply(segments, over))
            strips.append(Strip(list(apply(adjust(segments, width, base), base)), width))
        strips.append(Strip(list(apply([Segment(" " * width, base)], base)), width))
        self._cache.discard(id(item))  # LRUCache.set keeps an existing key's old value
        self._cache.set(id(item), (key, strips))
        return strips

    # --- low level -----------------------------------------------------------------

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

    def _markdown(self, text: str, width: int) -> list[Strip]:
        from rich.markdown import Markdown  # imported after the first paint

        with self.console.use_theme(self._markdown_theme()):
            return self._render_lines(
                Markdown(text, code_theme=self.palette.code_theme, hyperlinks=False), width
            )

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
        p = self.palette
        inner = width - 2
        text = item.text
        if item.complete:
            stream = self._streams.pop(id(item), None)
            if stream is not None:
                stream.split.finish(text)
            if stream is not None and not stream.split.has_references:
                # Streamed here: keep the blocks already rendered (what the user saw while
                # it streamed) and render only the rest; the cut points are the parser's,
                # so the pieces render exactly as the whole text would.
                body = self._pieces(stream, inner)
            else:
                body = self._markdown(text, inner) if text.strip() else []
            if item.interrupted:
                body += self._text("(interrupted, retrying)", inner, p.faint + Style(italic=True))
        else:
            body = self._streaming(item, text, inner)
        if not body:
            body = [Strip.blank(0)]
        return self._gutter(body, "● ", p.text)

    def _pieces(self, stream: _Stream, width: int) -> list[Strip]:
        """The stream's final pieces as Markdown, each rendered once per width, spaced as
        Rich spaces the blocks of a whole document."""
        if stream.width != width:
            stream.width = width
            stream.rendered.clear()
        pieces = stream.split.pieces
        for piece in pieces[len(stream.rendered) :]:
            stream.rendered.append(self._markdown(piece.text, width))
        body: list[Strip] = []
        for i, lines in enumerate(stream.rendered):
            if i and pieces[i - 1].spaced and not pieces[i].self_spaced:
                body.append(Strip.blank(0))
            body += lines
        return body

    def _streaming(self, item: AssistantTextItem, text: str, width: int) -> list[Strip]:
        """Finished blocks as Markdown (each rendered once), the growing tail as plain text."""
        stream = self._streams.get(id(item))
        if stream is None:
            stream = self._streams[id(item)] = _Stream()
        stream.split.advance(text)
        body = self._pieces(stream, width)
        tail = text[stream.split.consumed :].rstrip("\n")
        if tail:
            if body:
                body.append(Strip.blank(0))
            body += self._text(tail + " ▍", width, self.palette.text)
        return body

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
