"""Neutralising terminal control sequences in text from tools before anyone draws it."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and the C1 range (0x80-0x9f: 8-bit CSI/OSC).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code == 0x1B:
        return "␛"
    if code == 0x0D:
        return ""  # a carriage return would let a line overwrite what came before it
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ␀ ␇ ␈ …
    return "�"


def neutralize(text: str) -> str:
    """`text` with every control character but tab and newline made harmless and visible,
    so tool output can never move the cursor, retitle the terminal or hide a line."""
    return _CONTROLS.sub(_visible, text) if _CONTROLS.search(text) else text
