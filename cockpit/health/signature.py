"""Action and result signatures: what makes two tool calls 'the same' for the health metrics."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_NUMBERS = re.compile(r"\d+")
RESULT_PREFIX = 4096  # bytes of a result that decide whether two results are the same


def action_signature(name: str, data: dict[str, Any]) -> str:
    """The tool and its exact input, canonical: identical calls have identical signatures."""
    return f"{name}:{json.dumps(data, sort_keys=True, separators=(',', ':'), default=str)}"


def result_signature(content: str, is_error: bool) -> str:
    """A short hash of a result's start and its error flag (a polling result that changes
    — a progress figure, a row count — gives a different signature each time)."""
    head = content[:RESULT_PREFIX].encode("utf-8", "replace")
    return ("E" if is_error else "O") + hashlib.blake2b(head, digest_size=8).hexdigest()


def shape(text: str) -> str:
    """The text with its numbers blanked: 'retry 3 of 5' and 'retry 4 of 5' share a shape."""
    return _NUMBERS.sub("#", text)


def action_text(name: str, data: dict[str, Any]) -> str:
    """The human-readable part of an action (a command, a path, a query) for lexical scores."""
    parts = [name]
    for key in ("command", "path", "file_path", "pattern", "query", "old_str", "new_str"):
        value = data.get(key)
        if isinstance(value, str):
            parts.append(value[:2000])
    return " ".join(parts)
