"""Rules as data: matchers on facts, tiers, reasons; the merged policy and its version hash."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, cast

from cockpit.policy.facts import KINDS, Fact, display
from cockpit.policy.options import normalise_flags
from cockpit.vocab import RiskTier

TIERS: tuple[RiskTier, ...] = ("low", "medium", "high", "critical")
WHERE_VALUES = ("inside", "outside", "unknown")
TEMPLATE_FIELDS = frozenset(
    {"path", "program", "command", "detail", "note", "tool", "files", "where", "source"}
)

# Options that take a value, per program: positional words (the subcommand) skip them.
VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "kubectl": frozenset(
        {
            "-n",
            "--namespace",
            "--context",
            "--kubeconfig",
            "--cluster",
            "--user",
            "-l",
            "--selector",
            "-o",
            "--output",
            "-f",
            "--filename",
            "-c",
            "--container",
            "--token",
            "-s",
            "--server",
            "--as",
            "--field-selector",
            "--grace-period",
            "--timeout",
            "-k",
            "--kustomize",
        }
    ),
    "helm": frozenset(
        {
            "-n",
            "--namespace",
            "--kube-context",
            "--kubeconfig",
            "-f",
            "--values",
            "--set",
            "--set-string",
            "--version",
            "-o",
            "--output",
            "--repo",
            "--timeout",
        }
    ),
    "docker": frozenset({"-H", "--host", "--context", "-c", "--config", "-l", "--log-level"}),
    "podman": frozenset({"--url", "--connection", "-c", "--log-level"}),
    "aws": frozenset(
        {
            "--profile",
            "--region",
            "--endpoint-url",
            "--output",
            "--query",
            "--color",
            "--ca-bundle",
            "--cli-read-timeout",
            "--cli-connect-timeout",
        }
    ),
    "gcloud": frozenset(
        {
            "--project",
            "--account",
            "--configuration",
            "--format",
            "--verbosity",
            "--zone",
            "--region",
            "--impersonate-service-account",
        }
    ),
    "gsutil": frozenset({"-o", "-h", "-u", "-p"}),
    "az": frozenset({"--subscription", "-o", "--output", "--query", "-g", "--resource-group"}),
    "terraform": frozenset({"-chdir"}),
    "systemctl": frozenset(
        {
            "-H",
            "--host",
            "-M",
            "--machine",
            "-t",
            "--type",
            "-p",
            "--property",
            "-n",
            "--lines",
            "-o",
            "--output",
            "--state",
            "--root",
            "-s",
            "--signal",
            "--kill-whom",
            "--job-mode",
        }
    ),
    "crontab": frozenset({"-u"}),
    "apt": frozenset({"-o", "-c", "-t"}),
    "apt-get": frozenset({"-o", "-c", "-t"}),
    "pip": frozenset(
        {
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
            "--target",
            "-t",
            "--prefix",
            "--root",
            "--python",
            "--log",
            "--cache-dir",
            "--proxy",
            "--timeout",
        }
    ),
    "npm": frozenset({"--prefix", "-w", "--workspace", "--registry"}),
    "journalctl": frozenset(
        {
            "-u",
            "--unit",
            "-n",
            "--lines",
            "-p",
            "--priority",
            "--since",
            "--until",
            "-o",
            "--output",
            "-b",
            "--boot",
            "-t",
            "--identifier",
        }
    ),
    "redis-cli": frozenset({"-h", "-p", "-a", "-n", "-u", "--user", "--pass", "-r", "-i"}),
    "ip": frozenset({"-n", "-netns", "-f", "-family"}),
}


@dataclass(frozen=True)
class Rule:
    """One rule: when a fact matches every given matcher, the call gets `tier` and `reason`."""

    id: str
    tier: RiskTier = "high"
    reason: str = ""
    enabled: bool = True
    fallback: bool = False  # applies only when no other rule matched the fact
    mutating: bool | None = None  # default: tier above low
    tool: tuple[str, ...] = ()
    fact: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    all_flags: tuple[str, ...] = ()
    not_flags: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    not_args: tuple[str, ...] = ()
    only_args: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    not_path: tuple[str, ...] = ()
    path_class: tuple[str, ...] = ()
    not_path_class: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()
    not_detail: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    not_tags: tuple[str, ...] = ()
    recursive: bool | None = None
    force: bool | None = None
    filtered: bool | None = None
    min_files: int | None = None

    @property
    def is_mutating(self) -> bool:
        return self.mutating if self.mutating is not None else self.tier != "low"

    def to_data(self) -> dict[str, Any]:
        """The rule as plain data, defaults left out (canonical form for the version hash)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "id" or value != f.default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


