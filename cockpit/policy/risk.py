"""Risk classification of tool calls: parses shell commands, never matches them as one string."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cockpit.events import RiskTier

TIER_ORDER: dict[RiskTier, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}

READ_ONLY_TOOLS = {"read_file", "list_files", "grep"}
EDIT_TOOLS = {"write_file", "edit_file"}

# Commands that only read (or print) and touch nothing.
READ_ONLY_COMMANDS = {
    "ls", "cat", "head", "tail", "wc", "grep", "egrep", "rg", "find", "echo", "pwd", "stat",
    "file", "du", "df", "sort", "uniq", "cut", "tr", "awk", "diff", "cmp", "true", "false",
    "printf", "date", "which", "less", "more", "tree", "basename", "dirname", "realpath",
    "sha256sum", "md5sum", "column", "jq", "test", "[", "nl", "comm", "xxd", "od", "sleep",
    "seq", "id", "whoami", "uname", "hostname", "ps", "free", "uptime", "history", "type",
}  # fmt: skip
# Commands that change the workspace in ordinary ways (checkpoint first, no prompt in `ask`).
WORKSPACE_COMMANDS = {
    "mkdir", "mv", "cp", "touch", "sed", "python", "python3", "pytest", "make", "git",
    "ln", "tee", "gzip", "gunzip", "tar", "unzip", "sqlite3", "chmod", "rm", "rmdir", "cd",
    "patch", "truncate", "pip",
}  # fmt: skip
NETWORK_COMMANDS = {"curl", "wget", "ssh", "scp", "rsync", "nc", "ncat", "telnet", "ftp", "sftp"}
PRIVILEGE_COMMANDS = {"sudo", "su", "doas", "chown", "mount", "umount", "systemctl", "kill"}
DISK_COMMANDS = {"mkfs", "dd", "fdisk", "parted", "wipefs", "shred"}
SHELLS = {"sh", "bash", "zsh", "dash", "fish"}
# Commands that run another command: the wrapped command is what gets classified.
WRAPPERS = {"env", "nice", "nohup", "time", "timeout", "xargs", "stdbuf", "command", "exec"}
CACHE_DIRS = {
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "build",
    "dist",
    ".cache",
}
# A recursive delete of a folder holding this many files is treated as deleting data.
DATA_DIR_FILES = 10

_DESTRUCTIVE_SQL = re.compile(
    r"\b(drop\s+(table|database|schema|view|index)|truncate\s+table|delete\s+from\s+\w+\s*(;|$|\"|'))",
    re.IGNORECASE,
)
_SECRET_PATH = re.compile(
    r"(^|/)(\.ssh|\.aws|\.gnupg|\.netrc|\.env(\..*)?|id_rsa|id_ed25519|credentials(\.json)?|"
    r"\.pgpass|\.docker/config\.json|.*\.pem|.*\.key)$"
)
_SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")", "|&", ";;"}
_REDIRECTS = {">", ">>", "&>", "2>", "1>", ">|", "&>>", "2>>"}


@dataclass(frozen=True)
class RiskAssessment:
    tier: RiskTier
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    mutating: bool = False


@dataclass
class _Acc:
    tier: RiskTier = "low"
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    mutating: bool = False

    def hit(self, tier: RiskTier, rule: str, reason: str, mutating: bool = True) -> None:
        if TIER_ORDER[tier] > TIER_ORDER[self.tier]:
            self.tier = tier
        if reason not in self.reasons:
            self.reasons.append(reason)
            self.rules.append(rule)
        self.mutating = self.mutating or mutating

    def result(self) -> RiskAssessment:
        return RiskAssessment(self.tier, self.reasons, self.rules, self.mutating)


def policy_version() -> str:
    """Hash of the rules in force (this module's source), recorded on every event."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def classify(name: str, tool_input: dict[str, Any], workspace: Path) -> RiskAssessment:
    """Risk tier of one tool call, with the reasons a user will read."""
    acc = _Acc()
    if name in READ_ONLY_TOOLS:
        path = str(tool_input.get("path", "."))
        if _SECRET_PATH.search(path):
            acc.hit("high", "secrets-file", f"reads a secrets file ({path})", mutating=False)
        else:
            acc.hit("low", "read-only", "reads the workspace", mutating=False)
    elif name in EDIT_TOOLS:
        path = str(tool_input.get("path", ""))
        if not _inside(path, workspace):
            acc.hit("high", "write-outside", f"writes outside the workspace ({path})")
        elif _SECRET_PATH.search(path):
            acc.hit("high", "secrets-file", f"writes a secrets file ({path})")
        else:
            acc.hit("medium", "workspace-edit", f"edits {path}")
    elif name == "memory":
        command = str(tool_input.get("command", ""))
        acc.hit("low", "memory", f"memory {command}", mutating=False)
    elif name == "bash":
        _classify_shell(str(tool_input.get("command", "")), workspace, acc)
    else:
        acc.hit("high", "unknown-tool", f"unknown tool {name}")
    return acc.result()


def _inside(path: str, workspace: Path) -> bool:
    if not path:
        return True
    p = PurePosixPath(path)
    if p.is_absolute():
        try:
            Path(path).resolve().relative_to(workspace.resolve())
        except ValueError:
            return False
        return True
    depth = 0
    for part in p.parts:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            return False
    return True


def _split_commands(command: str) -> list[list[str]]:
    """Split a shell command line into simple commands (pipes, &&, ;, subshells)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return [command.split()]
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in _SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def _classify_shell(command: str, workspace: Path, acc: _Acc) -> None:
    if not command.strip():
        acc.hit("low", "empty", "empty command", mutating=False)
        return
    if _DESTRUCTIVE_SQL.search(command):
        acc.hit(
            "critical",
            "destructive-sql",
            "destructive SQL (DROP / TRUNCATE / DELETE without WHERE)",
        )
    if re.search(r"(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z|da)?sh\b", command):
        acc.hit("critical", "pipe-to-shell", "downloads and runs a script (curl | sh)")
    if "$(" in command or "`" in command:
        acc.hit(
            "high",
            "substitution",
            "command substitution: the real command is only known at run time",
        )
    commands = _split_commands(command)
    for words in commands:
        _classify_simple(words, workspace, acc)
    if acc.tier == "low" and not acc.reasons:
        acc.hit("low", "read-only", "read-only command", mutating=False)


def _classify_simple(words: list[str], workspace: Path, acc: _Acc) -> None:
    # Strip leading environment assignments and redirections' targets.
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words = words[1:]
    if not words:
        return
    for i, word in enumerate(words[:-1]):
        if word in _REDIRECTS or word in {">", ">>"}:
            target = words[i + 1]
            if target != "/dev/null" and not _inside(target, workspace):
                acc.hit(
                    "high", "write-outside", f"redirects output outside the workspace ({target})"
                )
            elif _SECRET_PATH.search(target):
                acc.hit("high", "secrets-file", f"writes a secrets file ({target})")
            else:
                acc.hit("medium", "workspace-write", f"writes {target}")
    prog = PurePosixPath(words[0]).name
    args = words[1:]
    if prog in WRAPPERS:
        rest = list(args)
        while rest and (rest[0].startswith("-") or "=" in rest[0] or rest[0].isdigit()):
            rest = rest[1:]
        if rest:
            _classify_simple(rest, workspace, acc)
        elif prog in {"env", "time", "command"}:
            acc.hit("low", "read-only", f"{prog} reads only", mutating=False)
        else:
            acc.hit("high", "unknown-command", f"{prog} with input from a pipe")
        return
    if prog in PRIVILEGE_COMMANDS:
        acc.hit("high", "privilege", f"{prog}: privileged or system command")
        if prog in {"sudo", "doas"} and args:
            _classify_simple(args, workspace, acc)
        return
    if prog in DISK_COMMANDS or prog.startswith("mkfs"):
        acc.hit("critical", "disk", f"{prog}: writes raw disks or destroys data")
        return
    if prog in NETWORK_COMMANDS:
        acc.hit("high", "network", f"{prog}: network access")
        return
    if prog in SHELLS and "-c" in args:
        idx = args.index("-c")
        if idx + 1 < len(args):
            _classify_shell(args[idx + 1], workspace, acc)
        return
    if prog == "rm":
        _classify_rm(args, workspace, acc)
        return
    if prog == "git":
        _classify_git(args, acc)
        return
    for arg in args:
        if arg.startswith("-"):
            continue
        if _SECRET_PATH.search(arg) or arg.startswith("~/.ssh") or "/.ssh/" in arg:
            acc.hit("high", "secrets-file", f"touches a secrets file ({arg})", mutating=False)
    if prog in READ_ONLY_COMMANDS:
        if prog == "find" and any(a in {"-delete", "-exec", "-execdir"} for a in args):
            acc.hit("medium", "find-mutate", "find with -delete/-exec")
        else:
            acc.hit("low", "read-only", f"{prog} reads only", mutating=False)
        return
    if prog in WORKSPACE_COMMANDS:
        outside = [a for a in args if not a.startswith("-") and a.startswith(("/", "~", ".."))]
        outside = [a for a in outside if not _inside(a.replace("~", "/root", 1), workspace)]
        if outside and prog in {"mv", "cp", "ln", "tee", "touch", "mkdir", "chmod", "tar"}:
            acc.hit("high", "write-outside", f"{prog} outside the workspace ({outside[0]})")
        elif prog == "pip":
            acc.hit("high", "network", "pip installs packages from the network")
        elif prog == "sqlite3" and _is_sql_read_only(args):
            acc.hit("low", "read-only", "sqlite3 query", mutating=False)
        else:
            acc.hit("medium", "workspace-command", f"{prog} changes the workspace")
        return
    acc.hit("high", "unknown-command", f"{prog}: unknown command")


def _is_sql_read_only(args: list[str]) -> bool:
    sql = " ".join(a for a in args[1:] if not a.startswith("-"))
    return bool(sql) and bool(re.match(r"^\s*(select|pragma|\.tables|\.schema)\b", sql, re.I))


def _classify_rm(args: list[str], workspace: Path, acc: _Acc) -> None:
    flags = "".join(a.lstrip("-") for a in args if a.startswith("-") and not a.startswith("--"))
    recursive = "r" in flags.lower() or "--recursive" in args
    force = "f" in flags or "--force" in args
    targets = [a for a in args if not a.startswith("-")]
    broad = [
        t
        for t in targets
        if t in {"/", "/*", "~", "~/", "*", ".", "./", "..", "../"}
        or t.startswith(("/", "~", ".."))
        or t.rstrip("/") in {"data", "landing", "warehouse", "db"}
        or t.endswith("/*")
        or not _inside(t, workspace)
    ]
    data_dirs = [
        t for t in targets if t not in broad and _files_under(workspace, t) >= DATA_DIR_FILES
    ]
    caches = [t for t in targets if PurePosixPath(t).name in CACHE_DIRS]
    if recursive and force and broad:
        acc.hit("critical", "rm-rf-broad", f"rm -rf of a broad path ({', '.join(broad)})")
    elif recursive and data_dirs:
        n = _files_under(workspace, data_dirs[0])
        acc.hit("critical", "rm-rf-data", f"recursive delete of {data_dirs[0]} ({n}+ files)")
    elif recursive and targets and len(caches) == len(targets):
        acc.hit("medium", "rm-cache", f"deletes caches ({', '.join(caches)})")
    elif recursive and (broad or force):
        acc.hit("high", "rm-recursive", f"recursive delete ({', '.join(targets) or '?'})")
    elif broad:
        acc.hit("high", "rm-outside", f"deletes outside the workspace ({', '.join(broad)})")
    else:
        acc.hit("medium", "rm", f"deletes {', '.join(targets) or 'files'}")


def _files_under(workspace: Path, target: str) -> int:
    """How many files a delete would remove (counting stops at DATA_DIR_FILES)."""
    try:
        root = (workspace / target).resolve()
        root.relative_to(workspace.resolve())
        if not root.is_dir():
            return 0
        n = 0
        for _dirpath, _dirs, files in os.walk(root):
            n += len(files)
            if n >= DATA_DIR_FILES:
                break
        return n
    except (OSError, ValueError):
        return 0


def _classify_git(args: list[str], acc: _Acc) -> None:
    sub = args[0] if args else ""
    if sub == "push" and any(a in {"-f", "--force", "--force-with-lease"} for a in args):
        acc.hit("critical", "force-push", "git push --force rewrites shared history")
    elif sub == "reset" and "--hard" in args:
        acc.hit("critical", "reset-hard", "git reset --hard discards work")
    elif sub in {"push", "fetch", "pull", "clone"}:
        acc.hit("high", "network", f"git {sub}: network access")
    elif sub in {"status", "log", "diff", "show", "branch", "blame"}:
        acc.hit("low", "read-only", f"git {sub} reads only", mutating=False)
    else:
        acc.hit("medium", "git", f"git {sub}")
