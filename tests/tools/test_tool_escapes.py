"""Escape attempts against the file tools are refused and write nothing outside."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cockpit.engine.tools.base import ToolContext, ToolInputError
from cockpit.engine.tools.paths import resolve_in_workspace
from cockpit.engine.tools.registry import ToolRegistry

REG = ToolRegistry()


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(root.rglob("*"))
    }


async def call(ctx: ToolContext, name: str, **tool_input: object) -> tuple[str, bool]:
    result = await REG.run(name, dict(tool_input), ctx)
    return result.content, result.is_error


@pytest.mark.parametrize(
    "path",
    [
        "../outside/secret.txt",
        "a/../../outside/secret.txt",
        "../../../../../../etc/passwd",
        "/etc/passwd",
        "/proc/self/environ",
        "/proc/self/cmdline",
        "/sys/kernel/hostname",
        "/dev/zero",
        "/dev/null",
        "ok\x00.txt",
    ],
)
async def test_read_escapes_refused(ctx: ToolContext, path: str) -> None:
    text, is_error = await call(ctx, "read_file", path=path)
    assert is_error
    assert text.startswith("read_file: ")
    assert "refused" in text or "outside" in text
    assert "top secret" not in text and "root:" not in text


@pytest.mark.parametrize(
    "path",
    [
        "../outside/new.txt",
        "../outside/secret.txt",
        "sub/../../outside/new.txt",
        "/tmp/cockpit-escape-test.txt",
        "/proc/self/environ",
        "/dev/null",
        "bad\x00name",
    ],
)
async def test_write_escapes_refused(ctx: ToolContext, outside: Path, path: str) -> None:
    before = snapshot(outside)
    text, is_error = await call(ctx, "write_file", path=path, content="pwned")
    assert is_error, text
    assert "refused" in text or "outside" in text
    assert snapshot(outside) == before
    assert not Path("/tmp/cockpit-escape-test.txt").exists()


async def test_absolute_path_inside_workspace_allowed(ctx: ToolContext, workspace: Path) -> None:
    text, is_error = await call(ctx, "write_file", path=str(workspace / "in.txt"), content="x")
    assert not is_error, text
    assert (workspace / "in.txt").read_text() == "x"


async def test_dotdot_staying_inside_is_fine(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "a").mkdir()
    (workspace / "b.txt").write_text("hello\n")
    text, is_error = await call(ctx, "read_file", path="a/../b.txt")
    assert not is_error and "hello" in text


async def test_symlink_out_read_and_write(ctx: ToolContext, workspace: Path, outside: Path) -> None:
    (workspace / "link.txt").symlink_to(outside / "secret.txt")
    (workspace / "linkdir").symlink_to(outside)
    (workspace / "dangling").symlink_to(outside / "does-not-exist.txt")
    before = snapshot(outside)

    for path in ("link.txt", "linkdir/secret.txt"):
        text, is_error = await call(ctx, "read_file", path=path)
        assert is_error and "symlink" in text and "top secret" not in text

    for path in ("link.txt", "linkdir/secret.txt", "linkdir/new.txt", "dangling"):
        text, is_error = await call(ctx, "write_file", path=path, content="pwned")
        assert is_error and "symlink" in text, text
        text, is_error = await call(
            ctx, "edit_file", path=path, old_string="top", new_string="pwned"
        )
        assert is_error, text

    text, is_error = await call(ctx, "write_file", path="linkdir/deep/new.txt", content="x")
    assert is_error and "symlink" in text
    text, is_error = await call(ctx, "list_files", path="linkdir")
    assert is_error and "symlink" in text
    text, is_error = await call(ctx, "grep", pattern="secret", path="linkdir")
    assert is_error and "symlink" in text
    assert snapshot(outside) == before
    assert (workspace / "link.txt").is_symlink()  # not replaced either


async def test_symlink_inside_workspace_followed(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "real.txt").write_text("one\n")
    (workspace / "alias.txt").symlink_to(workspace / "real.txt")
    text, is_error = await call(ctx, "write_file", path="alias.txt", content="two\n")
    assert not is_error, text
    assert (workspace / "real.txt").read_text() == "two\n"


async def test_grep_and_list_skip_links_out(
    ctx: ToolContext, workspace: Path, outside: Path
) -> None:
    (workspace / "mine.txt").write_text("secret of mine\n")
    (workspace / "link.txt").symlink_to(outside / "secret.txt")
    (workspace / "linkdir").symlink_to(outside)
    text, is_error = await call(ctx, "grep", pattern="secret")
    assert not is_error
    assert text == "mine.txt:1: secret of mine"
    text, _ = await call(ctx, "list_files")
    assert "secret.txt" not in text.replace("linkdir", "")


async def test_fifo_and_socket_refused(ctx: ToolContext, workspace: Path) -> None:
    os.mkfifo(workspace / "pipe")
    text, is_error = await call(ctx, "read_file", path="pipe")
    assert is_error and "FIFO" in text
    text, is_error = await call(ctx, "write_file", path="pipe", content="x")
    assert is_error and "FIFO" in text
    (workspace / "devlink").symlink_to("/dev/zero")
    text, is_error = await call(ctx, "read_file", path="devlink")
    assert is_error and "refused" in text


def test_resolver_messages(workspace: Path) -> None:
    with pytest.raises(ToolInputError, match="NUL byte"):
        resolve_in_workspace(workspace, "a\x00b")
    with pytest.raises(ToolInputError, match="outside the workspace"):
        resolve_in_workspace(workspace, "../x")
    with pytest.raises(ToolInputError, match="/proc"):
        resolve_in_workspace(workspace, "/proc/self/environ")
    with pytest.raises(ToolInputError, match="does not exist"):
        resolve_in_workspace(workspace, "nope.txt", allow_missing=False)
    with pytest.raises(ToolInputError, match="empty"):
        resolve_in_workspace(workspace, "")
    assert resolve_in_workspace(workspace, ".") == workspace
    assert resolve_in_workspace(workspace, "new/file.txt") == workspace / "new" / "file.txt"


def test_symlink_loop_is_a_clear_error(workspace: Path) -> None:
    (workspace / "loop1").symlink_to(workspace / "loop2")
    (workspace / "loop2").symlink_to(workspace / "loop1")
    with pytest.raises(ToolInputError):
        resolve_in_workspace(workspace, "loop1")


async def test_a_hard_link_to_a_file_outside_is_refused(
    ctx: ToolContext, workspace: Path, outside: Path
) -> None:
    os.link(outside / "secret.txt", workspace / "innocent.txt")
    before = snapshot(outside)
    for name, extra in (
        ("read_file", {}),
        ("edit_file", {"old_string": "top", "new_string": "bottom"}),
    ):
        text, is_error = await call(ctx, name, path="innocent.txt", **extra)
        assert is_error and "hard link" in text, (name, text)
        assert "top secret" not in text
    assert snapshot(outside) == before
