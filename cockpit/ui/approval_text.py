"""The text of an action awaiting approval: the whole command, a diff of a file change, SQL.

Pure functions (no widgets), so the dialog and its tests share them.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from pathlib import Path
from typing import Any

MAX_DIFF_FILE_BYTES = 512_000
SQL_START = re.compile(
    r"\s*(select|insert|update|delete|drop|create|alter|truncate|with|vacuum|attach|detach|"
    r"replace|pragma|copy|grant|revoke|merge|begin)\b",
    re.IGNORECASE,
)


def action_text(name: str, data: dict[str, Any], workspace: str = "") -> tuple[str, str]:
    """The action in full as (text, lexer): the command, a diff of a file change, or JSON."""
    command = data.get("command")
    if isinstance(command, str):
        return command, "bash"
    path = str(data.get("path") or data.get("file_path") or "")
    old = data.get("old_str", data.get("old_text"))
    new = data.get("new_str", data.get("new_text"))
    if isinstance(old, str) and isinstance(new, str):
        diff = difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
        return "".join(diff) or "(no change)", "diff"
    content = data.get("content", data.get("file_text"))
    if isinstance(content, str) and path:
        before = _read_text(workspace, path)
        diff = difflib.unified_diff(
            before.splitlines(keepends=True),
            content.splitlines(keepends=True),
            fromfile=f"a/{path}" if before else "/dev/null",
            tofile=f"b/{path}",
        )
        return "".join(diff) or "(no change)", "diff"
    return json.dumps(data, indent=2, ensure_ascii=False), "json"


def _read_text(workspace: str, path: str) -> str:
    """The current content of a workspace file, to diff a proposed write against."""
    if not workspace:
        return ""
    root = Path(workspace).resolve()
    target = (root / path).resolve()
    try:
        target.relative_to(root)
        if not target.is_file() or target.stat().st_size > MAX_DIFF_FILE_BYTES:
            return ""
        return target.read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return ""


def sql_blocks(command: str, limit: int = 4) -> list[str]:
    """SQL handed to a client in `command` (quoted arguments), formatted for reading."""
    try:
        words = shlex.split(command, posix=True)
    except ValueError:
        return []
    out: list[str] = []
    for word in words:
        if len(out) >= limit or len(word) < 8 or not SQL_START.match(word):
            continue
        out.append(format_sql(word))
    return out


def format_sql(sql: str) -> str:
    """`sql` pretty-printed by sqlglot, or as given when it does not parse."""
    import sqlglot

    try:
        pretty = sqlglot.transpile(sql, pretty=True)
    except Exception:  # a ParseError or anything else: show the text as it is
        return sql.strip()
    return ";\n".join(pretty) if pretty else sql.strip()
