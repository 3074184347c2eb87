"""The memory tool (memory_20250818 semantics) backed by the session's MemoryBackend."""

from __future__ import annotations

import posixpath
from typing import Any

from cockpit.engine.tools.base import (
    MemoryBackend,
    ToolContext,
    ToolInputError,
    ToolResult,
    error,
    one_line,
)

ROOT = "/memories"
COMMANDS = ("view", "create", "str_replace", "insert", "delete", "rename")
MAX_FILE_CHARS = 1_000_000
LINE_WIDTH = 6


def normalize_memory_path(path: object, field: str = "path") -> str:
    """A normalized path under /memories, or ToolInputError saying why not."""
    if not isinstance(path, str):
        raise ToolInputError(f"{field} must be a string")
    if path == "":
        raise ToolInputError(f"{field} is empty")
    if "\x00" in path:
        raise ToolInputError(f"{field} contains a NUL byte; refused")
    if "\\" in path:
        raise ToolInputError(f"{field} {path!r} contains a backslash; refused")
    lowered = path.lower()
    if "%2e" in lowered or "%2f" in lowered or "%5c" in lowered:
        raise ToolInputError(f"{field} {path!r} contains URL-encoded traversal; refused")
    if ".." in path.split("/"):
        raise ToolInputError(f"{field} {path!r} contains '..'; refused")
    if not path.startswith("/"):
        raise ToolInputError(f"{field} {path!r} must start with {ROOT}")
    norm = posixpath.normpath(path)
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    if norm != ROOT and not norm.startswith(ROOT + "/"):
        raise ToolInputError(f"{field} {path!r} is outside {ROOT}; memory paths start with {ROOT}")
    return norm


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n}B" if n else "0B"
    size = float(n)
    for unit in ("K", "M", "G"):
        size /= 1024
        if size < 1024 or unit == "G":
            return f"{int(size)}{unit}" if size == int(size) else f"{size:.1f}{unit}"
    return f"{n}B"


def _numbered(lines: list[str], start: int) -> str:
    return "\n".join(f"{str(i + start).rjust(LINE_WIDTH)}\t{line}" for i, line in enumerate(lines))


