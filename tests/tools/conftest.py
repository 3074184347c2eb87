"""Fixtures for the tool tests: a real workspace in tmp_path and a dict-backed memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.engine.tools.base import ToolContext


class DictMemory:
    """A MemoryBackend over a plain dict, as the store will provide."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    async def read(self, path: str) -> str | None:
        return self.files.get(path)

    async def write(self, path: str, text: str) -> None:
        self.files[path] = text

    async def delete(self, path: str) -> bool:
        gone = [p for p in self.files if p == path or p.startswith(path.rstrip("/") + "/")]
        for p in gone:
            del self.files[p]
        return bool(gone)

    async def rename(self, old: str, new: str) -> bool:
        if old not in self.files:
            return False
        self.files[new] = self.files.pop(old)
        return True

    async def list(self, prefix: str) -> list[tuple[str, int]]:
        return sorted((p, len(t.encode())) for p, t in self.files.items() if p.startswith(prefix))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws.resolve()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret.txt").write_text("top secret\n")
    return out.resolve()


@pytest.fixture
def memory() -> DictMemory:
    return DictMemory()


@pytest.fixture
def ctx(workspace: Path, memory: DictMemory) -> ToolContext:
    return ToolContext(workspace=workspace, memory=memory)
