"""ToolRegistry: definitions, unknown tools, schema validation, internal errors."""

from __future__ import annotations

from typing import Any

from cockpit.engine.tools.base import ToolContext, ToolResult
from cockpit.engine.tools.registry import ToolRegistry, validate_input


def test_definitions_of_builtins() -> None:
    reg = ToolRegistry()
    defs = reg.definitions()
    names = [d["name"] for d in defs]
    assert names == [
        "bash",
        "read_file",
        "write_file",
        "edit_file",
        "list_files",
        "grep",
        "memory",
    ]
    for d in defs:
        if d["name"] == "memory":
            assert d == {"type": "memory_20250818", "name": "memory"}
        else:
            assert set(d) == {"name", "description", "input_schema"}
            assert d["input_schema"]["type"] == "object"
    assert reg.get("bash") is not None and reg.get("nope") is None


async def test_unknown_tool(ctx: ToolContext) -> None:
    r = await ToolRegistry().run("rm_rf", {}, ctx)
    assert r.is_error and "unknown tool 'rm_rf'" in r.content and "bash" in r.content


async def test_missing_required_field(ctx: ToolContext) -> None:
    r = await ToolRegistry().run("edit_file", {"path": "a", "old_string": "x"}, ctx)
    assert r.is_error
    assert r.content == "invalid input for edit_file: missing required field 'new_string'"
    r = await ToolRegistry().run("memory", {"path": "/memories"}, ctx)
    assert r.is_error and "'command'" in r.content


async def test_wrong_types(ctx: ToolContext) -> None:
    reg = ToolRegistry()
    r = await reg.run("bash", {"command": ["ls"]}, ctx)
    assert r.is_error and "field 'command' must be string, got list" in r.content
    r = await reg.run("bash", {"command": "ls", "timeout_s": "5"}, ctx)
    assert r.is_error and "'timeout_s' must be integer" in r.content
    r = await reg.run("read_file", {"path": "a", "offset": True}, ctx)
    assert r.is_error and "'offset' must be integer, got bool" in r.content
    r = await reg.run(
        "edit_file", {"path": "a", "old_string": "x", "new_string": "y", "replace_all": "yes"}, ctx
    )
    assert r.is_error and "'replace_all' must be boolean" in r.content
    r = await reg.run("memory", {"command": "nuke", "path": "/memories"}, ctx)
    assert r.is_error and "must be one of" in r.content
    r = await reg.run(
        "memory", {"command": "view", "path": "/memories", "view_range": [1, "x"]}, ctx
    )
    assert r.is_error and "'view_range'[1]" in r.content
    r = await reg.run("bash", "ls", ctx)  # type: ignore[arg-type]
    assert r.is_error and "JSON object" in r.content


def test_validate_input_accepts_good_input() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "number"}}, "required": ["n"]}
    assert validate_input(schema, {"n": 1.5}) is None
    assert validate_input(schema, {"n": 2, "extra": "ignored"}) is None
    assert validate_input(schema, {"n": None}) == "field 'n' must be number, got null"


class Exploding:
    name = "explode"

    def definition(self) -> dict[str, Any]:
        return {"name": "explode", "description": "", "input_schema": {"type": "object"}}

    def is_mutating(self, tool_input: dict[str, Any]) -> bool:
        return False

    def summary(self, tool_input: dict[str, Any]) -> str:
        return "explode"

    async def run(self, tool_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        raise RuntimeError("kaboom")


async def test_tool_crash_becomes_error_result(ctx: ToolContext) -> None:
    reg = ToolRegistry([Exploding()])
    assert [d["name"] for d in reg.definitions()] == ["explode"]
    r = await reg.run("explode", {}, ctx)
    assert r.is_error and "internal error" in r.content and "kaboom" in r.content
