"""What the analysers share: shell state, the command being analysed, the handler registry."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cockpit.policy.facts import OPAQUE, UNKNOWN, Fact, Location, Stream, display, files_under


class Walker(Protocol):
    """The shell walker as the analysers see it (cockpit/policy/shell.py implements it)."""

    workspace: str
    home: str
    vfiles: dict[str, Stream]
    temp_paths: set[str]
    downloaded: set[str]
    word_refs: list[str]

    def add(self, fact: Fact) -> None: ...
    def locate(self, word: str, cwd: str) -> Location: ...
    def read_file(self, path: str, limit: int = ...) -> str | None: ...
    def lookup(self, name: str, scope: Scope) -> str: ...
    def dispatch(self, words: list[str], scope: Scope, stdin: Stream | None) -> Stream | None: ...
    def script(self, text: str, scope: Scope, stdin: Stream | None = None) -> Stream | None: ...
    def run_script(
        self, name: str, args: list[str], scope: Scope, stdin: Stream | None, interpreter: str = ""
    ) -> Stream | None: ...
    def run_code(self, call: Call, lang: str, text: str) -> Stream | None: ...


ALIASES: dict[str, str] = {
    "python2": "python",
    "python3": "python",
    "pypy": "python",
    "pypy3": "python",
    "py": "python",
    "pip3": "pip",
    "pip2": "pip",
    "gawk": "awk",
    "mawk": "awk",
    "nawk": "awk",
    "busybox-awk": "awk",
    "nodejs": "node",
    "ncat": "nc",
    "netcat": "nc",
    "nc.openbsd": "nc",
    "nc.traditional": "nc",
    "mariadb": "mysql",
    "sqlite": "sqlite3",
    "py.test": "pytest",
    "gsed": "sed",
    "gtar": "tar",
    "bsdtar": "tar",
    "gfind": "find",
    "vim.basic": "vim",
    "docker-compose": "docker-compose",
    "kubectl.exe": "kubectl",
    "7za": "7z",
    "7zr": "7z",
    "clickhouse-client": "clickhouse-client",
}
_PY_VERSION = re.compile(r"^(python|pip|pypy)[23](\.\d+)?$")


def canonical(name: str) -> str:
    """The program a command name stands for (basename of a system path, aliases folded)."""
    base = name.rsplit("/", 1)[-1] if "/" in name else name
    if _PY_VERSION.match(base):
        base = re.sub(r"[23](\.\d+)?$", "", base)
    return ALIASES.get(base, base)


@dataclass
class Scope:
    """Shell state along one path of execution: variables, working folder, positional args."""

    env: dict[str, str]
    cwd: str
    positional: list[str] | None = None

    def copy(self) -> Scope:
        return Scope(
            dict(self.env), self.cwd, None if self.positional is None else list(self.positional)
        )


@dataclass
class Call:
    """One simple command being analysed: its words, where it runs, what it reads on stdin."""

    an: Walker
    prog: str
    args: list[str]
    scope: Scope
    stdin: Stream | None
    words: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.words:
            self.words = (self.prog, *self.args)

    # ---------------------------------------------------------------- facts
    def fact(
        self,
        kind: str,
        *,
        detail: str = "",
        path: str = "",
        where: str = "",
        recursive: bool = False,
        force: bool = False,
        filtered: bool = False,
        files: int = 0,
        source: str = "",
        tags: frozenset[str] = frozenset(),
        note: str = "",
        command: tuple[str, ...] | None = None,
    ) -> None:
        self.an.add(
            Fact(
                kind,
                detail=detail,
                command=self.words if command is None else command,
                path=path,
                where=where,
                recursive=recursive,
                force=force,
                filtered=filtered,
                files=files,
                source=source,
                tags=tags,
                note=note,
            )
        )

    def loc(self, word: str, cwd: str | None = None) -> Location:
        return self.an.locate(word, self.scope.cwd if cwd is None else cwd)

    def _path_fact(
        self,
        kind: str,
        word: str,
        cwd: str | None,
        detail: str = "",
        recursive: bool = False,
        force: bool = False,
        filtered: bool = False,
        files: int = 0,
    ) -> Location:
        loc = self.loc(word, cwd)
        tags = loc.tags | {"unknown-prefix"} if word.startswith(UNKNOWN) else loc.tags
        self.fact(
            kind,
            detail=detail,
            path=loc.path,
            where=loc.where,
            tags=tags,
            recursive=recursive,
            force=force,
            filtered=filtered,
            files=files,
        )
        return loc

    def read(
        self, word: str, cwd: str | None = None, detail: str = "", recursive: bool = False
    ) -> Location | None:
        """A path read; detail "list" when only names and metadata are read (ls, stat, find)."""
        if word in ("", "-"):
            return None
        return self._path_fact("read", word, cwd, detail, recursive=recursive)

    def write(
        self, word: str, detail: str = "", cwd: str | None = None, recursive: bool = False
    ) -> None:
        if word in ("", "-"):
            return
        loc = self.loc(word, cwd)
        if loc.path.startswith(("/dev/tcp/", "/dev/udp/")):
            self.fact("network", detail="connect", note=display(loc.path))
            return
        if any(loc.path == t or loc.path.startswith(t + "/") for t in self.an.temp_paths):
            detail = "temp"  # inside a temporary file or folder this command made
        if detail == "download" or detail.startswith("git clone"):
            target = loc.path.rsplit("/", 1)[0] if loc.path.endswith("/" + OPAQUE) else loc.path
            self.an.downloaded.add(target)
        self._path_fact("write", word, cwd, detail=detail, recursive=recursive)

    def delete(
        self,
        word: str,
        recursive: bool = False,
        force: bool = False,
        filtered: bool = False,
        detail: str = "",
        cwd: str | None = None,
    ) -> None:
        if word == "":
            return
        loc = self.loc(word, cwd)
        files = files_under(loc.path) if recursive and loc.where == "inside" else 0
        self._path_fact(
            "delete",
            word,
            cwd,
            detail,
            recursive=recursive,
            force=force,
            filtered=filtered,
            files=files,
        )

    # ------------------------------------------------------------ recursion
    def run(
        self, words: list[str], stdin: Stream | None = None, scope: Scope | None = None
    ) -> Stream | None:
        """Analyse `words` as a command this one runs (sudo, env, xargs, find -exec ...)."""
        return self.an.dispatch(words, scope or self.scope, self.stdin if stdin is None else stdin)

    def shell(
        self, text: str, stdin: Stream | None = None, positional: list[str] | None = None
    ) -> Stream | None:
        """Analyse `text` as a shell script this command runs (bash -c, eval, su -c ...)."""
        scope = self.scope.copy()
        if positional is not None:
            scope.positional = positional
        return self.an.script(text, scope, stdin)

    def stdin_text(self) -> tuple[str | None, Stream | None]:
        """The static text on stdin (from a heredoc, echo, a file we can read), if any."""
        s = self.stdin
        if s is None:
            return None, None
        if s.text is not None:
            return s.text, s
        if s.source == "file" and s.path:
            return self.an.read_file(s.path), s
        return None, s


Handler = Callable[[Call], "Stream | None"]
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register an analyser for the programs `names`."""

    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = fn
        return fn

    return register


