"""The memory tool (memory_20250818 commands) against a dict-backed MemoryBackend."""

from __future__ import annotations

from typing import Any

import pytest

from cockpit.engine.tools.base import ToolContext, ToolInputError, ToolResult
from cockpit.engine.tools.memory import MemoryTool, normalize_memory_path
from cockpit.engine.tools.registry import ToolRegistry

REG = ToolRegistry()


async def mem(ctx: ToolContext, **tool_input: object) -> ToolResult:
    return await REG.run("memory", dict(tool_input), ctx)


async def test_create_view_file_and_range(ctx: ToolContext, memory: Any) -> None:
    r = await mem(ctx, command="create", path="/memories/notes.md", file_text="a\nb\nc\n")
    assert not r.is_error and r.content == "File created successfully at: /memories/notes.md"
    assert memory.files == {"/memories/notes.md": "a\nb\nc\n"}
    r = await mem(ctx, command="view", path="/memories/notes.md")
    assert r.content == (
        "Here's the content of /memories/notes.md with line numbers:\n"
        "     1\ta\n     2\tb\n     3\tc"
    )
    r = await mem(ctx, command="view", path="/memories/notes.md", view_range=[2, -1])
    assert r.content.splitlines()[1:] == ["     2\tb", "     3\tc"]
    r = await mem(ctx, command="view", path="/memories/notes.md", view_range=[2, 2])
    assert r.content.splitlines()[1:] == ["     2\tb"]
    r = await mem(ctx, command="view", path="/memories/notes.md", view_range=[0, 2])
    assert r.is_error and "1-based" in r.content
    # create overwrites
    r = await mem(ctx, command="create", path="/memories/notes.md", file_text="new")
    assert not r.is_error and memory.files["/memories/notes.md"] == "new"


async def test_view_directory_lists_sizes(ctx: ToolContext, memory: Any) -> None:
    memory.files.update(
        {
            "/memories/a.md": "x" * 10,
            "/memories/proj/plan.md": "y" * 2048,
            "/memories/proj/deep/er/file.md": "z",
            "/memories/.hidden": "h",
        }
    )
    r = await mem(ctx, command="view", path="/memories")
    lines = r.content.splitlines()
    assert lines[0].startswith("Here're the files and directories up to 2 levels deep in /memories")
    assert lines[1:] == [
        "2.0K\t/memories",
        "10B\t/memories/a.md",
        "2.0K\t/memories/proj/",
        "1B\t/memories/proj/deep/",
        "2K\t/memories/proj/plan.md",
    ]
    r = await mem(ctx, command="view", path="/memories/proj/")
    assert r.content.splitlines()[1:] == [
        "2.0K\t/memories/proj",
        "1B\t/memories/proj/deep/",
        "1B\t/memories/proj/deep/er/",
        "2K\t/memories/proj/plan.md",
    ]
    r = await mem(ctx, command="view", path="/memories/missing")
    assert r.is_error and "does not exist" in r.content


async def test_view_empty_root(ctx: ToolContext) -> None:
    r = await mem(ctx, command="view", path="/memories")
    assert not r.is_error and r.content.splitlines()[1:] == ["0B\t/memories"]


async def test_str_replace(ctx: ToolContext, memory: Any) -> None:
    memory.files["/memories/todo.md"] = "one\ntwo\nthree\ntwo\n"
    r = await mem(ctx, command="str_replace", path="/memories/todo.md", old_str="one", new_str="1")
    assert not r.is_error and r.content.startswith("The memory file has been edited.")
    assert "     1\t1" in r.content
    assert memory.files["/memories/todo.md"] == "1\ntwo\nthree\ntwo\n"
    r = await mem(ctx, command="str_replace", path="/memories/todo.md", old_str="two", new_str="2")
    assert r.is_error and "Multiple occurrences" in r.content and "lines: 2, 4" in r.content
    r = await mem(ctx, command="str_replace", path="/memories/todo.md", old_str="nine", new_str="")
    assert r.is_error and "did not appear verbatim" in r.content
    r = await mem(ctx, command="str_replace", path="/memories/nope.md", old_str="a", new_str="b")
    assert r.is_error and "does not exist" in r.content
    assert memory.files["/memories/todo.md"] == "1\ntwo\nthree\ntwo\n"


async def test_insert(ctx: ToolContext, memory: Any) -> None:
    memory.files["/memories/list.md"] = "a\nc\n"
    r = await mem(ctx, command="insert", path="/memories/list.md", insert_line=1, insert_text="b")
    assert r.content == "The file /memories/list.md has been edited."
    assert memory.files["/memories/list.md"] == "a\nb\nc\n"
    r = await mem(ctx, command="insert", path="/memories/list.md", insert_line=0, insert_text="0\n")
    assert memory.files["/memories/list.md"] == "0\na\nb\nc\n"
    r = await mem(ctx, command="insert", path="/memories/list.md", insert_line=9, insert_text="x")
    assert r.is_error and "[0, 4]" in r.content
    r = await mem(ctx, command="insert", path="/memories/list.md", insert_text="x")
    assert r.is_error and "insert_line" in r.content


