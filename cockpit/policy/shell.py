"""Shell commands as a syntax tree (tree-sitter-bash): every part is walked into facts."""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache

import tree_sitter_bash
from tree_sitter import Language, Node, Parser

from cockpit.policy import commands, python_code, scripts, sql_clients
from cockpit.policy.context import (
    HANDLERS,
    SECRET_NAME,
    Call,
    Handler,
    Scope,
    ansi_c,
    canonical,
    plain_pager,
)
from cockpit.policy.facts import (
    OPAQUE,
    UNKNOWN,
    Fact,
    Location,
    Stream,
    display,
    locate,
)

MAX_DEPTH = 8  # bash -c inside eval inside a function ...
MAX_NODES = 40_000
MAX_NESTING = 60  # walk() levels (substitutions in substitutions in ...)
MAX_LOOP_VALUES = 8
MAX_WORDS = 64  # brace expansion results kept per word

SYSTEM_BIN_DIRS = frozenset(
    {
        "/bin",
        "/sbin",
        "/usr/bin",
        "/usr/sbin",
        "/usr/local/bin",
        "/usr/local/sbin",
        "/snap/bin",
        "/opt/homebrew/bin",
        "/usr/lib/git-core",
        "/usr/libexec",
    }
)

# Other spellings of one program: rules and analysers use the name on the right.
_LANGUAGE = Language(tree_sitter_bash.language())
_PARSER = Parser(_LANGUAGE)

# Node types that hold statements in sequence.
_SEQUENCES = frozenset({"program", "compound_statement", "do_group", "else_clause"})
_REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})


