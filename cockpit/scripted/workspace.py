"""The packaged demo data-pipeline workspace and fresh copies of it for sessions."""

from __future__ import annotations

import shutil
from pathlib import Path

from cockpit.errors import CockpitError

DEMO_WORKSPACE: Path = Path(__file__).resolve().parent / "workspace"

# Artefacts a run may leave in the packaged folder (e.g. someone ran the pipeline in
# place); a fresh copy never carries them.
_IGNORED = shutil.ignore_patterns("warehouse.db", "warehouse.db-*", "__pycache__", "*.pyc")


def copy_demo_workspace(dest: Path) -> Path:
    """Copy the demo workspace to `dest` (which must not exist or be empty); return it."""
    dest = Path(dest)
    if dest.exists():
        if not dest.is_dir() or any(dest.iterdir()):
            raise CockpitError(f"cannot copy the demo workspace to {dest}: it is not empty")
        dest.rmdir()
    if not (DEMO_WORKSPACE / "pipeline.py").is_file():
        raise CockpitError(f"the packaged demo workspace is missing at {DEMO_WORKSPACE}")
    shutil.copytree(DEMO_WORKSPACE, dest, ignore=_IGNORED)
    return dest
