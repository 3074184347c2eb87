"""Where streaming Markdown becomes final: cuts at the parser's own top-level block starts.

Everything before the start of the last top-level block of a CommonMark document (read up
to its last complete line) can no longer change, whatever text is appended (the last block
may still grow: a paragraph can turn into a setext heading or a table, a list can gain
items, a fence runs on until it is closed). The one exception is a link reference
definition, which changes links anywhere in the document: a message that holds one is
never split. This is the idea of Textual's `Markdown.append`, with the parser Rich uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The parser configured as rich.markdown.Markdown configures it."""
    from markdown_it import MarkdownIt

    return MarkdownIt().enable("strikethrough").enable("table")


@dataclass(frozen=True)
class Piece:
    """One top-level block of the message; `kind` is the parser's token type of it."""

    text: str
    kind: str
    # A container (list, quote, table) whose own rendering starts with the blank line that
    # separates it from what comes before: Rich decides that blank from its last child.
    self_spaced: bool = False

    @property
    def spaced(self) -> bool:
        """Whether Rich puts a blank line after this block (all but a horizontal rule do)."""
        return self.kind != "hr"


def block_starts(text: str) -> tuple[list[int], bool]:
    """Offsets in `text` where each top-level block starts, and whether it defines references."""
    starts, _kinds, refs = blocks(text)
    return starts, refs


def blocks(text: str) -> tuple[list[int], list[tuple[str, bool]], bool]:
    """Start offsets of the top-level blocks with (token type, self-spaced), and whether the
    text defines link references."""
    env: dict[str, object] = {}
    tokens = parser().parse(text, env)
    lines = [0]
    for match in re.finditer("\n", text):
        lines.append(match.end())
    starts: list[int] = []
    kinds: list[tuple[str, bool]] = []
    for token in tokens:
        if token.level != 0:
            # A child element closing inside a top-level container.
            if kinds and token.nesting <= 0 and token.type != "inline":
                kinds[-1] = (kinds[-1][0], True)
            continue
        if token.nesting < 0 or token.map is None:
            continue
        line = token.map[0]
        offset = lines[line] if line < len(lines) else len(text)
        if not starts or offset > starts[-1]:
            starts.append(offset)
            kinds.append((token.type.removesuffix("_open"), False))
    return starts, kinds, bool(env.get("references"))


@dataclass
class StreamSplit:
    """The final pieces of one streaming message; `consumed` is where the open tail starts.

    Call `advance(text)` as the text grows (the text only ever grows): it returns the new
    final pieces, each one top-level block. `finish(text)` returns the rest as pieces.
    """

    consumed: int = 0
    has_references: bool = False
    # Re-parsing is skipped until the tail could have started a new block.
    _checked: int = 0
    _fence: str | None = None
    pieces: list[Piece] = field(default_factory=list)

    def advance(self, text: str) -> list[Piece]:
        if self.has_references or not self._may_have_new_block(text):
            return []
        # Complete lines only: the first line of the next block must be whole ("2" may
        # still become "2. item", which continues a list instead of ending it).
        complete = text.rfind("\n") + 1
        starts, kinds, refs = blocks(text[self.consumed : complete])
        self._checked = len(text)
        if refs:
            self.has_references = True
            return []
        self._fence = self._open_fence(text, starts)
        if len(starts) < 2:
            return []
        return self._take(text, [self.consumed + s for s in starts[1:]], kinds)

    def finish(self, text: str) -> list[Piece]:
        """The remaining pieces once the message is complete."""
        if self.consumed >= len(text):
            return []
        starts, kinds, refs = blocks(text[self.consumed :])
        if refs:
            self.has_references = True
        if not starts:  # only blank lines left
            return []
        cuts = [self.consumed + s for s in starts[1:]] + [len(text)]
        return self._take(text, cuts, kinds)

    def _take(self, text: str, cuts: list[int], kinds: list[tuple[str, bool]]) -> list[Piece]:
        new: list[Piece] = []
        for cut, (kind, self_spaced) in zip(cuts, kinds, strict=False):
            if cut > self.consumed:
                new.append(Piece(text[self.consumed : cut], kind, self_spaced))
                self.consumed = cut
        self.pieces.extend(new)
        self._checked = max(self._checked, self.consumed)
        return new

    def _may_have_new_block(self, text: str) -> bool:
        """False when nothing appended since the last parse can start a new block."""
        if "\n" not in text[self._checked :]:
            return False  # a block starts at the start of a line
        if self._fence is None:
            return True
        # Inside an open fence only a closing fence line can end the block.
        line_start = text.rfind("\n", 0, self._checked) + 1
        complete = text[line_start:].split("\n")[:-1]
        if any(_closes(line, self._fence) for line in complete):
            return True
        self._checked = text.rfind("\n") + 1
        return False

    def _open_fence(self, text: str, starts: list[int]) -> str | None:
        """The marker of the fence that the last block opened and did not close, if any."""
        if not starts:
            return None
        tail = text[self.consumed + starts[-1] :]
        first, _, rest = tail.partition("\n")
        match = _FENCE_OPEN.match(first)
        if match is None:
            return None
        marker = match.group(1)
        if any(_closes(line, marker) for line in rest.split("\n")):
            return None
        return marker


def _closes(line: str, marker: str) -> bool:
    """Could `line` close a fence opened with `marker`? (Generous: a false yes costs a parse.)"""
    stripped = line.strip()
    return stripped.startswith(marker) and not stripped.strip(marker[0])
