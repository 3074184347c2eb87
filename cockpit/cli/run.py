"""CLI commands that run agents: run, demo, scripted serve, and opening the TUI."""

from __future__ import annotations

import click

from cockpit.errors import CockpitError


def open_tui() -> None:
    """Open the cockpit with a new-session dialog."""
    raise CockpitError("The cockpit TUI is not built yet; use `cockpit run --headless`.")


@click.command("run")
def run_command() -> None:
    """Run one agent session headless."""
    raise CockpitError("not built yet")


@click.command("demo")
def demo_command() -> None:
    """Run the demo scenarios on the scripted model."""
    raise CockpitError("not built yet")


@click.group("scripted")
def scripted_group() -> None:
    """The offline scripted model."""
