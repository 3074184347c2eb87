"""Snapshot tests: fixed size, replayed sessions without pacing, a fixed clock."""

from __future__ import annotations

from typing import Any

from .apps import make_app


def test_main_screen_three_panes(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(160, 48))


def test_maximised_pane(snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["right_square_bracket", "z"], terminal_size=(160, 48))


def test_approval_dialog(snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["a"], terminal_size=(160, 48))


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["question_mark"], terminal_size=(160, 48))


def test_light_theme(snap_compare: Any) -> None:
    assert snap_compare(make_app(theme="cockpit-light"), terminal_size=(160, 48))


def test_small_terminal(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_health_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), press=["h"], terminal_size=(160, 48))