LIST_KEYS = frozenset(
    f.name for f in fields(Rule) if f.type in ("tuple[str, ...]",) or f.default == ()
)
BOOL_KEYS = frozenset({"enabled", "fallback", "mutating", "recursive", "force", "filtered"})
INT_KEYS = frozenset({"min_files"})
RULE_KEYS = frozenset(f.name for f in fields(Rule))


@dataclass(frozen=True)
class PathClass:
    """A named set of paths (globs; `~` is the home folder) rules can refer to."""

    globs: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"globs": list(self.globs)}
        if self.exclude:
            out["except"] = list(self.exclude)
        return out


@dataclass(frozen=True)
class Hit:
    """A rule that matched a fact."""

    rule: str
    tier: RiskTier
    reason: str
    mutating: bool
    fact: Fact


@dataclass
class _Compiled:
    rule: Rule
    command: _CommandIndex | None
    args: re.Pattern[str] | None
    not_args: re.Pattern[str] | None
    only_args: re.Pattern[str] | None
    path: re.Pattern[str] | None
    not_path: re.Pattern[str] | None
    tool: re.Pattern[str] | None


@dataclass
class Policy:
    """The merged rules in force, in order, with their path classes and version."""

    rules: tuple[Rule, ...]
    path_classes: dict[str, PathClass]
    home: str
    sources: tuple[str, ...] = ()
    version: str = ""
    _by_kind: dict[str, list[_Compiled]] = field(default_factory=dict, repr=False)
    _class_rx: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = field(
        default_factory=dict, repr=False
    )
    _class_cache: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.version:
            self.version = policy_hash(self.rules, self.path_classes)
        any_kind: list[_Compiled] = []
        for rule in self.rules:
            if not rule.enabled:
                continue
            compiled = _Compiled(
                rule,
                _CommandIndex.build(rule.command) if rule.command else None,
                _any_rx(rule.args),
                _any_rx(rule.not_args),
                _any_rx(rule.only_args),
                _paths_rx(rule.path, self.home),
                _paths_rx(rule.not_path, self.home),
                _any_rx(rule.tool),
            )
            if rule.fact:
                for kind in rule.fact:
                    self._by_kind.setdefault(kind, []).append(compiled)
            else:
                any_kind.append(compiled)
        for kind in KINDS:
            self._by_kind.setdefault(kind, [])
            self._by_kind[kind].extend(any_kind)
        for name, cls in self.path_classes.items():
            self._class_rx[name] = (
                _paths_rx(cls.globs, self.home),
                _paths_rx(cls.exclude, self.home),
            )

    # ------------------------------------------------------------ matching
    def classes(self, path: str) -> frozenset[str]:
        """The path classes (secret, system, temp, ...) a path belongs to."""
        hit = self._class_cache.get(path)
        if hit is not None:
            return hit
        probe = path.replace("\x01", "N")
        result = frozenset(
            name
            for name, (inc, exc) in self._class_rx.items()
            if inc is not None and inc.match(probe) and not (exc is not None and exc.match(probe))
        )
        if len(self._class_cache) > 8192:
            self._class_cache.clear()
        self._class_cache[path] = result
        return result

    def evaluate(self, facts: list[Fact], tool: str, workspace: str = "") -> list[Hit]:
        """Every rule hit of `facts`; paths in reasons are shown relative to `workspace`."""
        hits: list[Hit] = []
        for fact in facts:
            matched = False
            fallbacks: list[_Compiled] = []
            classes = self.classes(fact.path) if fact.path else frozenset()
            for c in self._by_kind.get(fact.kind, ()):
                if c.rule.fallback:
                    fallbacks.append(c)
                    continue
                if self._matches(c, fact, tool, classes):
                    matched = True
                    hits.append(_hit(c.rule, fact, tool, workspace))
            if not matched:
                for c in fallbacks:
                    if self._matches(c, fact, tool, classes):
                        hits.append(_hit(c.rule, fact, tool, workspace))
                        break
        return hits

    def _matches(self, c: _Compiled, fact: Fact, tool: str, classes: frozenset[str]) -> bool:
        r = c.rule
        if c.tool is not None and not c.tool.match(tool):
            return False
        if r.where and fact.where not in r.where:
            return False
        if r.detail and fact.detail not in r.detail:
            return False
        if r.not_detail and fact.detail in r.not_detail:
            return False
        if r.source and fact.source not in r.source:
            return False
        if r.recursive is not None and fact.recursive != r.recursive:
            return False
        if r.force is not None and fact.force != r.force:
            return False
        if r.filtered is not None and fact.filtered != r.filtered:
            return False
        if r.min_files is not None and fact.files < r.min_files:
            return False
        if r.tags and not (set(r.tags) & fact.tags):
            return False
        if r.not_tags and set(r.not_tags) & fact.tags:
            return False
        if r.path_class and not (set(r.path_class) & classes):
            return False
        if r.not_path_class and set(r.not_path_class) & classes:
            return False
        if c.path is not None and not (fact.path and c.path.match(fact.path)):
            return False
        if c.not_path is not None and fact.path and c.not_path.match(fact.path):
            return False
        if c.command is not None and not c.command.matches(fact.command):
            return False
        args = fact.command[1:]
        if c.args is not None and not any(c.args.match(a) for a in args):
            return False
        if c.not_args is not None and any(c.not_args.match(a) for a in args):
            return False
        if c.only_args is not None and not (args and all(c.only_args.match(a) for a in args)):
            return False
        if r.flags or r.all_flags or r.not_flags:
            flags = _flags(fact.command)
            if r.flags and not (set(r.flags) & flags):
                return False
            if r.all_flags and not set(r.all_flags) <= flags:
                return False
            if r.not_flags and set(r.not_flags) & flags:
                return False
        return True

    def match_command(self, pattern: str, words: tuple[str, ...]) -> bool:
        """Does a command (its words) match a pattern like 'git push origin *'? (for grants)"""
        compiled = tuple(_word_rx(w) for w in pattern.split())
        return len(words) >= len(compiled) and all(
            rx.match(w) for rx, w in zip(compiled, words, strict=False)
        )  # exact words: a grant names the command as it was given

    def data(self) -> dict[str, Any]:
        return policy_data(self.rules, self.path_classes)


