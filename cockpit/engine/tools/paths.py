"""Workspace confinement: the one place where a tool path becomes a real, allowed path."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cockpit.engine.tools.base import ToolInputError

_ALWAYS_REFUSED = ("/proc", "/sys", "/dev")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _refused_system_path(path: str) -> str | None:
    for prefix in _ALWAYS_REFUSED:
        if _inside(path, prefix):
            return prefix
    return None


def display_path(workspace: Path, real: Path) -> str:
    """The path as the model should see it: relative to the workspace, posix style."""
    root = os.path.realpath(workspace)
    rel = os.path.relpath(real, root)
    return "." if rel == "." else Path(rel).as_posix()


def resolve_in_workspace(workspace: Path, path: object, *, allow_missing: bool = True) -> Path:
    """Resolve ``path`` (relative to ``workspace`` or absolute inside it) to a real path.

    Raises ToolInputError for: a non-string or empty path, NUL bytes, ``..`` or an
    absolute path leading outside the workspace, a symlink (anywhere in the chain,
    including the last component) resolving outside, /proc, /sys and /dev, and an
    existing path that is neither a regular file nor a directory (device, FIFO,
    socket), and a regular file with more than one hard link. With
    ``allow_missing=False`` a path that does not exist is an error too.
    The returned path has every symlink resolved, so writes go to the real target.
    """
    if not isinstance(path, str):
        raise ToolInputError(f"path must be a string, got {type(path).__name__}")
    if path == "":
        raise ToolInputError("path is empty")
    if "\x00" in path:
        raise ToolInputError("path contains a NUL byte; refused")
    root = os.path.realpath(workspace)
    lexical = os.path.normpath(os.path.join(root, path))
    refused = _refused_system_path(lexical)
    if refused is not None:
        raise ToolInputError(f"refused: {path!r} is under {refused}, which tools never access")
    if not _inside(lexical, root):
        raise ToolInputError(f"refused: {path!r} is outside the workspace ({root})")
    real = os.path.realpath(lexical)
    refused = _refused_system_path(real)
    if refused is not None:
        raise ToolInputError(
            f"refused: {path!r} resolves through a symlink to {real}, under {refused}"
        )
    if not _inside(real, root):
        raise ToolInputError(
            f"refused: {path!r} resolves through a symlink to {real}, outside the workspace"
        )
    try:
        st = os.stat(real)
    except FileNotFoundError:
        if not allow_missing:
            raise ToolInputError(f"{path!r} does not exist") from None
        return Path(real)
    except NotADirectoryError:
        raise ToolInputError(f"{path!r}: a parent of this path is not a directory") from None
    except OSError as exc:
        raise ToolInputError(f"{path!r}: {exc.strerror or exc}") from None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise ToolInputError(
            f"refused: {path!r} is not a regular file or directory (device, FIFO or socket)"
        )
    if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
        # Another name of the same file may sit outside the workspace, as with a symlink.
        raise ToolInputError(
            f"refused: {path!r} is a hard link ({st.st_nlink} names for one file), and its "
            "other names may be outside the workspace"
        )
    return Path(real)