# fmt: off
_PLAIN_PAGERS = frozenset({
    "cat", "less", "more", "most", "bat", "batcat", "true", ":", "vim", "vi", "nano", "emacs",
    "code", "delta", "diff-so-fancy", "tee", "head", "tail", "",
})
# fmt: on


def plain_pager(value: str) -> bool:
    """A pager or editor setting that runs nothing else (PAGER=cat, core.editor=vim)."""
    if any(ch in value for ch in ";|&$`<>()\n") or UNKNOWN in value:
        return False
    words = value.split()
    return not words or canonical(words[0]) in _PLAIN_PAGERS


# Environment variables that hold secrets, by name.
SECRET_NAME = re.compile(
    r"(SECRET|TOKEN|PASSW(OR)?D|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|_AUTH\b|^AUTH)"
)


_ANSI = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b",
         "f": "\f", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}  # fmt: skip


def ansi_c(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        s = m.group(0)[1:]
        if s[0] in "xX":
            return chr(int(s[1:], 16)) if len(s) > 1 else s
        if s[0] in "uU":
            return chr(int(s[1:], 16)) if len(s) > 1 else s
        if s[0].isdigit():
            return chr(int(s, 8) & 0xFF)
        if s[0] == "c" and len(s) > 1:
            return chr(ord(s[1]) & 0x1F)
        return _ANSI.get(s, "\\" + s)

    return re.sub(
        r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c.|.)", sub, text
    )
