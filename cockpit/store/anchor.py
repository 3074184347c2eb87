"""Chain heads recorded outside the session file: the external anchor of the audit chain.

A forger who rewrites a file and recomputes every hash from seq 1 leaves a chain that
verifies on its own. A head (seq, hash) written elsewhere earlier — the log in the user
data folder, or one the user copied from `cockpit audit head` — proves whether the file
still extends what was recorded: the hash at that seq must be the same.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cockpit.errors import CockpitError
from cockpit.folders import data_dir

LOG_NAME = "audit-heads.jsonl"


@dataclass(frozen=True)
class Head:
    """A point of a session's chain: after `seq` events the chain hash was `digest`."""

    seq: int
    digest: str  # hex

    def __str__(self) -> str:
        return f"{self.seq}:{self.digest}"

    @classmethod
    def parse(cls, text: str) -> Head:
        seq, sep, digest = text.strip().partition(":")
        try:
            bytes.fromhex(digest)
            value = int(seq)
        except ValueError:
            value = -1
        if not sep or value < 0 or len(digest) != 64:
            raise CockpitError(
                f"'{text}' is not a chain head; give it as `cockpit audit head` prints it "
                "(SEQ:SHA256HEX)."
            )
        return cls(value, digest.lower())


def log_path() -> Path:
    return data_dir() / LOG_NAME


def record_head(session_id: str, path: Path, head: Head, why: str) -> None:
    """Append a head to the log (one JSON line, fsynced); failures never stop a session."""
    line = json.dumps(
        {
            "session_id": session_id,
            "file": str(path),
            "seq": head.seq,
            "hash": head.digest,
            "why": why,
            "ts": time.time(),
        },
        sort_keys=True,
    )
    target = log_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def recorded_heads(session_id: str) -> list[Head]:
    """Every head the log holds for a session, oldest first (a damaged line is skipped)."""
    try:
        text = log_path().read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    heads: list[Head] = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
            if entry.get("session_id") == session_id:
                heads.append(Head(int(entry["seq"]), str(entry["hash"])))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return heads
