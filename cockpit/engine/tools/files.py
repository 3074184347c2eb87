"""Workspace file tools: read_file, write_file, edit_file, list_files, grep."""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cockpit.atomic import write_atomically
from cockpit.engine.tools.base import ToolContext, ToolInputError, ToolResult, cap_text, error
from cockpit.engine.tools.paths import display_path, resolve_in_workspace

SKIP_DIRS = frozenset({".git", "__pycache__", ".venv", "node_modules", ".mypy_cache"})
READ_DEFAULT_LIMIT = 2000
READ_MAX_BYTES = 50_000_000
MAX_LINE_CHARS = 2000
LIST_CAP = 1000
GREP_CAP = 500
GREP_MAX_FILE_BYTES = 5_000_000
BINARY_SNIFF = 8192


class _Binary(Exception):
    pass


def _open_regular(real: Path) -> int:
    """Open a resolved path read-only without following a swapped-in symlink or FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(real, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ToolInputError(f"refused: {real} is not a regular file")
    return fd


def _read_text(real: Path, shown: str) -> str:
    """Whole file as UTF-8 text; refuses binary files."""
    fd = _open_regular(real)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    if b"\x00" in data[:BINARY_SNIFF]:
        raise ToolInputError(f"{shown} is a binary file; refused (use bash to inspect it)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ToolInputError(
            f"{shown} is not valid UTF-8 text (byte {exc.start}); refused as binary"
        ) from None


def _str(tool_input: dict[str, Any], key: str, default: str | None = None) -> str:
    value = tool_input.get(key, default)
    if not isinstance(value, str):
        raise ToolInputError(f"{key} must be a string")
    return value


def _int(tool_input: dict[str, Any], key: str, default: int | None) -> int | None:
    value = tool_input.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToolInputError(f"{key} must be an integer")
    return value


class _FileTool:
    name = ""
    description = ""
    input_schema: dict[str, Any] = {}
    mutating = False

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
        }

    def is_mutating(self, tool_input: dict[str, Any]) -> bool:
        return self.mutating

    def summary(self, tool_input: dict[str, Any]) -> str:
        return f"{self.name}: {tool_input.get('path', '.')}"

    async def run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        if not isinstance(tool_input, dict):
            return error(f"{self.name}: input must be an object")
        try:
            return await asyncio.to_thread(self._run, tool_input, ctx)
        except ToolInputError as exc:
            return error(f"{self.name}: {exc}")
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            return error(f"{self.name}: {exc.strerror or exc}{where}")

    def _run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        raise NotImplementedError


class ReadFileTool(_FileTool):
    """Numbered lines of a text file (like ``cat -n``)."""

    name = "read_file"
    description = (
        "Read a text file in the workspace. Returns numbered lines (like `cat -n`). "
        "Use offset (1-based line) and limit to page through large files. Binary files "
        "are refused."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path, relative to the workspace."},
            "offset": {"type": "integer", "description": "First line to show (1-based)."},
            "limit": {"type": "integer", "description": "Maximum number of lines to show."},
        },
        "required": ["path"],
    }

    def _run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        path = _str(tool_input, "path")
        offset = _int(tool_input, "offset", 1) or 1
        limit = _int(tool_input, "limit", READ_DEFAULT_LIMIT)
        if offset < 1:
            raise ToolInputError("offset is a 1-based line number and must be >= 1")
        if limit is None or limit < 1:
            raise ToolInputError("limit must be >= 1")
        real = resolve_in_workspace(ctx.workspace, path, allow_missing=False)
        shown = display_path(ctx.workspace, real)
        if real.is_dir():
            raise ToolInputError(f"{shown} is a directory; use list_files")
        size = real.stat().st_size
        if size > READ_MAX_BYTES:
            raise ToolInputError(
                f"{shown} is {size} bytes, too large to read whole; use bash (head, tail, sed -n)"
            )
        lines = _read_text(real, shown).splitlines()
        total = len(lines)
        if total == 0:
            return ToolResult(f"{shown} is empty")
        if offset > total:
            raise ToolInputError(f"offset {offset} is past the end of {shown} ({total} lines)")
        end = min(total, offset - 1 + limit)
        out: list[str] = []
        used = 0
        budget = max(ctx.output_cap - 200, 1000)
        last = offset - 1
        for number in range(offset, end + 1):
            line = lines[number - 1]
            if len(line) > MAX_LINE_CHARS:
                line = line[:MAX_LINE_CHARS] + f" [... line cut, {len(line)} chars]"
            entry = f"{number:6}\t{line}"
            if used + len(entry) + 1 > budget and out:
                break
            out.append(entry)
            used += len(entry) + 1
            last = number
        text = "\n".join(out)
        if last < total:
            text += (
                f"\n[showing lines {offset}-{last} of {total} in {shown}; "
                f"read more with offset={last + 1}]"
            )
        return ToolResult(text)


class WriteFileTool(_FileTool):
    """Create or overwrite a file atomically."""

    name = "write_file"
    mutating = True
    description = (
        "Create or overwrite a file in the workspace with the given content. Parent "
        "directories are created. The write is atomic."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path, relative to the workspace."},
            "content": {"type": "string", "description": "The full new content of the file."},
        },
        "required": ["path", "content"],
    }

    def _run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        path = _str(tool_input, "path")
        content = _str(tool_input, "content")
        real = resolve_in_workspace(ctx.workspace, path)
        shown = display_path(ctx.workspace, real)
        if real.is_dir():
            raise ToolInputError(f"{shown} is a directory")
        existed = real.exists()
        data = content.encode("utf-8")
        write_atomically(real, data)
        verb = "overwrote" if existed else "created"
        return ToolResult(f"{verb} {shown} ({len(data)} bytes written)")


class EditFileTool(_FileTool):
    """Exact string replacement in a text file."""

    name = "edit_file"
    mutating = True
    description = (
        "Replace an exact string in a workspace file. old_string must match exactly "
        "(whitespace included) and be unique in the file, unless replace_all is true."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path, relative to the workspace."},
            "old_string": {"type": "string", "description": "The exact text to replace."},
            "new_string": {"type": "string", "description": "The replacement text."},
            "replace_all": {
                "type": "boolean",
                "description": "Replace every occurrence instead of requiring a unique one.",
            },
        },
        "required": ["path", "old_string", "new_string"],
    }

    def _run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        path = _str(tool_input, "path")
        old = _str(tool_input, "old_string")
        new = _str(tool_input, "new_string")
        replace_all = tool_input.get("replace_all", False)
        if not isinstance(replace_all, bool):
            raise ToolInputError("replace_all must be a boolean")
        if old == "":
            raise ToolInputError("old_string is empty; use write_file to create a file")
        if old == new:
            raise ToolInputError("old_string and new_string are identical; nothing to do")
        real = resolve_in_workspace(ctx.workspace, path, allow_missing=False)
        shown = display_path(ctx.workspace, real)
        if real.is_dir():
            raise ToolInputError(f"{shown} is a directory")
        text = _read_text(real, shown)
        count = text.count(old)
        if count == 0:
            raise ToolInputError(f"old_string not found in {shown} (0 matches); file unchanged")
        if count > 1 and not replace_all:
            lines = _match_lines(text, old)
            raise ToolInputError(
                f"old_string found {count} times in {shown} (lines {', '.join(lines)}); "
                "add surrounding context to make it unique, or set replace_all; file unchanged"
            )
        updated = text.replace(old, new) if replace_all else text.replace(old, new, 1)
        write_atomically(real, updated.encode("utf-8"))
        noun = "occurrence" if count == 1 else "occurrences"
        return ToolResult(f"edited {shown}: replaced {count} {noun}")


def _match_lines(text: str, needle: str, limit: int = 20) -> list[str]:
    found: list[str] = []
    start = 0
    while len(found) < limit:
        pos = text.find(needle, start)
        if pos == -1:
            break
        found.append(str(text.count("\n", 0, pos) + 1))
        start = pos + 1
    return found


def _glob_match(rel: str, name: str, pattern: str) -> bool:
    if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(name, pattern):
        return True
    return pattern.startswith("**/") and fnmatch.fnmatchcase(rel, pattern[3:])


def _walk(root: Path) -> Iterator[tuple[Path, bool]]:
    """(path, is_dir) under root, sorted, skipping SKIP_DIRS; symlinked dirs not entered."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        entries = [(d, True) for d in dirnames] + [(f, False) for f in filenames]
        for name, is_dir in sorted(entries):
            yield Path(dirpath) / name, is_dir