class MemoryTool:
    """Anthropic's client-side memory tool; files live in the session store."""

    name = "memory"
    input_schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "command": {"type": "string", "enum": list(COMMANDS)},
            "path": {"type": "string"},
            "file_text": {"type": "string"},
            "old_str": {"type": "string"},
            "new_str": {"type": "string"},
            "insert_line": {"type": "integer"},
            "insert_text": {"type": "string"},
            "old_path": {"type": "string"},
            "new_path": {"type": "string"},
            "view_range": {"type": "array", "items": {"type": "integer"}},
        },
        "required": ["command"],
    }

    def definition(self) -> dict[str, Any]:
        return {"type": "memory_20250818", "name": "memory"}

    def is_mutating(self, tool_input: dict[str, Any]) -> bool:
        return tool_input.get("command") != "view"

    def summary(self, tool_input: dict[str, Any]) -> str:
        command = tool_input.get("command", "?")
        if command == "rename":
            target = f"{tool_input.get('old_path', '?')} -> {tool_input.get('new_path', '?')}"
        else:
            target = str(tool_input.get("path", "?"))
        return f"memory: {command} {one_line(target)}"

    async def run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        if not isinstance(tool_input, dict):
            return error("memory: input must be an object")
        command = tool_input.get("command")
        if command not in COMMANDS:
            return error(
                f"memory: unknown command {command!r}; expected one of {', '.join(COMMANDS)}"
            )
        try:
            handler = getattr(self, f"_{command}")
            text: str = await handler(tool_input, ctx.memory)
        except ToolInputError as exc:
            return error(f"memory: {exc}")
        return ToolResult(text)

    # -- helpers -------------------------------------------------------------

    @staticmethod
    def _field(tool_input: dict[str, Any], key: str) -> str:
        if key not in tool_input:
            raise ToolInputError(f"{tool_input.get('command')} needs {key!r}")
        value = tool_input[key]
        if not isinstance(value, str):
            raise ToolInputError(f"{key} must be a string")
        return value

    @staticmethod
    async def _files_under(memory: MemoryBackend, directory: str) -> list[tuple[str, int]]:
        prefix = directory.rstrip("/") + "/"
        return sorted((p, s) for p, s in await memory.list(prefix) if p.startswith(prefix))

    async def _read_existing(self, memory: MemoryBackend, path: str) -> str:
        text = await memory.read(path)
        if text is None:
            if path == ROOT or await self._files_under(memory, path):
                raise ToolInputError(f"The path {path} is a directory, not a file.")
            raise ToolInputError(f"The path {path} does not exist. Please provide a valid path.")
        return text

    # -- commands ------------------------------------------------------------

    async def _view(self, tool_input: dict[str, Any], memory: MemoryBackend) -> str:
        path = normalize_memory_path(self._field(tool_input, "path"))
        text = await memory.read(path) if path != ROOT else None
        if text is None:
            files = await self._files_under(memory, path)
            if not files and path != ROOT:
                raise ToolInputError(
                    f"The path {path} does not exist. Please provide a valid path."
                )
            return self._view_dir(path, files)
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        start = 1
        view_range = tool_input.get("view_range")
        if view_range is not None:
            if (
                not isinstance(view_range, list)
                or len(view_range) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in view_range)
            ):
                raise ToolInputError("view_range must be two integers [start, end] (end -1 = EOF)")
            first, last = view_range
            if first < 1 or (last != -1 and last < first):
                raise ToolInputError(f"invalid view_range {view_range}: lines are 1-based")
            start = first
            lines = lines[first - 1 : None if last == -1 else last]
        return f"Here's the content of {path} with line numbers:\n" + _numbered(lines, start)

    @staticmethod
    def _view_dir(path: str, files: list[tuple[str, int]]) -> str:
        base = path.rstrip("/")
        entries: dict[str, int] = {}
        for file_path, size in files:
            rel = file_path[len(base) + 1 :]
            parts = rel.split("/")
            if any(part.startswith(".") for part in parts):
                continue
            for depth in range(1, min(len(parts), 3)):
                key = "/".join(parts[:depth]) + "/"
                entries[key] = entries.get(key, 0) + size
            if len(parts) <= 2:
                entries[rel] = size
        total = sum(size for _p, size in files)
        lines = [f"{_human_size(total)}\t{base}"]
        lines += [f"{_human_size(size)}\t{base}/{rel}" for rel, size in sorted(entries.items())]
        header = (
            f"Here're the files and directories up to 2 levels deep in {base}, "
            "excluding hidden items:"
        )
        return header + "\n" + "\n".join(lines)

    async def _create(self, tool_input: dict[str, Any], memory: MemoryBackend) -> str:
        path = normalize_memory_path(self._field(tool_input, "path"))
        text = self._field(tool_input, "file_text")
        if path == ROOT:
            raise ToolInputError(f"cannot create a file at {ROOT} itself; use {ROOT}/<name>")
        if len(text) > MAX_FILE_CHARS:
            raise ToolInputError(f"file_text is {len(text)} chars; the limit is {MAX_FILE_CHARS}")
        if await self._files_under(memory, path):
            raise ToolInputError(f"The path {path} is a directory; cannot create a file there.")
        parent = posixpath.dirname(path)
        while parent != ROOT:
            if await memory.read(parent) is not None:
                raise ToolInputError(f"{parent} is a file; it cannot contain {path}")
            parent = posixpath.dirname(parent)
        await memory.write(path, text)
        return f"File created successfully at: {path}"

    async def _str_replace(self, tool_input: dict[str, Any], memory: MemoryBackend) -> str:
        path = normalize_memory_path(self._field(tool_input, "path"))
        old = self._field(tool_input, "old_str")
        new = tool_input.get("new_str", "")
        if not isinstance(new, str):
            raise ToolInputError("new_str must be a string")
        if old == "":
            raise ToolInputError("old_str is empty")
        content = await self._read_existing(memory, path)
        count = content.count(old)
        if count == 0:
            raise ToolInputError(
                f"No replacement was performed, old_str `{old}` did not appear verbatim in {path}."
            )
        if count > 1:
            lines: list[str] = []
            pos = content.find(old)
            while pos != -1:
                lines.append(str(content.count("\n", 0, pos) + 1))
                pos = content.find(old, pos + 1)
            raise ToolInputError(
                f"No replacement was performed. Multiple occurrences of old_str `{old}` "
                f"in lines: {', '.join(lines)}. Please ensure it is unique"
            )
        changed = content.count("\n", 0, content.find(old))
        updated = content.replace(old, new, 1)
        await memory.write(path, updated)
        new_lines = updated.split("\n")
        lo = max(0, changed - 2)
        hi = min(len(new_lines), changed + 3 + new.count("\n"))
        return (
            "The memory file has been edited. Here is the snippet showing the change "
            "(with line numbers):\n" + _numbered(new_lines[lo:hi], lo + 1)
        )

    async def _insert(self, tool_input: dict[str, Any], memory: MemoryBackend) -> str:
        path = normalize_memory_path(self._field(tool_input, "path"))
        text = self._field(tool_input, "insert_text")
        line = tool_input.get("insert_line")
        if isinstance(line, bool) or not isinstance(line, int):
            raise ToolInputError("insert needs 'insert_line' as an integer")
        content = await self._read_existing(memory, path)
        lines = content.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if line < 0 or line > len(lines):
            raise ToolInputError(
                f"Invalid `insert_line` parameter: {line}. "
                f"It should be within the range [0, {len(lines)}]."
            )
        lines.insert(line, text.rstrip("\n"))
        await memory.write(path, "\n".join(lines) + "\n")
        return f"The file {path} has been edited."

    async def _delete(self, tool_input: dict[str, Any], memory: MemoryBackend) -> str:
        path = normalize_memory_path(self._field(tool_input, "path"))
        if path == ROOT:
            raise ToolInputError(f"Cannot delete the {ROOT} directory itself")
        if await memory.read(path) is not None:
            await memory.delete(path)
            return f"Successfully deleted {path}"
        files = await self._files_under(memory, path)
        if not files:
            raise ToolInputError(f"The path {path} does not exist")
        for file_path, _size in files:
            await memory.delete(file_path)
        return f"Successfully deleted {path}"

    async def _rename(self, tool_input: dict[str, Any], memory: MemoryBackend) -> str:
        old = normalize_memory_path(self._field(tool_input, "old_path"), "old_path")
        new = normalize_memory_path(self._field(tool_input, "new_path"), "new_path")
        if ROOT in (old, new):
            raise ToolInputError(f"Cannot rename the {ROOT} directory itself")
        if new == old or new.startswith(old + "/"):
            raise ToolInputError(f"cannot rename {old} into itself ({new})")
        if await memory.read(new) is not None or await self._files_under(memory, new):
            raise ToolInputError(f"The destination {new} already exists")
        if await memory.read(old) is not None:
            await memory.rename(old, new)
            return f"Successfully renamed {old} to {new}"
        files = await self._files_under(memory, old)
        if not files:
            raise ToolInputError(f"The path {old} does not exist")
        for file_path, _size in files:
            await memory.rename(file_path, new + file_path[len(old) :])
        return f"Successfully renamed {old} to {new}"