@dataclass
class Analysis:
    """Walks one tool call's shell text; collects facts."""

    workspace: str
    home: str
    facts: list[Fact] = field(default_factory=list)
    vfiles: dict[str, Stream] = field(default_factory=dict)  # files written earlier in the call
    functions: dict[str, Node] = field(default_factory=dict)
    called: set[str] = field(default_factory=set)
    call_stack: list[str] = field(default_factory=list)
    depth: int = 0
    nodes: int = 0
    nesting: int = 0
    in_pipe: int = 0
    in_background: int = 0
    temp_paths: set[str] = field(default_factory=set)  # made by mktemp in this call
    downloaded: set[str] = field(default_factory=set)  # files and folders fetched in this call
    env_checked: set[tuple[str, str]] = field(default_factory=set)
    secret_refs: list[str] = field(default_factory=list)  # secret-named variables expanded
    word_refs: list[str] = field(default_factory=list)  # ... in the command being dispatched
    _seen: set[Fact] = field(default_factory=set)

    # ----------------------------------------------------------------- facts
    def add(self, fact: Fact) -> None:
        if fact not in self._seen:
            self._seen.add(fact)
            self.facts.append(fact)

    def unparsed(self, note: str, detail: str = "shell") -> None:
        self.add(Fact("unparsed", detail=detail, note=note))

    def locate(self, word: str, cwd: str) -> Location:
        return locate(word, cwd, self.workspace, self.home)

    def read_file(self, path: str, limit: int = 1 << 20) -> str | None:
        """Contents of a file the command feeds to an interpreter (written earlier, or on disk)."""
        if path in self.vfiles:
            return self.vfiles[path].text
        if UNKNOWN in path:
            return None
        probe = path.replace(OPAQUE, "N")
        try:
            # Regular files only: a device or a FIFO could block or feed Cockpit's own stdin.
            if not stat.S_ISREG(os.stat(probe).st_mode):
                return None
            with open(probe, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError:
            return None
        if len(data) > limit:
            return None
        return data.decode("utf-8", "replace")

    # ------------------------------------------------------------- entry
    def script(self, text: str, scope: Scope, stdin: Stream | None = None) -> Stream | None:
        """Parse and walk a shell script (the tool's command, or a nested bash -c string)."""
        if self.depth >= MAX_DEPTH:
            self.unparsed("commands nested too deeply to follow")
            return None
        if "\x00" in text:
            self.unparsed("a NUL byte in the command")
            return None
        self.depth += 1
        try:
            tree = _parse(text)
            root = tree.root_node
            if root.has_error:
                self.unparsed(f"shell syntax that could not be parsed ({_error_snippet(root)})")
            return self.walk(root, scope, stdin)
        finally:
            self.depth -= 1

    def finish(self, scope: Scope) -> None:
        """Functions defined but never called are analysed once with unknown arguments."""
        for name, node in list(self.functions.items()):
            if name not in self.called:
                self.called.add(name)
                body = node.child_by_field_name("body")
                if body is not None:
                    inner = scope.copy()
                    inner.positional = None
                    self.call_stack.append(name)
                    self.walk(body, inner, None)
                    self.call_stack.pop()

    # ------------------------------------------------------------- walker
    def walk(self, node: Node, scope: Scope, stdin: Stream | None) -> Stream | None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self.unparsed("a command too large to analyse")
            return None
        if self.nesting >= MAX_NESTING:
            self.unparsed("constructs nested too deeply to follow")
            return None
        self.nesting += 1
        try:
            return self._walk(node, scope, stdin)
        finally:
            self.nesting -= 1

    def _walk(self, node: Node, scope: Scope, stdin: Stream | None) -> Stream | None:
        t = node.type
        if t == "command":
            return self.walk_command(node, scope, stdin)
        if t in _SEQUENCES or t == "list":
            return self.walk_sequence(node, scope, stdin)
        if t == "pipeline":
            return self.walk_pipeline(node, scope, stdin)
        if t == "redirected_statement":
            return self.walk_redirected(node, scope, stdin)
        if t == "subshell":
            return self.walk_sequence(node, scope.copy(), stdin)
        if t == "variable_assignment":
            self.assign(node, scope, scope.env)
            return None
        if t == "variable_assignments":
            for child in node.named_children:
                if child.type == "variable_assignment":
                    self.assign(child, scope, scope.env)
            return None
        if t == "declaration_command":
            for child in node.named_children:
                if child.type == "variable_assignment":
                    self.assign(child, scope, scope.env)
                else:
                    self.scan(child, scope)
            return None
        if t == "unset_command":
            for child in node.named_children:
                scope.env.pop(_text(child), None)
            return None
        if t == "function_definition":
            name_node = node.child_by_field_name("name")
            if name_node is not None:
                self.functions[_text(name_node)] = node
            return None
        if t == "for_statement":
            return self.walk_for(node, scope)
        if t in ("if_statement", "while_statement", "elif_clause", "case_item"):
            out: Stream | None = None
            for child in node.named_children:
                out = self.walk(child, scope, None) or out
            return out
        if t == "case_statement":
            for child in node.named_children:
                if child.type == "case_item":
                    self.walk(child, scope, None)
                else:
                    self.scan(child, scope)
            return None
        if t == "negated_command":
            for child in node.named_children:
                self.walk(child, scope, stdin)
            return None
        if t == "comment" or t == "heredoc_body":
            return None
        if t in _SUBSTITUTIONS:
            self.value(node, scope)
            return None
        if t == "ERROR":
            for child in node.named_children:
                self.walk(child, scope, None)
            return None
        # test_command, c-style for, arithmetic, words at statement level ...: look for
        # substitutions and statements inside.
        for child in node.named_children:
            if child.type in ("do_group", "compound_statement"):
                self.walk(child, scope, None)
            else:
                self.scan(child, scope)
        return None

    def scan(self, node: Node, scope: Scope) -> None:
        """Analyse the substitutions anywhere under `node` (their commands run)."""
        if node.type in _SUBSTITUTIONS:
            self.value(node, scope)
            return
        if node.type in ("command", "pipeline", "list", "redirected_statement", "subshell"):
            self.walk(node, scope, None)
            return
        for child in node.named_children:
            self.scan(child, scope)

    def walk_sequence(self, node: Node, scope: Scope, stdin: Stream | None) -> Stream | None:
        children = node.children
        out: Stream | None = None
        first = True
        for i, child in enumerate(children):
            if not child.is_named or child.type == "comment":
                continue
            background = i + 1 < len(children) and children[i + 1].type == "&"
            if background:
                self.in_background += 1
            out = self.walk(child, scope, stdin if first else None)
            if background:
                self.in_background -= 1
            first = False
        return out

    def walk_pipeline(self, node: Node, scope: Scope, stdin: Stream | None) -> Stream | None:
        stages = [c for c in node.children if c.is_named and c.type != "comment"]
        current = stdin
        self.in_pipe += 1
        try:
            for stage in stages:
                before = len(self.facts)
                out = self.walk(stage, scope.copy(), current)
                current = _piped(out, self.facts[before:])
        finally:
            self.in_pipe -= 1
        return current

    def walk_for(self, node: Node, scope: Scope) -> Stream | None:
        var_node = node.child_by_field_name("variable")
        body = node.child_by_field_name("body")
        values: list[str] = []
        unknown = False
        has_values = False
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) == "value":
                has_values = True
                values.extend(self.words_of(child, scope))
        if not has_values:
            unknown = True
        if var_node is None or body is None:
            return None
        name = _text(var_node)
        distinct = list(dict.fromkeys(values))
        if unknown or len(distinct) > MAX_LOOP_VALUES:
            distinct = [UNKNOWN] if unknown else [*distinct[:1], UNKNOWN]
        for value in distinct or [""]:
            scope.env[name] = value
            self.walk(body, scope, None)
        return None

    def walk_redirected(self, node: Node, scope: Scope, stdin: Stream | None) -> Stream | None:
        body = node.child_by_field_name("body")
        redirects: list[Node] = []
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) == "redirect" or child.type in _REDIRECTS:
                redirects.append(child)

        if body is not None and body.type in ("list", "pipeline"):
            # tree-sitter-bash groups `a && b > f` as (a && b) > f; bash redirects only b.
            parts = [c for c in body.children if c.is_named and c.type != "comment"]
            if len(parts) > 1:
                last = parts[-1]
                if body.type == "list":
                    for part in parts[:-1]:
                        self.walk(part, scope, None)
                    return self._run_with_redirects(
                        lambda s: self.walk(last, scope, s), redirects, scope, None
                    )
                self.in_pipe += 1
                try:
                    current = stdin
                    for part in parts[:-1]:
                        before = len(self.facts)
                        current = _piped(
                            self.walk(part, scope.copy(), current), self.facts[before:]
                        )
                    return self._run_with_redirects(
                        lambda s: self.walk(last, scope.copy(), s), redirects, scope, current
                    )
                finally:
                    self.in_pipe -= 1

        def run_body(current: Stream | None) -> Stream | None:
            return None if body is None else self.walk(body, scope, current)

        return self._run_with_redirects(run_body, redirects, scope, stdin)

    def _run_with_redirects(
        self,
        run_body: Callable[[Stream | None], Stream | None],
        redirects: list[Node],
        scope: Scope,
        stdin: Stream | None,
    ) -> Stream | None:
        current = stdin
        outputs: list[tuple[str, bool]] = []
        tails: list[tuple[str, Node]] = []
        for r in redirects:
            if r.type == "file_redirect":
                current = self._file_redirect(r, scope, current, outputs)
            elif r.type == "herestring_redirect":
                words = [w for c in r.named_children for w in self.words_of(c, scope)]
                current = Stream(" ".join(words) + "\n", "literal")
            elif r.type == "heredoc_redirect":
                current = self._heredoc(r, scope, current, outputs, tails)
        out = run_body(current)
        for path, append in outputs:
            old = self.vfiles.get(path)
            if out is not None and out.text is not None:
                text = (old.text or "") + out.text if append and old and old.text else out.text
                self.vfiles[path] = replace(out, text=text)
            else:
                self.vfiles[path] = Stream(None, out.source if out else "pipe")
        if outputs:
            out = None
        # Statements written after the heredoc's start on the same line: `cat <<E | python -`
        for op, tail in tails:
            if op == "|":
                self.in_pipe += 1
                self.walk(tail, scope.copy(), _piped(out, []))
                self.in_pipe -= 1
            else:
                out = self.walk(tail, scope, None)
        return out

    def _file_redirect(
        self, r: Node, scope: Scope, current: Stream | None, outputs: list[tuple[str, bool]]
    ) -> Stream | None:
        op = ""
        dest: Node | None = None
        for i, child in enumerate(r.children):
            if not child.is_named:
                op = child.type
            elif r.field_name_for_child(i) == "destination" or child.type != "file_descriptor":
                dest = child
        if dest is None:
            return current
        if op in (">&", "<&", ">&-", "<&-") and dest.type == "number":
            return current
        words = self.words_of(dest, scope)
        target = words[0] if words else UNKNOWN
        if op in (">&", "<&") and (target.isdigit() or target == "-"):
            return current
        call = Call(self, "redirect", [target], scope, None, words=("redirect", op, target))
        if op == "<":
            loc = call.read(target)
            if loc is None:
                return current
            if loc.path in self.vfiles:
                return replace(self.vfiles[loc.path], path=loc.path)
            return Stream(None, "file", path=loc.path)
        if op == "<>":
            call.read(target)
        loc = call.loc(target)
        if loc.path.startswith(("/dev/tcp/", "/dev/udp/")):
            call.fact("network", detail="connect", note=display(loc.path))
            return Stream(None, "network") if op in ("<", "<>") else current
        call.write(target, detail="append" if ">>" in op else "truncate")
        outputs.append((loc.path, ">>" in op))
        return current

    def _heredoc(
        self,
        r: Node,
        scope: Scope,
        current: Stream | None,
        outputs: list[tuple[str, bool]],
        tails: list[tuple[str, Node]],
    ) -> Stream | None:
        quoted = False
        strip_tabs = False
        body_text = ""
        op = ";"
        for child in r.children:
            t = child.type
            if t == "<<-":
                strip_tabs = True
            elif t == "heredoc_start":
                raw = _text(child)
                quoted = any(q in raw for q in "'\"\\")
            elif t == "heredoc_body":
                body_text = self._heredoc_text(child, scope, quoted)
            elif t == "file_redirect":
                self._file_redirect(child, scope, None, outputs)
            elif t in ("heredoc_end", "heredoc_content", "<<"):
                continue
            elif not child.is_named:
                op = t
            elif t == "pipeline" and child.children and child.children[0].type in ("|", "|&"):
                for inner in child.named_children:
                    tails.append(("|", inner))
            elif t in ("herestring_redirect", "heredoc_redirect"):
                continue
            else:
                tails.append((op, child))
        if strip_tabs:
            body_text = "\n".join(line.lstrip("\t") for line in body_text.split("\n"))
        return Stream(body_text, "literal")

    def _heredoc_text(self, node: Node, scope: Scope, quoted: bool) -> str:
        raw = node.text or b""
        if quoted or not node.named_children:
            return raw.decode("utf-8", "replace")
        out: list[str] = []
        pos = node.start_byte
        for child in node.named_children:
            if child.type == "heredoc_content":
                continue
            out.append(raw[pos - node.start_byte : child.start_byte - node.start_byte].decode())
            out.append(self.value(child, scope))
            pos = child.end_byte
        out.append(raw[pos - node.start_byte :].decode("utf-8", "replace"))
        return "".join(out)

    # ----------------------------------------------------------- commands
    def walk_command(self, node: Node, scope: Scope, stdin: Stream | None) -> Stream | None:
        prefix_env: dict[str, str] = {}
        words: list[str] = []
        redirects: list[Node] = []
        has_name = False
        refs_start = len(self.secret_refs)
        for i, child in enumerate(node.children):
            fname = node.field_name_for_child(i)
            t = child.type
            if t == "variable_assignment" and not has_name:
                self.assign(child, scope, prefix_env)
            elif fname == "redirect" or t in _REDIRECTS:
                redirects.append(child)
            elif t == "command_name":
                has_name = True
                for inner in child.named_children or [child]:
                    words.extend(self.words_of(inner, scope))
            elif fname == "argument" or (has_name and child.is_named):
                words.extend(self.words_of(child, scope))

        def run_body(current: Stream | None) -> Stream | None:
            if not has_name:
                scope.env.update(prefix_env)
                return None
            inner = scope
            if prefix_env:
                inner = scope.copy()
                inner.env.update(prefix_env)
            self.word_refs = self.secret_refs[refs_start:]
            try:
                return self.dispatch(words, inner, current)
            finally:
                self.word_refs = []

        if redirects:
            return self._run_with_redirects(run_body, redirects, scope, stdin)
        return run_body(stdin)

    def dispatch(self, words: list[str], scope: Scope, stdin: Stream | None) -> Stream | None:
        """Analyse one simple command given as evaluated words."""
        while words and words[0] == "":
            words = words[1:]
        if not words:
            return None
        name = words[0]
        if UNKNOWN in name:
            self.add(
                Fact(
                    "dynamic",
                    command=tuple(words),
                    note=display(" ".join(words))[:120],
                )
            )
            return None
        if name in self.functions:
            return self.call_function(name, words[1:], scope, stdin)
        prog = canonical(name)
        if "/" in name:
            folder = posixpath.dirname(posixpath.normpath(name))
            if folder not in SYSTEM_BIN_DIRS:
                return self.run_script(name, words[1:], scope, stdin)
        self._program_env(scope, tuple(words))
        handler = _handlers().get(prog)
        call = Call(self, prog, words[1:], scope, stdin)
        if handler is None and prog.startswith("mkfs."):
            prog = "mkfs"
        self.add(Fact("command", command=call.words))
        if handler is None or (call.args and all(a in _HELP_ARGS for a in call.args)):
            return None  # unknown, or only asked for its help or version
        return handler(call)

    def _program_env(self, scope: Scope, words: tuple[str, ...]) -> None:
        """Variables set by this command that make programs run other code (GIT_PAGER, ...)."""
        for var, value in scope.env.items():
            kind = _PROGRAM_VARS.get(var)
            if kind is None or (var, value) in self.env_checked or plain_pager(value):
                continue
            self.env_checked.add((var, value))
            note = f"{var}={display(value)[:60]}"
            if kind == "native":
                self.add(Fact("exec", detail="native", source="literal", command=words, note=note))
            elif kind == "script":
                self.add(
                    Fact("exec", detail="git-config", source="literal", command=words, note=note)
                )
                self.run_script(
                    value, [], scope.copy(), None
                ) if value and UNKNOWN not in value else None
            else:
                self.add(
                    Fact("exec", detail="git-config", source="literal", command=words, note=note)
                )
                if UNKNOWN not in value:
                    inner = scope.copy()
                    for name in _PROGRAM_VARS:
                        inner.env.pop(name, None)
                    self.script(value.lstrip("|"), inner)

    def call_function(
        self, name: str, args: list[str], scope: Scope, stdin: Stream | None
    ) -> Stream | None:
        if name in self.call_stack:
            detail = "background" if self.in_background else ("pipe" if self.in_pipe else "call")
            self.add(Fact("fork-bomb", detail=detail, command=(name, *args), note=name))
            return None
        self.called.add(name)
        node = self.functions[name]
        body = node.child_by_field_name("body")
        if body is None:
            return None
        inner = scope.copy()
        inner.positional = list(args)
        self.call_stack.append(name)
        try:
            return self.walk(body, inner, stdin)
        finally:
            self.call_stack.pop()

    def run_script(
        self, name: str, args: list[str], scope: Scope, stdin: Stream | None, interpreter: str = ""
    ) -> Stream | None:
        """A program given by path that is not a system binary: a script or a local build."""
        loc = self.locate(name, scope.cwd)
        call = Call(self, name, args, scope, stdin)
        vfile = self.vfiles.get(loc.path)
        if vfile is None and any(
            loc.path == d or loc.path.startswith(d + "/") for d in self.downloaded
        ):
            vfile = Stream(None, "network")
        if vfile is not None:
            if vfile.text is None:
                call.fact(
                    "exec",
                    detail="code",
                    source=vfile.source,
                    path=loc.path,
                    where=loc.where,
                    note=f"runs {display(name)}, written by this command from {vfile.source}",
                )
                return None
            lang = interpreter or _shebang(vfile.text) or _by_suffix(name)
            call.fact(
                "exec",
                detail="script",
                source="literal",
                path=loc.path,
                where=loc.where,
                note=display(name),
            )
            return self.run_code(call, lang, vfile.text)
        call.fact(
            "exec",
            detail="script",
            source="file",
            path=loc.path,
            where=loc.where,
            note=display(name),
        )
        return None

    def run_code(self, call: Call, lang: str, text: str) -> Stream | None:
        """Inspect code handed to an interpreter."""
        if lang in ("sh", "bash", "dash", "zsh", "ksh", "ash"):
            return call.shell(text)
        if lang == "python":
            python_code.analyse_python(text, call)
            return None
        scripts.analyse_lexical(text, lang or "unknown", call)
        return None

    # ---------------------------------------------------------- variables
    def assign(self, node: Node, scope: Scope, env: dict[str, str]) -> None:
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        if name_node is None:
            return
        name = _text(name_node)
        if name_node.type == "subscript":
            inner = name_node.child_by_field_name("name")
            name = _text(inner) if inner is not None else name
            if value_node is not None:
                self.value(value_node, scope)
            env[name] = UNKNOWN
            return
        if value_node is None:
            env[name] = ""
            return
        if value_node.type == "array":
            env[name] = " ".join(
                w for c in value_node.named_children for w in self.words_of(c, scope)
            )
            return
        value = self.value(value_node, scope)
        op = next((c.type for c in node.children if not c.is_named), "=")
        if op == "+=":
            value = env.get(name, scope.env.get(name, UNKNOWN)) + value
        env[name] = value

    def lookup(self, name: str, scope: Scope) -> str:
        if name in scope.env:
            return scope.env[name]
        if name == "HOME":
            return self.home
        if name == "PWD":
            return scope.cwd
        if name == "TMPDIR":
            return "/tmp"
        if name == "0":
            return "bash"
        if name == "IFS":
            return " "
        if name == "SHELL":
            return "/bin/bash"
        if name.isdigit() or name in ("@", "*"):
            if scope.positional is None:
                return UNKNOWN
            if name in ("@", "*"):
                return " ".join(scope.positional)
            i = int(name)
            return scope.positional[i - 1] if 0 < i <= len(scope.positional) else ""
        if name in _OPAQUE_VARS:
            return OPAQUE
        if SECRET_NAME.search(name):
            self.secret_refs.append(name)
        return UNKNOWN

    # ------------------------------------------------------------- words
    def words_of(self, node: Node, scope: Scope) -> list[str]:
        """The words an argument becomes (word splitting of bare expansions, brace expansion)."""
        t = node.type
        if t in ("simple_expansion", "expansion", "command_substitution"):
            value = self.value(node, scope)
            if UNKNOWN in value:
                return [value]
            return _split(value, scope.env.get("IFS"))
        if t == "string" and _is_array_expansion(node):
            # "${a[@]}" and "$@": one word per element.
            value = self.value(node, scope)
            return [value] if UNKNOWN in value else value.split()
        value = self.value(node, scope)
        if t in ("word", "concatenation") and "{" in value and ("," in value or ".." in value):
            return _brace_expand(value)
        return [value]

    def value(self, node: Node, scope: Scope) -> str:
        t = node.type
        if t == "word":
            return _unescape(_text(node))
        if t == "raw_string":
            return _text(node)[1:-1]
        if t == "string" or t == "translated_string":
            return self._string_value(node, scope)
        if t == "ansi_c_string":
            return ansi_c(_text(node)[2:-1])
        if t == "concatenation":
            return "".join(self.value(c, scope) for c in node.children)
        if t == "simple_expansion":
            for child in node.named_children:
                return self.lookup(_text(child), scope)
            return UNKNOWN
        if t == "expansion":
            return self._expansion(node, scope)
        if t == "command_substitution":
            return self._substitution(node, scope)
        if t == "process_substitution":
            for child in node.named_children:
                self.walk(child, scope.copy(), None)
            return "/dev/fd/63"
        if t == "arithmetic_expansion":
            self.scan(node, scope)
            return OPAQUE
        if t in ("number", "variable_name", "extglob_pattern", "regex", "brace_expression"):
            return _text(node)
        if t == "string_content":
            return _unescape_dq(_text(node))
        if t == "array":
            return " ".join(self.value(c, scope) for c in node.named_children)
        if node.named_children:
            self.scan(node, scope)
            return UNKNOWN
        return _text(node)

    def _string_value(self, node: Node, scope: Scope) -> str:
        raw = node.text or b""
        base = node.start_byte
        out: list[str] = []
        pos = base + 1 if raw.startswith(b'"') else base + (2 if raw.startswith(b'$"') else 0)
        end = node.end_byte - (1 if raw.endswith(b'"') and len(raw) > 1 else 0)
        for child in node.named_children:
            start = child.start_byte
            if start > pos:
                out.append(_unescape_dq(raw[pos - base : start - base].decode("utf-8", "replace")))
            if child.type == "string_content":
                out.append(_unescape_dq(_text(child)))
            elif child.type == "string":
                out.append(self._string_value(child, scope))
            else:
                lead = _text(child)
                spaces = len(lead) - len(lead.lstrip())
                out.append(lead[:spaces] + self.value(child, scope))
            pos = max(pos, child.end_byte)
        if end > pos:
            out.append(_unescape_dq(raw[pos - base : end - base].decode("utf-8", "replace")))
        return "".join(out)

    def _expansion(self, node: Node, scope: Scope) -> str:
        children = node.children
        names = [c for c in children if c.type in ("variable_name", "special_variable_name")]
        ops = [c.type for c in children if not c.is_named and c.type not in ("${", "}")]
        subscript = [c for c in children if c.type == "subscript"]
        for c in node.named_children:
            if c.type in _SUBSTITUTIONS or c.named_children:
                self.scan(c, scope)
        if subscript:
            inner = subscript[0].child_by_field_name("name")
            index = subscript[0].child_by_field_name("index")
            if inner is not None and index is not None and _text(index) in ("@", "*"):
                return self.lookup(_text(inner), scope)
            return UNKNOWN
        if not names:
            return UNKNOWN
        value = self.lookup(_text(names[0]), scope)
        if not ops:
            return value
        op = ops[0]
        if op == "#" and children[1].type == "#":
            return OPAQUE  # ${#X}: a length
        if op == "!":
            return UNKNOWN
        rest = [c for c in node.named_children if c is not names[0]]
        alt = "".join(self.value(c, scope) for c in rest)
        if op in (":-", "-", ":=", "="):
            if UNKNOWN in value:
                return UNKNOWN
            return value if value else alt
        if op in (":+", "+"):
            if UNKNOWN in value:
                return UNKNOWN
            return alt if value else ""
        if op in (":?", "?"):
            return value
        if UNKNOWN in value:
            return UNKNOWN
        if OPAQUE in value and "/" not in value:
            return OPAQUE
        return UNKNOWN if op not in ("^", "^^", ",", ",,") else value

    def _substitution(self, node: Node, scope: Scope) -> str:
        inner = scope.copy()
        out: Stream | None = None
        for child in node.named_children:
            out = self.walk(child, inner, None) if child.type != "comment" else out
        if out is None:
            return UNKNOWN
        if out.text is None and out.source == "file" and out.path:
            text = self.read_file(out.path)  # "$(cat query.sql)"
            if text is not None:
                return text.rstrip("\n")
        if out.text is not None:
            return out.text.rstrip("\n")
        if out.opaque:
            return OPAQUE
        return UNKNOWN