def _walk_sorted(root: Path) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for path, is_dir in _walk(root):
        out.append((path.relative_to(root).as_posix(), is_dir))
    out.sort()
    return out


class ListFilesTool(_FileTool):
    """Recursive, sorted listing of a workspace directory."""

    name = "list_files"
    description = (
        "List files under a workspace directory, recursively and sorted; directories end "
        "with '/'. Skips .git, __pycache__, .venv and node_modules. Optional glob pattern "
        "(e.g. '*.csv', 'landing/*')."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "Directory, relative to the workspace."},
            "pattern": {"type": "string", "description": "Glob to filter entries."},
        },
        "required": [],
    }

    def _run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        path = _str(tool_input, "path", ".")
        pattern = tool_input.get("pattern")
        if pattern is not None and not isinstance(pattern, str):
            raise ToolInputError("pattern must be a string")
        real = resolve_in_workspace(ctx.workspace, path, allow_missing=False)
        shown = display_path(ctx.workspace, real)
        if not real.is_dir():
            raise ToolInputError(f"{shown} is not a directory; use read_file")
        lines: list[str] = []
        total = 0
        for rel, is_dir in _walk_sorted(real):
            if pattern and not _glob_match(rel, rel.rsplit("/", 1)[-1], pattern):
                continue
            total += 1
            if len(lines) < LIST_CAP:
                lines.append(rel + "/" if is_dir else rel)
        if total == 0:
            what = f" matching {pattern!r}" if pattern else ""
            return ToolResult(f"no entries{what} in {shown}")
        text = "\n".join(lines)
        if total > len(lines):
            text += f"\n[... {total - len(lines)} more entries not shown; narrow path or pattern]"
        return ToolResult(cap_text(text, ctx.output_cap))


