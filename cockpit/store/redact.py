"""Secret redaction: one combined regex for API keys, tokens, passwords, PEM keys, env values."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Mapping

# Environment variable names whose values are treated as secrets.
SECRET_ENV_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
MIN_ENV_SECRET_LEN = 8

# Matching runs on an ASCII-lowercased copy of the UTF-8 bytes (same length, same offsets),
# so every pattern below is lowercase and case-sensitive; replacements are cut from the
# original bytes. Each pattern starts at a fairly rare *anchor* character (the rest of the
# keyword before it is checked with a lookbehind): the regex engine then only stops at anchor
# characters, which keeps the scan of every stored event cheap. No pattern can match a quote
# or a backslash except as a whole JSON escape, so redacting canonical JSON keeps it valid.

# After the keyword of an assignment: `key = value`, `key: value`, `"key": "value"`, `key="v"`.
_ASSIGN_TAIL = (
    r"[a-z0-9_\-]{0,24}(?:\\?[\"'])?[ \t]*[:=][ \t]*(?:\\?[\"'])?"
    # not a plain number / boolean / null (e.g. "max_tokens":8192)
    r"(?!-?[0-9.]+(?:e[+-]?[0-9]+)?(?![a-z0-9_\-/+=])|(?:true|false|null|none)(?![a-z0-9_]))"
)
# The value never starts with a JSON structural character and never contains a quote or a
# backslash, so it always lies inside one JSON string.
_ASSIGN_VALUE = r"[^\s\"'\\,;&(){}\[\]<>][^\s\"'\\,;&)}\]]{2,}"

_AWS_SECRET_AFTER = r"(?:(?:[ \t,;:|]|\\t){1,8}[a-z0-9/+]{40}(?![a-z0-9/+=]))?"

# (label, text before the anchor, anchor + pattern, pattern of the value or None).
# With a value pattern only the value is replaced and the text before it is kept (so
# `AWS_SECRET_ACCESS_KEY=...` keeps its name); otherwise the whole match is replaced.
_RULES: tuple[tuple[str, str, str, str | None], ...] = (
    (
        "private-key",
        "",
        r"-----begin [a-z0-9 ]*private key(?: block)?-----"
        r"(?:(?!-----end)(?:\\[nrt]|[^\"\\]))*"
        r"(?:-----end [a-z0-9 ]*private key(?: block)?-----)?",
        None,
    ),
    ("anthropic-key", "s", r"k-ant-[a-z0-9_\-]{8,}", None),
    ("github-token", "githu", r"b_pat_[a-z0-9_]{20,}", None),
    ("github-token", "", r"gh[pousr]_[a-z0-9]{20,}", None),
    # An access key id, with the secret key when it follows without a keyword (the
    # credentials CSV, `aws configure list` style output): id, separators, 40 characters.
    ("aws-access-key", "a", r"kia[a-z0-9]{16}(?![a-z0-9])" + _AWS_SECRET_AFTER, None),
    ("aws-access-key", "a", r"sia[a-z0-9]{16}(?![a-z0-9])" + _AWS_SECRET_AFTER, None),
    ("bearer-token", "", r"bearer +", r"[a-z0-9._~+/=\-]{8,}"),
    ("jwt", "", r"eyj[a-z0-9_\-]{8,}\.eyj[a-z0-9_\-]{8,}\.[a-z0-9_\-]{8,}", None),
    ("slack-token", "", r"xox[abeoprs]-[a-z0-9\-]{10,}", None),
    ("stripe-key", "", r"sk_(?:live|test)_[a-z0-9]{16,}", None),
    ("stripe-key", "", r"rk_(?:live|test)_[a-z0-9]{16,}", None),
    ("google-api-key", "", r"aiza[a-z0-9_\-]{35}", None),
    # user:password@ in a connection URL (postgres://u:p@host, https://u:p@host)
    ("url-password", ":", r"//[^\s/:@\"'\\]{1,64}:", r"[^\s/@\"'\\]{1,128}(?=@)"),
    # mysql -pSECRET / --password=SECRET (the keyword rule covers --password SECRET)
    ("mysql-password", "mysq", r"l(?:dump|admin)?\b[^\n\"]{0,200}? -p", r"[^\s\"'\\]{3,}"),
    # Keywords of assignments.
    ("secret", "a", r"pi[_-]?key" + _ASSIGN_TAIL, _ASSIGN_VALUE),
    ("secret", "a", r"ccess[_-]?key" + _ASSIGN_TAIL, _ASSIGN_VALUE),
    ("secret", "pri", r"vate[_-]?key" + _ASSIGN_TAIL, _ASSIGN_VALUE),
    ("secret", "se", r"cret" + _ASSIGN_TAIL, _ASSIGN_VALUE),
    ("secret", "to", r"ken" + _ASSIGN_TAIL, _ASSIGN_VALUE),
    ("secret", "pass", r"w(?:or)?d" + _ASSIGN_TAIL, _ASSIGN_VALUE),
    ("secret", "p", r"wd" + _ASSIGN_TAIL, _ASSIGN_VALUE),
    ("secret", "", r"credential" + _ASSIGN_TAIL, _ASSIGN_VALUE),
)


def _rule_pattern(index: int, anchored: bool) -> str:
    """Rule `index` as a regex; `anchored` starts at the anchor and looks behind for the rest."""
    _label, before, rest, value = _RULES[index]
    body = rest[1:]
    if before:
        body = f"(?<={re.escape(before + rest[0])}){body}"
    if not anchored:
        body = re.escape(before + rest[0]) + body if before else rest[0] + body
    if value is not None:
        body += f"(?P<v{index}>{value})"
    return f"(?P<g{index}>{body})" if not anchored else body


def _scan_pattern() -> str:
    """`k(?:..|..)|b(?:..)|...`: every top-level branch starts with a literal anchor."""
    groups: dict[str, list[str]] = {}
    for index, (_label, _before, rest, _value) in enumerate(_RULES):
        groups.setdefault(rest[0], []).append(f"(?P<g{index}>{_rule_pattern(index, True)})")
    return "|".join(f"{re.escape(a)}(?:{'|'.join(alts)})" for a, alts in groups.items())


_SCAN = _scan_pattern()
# Recognises what a secret value is (an `api_key=sk-ant-...` is reported as an anthropic-key).
_VALUE_KIND = re.compile(
    "|".join(_rule_pattern(i, False) for i, rule in enumerate(_RULES) if rule[3] is None).encode(),
    re.DOTALL,
)


def _json_escaped(value: str) -> str:
    """How `value` looks inside a JSON string (pydantic and json agree on these escapes)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


