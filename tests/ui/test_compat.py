"""Fails loudly when the Textual private API that cockpit.ui.compat wraps changes."""

from __future__ import annotations

import inspect

from textual.reactive import Reactive
from textual.widget import Widget

from cockpit.ui import compat
from cockpit.ui.screens.main import MainScreen


def test_the_private_api_compat_wraps_is_still_there() -> None:
    assert compat.check() == [], "Textual changed under cockpit.ui.compat"
    params = list(inspect.signature(Widget._scroll_update).parameters)
    assert params == ["self", "virtual_size"], f"Widget._scroll_update is now {params}"


def test_main_screen_focus_does_not_repaint() -> None:
    focused = MainScreen.__dict__["focused"]
    assert isinstance(focused, Reactive)
    assert focused._repaint is False
