"""Fixtures for engine tests: a scripted server shared by the sessions of one test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from engine_harness import Harness, start_harness


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = await start_harness(tmp_path)
    yield h
    await h.server.stop()