async def test_delete_file_and_directory(ctx: ToolContext, memory: Any) -> None:
    memory.files.update({"/memories/a.md": "1", "/memories/d/x.md": "2", "/memories/d/y.md": "3"})
    memory.files["/memories/dd.md"] = "keep"
    r = await mem(ctx, command="delete", path="/memories/a.md")
    assert r.content == "Successfully deleted /memories/a.md"
    r = await mem(ctx, command="delete", path="/memories/d")
    assert r.content == "Successfully deleted /memories/d"
    assert memory.files == {"/memories/dd.md": "keep"}
    r = await mem(ctx, command="delete", path="/memories/d")
    assert r.is_error and "does not exist" in r.content
    r = await mem(ctx, command="delete", path="/memories")
    assert r.is_error and "itself" in r.content


async def test_rename_file_and_directory(ctx: ToolContext, memory: Any) -> None:
    memory.files.update({"/memories/a.md": "1", "/memories/d/x.md": "2", "/memories/b.md": "3"})
    r = await mem(ctx, command="rename", old_path="/memories/a.md", new_path="/memories/z/a.md")
    assert r.content == "Successfully renamed /memories/a.md to /memories/z/a.md"
    r = await mem(ctx, command="rename", old_path="/memories/d", new_path="/memories/e")
    assert not r.is_error
    assert memory.files == {"/memories/z/a.md": "1", "/memories/e/x.md": "2", "/memories/b.md": "3"}
    r = await mem(ctx, command="rename", old_path="/memories/b.md", new_path="/memories/z/a.md")
    assert r.is_error and "already exists" in r.content
    r = await mem(ctx, command="rename", old_path="/memories/nope", new_path="/memories/new")
    assert r.is_error and "does not exist" in r.content
    r = await mem(ctx, command="rename", old_path="/memories/b.md", new_path="/etc/b.md")
    assert r.is_error and "outside /memories" in r.content


@pytest.mark.parametrize(
    "path",
    [
        "/memories/../etc/passwd",
        "/memories/a/../../x",
        "../memories/x",
        "/etc/passwd",
        "memories/x.md",
        "/memoriesX/x.md",
        "/memories/x\x00.md",
        "/memories/%2e%2e/x",
        "/memories\\..\\x",
        "/proc/self/environ",
    ],
)
async def test_memory_escapes_refused(ctx: ToolContext, memory: Any, path: str) -> None:
    for tool_input in (
        {"command": "create", "path": path, "file_text": "pwned"},
        {"command": "view", "path": path},
        {"command": "delete", "path": path},
        {"command": "rename", "old_path": "/memories/ok.md", "new_path": path},
    ):
        memory.files["/memories/ok.md"] = "ok"
        r = await REG.run("memory", tool_input, ctx)
        assert r.is_error, (tool_input, r.content)
        assert r.content.startswith("memory: ")
    assert memory.files == {"/memories/ok.md": "ok"}


def test_normalize() -> None:
    assert normalize_memory_path("/memories") == "/memories"
    assert normalize_memory_path("/memories/") == "/memories"
    assert normalize_memory_path("/memories//a/./b.md") == "/memories/a/b.md"
    with pytest.raises(ToolInputError, match=r"\.\."):
        normalize_memory_path("/memories/../x")


async def test_file_and_directory_conflicts(ctx: ToolContext, memory: Any) -> None:
    memory.files["/memories/d/x.md"] = "1"
    r = await mem(ctx, command="create", path="/memories/d", file_text="x")
    assert r.is_error and "directory" in r.content
    r = await mem(ctx, command="create", path="/memories/d/x.md/y", file_text="x")
    assert r.is_error and "is a file" in r.content
    r = await mem(ctx, command="str_replace", path="/memories/d", old_str="a", new_str="b")
    assert r.is_error and "directory" in r.content


async def test_unknown_command_and_missing_fields(ctx: ToolContext) -> None:
    r = await mem(ctx, command="explode", path="/memories/x")
    assert r.is_error and "'explode'" in r.content
    r = await mem(ctx, command="create", path="/memories/x")
    assert r.is_error and "file_text" in r.content
    r = await mem(ctx, command="view")
    assert r.is_error and "path" in r.content


def test_definition_mutating_summary() -> None:
    tool = MemoryTool()
    assert tool.definition() == {"type": "memory_20250818", "name": "memory"}
    assert not tool.is_mutating({"command": "view", "path": "/memories"})
    for command in ("create", "str_replace", "insert", "delete", "rename"):
        assert tool.is_mutating({"command": command})
    assert tool.summary({"command": "view", "path": "/memories"}) == "memory: view /memories"
    assert (
        tool.summary({"command": "rename", "old_path": "/memories/a", "new_path": "/memories/b"})
        == "memory: rename /memories/a -> /memories/b"
    )
