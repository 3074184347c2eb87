"""The tool registry: definitions for the API, schema checks, and dispatch."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from cockpit.engine.tools.base import Tool, ToolContext, ToolResult, error
from cockpit.engine.tools.bash import BashTool
from cockpit.engine.tools.files import (
    EditFileTool,
    GrepTool,
    ListFilesTool,
    ReadFileTool,
    WriteFileTool,
)
from cockpit.engine.tools.memory import MemoryTool

log = logging.getLogger(__name__)

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


def builtin_tools() -> list[Tool]:
    """Every built-in tool, in the order the model sees them."""
    return [
        BashTool(),
        ReadFileTool(),
        WriteFileTool(),
        EditFileTool(),
        ListFilesTool(),
        GrepTool(),
        MemoryTool(),
    ]


def _type_ok(value: Any, expected: str) -> bool:
    kinds = _TYPES.get(expected)
    if kinds is None:
        return True
    if expected in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, kinds)


def validate_input(schema: dict[str, Any], tool_input: Any) -> str | None:
    """The first problem of ``tool_input`` against a JSON-schema subset, or None.

    Checks the top-level object, required keys, property types (string, integer,
    number, boolean, array with item types, object, null) and enums.
    """
    if not isinstance(tool_input, dict):
        return f"input must be a JSON object, got {type(tool_input).__name__}"
    for key in schema.get("required", []):
        if key not in tool_input:
            return f"missing required field {key!r}"
    properties: dict[str, Any] = schema.get("properties", {})
    for key, value in tool_input.items():
        spec = properties.get(key)
        if spec is None:
            continue
        expected = spec.get("type")
        options = expected if isinstance(expected, list) else [expected] if expected else []
        if options and not any(_type_ok(value, t) for t in options):
            got = "null" if value is None else type(value).__name__
            return f"field {key!r} must be {' or '.join(options)}, got {got}"
        if "enum" in spec and value not in spec["enum"]:
            allowed = ", ".join(repr(v) for v in spec["enum"])
            return f"field {key!r} must be one of {allowed}, got {value!r}"
        items = spec.get("items")
        if isinstance(value, list) and isinstance(items, dict) and items.get("type"):
            for i, item in enumerate(value):
                if not _type_ok(item, items["type"]):
                    return f"field {key!r}[{i}] must be {items['type']}"
    return None


def tool_schema(tool: Tool) -> dict[str, Any] | None:
    """The input schema used to validate a tool's input (server tools keep theirs aside)."""
    schema = tool.definition().get("input_schema")
    if schema is None:
        schema = getattr(tool, "input_schema", None)
    return schema if isinstance(schema, dict) else None


class ToolRegistry:
    """The tools of one session, by name."""

    def __init__(self, tools: Iterable[Tool] | None = None) -> None:
        chosen = builtin_tools() if tools is None else list(tools)
        self._tools: dict[str, Tool] = {}
        for tool in chosen:
            if tool.name in self._tools:
                raise ValueError(f"duplicate tool name {tool.name!r}")
            self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return list(self._tools)

    def definitions(self) -> list[dict[str, Any]]:
        return [tool.definition() for tool in self._tools.values()]

    async def run(self, name: str, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            return error(f"unknown tool {name!r}; available tools: {known}")
        schema = tool_schema(tool)
        if schema is not None:
            problem = validate_input(schema, tool_input)
            if problem is not None:
                return error(f"invalid input for {name}: {problem}")
        try:
            return await tool.run(tool_input, ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("tool %s failed", name)
            return error(f"{name}: internal error: {type(exc).__name__}: {exc}")
