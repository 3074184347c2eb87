"""Builds the AsyncAnthropic client: the real API with a key, the scripted model otherwise."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

    from cockpit.scripted.server import ScriptedServer


@dataclass
class Backend:
    """One client and the model name to send; the scripted server when it is offline."""

    client: AsyncAnthropic
    model: str
    kind: Literal["anthropic", "scripted"]
    server: ScriptedServer | None = None

    async def close(self) -> None:
        await self.client.close()
        if self.server is not None:
            await self.server.stop()


async def start_scripted_server(speed: float) -> ScriptedServer:
    """Start the embedded scripted model on 127.0.0.1 (ephemeral port) in this event loop."""
    from cockpit.scripted.server import ScriptedServer

    server = ScriptedServer(speed=speed)
    await server.start()
    return server


def scripted_client(server: ScriptedServer, max_retries: int = 4) -> AsyncAnthropic:
    from anthropic import AsyncAnthropic

    return AsyncAnthropic(
        api_key="scripted-offline", base_url=server.base_url, max_retries=max_retries
    )


async def open_backend(
    *,
    model: str | None,
    scenario: str | None,
    speed: float = 1.0,
    server: ScriptedServer | None = None,
) -> Backend:
    """The scripted model for `scenario`, else the real API when ANTHROPIC_API_KEY is set."""
    if scenario is not None:
        from cockpit.scripted.scenario import SCRIPTED_MODEL_PREFIX, scenario_path

        scenario_path(scenario)  # an unknown name is one clear error, before anything starts
        own = server is None
        if server is None:
            server = await start_scripted_server(speed)
        return Backend(
            scripted_client(server),
            SCRIPTED_MODEL_PREFIX + scenario,
            "scripted",
            server if own else None,
        )
    key = os.environ.get("ANTHROPIC_API_KEY")
    if not key:
        raise CockpitError(
            "ANTHROPIC_API_KEY is not set: export it to use Claude, "
            "or pass --scenario NAME to run on the offline scripted model."
        )
    from anthropic import AsyncAnthropic

    from cockpit.config import DEFAULT_MODEL

    return Backend(AsyncAnthropic(api_key=key), model or DEFAULT_MODEL, "anthropic")
