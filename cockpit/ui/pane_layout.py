"""PaneLayout: which sessions fill the pane slots (1, 2 or 4, maximised, narrow) — pure code."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

Layout = Literal[1, 2, 4]
LAYOUTS: tuple[Layout, ...] = (1, 2, 4)


@dataclass
class PaneLayout:
    """The slots of the pane grid and the active session.

    `layout` is what the user chose; `narrow` (a small terminal) shows one pane whatever
    was chosen; `zoomed` maximises the active pane. `slots` keeps the user's order.
    """

    layout: Layout = 4
    zoomed: bool = False
    narrow: bool = False
    slots: list[str] = field(default_factory=list)
    active: str | None = None

    @property
    def effective(self) -> int:
        """Panes the grid has room for (the chosen layout, or 1 on a narrow terminal)."""
        return 1 if self.narrow else self.layout

    @property
    def shown(self) -> int:
        """Panes actually shown: 1 when maximised."""
        return 1 if self.zoomed else self.effective

    @property
    def single(self) -> bool:
        return self.shown == 1

    def set_layout(self, n: int) -> None:
        self.layout = cast(Layout, n) if n in LAYOUTS else 4
        self.zoomed = False

    def is_visible(self, session_id: str) -> bool:
        if self.single:
            return session_id == self.active
        return session_id in self.slots

    def visible(self, order: Sequence[str]) -> list[str]:
        return [sid for sid in order if self.is_visible(sid)]

    def add(self, session_id: str) -> None:
        """A new session: it becomes active if none is, and takes a free slot."""
        if self.active is None:
            self.active = session_id
        if len(self.slots) < self.layout and session_id not in self.slots:
            self.slots.append(session_id)

    def refill(self, order: Sequence[str]) -> None:
        """Keep the slot order, drop gone sessions, put the active one in, fill free slots."""
        known = set(order)
        if self.active not in known:
            self.active = order[0] if order else None
        self.slots = [s for s in self.slots if s in known][: self.layout]
        if self.active is not None and self.active not in self.slots:
            if len(self.slots) >= self.layout:
                self.slots[-1] = self.active
            else:
                self.slots.append(self.active)
        for sid in order:
            if len(self.slots) >= self.layout:
                break
            if sid not in self.slots:
                self.slots.append(sid)

    def shown_in_order(self) -> list[str]:
        """The visible sessions in grid order (slot order)."""
        return [s for s in self.slots if self.is_visible(s)]

    def cycle(self, order: Sequence[str], step: int) -> str | None:
        """The session `step` panes away from the active one (all sessions when single)."""
        ids = list(order) if self.single else [s for s in self.slots if s in order]
        if not ids:
            return None
        current = ids.index(self.active) if self.active in ids else 0
        return ids[(current + step) % len(ids)]

    def next_matching(self, order: Sequence[str], wanted: Callable[[str], bool]) -> str | None:
        """The first session after the active one (wrapping) for which `wanted` holds."""
        ids = list(order)
        start = ids.index(self.active) + 1 if self.active in ids else 0
        for sid in ids[start:] + ids[:start]:
            if wanted(sid):
                return sid
        return None
