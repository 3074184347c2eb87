"""Drift: how far the agent's recent actions are from the session's goal (offline judge).

The offline judge is deterministic. The goal's *scope* is the workspace (every path inside
it), the words the goal uses, and the command families a project task implies (reading,
searching, running the project's code and tests, inspecting its database). For the last
`window` actions it measures

- `drift.scope_out`: the share of actions outside that scope — a path outside the
  workspace, or a command family the goal neither names nor implies (network transfers,
  package installs, pushing, system administration);
- `drift.lexical`: 1 minus the mean overlap between each action's words and the goal's
  words (0 = every action speaks the goal's vocabulary);

and `drift.score = 0.7 * scope_out + 0.3 * lexical`. A model judge (engine side) gives
`drift.judge` on the same 0..1 scale with a one-line reason when one is configured.

Relation to goal-drift evaluations such as arXiv 2505.02709 (Arike et al., "Evaluating
Goal Drift in Language Model Agents"): they score how well an agent's actions still serve
an instructed goal as its context grows, against a baseline run without distractions.
Cockpit has no baseline run of the same session, so this is an online proxy of the same
quantity — the share of recent behaviour that is not aligned with the goal — measured
from what the agent actually does, turn by turn.
"""

from __future__ import annotations

import os
import re
import shlex
from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from cockpit.events import Event, SessionStarted, ToolCallProposed
from cockpit.health.base import Definition

WINDOW = 10
MIN_ACTIONS = 4  # drift.score stays 0 until this many actions were seen
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "into",
        "then",
        "than",
        "have",
        "has",
        "was",
        "were",
        "are",
        "its",
        "it's",
        "get",
        "got",
        "find",
        "out",
        "why",
        "make",
        "sure",
        "fix",
        "after",
        "before",
        "every",
        "all",
        "any",
        "not",
        "you",
        "your",
        "our",
        "their",
        "them",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "would",
        "should",
        "could",
        "can",
        "may",
        "might",
        "must",
        "one",
        "two",
        "new",
        "old",
    ]
)
# Command families any project task implies: reading, searching, running its code and tests.
PROJECT_COMMANDS = frozenset(
    [
        "ls",
        "cat",
        "head",
        "tail",
        "less",
        "more",
        "grep",
        "rg",
        "egrep",
        "fgrep",
        "find",
        "wc",
        "sort",
        "uniq",
        "cut",
        "tr",
        "awk",
        "sed",
        "diff",
        "cmp",
        "file",
        "stat",
        "du",
        "df",
        "tree",
        "echo",
        "printf",
        "pwd",
        "cd",
        "test",
        "true",
        "false",
        "sleep",
        "date",
        "env",
        "which",
        "type",
        "python",
        "python3",
        "pytest",
        "make",
        "sqlite3",
        "psql",
        "jq",
        "csvlook",
        "git",
        "mkdir",
        "cp",
        "mv",
        "touch",
        "ln",
        "chmod",
        "basename",
        "dirname",
        "realpath",
        "xargs",
        "tee",
        "column",
        "nl",
        "od",
        "hexdump",
        "md5sum",
        "sha256sum",
    ]
)
_PATH_KEYS = ("path", "file_path")


@dataclass(frozen=True)
class DriftVerdict:
    """One judge's verdict on recent actions: 0 = on the goal, 1 = away from it."""

    score: float
    reason: str
    judge: str


def words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)} - _STOP


def _programs(command: str) -> list[str]:
    """The program of each simple command in a command line (a lexical view, enough here)."""
    out: list[str] = []
    for part in re.split(r"\|\||&&|[|;&\n()]", command):
        try:
            tokens = shlex.split(part, comments=True)
        except ValueError:
            tokens = part.split()
        while tokens and ("=" in tokens[0] or tokens[0] in ("sudo", "env", "nohup", "time")):
            tokens = tokens[1:]
        if tokens:
            out.append(os.path.basename(tokens[0]))
    return out