# Environment variables whose value is a command (or code) some program will run.
_PROGRAM_VARS: dict[str, str] = {
    **{v: "shell" for v in ("GIT_PAGER", "PAGER", "GIT_EDITOR", "EDITOR", "VISUAL",
                            "GIT_SSH_COMMAND", "GIT_SEQUENCE_EDITOR", "GIT_EXTERNAL_DIFF",
                            "GIT_ASKPASS", "SSH_ASKPASS", "LESSOPEN", "LESSCLOSE",
                            "PROMPT_COMMAND", "MANPAGER", "SYSTEMD_PAGER", "PSQL_PAGER")},
    **{v: "script" for v in ("BASH_ENV", "ENV", "GIT_SSH", "PYTHONSTARTUP")},
    **{v: "native" for v in ("LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES")},
}  # fmt: skip

_HELP_ARGS = frozenset({"--version", "--help", "-V", "-version", "-help"})

_OPAQUE_VARS = frozenset(
    {
        "$", "?", "!", "#", "-", "RANDOM", "SECONDS", "LINENO", "BASHPID", "PPID", "UID",
        "EUID", "EPOCHSECONDS", "EPOCHREALTIME", "USER", "LOGNAME", "HOSTNAME", "SRANDOM",
        "COLUMNS", "LINES", "SHLVL",
    }
)  # fmt: skip


