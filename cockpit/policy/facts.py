"""Semantic facts the analysers find in a tool call (writes P, deletes P, sql: drop, ...)."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field

# Markers inside evaluated shell words: UNKNOWN stands for text only known at run time (it may
# hold '/' or '..'); OPAQUE for run-time text that cannot (a PID, a date, a count).
UNKNOWN = "\x00"
OPAQUE = "\x01"

# Where a path lies relative to the workspace.
INSIDE = "inside"
OUTSIDE = "outside"
UNKNOWN_WHERE = "unknown"

# Kinds of fact. Rules match on these (see default.toml).
KINDS = (
    "tool",  # a tool call (every call has one): detail = tool name
    "memory",  # the memory tool: detail = its command
    "command",  # a simple shell command: command = its words
    "read",  # reads path
    "write",  # creates or changes path (detail: "append", "truncate", "extract", "link", ...)
    "delete",  # deletes path (recursive, force, filtered, files = how many files under it)
    "permissions",  # chmod / chown / chgrp / setfacl on path (detail: "setuid" when it sets it)
    "network",  # network use: detail = download / upload / connect / listen
    "exec",  # runs code: detail = script / shell / code / unknown; source = where the code is from
    "sql",  # an SQL statement: detail = drop-table, delete-all, select, ... ; path = the database
    "privilege",  # runs as another user: detail = sudo / su / doas ...
    "dynamic",  # a command name only known at run time
    "unparsed",  # something that could not be understood (shell, SQL, Python)
    "fork-bomb",  # a function that calls itself in the background or through a pipe
    "exfiltration",  # a secrets file read and a network use in the same call
    "remote-shell",  # a shell or interpreter wired to a network connection
    "process",  # signals or stops processes: detail = kill / kill-all / stop / shutdown
)


@dataclass(frozen=True)
class Fact:
    """One thing a tool call would do; rules turn facts into tiers and reasons."""

    kind: str
    detail: str = ""
    command: tuple[str, ...] = ()  # the words of the simple command it comes from
    path: str = ""  # absolute and normalised; UNKNOWN marks run-time parts
    where: str = ""  # inside / outside / unknown ('' when there is no path)
    recursive: bool = False
    force: bool = False
    filtered: bool = False  # e.g. find -name ... -delete: only matching files
    files: int = 0  # for deletes of a folder inside the workspace: files under it (up to 100)
    source: str = ""  # for exec: literal / pipe / network / decoded / file / unknown
    tags: frozenset[str] = field(default_factory=frozenset)
    note: str = ""  # free text for reasons (e.g. the SQL statement)

    def display_path(self) -> str:
        return display(self.path)


def display(text: str) -> str:
    """Text for a reason: run-time parts shown as $?, opaque ones as N."""
    return text.replace(UNKNOWN, "$?").replace(OPAQUE, "N")


@dataclass(frozen=True)
class Location:
    """A path resolved against the working folder and the workspace."""

    path: str
    where: str
    tags: frozenset[str] = frozenset()


def locate(text: str, cwd: str, workspace: str, home: str) -> Location:
    """Resolve `text` (an evaluated word) against `cwd`; classify it against `workspace`."""
    if text.startswith("~"):
        head, _, rest = text[1:].partition("/")
        if head == "":
            text = home + ("/" + rest if rest else "")
        elif head.isidentifier() or head.replace("-", "_").isidentifier():
            base = "/root" if head == "root" else f"/home/{head}"
            text = base + ("/" + rest if rest else "")
    if not text.startswith("/"):
        text = cwd.rstrip("/") + "/" + text if cwd != "/" else "/" + text
    tags: set[str] = set()
    path = posixpath.normpath(text)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    last = path.rsplit("/", 1)[-1]
    if last in {"*", ".*", "*.*", "{,.}*", "[!.]*", "..?*"}:
        tags.add("glob-all")
    if UNKNOWN in path:
        return Location(path, UNKNOWN_WHERE, frozenset(tags))
    probe = path.replace(OPAQUE, "N")
    where = OUTSIDE
    if probe == workspace or probe.startswith(workspace + "/"):
        where = INSIDE
        real = os.path.realpath(probe)
        if real != probe and not (real == workspace or real.startswith(workspace + "/")):
            where = OUTSIDE
            tags.add("symlink-out")
    if probe == workspace:
        tags.add("workspace-root")
    if (
        probe == workspace
        or workspace.startswith(probe.rstrip("/") + "/")
        or (
            "glob-all" in tags
            and (
                probe.rsplit("/", 1)[0] in (workspace, "")
                or workspace.startswith(probe.rsplit("/", 1)[0] + "/")
            )
        )
    ):
        tags.add("contains-workspace")
    return Location(path, where, frozenset(tags))


def files_under(path: str, limit: int = 100) -> int:
    """How many files a recursive delete of `path` would remove (counting stops at limit)."""
    probe = path.replace(OPAQUE, "N")
    if probe.endswith("/*"):
        probe = probe[:-2]
    if UNKNOWN in probe or not os.path.isdir(probe):
        return 0
    n = 0
    try:
        for _dirpath, _dirs, names in os.walk(probe):
            n += len(names)
            if n >= limit:
                return limit
    except OSError:
        return n
    return n


@dataclass(frozen=True)
class Stream:
    """What flows through a pipe or a redirect: its text when it is known statically."""

    text: str | None = None
    source: str = "pipe"  # literal / pipe / network / file / decoded / terminal
    path: str = ""  # for a file: its absolute path
    opaque: bool = False  # run-time text without '/' (a count, a date): safe inside paths
    roots: tuple[str, ...] = ()  # for lists of paths (find, ls): the folders they lie under
