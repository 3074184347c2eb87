"""read_file, write_file, edit_file, list_files and grep on a real workspace."""

from __future__ import annotations

from pathlib import Path

from cockpit.engine.tools.base import ToolContext, ToolResult
from cockpit.engine.tools.registry import ToolRegistry

REG = ToolRegistry()


async def call(ctx: ToolContext, name: str, **tool_input: object) -> ToolResult:
    return await REG.run(name, dict(tool_input), ctx)


async def test_read_numbered_offset_limit(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "f.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    r = await call(ctx, "read_file", path="f.txt")
    assert not r.is_error
    assert r.content.splitlines()[0] == "     1\tline 1"
    assert r.content.splitlines()[-1] == "    10\tline 10"
    r = await call(ctx, "read_file", path="f.txt", offset=3, limit=2)
    assert r.content.splitlines()[:2] == ["     3\tline 3", "     4\tline 4"]
    assert "showing lines 3-4 of 10" in r.content and "offset=5" in r.content
    r = await call(ctx, "read_file", path="f.txt", offset=50)
    assert r.is_error and "past the end" in r.content
    r = await call(ctx, "read_file", path="f.txt", offset=-1)
    assert r.is_error and ">= 1" in r.content


async def test_read_binary_missing_dir_empty(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "blob.bin").write_bytes(b"\x89PNG\x00\x01\x02")
    (workspace / "latin1.txt").write_bytes(b"caf\xe9\n")
    (workspace / "empty.txt").write_text("")
    (workspace / "d").mkdir()
    r = await call(ctx, "read_file", path="blob.bin")
    assert r.is_error and "binary" in r.content
    r = await call(ctx, "read_file", path="latin1.txt")
    assert r.is_error and "UTF-8" in r.content
    r = await call(ctx, "read_file", path="nope.txt")
    assert r.is_error and "does not exist" in r.content
    r = await call(ctx, "read_file", path="d")
    assert r.is_error and "directory" in r.content
    r = await call(ctx, "read_file", path="empty.txt")
    assert not r.is_error and "empty" in r.content


async def test_read_large_file_truncated(workspace: Path, memory: object) -> None:
    ctx = ToolContext(workspace=workspace, memory=memory, output_cap=5000)  # type: ignore[arg-type]
    (workspace / "big.txt").write_text("x" * 100 + "\n" + "".join(f"{i}\n" for i in range(5000)))
    r = await call(ctx, "read_file", path="big.txt")
    assert not r.is_error
    assert len(r.content) < 5200
    assert "of 5001 in big.txt; read more with offset=" in r.content


async def test_write_creates_parents_atomically(ctx: ToolContext, workspace: Path) -> None:
    r = await call(ctx, "write_file", path="a/b/c.txt", content="héllo\n")
    assert not r.is_error
    assert r.content == "created a/b/c.txt (7 bytes written)"
    assert (workspace / "a/b/c.txt").read_text() == "héllo\n"
    (workspace / "a/b/c.txt").chmod(0o750)
    r = await call(ctx, "write_file", path="a/b/c.txt", content="x")
    assert r.content == "overwrote a/b/c.txt (1 bytes written)"
    assert (workspace / "a/b/c.txt").stat().st_mode & 0o777 == 0o750
    assert sorted(p.name for p in (workspace / "a/b").iterdir()) == ["c.txt"]  # no tmp left
    r = await call(ctx, "write_file", path="a", content="x")
    assert r.is_error and "directory" in r.content


async def test_edit_unique_missing_multiple(ctx: ToolContext, workspace: Path) -> None:
    f = workspace / "t.py"
    f.write_text("a = 1\nb = 2\na = 1\n")
    r = await call(ctx, "edit_file", path="t.py", old_string="b = 2", new_string="b = 3")
    assert not r.is_error and "replaced 1 occurrence" in r.content
    assert f.read_text() == "a = 1\nb = 3\na = 1\n"

    r = await call(ctx, "edit_file", path="t.py", old_string="c = 9", new_string="c = 0")
    assert r.is_error and "not found" in r.content and "0 matches" in r.content

    r = await call(ctx, "edit_file", path="t.py", old_string="a = 1", new_string="a = 5")
    assert r.is_error and "found 2 times" in r.content and "lines 1, 3" in r.content
    assert f.read_text() == "a = 1\nb = 3\na = 1\n"

    r = await call(
        ctx, "edit_file", path="t.py", old_string="a = 1", new_string="a = 5", replace_all=True
    )
    assert not r.is_error and "replaced 2 occurrences" in r.content
    assert f.read_text() == "a = 5\nb = 3\na = 5\n"

    r = await call(ctx, "edit_file", path="t.py", old_string="", new_string="x")
    assert r.is_error and "empty" in r.content
    r = await call(ctx, "edit_file", path="missing.py", old_string="a", new_string="b")
    assert r.is_error and "does not exist" in r.content


async def test_edit_preserves_crlf(ctx: ToolContext, workspace: Path) -> None:
    f = workspace / "w.txt"
    f.write_bytes(b"one\r\ntwo\r\n")
    r = await call(ctx, "edit_file", path="w.txt", old_string="two", new_string="2")
    assert not r.is_error
    assert f.read_bytes() == b"one\r\n2\r\n"


async def test_list_files(ctx: ToolContext, workspace: Path) -> None:
    for rel in ("landing/a.csv", "landing/b.csv", "src/x.py", ".git/HEAD", "src/__pycache__/x.pyc"):
        (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
        (workspace / rel).write_text("x")
    (workspace / ".venv/bin").mkdir(parents=True)
    r = await call(ctx, "list_files")
    assert r.content.splitlines() == [
        "landing/",
        "landing/a.csv",
        "landing/b.csv",
        "src/",
        "src/x.py",
    ]
    r = await call(ctx, "list_files", path="landing")
    assert r.content.splitlines() == ["a.csv", "b.csv"]
    r = await call(ctx, "list_files", pattern="*.csv")
    assert r.content.splitlines() == ["landing/a.csv", "landing/b.csv"]
    r = await call(ctx, "list_files", pattern="**/*.py")
    assert r.content.splitlines() == ["src/x.py"]
    r = await call(ctx, "list_files", pattern="*.nothing")
    assert not r.is_error and "no entries" in r.content
    r = await call(ctx, "list_files", path="src/x.py")
    assert r.is_error and "not a directory" in r.content


async def test_list_files_capped(ctx: ToolContext, workspace: Path) -> None:
    for i in range(1200):
        (workspace / f"f{i:04}.txt").write_text("")
    r = await call(ctx, "list_files")
    assert len(r.content.splitlines()) == 1001
    assert "200 more entries not shown" in r.content


async def test_grep(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "src").mkdir()
    (workspace / "src/a.py").write_text("import os\ndef load():\n    pass\n")
    (workspace / "src/b.txt").write_text("def not_python\n")
    (workspace / "bin.dat").write_bytes(b"def \x00\x01")
    r = await call(ctx, "grep", pattern=r"^def \w+")
    assert r.content.splitlines() == ["src/a.py:2: def load():", "src/b.txt:1: def not_python"]
    r = await call(ctx, "grep", pattern="def", glob="*.py")
    assert r.content.splitlines() == ["src/a.py:2: def load():"]
    r = await call(ctx, "grep", pattern="pass", path="src/a.py")
    assert r.content == "src/a.py:3:     pass"
    r = await call(ctx, "grep", pattern="zzz")
    assert not r.is_error and "no matches" in r.content
    r = await call(ctx, "grep", pattern="(unclosed")
    assert r.is_error and "invalid regular expression" in r.content


async def test_grep_capped(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "many.txt").write_text("hit\n" * 800)
    r = await call(ctx, "grep", pattern="hit")
    assert len(r.content.splitlines()) == 501
    assert "300 more matches not shown" in r.content


def test_mutating_and_summary() -> None:
    tools = {name: REG.get(name) for name in ("read_file", "write_file", "edit_file")}
    assert tools["read_file"] is not None and not tools["read_file"].is_mutating({"path": "x"})
    assert tools["write_file"] is not None and tools["write_file"].is_mutating({"path": "x"})
    assert tools["edit_file"] is not None and tools["edit_file"].is_mutating({"path": "x"})
    grep = REG.get("grep")
    assert grep is not None and not grep.is_mutating({"pattern": "x"})
    assert grep.summary({"pattern": "TODO", "path": "src"}) == "grep: TODO in src"
    read = REG.get("read_file")
    assert read is not None and read.summary({"path": "logs/a.log"}) == "read_file: logs/a.log"
