"""CLI commands that run agents: run, resume, demo, scripted serve, and opening the TUI."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cockpit.cli.startup import ensure_sessions_dir, load_settings, start_session
from cockpit.defaults import DEMO_SCENARIOS
from cockpit.errors import CockpitError
from cockpit.vocab import CLI_MODES

if TYPE_CHECKING:
    from cockpit.engine.client import Backend
    from cockpit.engine.session import AgentSession
    from cockpit.vocab import EndStatus

T = TypeVar("T")


class _Pace(click.ParamType):
    """A pacing factor: a finite number from 0 (instant) to 100 (a hundred times slower)."""

    name = "pace"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            pace = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not 0 <= pace <= 100:  # also false for nan
            self.fail(f"{value} is not a pace from 0 (instant) to 100", param, ctx)
        return pace


SPEED = _Pace()
EXIT_CODES = {"done": 0, "failed": 1, "stopped": 3, "interrupted": 130}


def open_tui() -> None:
    """Open the cockpit with a new-session dialog."""
    from cockpit.cli.tui import launch

    launch(demo=False)


def _run_async(make: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except KeyboardInterrupt:
        raise SystemExit(130) from None


async def _drive_headless(session: AgentSession, backend: Backend, quiet: bool) -> EndStatus:
    from cockpit.cli.printer import HeadlessPrinter

    printer = HeadlessPrinter(quiet=quiet)
    session.subscribe(printer)
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_sigint() -> None:
        nonlocal interrupted
        interrupted = True
        session.stop()

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        status = await session.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        await session.store.close()
        await backend.close()
    printer.finish(session)
    return "interrupted" if interrupted else status


def _exit(status: str) -> None:
    code = EXIT_CODES.get(status, 1)
    if code:
        sys.exit(code)


@click.command("run")
@click.argument("goal", required=False)
@click.option("--scenario", help="Run on the offline scripted model with this scenario.")
@click.option("--model", help="Claude model id (needs ANTHROPIC_API_KEY).")
@click.option("--workspace", type=click.Path(path_type=Path), help="Folder the agent works in.")
@click.option(
    "--session", "session_file", type=click.Path(path_type=Path), help="Session file to write."
)
@click.option("--sessions-dir", type=click.Path(path_type=Path), help="Folder for session files.")
@click.option(
    "--mode", type=click.Choice(CLI_MODES), default="ask", show_default=True, help="Approval mode."
)
@click.option("--yes", is_flag=True, help="Allow actions up to HIGH risk without asking.")
@click.option(
    "--yes-critical", is_flag=True, help="With --yes: allow CRITICAL actions too (rm -rf, DROP...)."
)
@click.option(
    "--speed", type=SPEED, help="Scripted pacing factor (1 = scenario pace, 0 = instant)."
)
@click.option(
    "--max-cost",
    type=click.FloatRange(min=0, min_open=True),
    help="Spend cap in USD: the watchdog stops the session when it is reached.",
)
@click.option("--headless", is_flag=True, default=True, hidden=True, help="Run without the TUI.")
@click.option("--quiet", "-q", is_flag=True, help="Print only tool calls and the outcome.")
def run_command(
    goal: str | None,
    scenario: str | None,
    model: str | None,
    workspace: Path | None,
    session_file: Path | None,
    sessions_dir: Path | None,
    mode: str,
    yes: bool,
    yes_critical: bool,
    speed: float | None,
    max_cost: float | None,
    headless: bool,
    quiet: bool,
) -> None:
    """Run one agent session headless, printing a live log.

    Exit status: 0 finished, 1 failed, 2 bad input, 3 stopped by policy or the watchdog
    (a watchdog pause stops a headless run: nobody is there to resume it), 130 interrupted.
    """
    if scenario and model:
        raise CockpitError("Pass either --scenario (offline) or --model (real API), not both.")
    settings = load_settings()
    if session_file is not None and session_file.exists():
        raise CockpitError(
            f"{session_file} already exists; pick a new --session path or `cockpit resume` it."
        )
    folder = ensure_sessions_dir(session_file.parent if session_file else sessions_dir)

    async def main() -> str:
        session, backend = await start_session(
            goal=goal,
            scenario=scenario,
            model=model or (None if scenario else settings.model),
            workspace=workspace,
            session_file=session_file,
            sessions_dir=folder,
            mode="yes" if yes or yes_critical else mode,
            interactive=False,
            speed=settings.speed if speed is None else speed,
            max_cost_usd=max_cost,
            yes_critical=yes_critical,
        )
        click.echo(f"session   {session.store.path}")
        click.echo(f"workspace {session.workspace}")
        return await _drive_headless(session, backend, quiet)

    _exit(_run_async(main))


@click.command("resume")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Allow actions up to HIGH risk without asking.")
@click.option("--yes-critical", is_flag=True, help="With --yes: allow CRITICAL actions too.")
@click.option("--speed", type=SPEED, help="Scripted pacing factor.")
@click.option("--quiet", "-q", is_flag=True, help="Print only tool calls and the outcome.")
@click.option("--message", "-m", help="A message to the agent before it continues.")
@click.option(
    "--headless/--tui",
    default=None,
    help="Continue with the live log, or in the cockpit (default: the cockpit in a terminal).",
)
def resume_command(
    file: Path,
    yes: bool,
    yes_critical: bool,
    speed: float | None,
    quiet: bool,
    message: str | None,
    headless: bool | None,
) -> None:
    """Continue a saved session from where its events stop: in the cockpit, or headless.

    Without a terminal (a pipe, CI) it runs headless.
    """
    if headless is None:
        headless = not (sys.stdin.isatty() and sys.stdout.isatty())
    if not headless:
        from cockpit.cli.startup import check_resumable
        from cockpit.cli.tui import launch

        asyncio.run(check_resumable(file))  # bad input: one sentence, before the screen opens

        launch(demo=False, speed=speed, resume=[file], message=message)
        return
    settings = load_settings()

    async def main() -> str:
        from cockpit.cli.startup import open_session

        options: dict[str, Any] = {"interactive": False}
        if yes or yes_critical:
            options["mode"] = "yes"
            options["yes_critical"] = yes_critical
        session, backend = await open_session(
            file, settings.speed if speed is None else speed, **options
        )
        store = session.store
        outside = await session.check_workspace()
        if outside:
            click.echo(
                f"warning: {len(outside)} path(s) changed outside Cockpit since the last "
                "checkpoint; continuing on the workspace as it is (`cockpit rollback` restores)."
            )
        if message:
            session.steer(message)
        click.echo(f"session   {store.path}")
        return await _drive_headless(session, backend, quiet)

    _exit(_run_async(main))


@click.command("demo")
@click.option("--headless", is_flag=True, help="Run the demo scenarios without the TUI.")
@click.option("--sessions-dir", type=click.Path(path_type=Path), help="Folder for session files.")
@click.option(
    "--speed", type=SPEED, help="Scripted pacing factor (1 = scenario pace, 0 = instant)."
)
@click.option("--quiet", "-q", is_flag=True, help="Print only tool calls and outcomes.")
def demo_command(
    headless: bool, sessions_dir: Path | None, speed: float | None, quiet: bool
) -> None:
    """Open the cockpit on three demo sessions running on the offline scripted model.

    No API key and no network: each session gets a fresh copy of the demo workspace.
    """
    if not headless:
        from cockpit.cli.tui import launch

        launch(demo=True, sessions_dir=sessions_dir, speed=speed)
        return
    settings = load_settings()
    folder = ensure_sessions_dir(sessions_dir)
    pace = settings.speed if speed is None else speed

    async def main() -> str:
        from cockpit.engine.client import start_scripted_server

        server = await start_scripted_server(pace)
        worst = "done"
        try:
            for scenario in DEMO_SCENARIOS:
                click.echo(click.style(f"\n=== {scenario} ===", bold=True))
                session, backend = await start_session(
                    goal=None,
                    scenario=scenario,
                    model=None,
                    workspace=None,
                    session_file=None,
                    sessions_dir=folder,
                    mode="ask",
                    interactive=False,
                    speed=pace,
                    server=server,
                )
                click.echo(f"session   {session.store.path}")
                click.echo(f"workspace {session.workspace}")
                status = await _drive_headless(session, backend, quiet)
                if EXIT_CODES.get(status, 1) > EXIT_CODES.get(worst, 1):
                    worst = status
                if status == "interrupted":
                    break
        finally:
            await server.stop()
        return worst

    _exit(_run_async(main))


@click.group("scripted")
def scripted_group() -> None:
    """The offline scripted model (a Messages-API server on loopback)."""


@scripted_group.command("serve")
@click.option("--scenario", required=True, help="Scenario answered for any model name.")
@click.option("--port", type=int, default=0, show_default=True, help="Port (0 = pick a free one).")
@click.option("--speed", type=SPEED, help="Pacing factor (1 = scenario pace, 0 = instant).")
def scripted_serve(scenario: str, port: int, speed: float | None) -> None:
    """Serve a scenario on 127.0.0.1 so any Messages-API client can try it offline."""
    from cockpit.scripted.scenario import scenario_path
    from cockpit.scripted.server import ScriptedServer

    scenario_path(scenario)  # an unknown name is one clear error, before anything starts
    pace = load_settings().speed if speed is None else speed

    async def main() -> None:
        server = ScriptedServer(default_scenario=scenario, speed=pace, port=port)
        try:
            await server.start()
        except OSError as exc:
            raise CockpitError(
                f"Cannot listen on port {port} ({exc.strerror}); pick another --port."
            ) from None
        click.echo(f"Scripted model serving {scenario!r} at {server.base_url}")
        click.echo(
            f"  ANTHROPIC_BASE_URL={server.base_url} ANTHROPIC_API_KEY=any  (Ctrl-C to stop)"
        )
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    _run_async(main)