def _paths(name: str, data: dict[str, object]) -> list[str]:
    paths = [v for k in _PATH_KEYS if isinstance(v := data.get(k), str) and v]
    command = data.get("command")
    if isinstance(command, str):
        try:
            tokens = shlex.split(command, comments=True)
        except ValueError:
            tokens = command.split()
        paths += [t for t in tokens if t.startswith(("/", "~", "../")) or t == ".."]
    return paths


def _foreign(program: str, goal_words: set[str]) -> bool:
    """A program neither the goal names nor a project task implies (not a project script)."""
    if program in PROJECT_COMMANDS or program.lower() in goal_words:
        return False
    return not (program.startswith("./") or program.endswith((".py", ".sh")))


class OfflineDriftJudge:
    """The deterministic judge: scope share and lexical overlap over the last actions."""

    name = "offline"

    DEFINITIONS: ClassVar[tuple[Definition, ...]] = (
        Definition(
            "drift.scope_out",
            f"Share of the last {WINDOW} actions outside the goal's scope (a path outside the "
            "workspace, or a command family the goal neither names nor implies).",
            "ratio",
            "arXiv 2505.02709 (goal drift), as an online proxy",
        ),
        Definition(
            "drift.lexical",
            f"1 minus the mean overlap of the last {WINDOW} actions' words with the goal's.",
            "ratio",
        ),
        Definition(
            "drift.score",
            f"0.7 × drift.scope_out + 0.3 × drift.lexical (0 before {MIN_ACTIONS} actions).",
            "ratio",
        ),
    )

    def __init__(self, window: int = WINDOW) -> None:
        self.goal_words: set[str] = set()
        self.workspace = ""
        self._recent: deque[tuple[bool, float]] = deque(maxlen=window)
        self._out = 0
        self._overlap = 0.0

    def fold(self, event: Event) -> None:
        match event:
            case SessionStarted():
                self.goal_words = words(event.goal)
                self.workspace = os.path.normpath(event.workspace) if event.workspace else ""
            case ToolCallProposed():
                outside, overlap = self.assess(event.name, event.input)
                if len(self._recent) == self._recent.maxlen:
                    old_out, old_overlap = self._recent[0]
                    self._out -= old_out
                    self._overlap -= old_overlap
                self._recent.append((outside, overlap))
                self._out += outside
                self._overlap += overlap
            case _:
                pass

    def assess(self, name: str, data: dict[str, object]) -> tuple[bool, float]:
        """(outside the scope?, overlap with the goal's words in 0..1) of one action."""
        text_parts = [name, *(str(v) for v in data.values() if isinstance(v, str))]
        action_words = words(" ".join(text_parts)[:4000])
        overlap = min(1.0, len(action_words & self.goal_words) / 2) if self.goal_words else 1.0
        outside = any(self._outside(p) for p in _paths(name, data))
        command = data.get("command")
        if isinstance(command, str) and not outside:
            for program in _programs(command):
                if _foreign(program, self.goal_words):
                    outside = True
                    break
        return outside, overlap

    def _outside(self, path: str) -> bool:
        if not self.workspace:
            return False
        expanded = os.path.expanduser(path)
        full = os.path.normpath(os.path.join(self.workspace, expanded))
        return not (full == self.workspace or full.startswith(self.workspace + os.sep))

    @property
    def scope_out(self) -> float:
        return self._out / len(self._recent) if self._recent else 0.0

    @property
    def lexical(self) -> float:
        return 1.0 - self._overlap / len(self._recent) if self._recent else 0.0

    def verdict(self) -> DriftVerdict:
        n = len(self._recent)
        if n < MIN_ACTIONS:  # two or three calls say nothing about a direction yet
            return DriftVerdict(0.0, f"only {n} action(s) so far", self.name)
        score = 0.7 * self.scope_out + 0.3 * self.lexical
        reason = f"{self._out} of the last {n} actions outside the goal's scope" if n else ""
        return DriftVerdict(round(score, 4), reason, self.name)

    def values(self) -> dict[str, float]:
        return {
            "drift.scope_out": round(self.scope_out, 4),
            "drift.lexical": round(self.lexical, 4),
            "drift.score": self.verdict().score,
        }
