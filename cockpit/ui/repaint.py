"""RepaintScheduler: which stale panes repaint now, staggered and rate-limited (no textual)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

# A pane repaints at most this often: the focused one smoothly, the others slower.
# Every repaint of a scrolling pane costs the compositor all of its lines (~5 ms).
FOCUSED_INTERVAL = 1 / 20
OTHER_INTERVAL = 1 / 7


class RepaintScheduler:
    """Tracks panes with changes not yet painted and decides which of them to paint.

    The focused pane repaints up to 20 times a second; the others up to 7 times, and at
    most one of them per round, so a single frame never repaints every pane. While held
    (a key's frame is pending) nothing is due. `clock` is monotonic seconds (a fake in tests).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        focused_interval: float = FOCUSED_INTERVAL,
        other_interval: float = OTHER_INTERVAL,
    ) -> None:
        self.clock = clock
        self.focused_interval = focused_interval
        self.other_interval = other_interval
        self._stale: set[str] = set()
        self._painted: dict[str, float] = {}
        self._held = False

    # --- state --------------------------------------------------------------------------

    @property
    def held(self) -> bool:
        return self._held

    def hold(self) -> bool:
        """Hold repaints; True when this call started the hold (the caller releases it)."""
        if self._held:
            return False
        self._held = True
        return True

    def release(self) -> None:
        self._held = False

    def mark_stale(self, pane_id: str) -> None:
        self._stale.add(pane_id)

    def is_stale(self, pane_id: str) -> bool:
        return pane_id in self._stale

    def stale(self) -> list[str]:
        return list(self._stale)

    def forget(self, pane_id: str) -> None:
        """Nothing to paint for this pane any more (hidden or removed)."""
        self._stale.discard(pane_id)

    def painted(self, pane_id: str, at: float | None = None) -> None:
        """Record that a pane was just painted."""
        self._stale.discard(pane_id)
        self._painted[pane_id] = self.clock() if at is None else at

    # --- the decision -------------------------------------------------------------------

    def due(
        self,
        focused: str | None,
        visible: Callable[[str], bool],
        ready: Callable[[str], bool] = lambda _pane_id: True,
    ) -> list[str]:
        """The stale panes to paint now, least recently painted first.

        Stale panes that are not visible are forgotten (they are drawn when they come into
        view); panes that are not ready yet stay stale.
        """
        if self._held or not self._stale:
            return []
        now = self.clock()
        due: list[str] = []
        other_taken = False
        for pane_id in self._by_age(self._stale):
            if not visible(pane_id):
                self._stale.discard(pane_id)
                continue
            if not ready(pane_id):
                continue
            is_focused = pane_id == focused
            interval = self.focused_interval if is_focused else self.other_interval
            if now - self._painted.get(pane_id, float("-inf")) < interval:
                continue
            if not is_focused:
                if other_taken:
                    continue
                other_taken = True
            due.append(pane_id)
        return due

    def _by_age(self, pane_ids: Iterable[str]) -> list[str]:
        return sorted(pane_ids, key=lambda p: self._painted.get(p, float("-inf")))