class GrepTool(_FileTool):
    """Regex search over workspace text files."""

    name = "grep"
    description = (
        "Search workspace text files with a Python regular expression. Returns "
        "'path:line: text' lines. Optional path (file or directory) and glob filter "
        "(e.g. '*.py')."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "description": "Python regular expression."},
            "path": {"type": "string", "description": "File or directory to search."},
            "glob": {"type": "string", "description": "Only search files matching this glob."},
        },
        "required": ["pattern"],
    }

    def summary(self, tool_input: dict[str, Any]) -> str:
        where = tool_input.get("path", ".")
        return f"grep: {tool_input.get('pattern', '')!s} in {where}"

    def _run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        pattern = _str(tool_input, "pattern")
        path = _str(tool_input, "path", ".")
        glob = tool_input.get("glob")
        if glob is not None and not isinstance(glob, str):
            raise ToolInputError("glob must be a string")
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ToolInputError(f"invalid regular expression {pattern!r}: {exc}") from None
        real = resolve_in_workspace(ctx.workspace, path, allow_missing=False)
        root = Path(os.path.realpath(ctx.workspace))
        if real.is_dir():
            candidates = [(real / rel, rel) for rel, is_dir in _walk_sorted(real) if not is_dir]
        else:
            candidates = [(real, real.name)]
        hits: list[str] = []
        total = 0
        for file_path, rel in candidates:
            if glob and not _glob_match(rel, file_path.name, glob):
                continue
            try:
                target = resolve_in_workspace(root, str(file_path), allow_missing=False)
                if not target.is_file() or target.stat().st_size > GREP_MAX_FILE_BYTES:
                    continue
                text = _read_text(target, rel)
            except (ToolInputError, OSError):
                continue
            shown = display_path(root, file_path)
            for number, line in enumerate(text.splitlines(), 1):
                if regex.search(line):
                    total += 1
                    if len(hits) < GREP_CAP:
                        if len(line) > 500:
                            line = line[:500] + " [...]"
                        hits.append(f"{shown}:{number}: {line}")
        if total == 0:
            return ToolResult(f"no matches for {pattern!r} in {display_path(root, real)}")
        text = "\n".join(hits)
        if total > len(hits):
            text += f"\n[... {total - len(hits)} more matches not shown; narrow the search]"
        return ToolResult(cap_text(text, ctx.output_cap))