def _hit(rule: Rule, fact: Fact, tool: str, workspace: str) -> Hit:
    reason = render(rule.reason, fact, tool, workspace)
    return Hit(rule.id, rule.tier, reason, rule.is_mutating, fact)


def render(template: str, fact: Fact, tool: str, workspace: str = "") -> str:
    path = fact.display_path()
    if workspace and path == workspace:
        path = "the workspace"
    elif workspace and path.startswith(workspace + "/"):
        path = path[len(workspace) + 1 :]
    values = {
        "path": path,
        "program": fact.command[0] if fact.command else tool,
        "command": display(" ".join(fact.command))[:100],
        "detail": fact.detail,
        "note": display(fact.note),
        "tool": tool,
        "files": str(fact.files),
        "where": fact.where,
        "source": fact.source,
    }
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError):
        return template


def policy_data(rules: tuple[Rule, ...], classes: dict[str, PathClass]) -> dict[str, Any]:
    return {
        "rules": [r.to_data() for r in rules],
        "paths": {name: classes[name].to_data() for name in sorted(classes)},
    }


def policy_hash(rules: tuple[Rule, ...], classes: dict[str, PathClass]) -> str:
    canonical = json.dumps(policy_data(rules, classes), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# ------------------------------------------------------------------ helpers
def _command_matches(pattern: _Pattern, command: tuple[str, ...]) -> bool:
    """Program and subcommand words match in order; words of the pattern starting with '-'
    must match an option given anywhere (so 'dpkg -i' and 'rpm -q*' work)."""
    if not command:
        return False
    words, options = pattern
    got = _positionals(command)
    if len(got) < len(words) or not all(rx.match(w) for rx, w in zip(words, got, strict=False)):
        return False
    return all(any(rx.match(a) for a in command[1:]) for rx in options)


_Pattern = tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]


