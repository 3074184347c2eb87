"""Shared test setup: never reach the real API, keep user config out of the way."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

for _var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
    os.environ.pop(_var, None)


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Each test gets its own config and sessions folders and no API key."""
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    base: Path = tmp_path_factory.mktemp("cockpit-env")
    monkeypatch.setenv("COCKPIT_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("COCKPIT_SESSIONS_DIR", str(base / "sessions"))
    monkeypatch.setenv("COCKPIT_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("COCKPIT_SPEED", "0")
    yield