def _split(value: str, ifs: str | None) -> list[str]:
    """Word splitting of an unquoted expansion (IFS when the command sets one)."""
    if ifs is None or ifs == " \t\n" or ifs == " ":
        return value.split()
    if ifs == "":
        return [value] if value else []
    return [w for w in re.split("[" + re.escape(ifs) + "]", value) if w != "" or not ifs.isspace()]


def _is_array_expansion(node: Node) -> bool:
    kids = [c for c in node.named_children if c.type != "string_content" or _text(c).strip()]
    if len(kids) != 1:
        return False
    k = kids[0]
    text = _text(k)
    return text in ("$@", "${@}", "$*") or (k.type == "expansion" and text.endswith("[@]}"))


def _piped(out: Stream | None, new_facts: list[Fact]) -> Stream:
    """The stream the next stage of a pipeline reads."""
    downloaded = any(f.kind == "network" for f in new_facts)
    if out is None:
        return Stream(None, "network" if downloaded else "pipe")
    if downloaded and out.text is None and out.source == "pipe":
        return replace(out, source="network")
    return out


# Importing these modules registers their programs' analysers in HANDLERS.
ANALYSER_MODULES = (commands.__name__, sql_clients.__name__)


def _handlers() -> dict[str, Handler]:
    return HANDLERS


