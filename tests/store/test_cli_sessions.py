"""`cockpit ls`, `cockpit audit verify` and `cockpit export` through the real entry point."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit import events as ev
from cockpit.cli import main
from cockpit.store.session_file import SessionStore

from .helpers import one_of_each


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


async def _make(path: Path, title: str, events: list[ev.EventBase] | None = None) -> None:
    store = await SessionStore.create(path)
    for e in events or one_of_each():
        if isinstance(e, ev.SessionStarted):
            e = e.model_copy(update={"title": title})
        store.append(e)
    await store.close()


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    folder = tmp_path / "sessions"
    folder.mkdir()
    asyncio.run(_make(folder / "a.cockpit", "Fix ingest"))
    asyncio.run(_make(folder / "b.cockpit", "Schema drift", one_of_each()[:8]))
    return folder


def test_ls(sessions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (sessions / "junk.cockpit").write_text("not a session")
    code, out, _ = run_cli(capsys, "ls", str(sessions))
    assert code == 0
    # b.cockpit was left waiting, but no process holds it open any more: it is shown as
    # interrupted (a live session keeps its status; see test_one_writer_at_a_time).
    for text in ("Fix ingest", "Schema drift", "done", "interrupted", "a.cockpit", "b.cockpit"):
        assert text in out
    assert "$0.01" in out and "1250" in out  # cost; tokens = 1000 in + 50 out + 200 cache read
    assert "skipped" in out and "junk.cockpit" in out


def test_ls_sessions_dir_option_and_default(
    sessions: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run_cli(capsys, "ls", "--sessions-dir", str(sessions))
    assert code == 0 and "Fix ingest" in out
    monkeypatch.setenv("COCKPIT_SESSIONS_DIR", str(sessions))
    code, out, _ = run_cli(capsys, "ls")
    assert code == 0 and "Schema drift" in out


def test_ls_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "ls", str(tmp_path / "nowhere"))
    assert code == 2 and err.startswith("cockpit: The sessions folder") and "Traceback" not in err


def test_ls_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "ls", str(tmp_path))
    assert code == 0 and "No sessions" in out


def test_audit_verify(sessions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sessions / "a.cockpit"
    code, out, _ = run_cli(capsys, "audit", "verify", str(path))
    assert code == 0 and out.startswith("OK ") and out.count("\n") == 1
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET json = replace(json, 'ls -la', 'rm -rf') WHERE seq = 6")
    conn.close()
    code, out, _ = run_cli(capsys, "audit", "verify", str(path))
    assert code == 1 and "seq 6" in out


def test_audit_verify_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "x.cockpit"
    bogus.write_text("hello")
    code, _, err = run_cli(capsys, "audit", "verify", str(bogus))
    assert code == 2 and "not an SQLite database" in err and err.count("\n") == 1
    code, _, err = run_cli(capsys, "audit", "verify", str(tmp_path / "missing.cockpit"))
    assert code == 2 and "no session file" in err


def test_export_jsonl(sessions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sessions / "a.cockpit"
    code, out, _ = run_cli(capsys, "export", str(path), "--format", "jsonl")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(one_of_each())
    events = [ev.parse_event(line) for line in lines]
    assert [e.seq for e in events] == list(range(1, len(lines) + 1))
    assert all(ev.canonical_json(e).decode() == line for e, line in zip(events, lines, strict=True))
    target = tmp_path / "out.jsonl"
    code, _, _ = run_cli(capsys, "export", str(path), "--format", "jsonl", "-o", str(target))
    assert code == 0 and target.read_text().splitlines() == lines
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_markdown(
    sessions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "t.md"
    code, _, _ = run_cli(
        capsys, "export", str(sessions / "a.cockpit"), "--format", "md", "-o", str(target)
    )
    assert code == 0
    md = target.read_text()
    for text in (
        "# Fix ingest",
        "## Goal",
        "Make the orders ingestion pass again",
        "Let me look at the log.",
        "Tool call `bash`",
        '"command": "ls -la"',
        "total 3",
        "**Approved** by user",
        "API error",
        "overloaded_error",
        "## Ended: done",
    ):
        assert text in md, text


def test_export_bad_input_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "x.cockpit"
    bogus.write_bytes(b"SQLite format 3\x00" + b"\x00" * 10)
    target = tmp_path / "out.md"
    code, _, err = run_cli(capsys, "export", str(bogus), "--format", "md", "-o", str(target))
    assert code == 2 and "truncated or corrupt" in err
    assert not target.exists()


def test_ls_does_not_import_heavy_modules(sessions: Path) -> None:
    script = (
        "import sys\n"
        "from cockpit.cli import main\n"
        f"main(['ls', {str(sessions)!r}])\n"
        "print('HEAVY', sorted(m for m in ('anthropic', 'textual') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout and "Fix ingest" in proc.stdout


def test_entry_point_exit_codes(sessions: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("cockpit")
    if not exe.exists():
        pytest.skip("console script not installed")
    ok = subprocess.run(
        [str(exe), "audit", "verify", str(sessions / "a.cockpit")], capture_output=True, text=True
    )
    assert ok.returncode == 0
    bogus = tmp_path / "n.cockpit"
    bogus.write_text("x")
    bad = subprocess.run([str(exe), "export", str(bogus)], capture_output=True, text=True)
    assert (
        bad.returncode == 2 and bad.stderr.startswith("cockpit: ") and "Traceback" not in bad.stderr
    )


def test_dry_run_cli_lists_refuses_a_conflict_then_applies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = tmp_path / "s"
    code, out, _ = run_cli(
        capsys, "run", "--scenario", "schema-drift", "--mode", "dry-run", "--speed", "0",
        "--sessions-dir", str(sessions), "-q",
    )  # fmt: skip
    assert code == 0 and "would change" in out
    file = next(sessions.glob("*.cockpit"))
    workspace = next(p for p in sessions.iterdir() if p.name.endswith("-workspace"))
    before = (workspace / "pipeline.py").read_text()
    code, out, _ = run_cli(capsys, "dry-run", str(file), "--diff")
    assert code == 0 and "~ pipeline.py" in out and "+RENAMED_COLUMNS" in out.replace(" ", "")
    (workspace / "README.md").write_text("changed by hand\n")
    code, _, err = run_cli(capsys, "dry-run", str(file), "--apply")
    assert code == 2 and "README.md" in err and "nothing was applied" in err
    assert (workspace / "pipeline.py").read_text() == before
    (workspace / "README.md").unlink()
    shutil.copy(file.with_name(file.name + ".dry-run") / "workspace" / "README.md", workspace)
    code, out, _ = run_cli(capsys, "dry-run", str(file), "--apply")
    assert code == 0 and "Applied" in out
    assert "RENAMED_COLUMNS" in (workspace / "pipeline.py").read_text()
    code, out, _ = run_cli(capsys, "audit", "verify", str(file))
    assert code == 0
    code, _, err = run_cli(capsys, "dry-run", str(tmp_path / "missing.cockpit"))
    assert code == 2 and "Traceback" not in err


def test_checkpoints_and_rollback_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sessions = tmp_path / "s"
    code, _, _ = run_cli(
        capsys, "run", "--scenario", "rogue-action", "--yes", "--yes-critical", "--speed", "0",
        "--sessions-dir", str(sessions), "-q",
    )  # fmt: skip
    assert code == 0
    file = next(sessions.glob("*.cockpit"))
    workspace = next(p for p in sessions.iterdir() if p.name.endswith("-workspace"))
    assert not (workspace / "archive").exists()
    code, out, _ = run_cli(capsys, "checkpoints", str(file))
    assert code == 0 and "   1 " in out and "before bash: rm -rf archive/" in out
    code, out, _ = run_cli(capsys, "rollback", str(file), "--to", "1", "--dry-run")
    assert code == 0 and "+ archive/orders_0301.csv" in out
    assert not (workspace / "archive").exists()  # a preview changes nothing
    (workspace / "by-hand.txt").write_text("x")
    code, _, err = run_cli(capsys, "rollback", str(file), "--to", "1")
    assert code == 2 and "by-hand.txt" in err and "--force" in err
    code, out, _ = run_cli(capsys, "rollback", str(file), "--to", "1", "--force")
    assert code == 0 and "Rolled back" in out
    assert len(list((workspace / "archive").glob("*.csv"))) == 40
    assert not (workspace / "by-hand.txt").exists()
    code, _, _ = run_cli(capsys, "audit", "verify", str(file))
    assert code == 0
    code, _, err = run_cli(capsys, "rollback", str(file), "--to", "99")
    assert code == 2 and "no checkpoint 99" in err


def test_reading_commands_leave_no_wal_files_and_change_no_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = tmp_path / "s"
    code, _, _ = run_cli(
        capsys, "run", "--scenario", "ingestion-failure", "--speed", "0",
        "--sessions-dir", str(sessions), "-q",
    )  # fmt: skip
    assert code == 0
    file = next(sessions.glob("*.cockpit"))
    before = file.read_bytes()
    for args in (
        ["ls", str(sessions)],
        ["audit", "verify", str(file)],
        ["audit", "head", str(file)],
        ["export", str(file), "--format", "md", "-o", str(tmp_path / "t.md")],
        ["checkpoints", str(file)],
        ["rollback", str(file), "--to", "1", "--dry-run"],
    ):
        code, _, err = run_cli(capsys, *args)
        assert code == 0, (args, err)
        assert not list(sessions.glob("*-wal")) and not list(sessions.glob("*-shm")), args
    assert file.read_bytes() == before


async def test_a_session_going_on_after_its_end_is_running_again(tmp_path: Path) -> None:
    path = tmp_path / "again.cockpit"
    events = [e for e in one_of_each() if not isinstance(e, ev.SessionEnded)]
    await _make(path, "again", [*events, ev.SessionEnded(status="done")])
    store = await SessionStore.open(path)
    store.append(ev.Steered(text="one more thing"))
    await store.flush()
    assert (await store.summary()).status == "running"
    await store.close()