@dataclass(frozen=True)
class _CommandIndex:
    """A rule's command patterns, indexed by program name (globbed names kept apart)."""

    by_program: dict[str, tuple[_Pattern, ...]]
    globbed: tuple[_Pattern, ...]

    @classmethod
    def build(cls, patterns: tuple[str, ...]) -> _CommandIndex:
        by_program: dict[str, list[_Pattern]] = {}
        globbed: list[_Pattern] = []
        for text in patterns:
            program = text.split()[0]
            compiled = _compile_pattern(text)
            if any(ch in program for ch in "*?["):
                globbed.append(compiled)
            else:
                by_program.setdefault(program, []).append(compiled)
        return cls({k: tuple(v) for k, v in by_program.items()}, tuple(globbed))

    def matches(self, command: tuple[str, ...]) -> bool:
        if not command:
            return False
        candidates = self.by_program.get(command[0], ())
        return any(_command_matches(p, command) for p in candidates) or any(
            _command_matches(p, command) for p in self.globbed
        )


def _compile_pattern(pattern: str) -> _Pattern:
    parts = pattern.split()
    words = tuple(_word_rx(w) for w in parts if not w.startswith("-") or w == parts[0])
    options = tuple(_word_rx(w) for w in parts[1:] if w.startswith("-"))
    return words, options


@lru_cache(maxsize=4096)
def _positionals(command: tuple[str, ...]) -> tuple[str, ...]:
    """The program and its non-option words: `kubectl -n prod delete pod` -> kubectl delete pod."""
    prog = command[0]
    values = VALUE_OPTIONS.get(prog, frozenset())
    out = [prog]
    skip = False
    for word in command[1:]:
        if skip:
            skip = False
            continue
        if word == "--":
            continue
        if word.startswith("-") and len(word) > 1:
            if "=" not in word and word in values:
                skip = True
            continue
        out.append(word)
    return tuple(out)


@lru_cache(maxsize=4096)
def _flags(command: tuple[str, ...]) -> frozenset[str]:
    return normalise_flags(command[1:])


def _word_rx(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.S)


def _any_rx(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns), re.S)


def _paths_rx(patterns: tuple[str, ...], home: str) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{_path_rx(p, home)})" for p in patterns), re.S)


def _path_rx(pattern: str, home: str) -> str:
    """A path glob as a regex: ** crosses folders, * and ? do not; no '/' matches a basename."""
    if pattern.startswith("~"):
        pattern = home.rstrip("/") + pattern[1:]
    anchored = "/" in pattern.rstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    rx = "".join(out)
    return ("^" if anchored else "(?:^|.*/)") + rx + "$"


def as_tier(value: object) -> RiskTier:
    if value not in TIERS:
        raise ValueError(f"must be one of {', '.join(TIERS)}")
    return cast(RiskTier, value)
