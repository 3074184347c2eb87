"""PaneLayout: slots of the pane grid, the active session, cycling, narrow and zoomed."""

from __future__ import annotations

from cockpit.ui.pane_layout import PaneLayout

ORDER = ["a", "b", "c", "d", "e"]


def filled(layout: int = 4) -> PaneLayout:
    panes = PaneLayout(layout=layout)  # type: ignore[arg-type]
    for sid in ORDER:
        panes.add(sid)
    panes.refill(ORDER)
    return panes


def test_sessions_fill_free_slots_in_order_and_the_first_is_active() -> None:
    panes = filled()
    assert panes.slots == ["a", "b", "c", "d"]
    assert panes.active == "a"
    assert panes.visible(ORDER) == ["a", "b", "c", "d"]


def test_the_active_session_always_gets_a_slot() -> None:
    panes = filled(2)
    assert panes.slots == ["a", "b"]
    panes.active = "e"
    panes.refill(ORDER)
    assert panes.slots == ["a", "e"]
    assert panes.visible(ORDER) == ["a", "e"]


def test_zoomed_and_narrow_show_only_the_active_session() -> None:
    panes = filled()
    panes.active = "c"
    panes.zoomed = True
    assert panes.visible(ORDER) == ["c"]
    panes.zoomed = False
    panes.narrow = True
    assert panes.visible(ORDER) == ["c"] and panes.effective == 1
    panes.narrow = False
    assert panes.visible(ORDER) == ["a", "b", "c", "d"]


def test_cycle_walks_the_slots_or_every_session_when_single() -> None:
    panes = filled(2)
    assert panes.cycle(ORDER, 1) == "b"
    assert panes.cycle(ORDER, -1) == "b"  # two slots: back and forth
    panes.set_layout(1)
    assert panes.cycle(ORDER, 1) == "b"
    assert panes.cycle(ORDER, -1) == "e"


def test_set_layout_rejects_unknown_counts_and_unzooms() -> None:
    panes = filled()
    panes.zoomed = True
    panes.set_layout(3)
    assert panes.layout == 4 and not panes.zoomed


def test_next_matching_wraps_after_the_active_session() -> None:
    panes = filled()
    panes.active = "c"
    assert panes.next_matching(ORDER, lambda s: s in ("a", "d")) == "d"
    assert panes.next_matching(ORDER, lambda s: s == "a") == "a"
    assert panes.next_matching(ORDER, lambda _s: False) is None
