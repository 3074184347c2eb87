"""Dry-run workspace copies: changes, diffs, all-or-nothing apply, discard, tampering."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from cockpit.engine import dryrun
from cockpit.engine.dryrun import ApplyConflict, Change, WorkspaceCopy
from cockpit.errors import CockpitError

Tree = dict[str, tuple[str, object, int]]


def snapshot(base: Path) -> Tree:
    """Every path under base: kind, bytes or link target, mode."""
    out: Tree = {}
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base).as_posix()
        st = os.lstat(path)
        mode = stat.S_IMODE(st.st_mode)
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path), 0)
        elif path.is_dir():
            out[rel] = ("dir", None, mode)
        else:
            out[rel] = ("file", path.read_bytes(), mode)
    return out


def make_workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "src" / "pkg").mkdir(parents=True)
    (ws / "data").mkdir()
    (ws / "empty").mkdir()
    (ws / "README.md").write_text("hello\nworld\n")
    (ws / "src" / "main.py").write_text("print('hi')\n")
    (ws / "src" / "pkg" / "mod.py").write_text("x = 1\n")
    (ws / "data" / "blob.bin").write_bytes(b"\x00\x01\x02" * 10)
    (ws / "run.sh").write_text("#!/bin/sh\necho run\n")
    (ws / "run.sh").chmod(0o755)
    (ws / "link").symlink_to("README.md")
    return ws


@pytest.fixture
def copy(tmp_path: Path) -> WorkspaceCopy:
    return WorkspaceCopy.create(make_workspace(tmp_path), tmp_path / "dry" / "s1")


def edit_copy(copy: WorkspaceCopy) -> None:
    c = copy.path
    (c / "README.md").write_text("hello\nthere\nworld\n")
    (c / "src" / "pkg" / "mod.py").unlink()
    (c / "src" / "pkg").rmdir()
    (c / "new" / "deep").mkdir(parents=True)
    (c / "new" / "deep" / "added.txt").write_text("fresh\n")
    (c / "data" / "blob.bin").write_bytes(b"\x00\xff" * 20)
    (c / "run.sh").chmod(0o700)
    (c / "link").unlink()
    (c / "link").symlink_to("src/main.py")


def test_create_copies_and_has_no_changes(copy: WorkspaceCopy, tmp_path: Path) -> None:
    assert copy.changes() == []
    assert snapshot(copy.path) == snapshot(copy.workspace)
    assert copy.workspace == (tmp_path / "ws").resolve()
    manifest = json.loads((copy.root / "manifest.json").read_text())
    entries = manifest["entries"]
    assert entries["empty"] == {"type": "dir", "mode": entries["empty"]["mode"]}
    assert entries["link"] == {"type": "symlink", "target": "README.md"}
    assert entries["run.sh"]["mode"] == 0o755
    assert entries["README.md"]["size"] == len("hello\nworld\n")


def test_create_refuses_missing_workspace_and_existing_root(tmp_path: Path) -> None:
    with pytest.raises(CockpitError, match="missing or not a folder"):
        WorkspaceCopy.create(tmp_path / "nope", tmp_path / "dry")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CockpitError, match="missing or not a folder"):
        WorkspaceCopy.create(tmp_path / "file", tmp_path / "dry")
    ws = make_workspace(tmp_path)
    (tmp_path / "dry").mkdir()
    with pytest.raises(CockpitError, match="already exists"):
        WorkspaceCopy.create(ws, tmp_path / "dry")
    with pytest.raises(CockpitError, match="inside the workspace"):
        WorkspaceCopy.create(ws, ws / "dry")


def test_changes_lists_added_removed_modified(copy: WorkspaceCopy) -> None:
    edit_copy(copy)
    got = {c.path: c for c in copy.changes()}
    assert [c.path for c in copy.changes()] == sorted(got)
    assert {p: c.kind for p, c in got.items()} == {
        "README.md": "modified",
        "data/blob.bin": "modified",
        "link": "modified",
        "new": "added",
        "new/deep": "added",
        "new/deep/added.txt": "added",
        "run.sh": "modified",
        "src/pkg": "removed",
        "src/pkg/mod.py": "removed",
    }
    mode = got["README.md"].before_mode
    assert got["README.md"] == Change(
        "README.md", "modified", False, 12, 18, "file", before_mode=mode, after_mode=mode
    )
    assert got["data/blob.bin"].binary
    assert not got["README.md"].binary
    assert (got["run.sh"].before_mode, got["run.sh"].after_mode) == (0o755, 0o700)
    assert (got["link"].before_target, got["link"].after_target) == ("README.md", "src/main.py")
    assert got["src/pkg/mod.py"].after_size is None
    assert got["new/deep/added.txt"].before_size is None
    assert got["new"].type == "dir"


def test_diff_texts(copy: WorkspaceCopy) -> None:
    edit_copy(copy)
    (copy.path / "big.txt").write_text("a\n" * 100)
    assert copy.diff("README.md") == (
        "--- a/README.md\n+++ b/README.md\n@@ -1,2 +1,3 @@\n hello\n+there\n world\n"
    )
    assert copy.diff("new/deep/added.txt") == (
        "--- /dev/null\n+++ b/new/deep/added.txt\n@@ -0,0 +1 @@\n+fresh\n"
    )
    assert copy.diff("src/pkg/mod.py") == (
        "--- a/src/pkg/mod.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x = 1\n"
    )
    assert copy.diff("data/blob.bin") == "Binary file changed (30 → 40 bytes)\n"
    assert copy.diff("big.txt", max_bytes=100) == "File too large to diff (0 → 200 bytes)\n"
    assert copy.diff("run.sh") == "old mode 755\nnew mode 700\n"
    assert copy.diff("link") == "link: symlink to README.md → symlink to src/main.py\n"
    assert copy.diff("src/main.py") == ""
    with pytest.raises(CockpitError, match="neither"):
        copy.diff("nowhere.txt")
    with pytest.raises(CockpitError, match="not a plain relative path"):
        copy.diff("../ws/README.md")


def test_diff_uses_baseline_even_when_workspace_changed(copy: WorkspaceCopy) -> None:
    (copy.workspace / "README.md").write_text("overwritten\n")
    (copy.path / "README.md").write_text("hello\nworld")
    assert copy.diff("README.md").endswith("-world\n+world\n\\ No newline at end of file\n")


def test_apply_makes_workspace_equal_to_copy(copy: WorkspaceCopy) -> None:
    edit_copy(copy)
    expected = copy.changes()
    assert copy.apply() == expected
    assert snapshot(copy.workspace) == snapshot(copy.path)
    assert copy.changes() == []
    assert not any(p.name.startswith(".cockpit-apply-") for p in copy.workspace.iterdir())
    (copy.path / "README.md").write_text("second round\n")
    assert [c.path for c in copy.apply()] == ["README.md"]
    assert (copy.workspace / "README.md").read_text() == "second round\n"
    assert copy.apply() == []


def test_apply_type_changes(copy: WorkspaceCopy) -> None:
    c = copy.path
    (c / "README.md").unlink()
    (c / "README.md").mkdir()
    (c / "README.md" / "inner.txt").write_text("inner\n")
    (c / "empty").rmdir()
    (c / "empty").write_text("now a file\n")
    copy.apply()
    assert snapshot(copy.workspace) == snapshot(copy.path)
    assert copy.changes() == []


def test_discard_restores_the_copy(copy: WorkspaceCopy) -> None:
    before = snapshot(copy.workspace)
    edit_copy(copy)
    (copy.workspace / "later.txt").write_text("made in the real workspace\n")
    copy.discard()
    assert copy.changes() == []
    assert snapshot(copy.path) == snapshot(copy.workspace)
    assert snapshot(copy.workspace) == {
        **before,
        "later.txt": snapshot(copy.workspace)["later.txt"],
    }


@pytest.mark.parametrize("how", ["modified", "added", "removed"])
def test_conflicts_refuse_and_write_nothing(copy: WorkspaceCopy, how: str) -> None:
    edit_copy(copy)
    real = copy.workspace
    if how == "modified":
        (real / "src" / "main.py").write_text("changed behind our back\n")
        culprit = "src/main.py"
    elif how == "added":
        (real / "data" / "x.csv").write_text("a,b\n")
        culprit = "data/x.csv"
    else:
        (real / "run.sh").unlink()
        culprit = "run.sh"
    before = snapshot(real)
    changes = copy.changes()
    with pytest.raises(ApplyConflict) as info:
        copy.apply()
    assert info.value.paths == [culprit]
    assert culprit in str(info.value) and "nothing was applied" in str(info.value)
    assert snapshot(real) == before
    assert copy.changes() == changes


def test_conflict_message_shortens_long_lists(copy: WorkspaceCopy) -> None:
    (copy.path / "README.md").write_text("x\n")
    for name in "abcde":
        (copy.workspace / f"{name}.txt").write_text(name)
    with pytest.raises(ApplyConflict, match=r"\(a.txt, b.txt and 3 more\)") as info:
        copy.apply()
    assert info.value.paths == [f"{n}.txt" for n in "abcde"]


def test_failed_apply_restores_workspace(
    copy: WorkspaceCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit_copy(copy)
    before = snapshot(copy.workspace)
    changes = copy.changes()
    real_replace = os.replace
    target = copy.workspace / "link"  # placed after README.md and data/blob.bin
    failed: list[str] = []

    def flaky_replace(src: str | Path, dst: str | Path) -> None:
        if Path(dst) == target and not failed:
            failed.append(str(dst))
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(dryrun.os, "replace", flaky_replace)
    with pytest.raises(CockpitError, match=r"failed at link \(No space left on device\)") as info:
        copy.apply()
    assert "restored unchanged" in str(info.value)
    assert failed
    assert snapshot(copy.workspace) == before
    assert copy.changes() == changes
    monkeypatch.setattr(dryrun.os, "replace", real_replace)
    copy.apply()
    assert snapshot(copy.workspace) == snapshot(copy.path)


def test_open_reopens_and_refuses_bad_manifests(copy: WorkspaceCopy, tmp_path: Path) -> None:
    edit_copy(copy)
    again = WorkspaceCopy.open(tmp_path / "ws", copy.root)
    assert again.changes() == copy.changes()
    assert again.diff("README.md") == copy.diff("README.md")
    with pytest.raises(CockpitError, match="was made from"):
        WorkspaceCopy.open(tmp_path, copy.root)
    manifest = copy.root / "manifest.json"
    manifest.write_text("{not json")
    with pytest.raises(CockpitError, match="missing or unreadable"):
        WorkspaceCopy.open(tmp_path / "ws", copy.root)
    manifest.unlink()
    with pytest.raises(CockpitError, match="missing or unreadable"):
        WorkspaceCopy.open(tmp_path / "ws", copy.root)


@pytest.mark.parametrize("bad", ["../evil.txt", "/etc/passwd", "a/../../b", "./a", "a//b"])
def test_tampered_manifest_is_refused(copy: WorkspaceCopy, tmp_path: Path, bad: str) -> None:
    manifest = copy.root / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["entries"][bad] = {"type": "symlink", "target": "x"}
    manifest.write_text(json.dumps(doc))
    with pytest.raises(CockpitError, match="not a plain relative path"):
        WorkspaceCopy.open(tmp_path / "ws", copy.root)
    with pytest.raises(CockpitError, match="not a plain relative path"):
        copy.apply()
    assert not (tmp_path / "evil.txt").exists()


def test_symlinks_are_never_followed_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret\n")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "out").symlink_to(outside)
    copy = WorkspaceCopy.create(ws, tmp_path / "dry")
    assert (copy.path / "out").is_symlink()
    assert not (copy.root / "blobs").exists() or not any((copy.root / "blobs").rglob("*/*"))
    (copy.path / "out" / "secret.txt").write_text("changed via link\n")  # lands outside
    assert copy.changes() == []
    with pytest.raises(CockpitError, match="neither"):
        copy.diff("out/secret.txt")


def test_staging_dir_is_never_a_change_and_never_remains(copy: WorkspaceCopy) -> None:
    (copy.path / ".cockpit-apply-leftover").mkdir()
    (copy.path / "README.md").write_text("x\n")
    assert [c.path for c in copy.changes()] == ["README.md"]
    copy.apply()
    assert not any(p.name.startswith(".cockpit-apply-") for p in copy.workspace.iterdir())


def test_remove_deletes_root(copy: WorkspaceCopy) -> None:
    (copy.path / "src").chmod(0o555)
    copy.remove()
    assert not copy.root.exists()
    assert (copy.workspace / "README.md").exists()


def test_incomplete_restore_keeps_backups(
    copy: WorkspaceCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit_copy(copy)
    real_replace = os.replace
    readme, link = copy.workspace / "README.md", copy.workspace / "link"

    def broken_replace(src: str | Path, dst: str | Path) -> None:
        if Path(dst) == link or (Path(dst) == readme and "old-" in Path(src).name):
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(dryrun.os, "replace", broken_replace)
    with pytest.raises(CockpitError, match=r"could not be restored \(README\.md\)"):
        copy.apply()
    kept = [p for p in copy.workspace.iterdir() if p.name.startswith(".cockpit-apply-")]
    assert len(kept) == 1
    assert b"hello\nworld\n" in [p.read_bytes() for p in kept[0].iterdir() if p.is_file()]


def test_apply_directory_modes(copy: WorkspaceCopy) -> None:
    (copy.path / "src" / "extra.py").write_text("y = 2\n")
    (copy.path / "src").chmod(0o555)
    (copy.path / "locked").mkdir(mode=0o700)
    (copy.path / "locked" / "f.txt").write_text("f\n")
    (copy.path / "locked").chmod(0o500)
    assert {c.path for c in copy.changes()} == {"src", "src/extra.py", "locked", "locked/f.txt"}
    copy.apply()
    assert snapshot(copy.workspace) == snapshot(copy.path)
    assert stat.S_IMODE(os.lstat(copy.workspace / "locked").st_mode) == 0o500
    for folder in (copy.path / "src", copy.path / "locked"):
        folder.chmod(0o755)
    for folder in (copy.workspace / "src", copy.workspace / "locked"):
        folder.chmod(0o755)
