"""RepaintScheduler with a fake clock: rate limits, staggering, holds, hidden panes."""

from __future__ import annotations

from cockpit.ui.repaint import FOCUSED_INTERVAL, OTHER_INTERVAL, RepaintScheduler


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def paint_all(scheduler: RepaintScheduler, due: list[str]) -> None:
    for pane in due:
        scheduler.painted(pane)


def test_focused_pane_is_rate_limited() -> None:
    clock = FakeClock()
    s = RepaintScheduler(clock)
    s.mark_stale("a")
    assert s.due("a", lambda _p: True) == ["a"]
    s.painted("a")
    s.mark_stale("a")
    clock.advance(FOCUSED_INTERVAL / 2)
    assert s.due("a", lambda _p: True) == []
    clock.advance(FOCUSED_INTERVAL)
    assert s.due("a", lambda _p: True) == ["a"]


def test_at_most_one_other_pane_per_round_least_recently_painted_first() -> None:
    clock = FakeClock()
    s = RepaintScheduler(clock)
    for pane in "abcd":
        s.mark_stale(pane)
    first = s.due("a", lambda _p: True)
    assert first[0] == "a" or "a" in first
    assert len([p for p in first if p != "a"]) == 1
    paint_all(s, first)
    seen = set(first)
    # Each round paints one more of the others, oldest first, until all are painted.
    for _ in range(3):
        clock.advance(OTHER_INTERVAL / 3)
        due = s.due("a", lambda _p: True)
        assert len([p for p in due if p != "a"]) <= 1
        paint_all(s, due)
        seen |= set(due)
    assert seen == set("abcd")
    assert s.stale() == []


def test_other_panes_wait_their_interval() -> None:
    clock = FakeClock()
    s = RepaintScheduler(clock)
    s.mark_stale("b")
    assert s.due("a", lambda _p: True) == ["b"]
    s.painted("b")
    s.mark_stale("b")
    clock.advance(OTHER_INTERVAL / 2)
    assert s.due("a", lambda _p: True) == []
    clock.advance(OTHER_INTERVAL)
    assert s.due("a", lambda _p: True) == ["b"]


def test_hold_blocks_everything_until_released() -> None:
    s = RepaintScheduler(FakeClock())
    s.mark_stale("a")
    assert s.hold() is True
    assert s.hold() is False  # already held: the first holder releases
    assert s.due("a", lambda _p: True) == []
    s.release()
    assert s.due("a", lambda _p: True) == ["a"]


def test_hidden_panes_are_forgotten_and_unready_ones_wait() -> None:
    s = RepaintScheduler(FakeClock())
    s.mark_stale("hidden")
    s.mark_stale("mounting")
    assert s.due(None, lambda p: p != "hidden", lambda p: p != "mounting") == []
    assert not s.is_stale("hidden")
    assert s.is_stale("mounting")
    assert s.due(None, lambda _p: True) == ["mounting"]
