"""The `cockpit` command: a click group whose subcommands load lazily (fast start-up)."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from cockpit import __version__
from cockpit.errors import CockpitError

# name -> "module:attribute"; modules are imported only when their command runs.
COMMANDS: dict[str, str] = {
    "ls": "cockpit.cli.sessions:ls_command",
    "audit": "cockpit.cli.sessions:audit_group",
    "export": "cockpit.cli.sessions:export_command",
    "run": "cockpit.cli.run:run_command",
    "resume": "cockpit.cli.run:resume_command",
    "demo": "cockpit.cli.run:demo_command",
    "scripted": "cockpit.cli.run:scripted_group",
    "policy": "cockpit.cli.policy:policy_group",
    "dry-run": "cockpit.cli.dry_run:dry_run_command",
    "checkpoints": "cockpit.cli.rollback:checkpoints_command",
    "rollback": "cockpit.cli.rollback:rollback_command",
    "fork": "cockpit.cli.rollback:fork_command",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="cockpit")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Supervise long-running Claude agents from the terminal.

    With no command, opens the cockpit with a new-session dialog.
    """
    if ctx.invoked_subcommand is None:
        from cockpit.cli.run import open_tui

        open_tui()


def main(argv: list[str] | None = None) -> Any:
    """Entry point: user errors become one message and exit status 2, never a traceback."""
    try:
        return cli.main(args=argv, prog_name="cockpit", standalone_mode=False)
    except CockpitError as exc:
        click.echo(f"cockpit: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("cockpit: interrupted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        # One sentence, with where to look, instead of click's usage block.
        ctx = exc.ctx
        command = ctx.command_path if ctx is not None else "cockpit"
        message = exc.format_message().rstrip(".")
        click.echo(f"cockpit: {message} (see `{command} --help`).", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("cockpit: interrupted", err=True)
        sys.exit(130)