@lru_cache(maxsize=512)
def _parse(text: str) -> _Tree:
    return _Tree(_PARSER.parse(text.encode("utf-8", "surrogateescape")).root_node)


@dataclass(frozen=True)
class _Tree:
    root_node: Node


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _error_snippet(root: Node) -> str:
    for node in _iter_errors(root):
        text = _text(node).strip().replace("\n", " ")
        return (text[:40] + "...") if len(text) > 40 else (text or "unterminated input")
    return "?"


def _iter_errors(node: Node) -> Iterator[Node]:
    if node.type == "ERROR" or node.is_missing:
        yield node
        return
    for child in node.children:
        if child.has_error:
            yield from _iter_errors(child)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt != "\n":
                out.append(nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unescape_dq(text: str) -> str:
    if "\\" not in text:
        return text
    return re.sub(r"\\([$`\"\\\n])", lambda m: "" if m.group(1) == "\n" else m.group(1), text)


def _brace_expand(word: str) -> list[str]:
    m = re.search(r"\{([^{}]*)\}", word)
    if not m:
        return [word]
    body = m.group(1)
    pre, post = word[: m.start()], word[m.end() :]
    items: list[str]
    rng = re.fullmatch(r"(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?", body)
    crng = re.fullmatch(r"([a-zA-Z])\.\.([a-zA-Z])", body)
    if rng:
        a, b = int(rng.group(1)), int(rng.group(2))
        step = abs(int(rng.group(3) or 1)) or 1
        seq = range(a, b + 1, step) if a <= b else range(a, b - 1, -step)
        items = [str(x) for x in list(seq)[:MAX_WORDS]]
    elif crng:
        a2, b2 = ord(crng.group(1)), ord(crng.group(2))
        items = [chr(x) for x in (range(a2, b2 + 1) if a2 <= b2 else range(a2, b2 - 1, -1))]
    elif "," in body:
        items = body.split(",")
    else:
        return [word]
    out: list[str] = []
    for item in items:
        for expanded in _brace_expand(pre + item + post):
            out.append(expanded)
            if len(out) >= MAX_WORDS:
                return out
    return out


def _shebang(text: str) -> str:
    if not text.startswith("#!"):
        return ""
    line = text.split("\n", 1)[0][2:].strip().split()
    if not line:
        return ""
    prog = canonical(line[0])
    if prog == "env" and len(line) > 1:
        prog = canonical(line[1])
    return prog


def _by_suffix(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    return {"sh": "sh", "bash": "bash", "py": "python", "pl": "perl", "rb": "ruby", "js": "node",
            "sql": "sql", "awk": "awk"}.get(suffix, "sh")  # fmt: skip


def analyse_shell(command: str, workspace: str, home: str) -> list[Fact]:
    """Facts of one shell command line run in `workspace`."""
    an = Analysis(workspace, home)
    scope = Scope({}, workspace)
    an.script(command, scope)
    an.finish(scope)
    return an.facts
