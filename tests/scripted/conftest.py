"""Fixtures for the scripted-model tests: a loopback server and the real SDK client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import pytest
from scenario_helpers import TEST_SCENARIO, fault_scenario, make_scenario

from cockpit.scripted.scenario import shipped_scenarios
from cockpit.scripted.server import ScriptedServer


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    scenarios = shipped_scenarios()
    scenarios["probe"] = make_scenario(TEST_SCENARIO)
    for kind in (
        "rate_limit",
        "overloaded",
        "api_error",
        "overloaded_midstream",
        "drop_connection",
    ):
        extra = ", retry_after_s = 0.01" if kind in ("overloaded", "api_error") else ""
        scenario = fault_scenario(kind, extra)
        scenarios[scenario.name] = scenario
    srv = ScriptedServer(scenarios, default_scenario="probe", speed=0)
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def client(server: ScriptedServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    c = anthropic.AsyncAnthropic(api_key="scripted", base_url=server.base_url, max_retries=2)
    yield c
    await c.close()