class Redactor:
    """Replaces secrets in text (plain or canonical JSON) with `[REDACTED:<kind>]`."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._env_forms: tuple[bytes, ...] = ()
        self._compile()
        self.add_values(secret_values)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Redactor:
        """A redactor that also knows the exact values of secret-looking variables."""
        values = [
            v
            for k, v in environ.items()
            if SECRET_ENV_NAME.search(k) and len(v.strip()) >= MIN_ENV_SECRET_LEN
        ]
        return cls(values)

    def add_values(self, values: Iterable[str]) -> None:
        """Also redact these exact strings from now on (e.g. a key passed by flag)."""
        new = {v for v in values if len(v.strip()) >= MIN_ENV_SECRET_LEN} - self._values
        if new:
            with self._lock:
                self._values |= new
                self._compile()

    def _compile(self) -> None:
        forms: set[bytes] = set()
        for value in self._values:
            forms.add(value.encode("utf-8", "surrogateescape").lower())
            forms.add(_json_escaped(value).encode("utf-8", "surrogateescape").lower())
        # Exact values, longest first; ungrouped, so a match without a group is one of them.
        # Each starts with its literal first byte, like the rules.
        alternatives = [re.escape(f) for f in sorted(forms, key=len, reverse=True)]
        alternatives.append(_SCAN.encode())
        self._scan = re.compile(b"|".join(alternatives), re.DOTALL)

    def _replacement(self, m: re.Match[bytes], data: bytes) -> tuple[int, bytes]:
        """(start, replacement) for one scan match over the lowered `data`."""
        group = m.lastgroup
        if group is None:
            return m.start(), b"[REDACTED:env-secret]"
        index = int(group[1:])
        label, before, _rest, value = _RULES[index]
        start = m.start() - len(before)
        if value is None:
            return start, f"[REDACTED:{label}]".encode()
        vstart, vend = m.span(f"v{index}")
        if label == "secret":
            inner = _VALUE_KIND.fullmatch(m.string, vstart, vend)
            if inner is not None and inner.lastgroup is not None:
                label = _RULES[int(inner.lastgroup[1:])][0]
        return start, data[start:vstart] + f"[REDACTED:{label}]".encode()

    def redact_bytes(self, data: bytes, start: int = 0) -> bytes | None:
        """Redacted UTF-8 bytes (plain text or canonical JSON), or None when nothing matched.

        Only `data[start:]` is searched (the store skips the header fields it wrote itself).
        """
        low = data.lower()
        if self._scan.search(low, start) is None:  # the common case: one C-level scan
            return None
        out: list[bytes] = []
        pos = 0
        for m in self._scan.finditer(low, start):
            begin, replacement = self._replacement(m, data)
            begin = max(begin, pos)
            out.append(data[pos:begin])
            out.append(replacement)
            pos = m.end()
        if not out:
            return None
        out.append(data[pos:])
        return b"".join(out)

    def redact_json(self, data: bytes, start: int = 0) -> bytes | None:
        """Redacted canonical JSON bytes (still valid JSON), or None when nothing matched."""
        return self.redact_bytes(data, start)

    def redact(self, text: str) -> str:
        """`text` with every secret replaced."""
        if not text:
            return text
        data = text.encode("utf-8", "surrogateescape")
        out = self.redact_bytes(data)
        return text if out is None else out.decode("utf-8", "surrogateescape")


# Environment at import time, i.e. at process start for the `cockpit` command.
_ENV_AT_START: dict[str, str] = dict(os.environ)
_default: Redactor | None = None
_default_lock = threading.Lock()


def default_redactor() -> Redactor:
    """The process-wide redactor (knows the secret env values present at process start)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Redactor.from_environ(_ENV_AT_START)
    return _default


def add_secret(value: str) -> None:
    """Register one more exact secret value (e.g. an API key that came from a config file)."""
    default_redactor().add_values([value])


def redact(text: str) -> str:
    """`text` with API keys, tokens, passwords, private keys and env secrets replaced."""
    return default_redactor().redact(text)
