"""Code for perl, ruby, node, awk, php, lua, R, PowerShell: a conservative lexical check."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cockpit.policy.facts import UNKNOWN, display

if TYPE_CHECKING:
    from cockpit.policy.context import Call

# Calls that run a command; their argument is analysed as shell text when it is literal.
_EXEC = re.compile(
    r"(?<![\w$])(execSync|execFileSync|execFile|spawnSync|spawn|popen|shell_exec|passthru|"
    r"proc_open|pcntl_exec|os\.execute|io\.popen|IO\.popen|Open3\.\w+|Process\.spawn|system|"
    r"Kernel\.(?:system|exec|spawn)|child_process\.\w+|Deno\.run|Bun\.spawn(?:Sync)?|"
    r"Runtime\.getRuntime\(\)\.exec|(?<!\.)exec|(?<!\.)Start-Process|(?<!\.)Invoke-Expression|"
    r"(?<!\.)iex|(?<!\.)system2|processx::run)"
    r"\s*(\(|\s+(?=[\"'`$\w]))"
)
_BACKTICK = re.compile(r"`([^`]*)`")
_QX = re.compile(r"(?<![\w$])(?:qx|%x)\s*([({\[<|!/])")
_DELETE = re.compile(
    r"(?<![\w$])(unlink|unlinkSync|rmSync|rmdirSync|rmdir|rm_rf|rm_r|rm_f|remove_tree|rmtree|"
    r"File\.delete|File\.unlink|FileUtils\.rm\w*|FileUtils\.remove\w*|fs\.rm|fs\.promises\.rm|"
    r"os\.remove|Remove-Item|file\.remove|unlink_dir|Dir\.delete|Dir\.rmdir|FileUtils\.rmtree|"
    r"rimraf|fse?\.remove\w*|(?<!\.)del)\s*(\(|\s+(?=[\"'$\w]))"
)
_RECURSIVE_DELETE = (
    "rm_rf",
    "rm_r",
    "remove_tree",
    "rmtree",
    "rmSync",
    "rimraf",
    "FileUtils.rmtree",
    "fs.rm",
    "fs.promises.rm",
    "Remove-Item",
    "FileUtils.remove_dir",
    "FileUtils.remove_entry",
)
_WRITE = re.compile(
    r"(?<![\w$])(File\.write|File\.binwrite|IO\.write|fs\.writeFile(?:Sync)?|fs\.appendFile(?:Sync)?|"
    r"fs\.createWriteStream|fs\.copyFile(?:Sync)?|fs\.rename(?:Sync)?|fs\.mkdir(?:Sync)?|"
    r"fs\.symlink(?:Sync)?|fs\.truncate(?:Sync)?|fs\.promises\.writeFile|file_put_contents|"
    r"writeFileSync|writeFile|appendFileSync|FileUtils\.(?:cp|mv|touch|mkdir_p|ln_s)\w*|"
    r"write\.csv|write\.table|writeLines|saveRDS|save|Set-Content|Out-File|Add-Content|"
    r"copy|rename|move|symlink|mkdir|make_path|mkpath|touch|copyfile)\s*(\(|\s+(?=[\"']))"
)
_OPEN = re.compile(r"(?<![\w.$])(?:open|fopen|io\.open|File\.open|File\.new|sysopen)\s*\(?\s*")
_NETWORK = re.compile(
    r"IO::Socket|LWP|HTTP::Tiny|Net::(?:HTTP|FTP|SMTP|SSH|Ping|Telnet)|\bSocket\b|TCPSocket|"
    r"UDPSocket|open-uri|URI\.open|Faraday|HTTParty|RestClient|require\s*\(\s*['\"](?:node:)?"
    r"(?:http|https|net|dgram|tls|axios|node-fetch|request|got|undici|ws)['\"]|\bfetch\s*\(|"
    r"XMLHttpRequest|WebSocket|fsockopen|stream_socket_client|curl_init|"
    r"file_get_contents\s*\(\s*['\"](?:https?|ftp):|socket\.|/inet6?/|Invoke-WebRequest|"
    r"\biwr\b|Invoke-RestMethod|Net\.WebClient|download\.file|httr::|RCurl|url\s*\(|"
    r"Deno\.connect|Bun\.connect|net\.connect|https?://"
)
_UPLOAD = re.compile(r"\b(post|put|patch|send|sendall|upload|request\.write|write)\b", re.I)
_DYNAMIC = re.compile(
    r"(?<![\w.])(eval|instance_eval|class_eval|module_eval|Function|vm\.run\w*|"
    r"assert|create_function|call_user_func\w*|load|loadstring|dofile|"
    r"Invoke-Expression|iex|pack|unpack|decode_base64|decode64|base64_decode|"
    r"FromBase64String|atob|fromCharCode|const_get|public_send|__send__|send|"
    r"instance_variable_get|method|constantize|process\.binding|globalThis|"
    r"parse_str|extract)\s*[(\[{\s]|&\$|&\{|->\$|\$\w+\s*\(|require\s*\(\s*[^'\"`\s)]|"
    r"String\.fromCharCode|Buffer\.from\([^)]*['\"](?:base64|hex)['\"]|MIME::Base64|"
    r"(?:\\x[0-9a-fA-F]{2}){4,}|\[\s*['\"][a-zA-Z_]+['\"]\s*\+"
)
_PERMISSIONS = re.compile(
    r"(?<![\w.])(chmod|chown|lchown|File\.chmod|fs\.chmod\w*|Set-Acl|chgrp)\s*[(\s]"
)
_KILL = re.compile(r"(?<![\w.])(kill|Process\.kill|process\.kill|posix_kill|killpg)\s*[(\s]")
_FORK = re.compile(r"(?<![\w.])(fork|pcntl_fork|Process\.fork|cluster\.fork)\b")
_FORK_LOOP = re.compile(
    r"fork\s*(while|until|for)\b|(while|until|loop)\s*[({]?[^;]{0,30}fork|fork\s*\|\|\s*fork|fork;\s*fork"
)
_STRING = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")
_PATHLIKE = re.compile(
    r"^(/|~/|\.\.?/|\$HOME|\.env\b)|(^|/)(\.ssh|\.aws|\.env|id_rsa|id_ed25519|\.netrc|\.pgpass|credentials)\b|\.pem$|\.key$"
)


def analyse_lexical(code: str, lang: str, call: Call) -> None:
    """Facts of code in a language Cockpit does not parse: exec, delete, write, network, eval."""
    if lang == "sql":
        from cockpit.policy.sql_clients import sql_facts

        sql_facts(call, code, "sqlite")
        return
    if lang not in _LANGS:
        call.fact(
            "exec",
            detail="code",
            source="literal",
            note=f"{call.prog}: code in an unknown language",
        )
        return
    if lang == "awk":
        _awk(code, call)
        return
    found = False
    for m in _EXEC.finditer(code):
        found = True
        text = _argument_text(code, m.end() - (1 if m.group(2) == "(" else 0), m.group(2) == "(")
        _run_text(call, text, m.group(1))
    for m in _BACKTICK.finditer(code) if lang in ("perl", "ruby", "php", "powershell") else ():
        found = True
        _run_text(call, m.group(1), "backticks")
    for m in _QX.finditer(code) if lang in ("perl", "ruby") else ():
        found = True
        opener = m.group(1)
        closer = {"(": ")", "{": "}", "[": "]", "<": ">"}.get(opener, opener)
        end = code.find(closer, m.end())
        _run_text(call, code[m.end() : end if end >= 0 else len(code)], "qx")
    for m in _DELETE.finditer(code):
        if lang == "powershell" or m.group(1) != "del":
            found = True
            text = _argument_text(
                code, m.end() - (1 if m.group(2) == "(" else 0), m.group(2) == "("
            )
            target = _first_literal(text)
            recursive = m.group(1) in _RECURSIVE_DELETE or "recursive" in text or "-Recurse" in text
            call.delete(
                target if target is not None else UNKNOWN,
                recursive=recursive,
                force=recursive,
                detail=m.group(1),
            )
    for m in _WRITE.finditer(code):
        text = _argument_text(code, m.end() - (1 if m.group(2) == "(" else 0), m.group(2) == "(")
        literals = _literals(text)
        target = (
            literals[-1]
            if m.group(1)
            in (
                "fs.copyFile",
                "fs.copyFileSync",
                "copy",
                "rename",
                "move",
                "fs.rename",
                "fs.renameSync",
                "symlink",
                "copyfile",
                "write.csv",
                "write.table",
                "writeLines",
                "saveRDS",
                "save",
            )
            and literals
            else (literals[0] if literals else None)
        )
        if (
            m.group(1)
            in ("copy", "rename", "move", "mkdir", "touch", "save", "symlink", "copyfile")
            and not literals
        ):
            continue  # too generic a name to flag without a path
        found = True
        call.write(target if target is not None else UNKNOWN, detail=m.group(1))
    for m in _OPEN.finditer(code):
        text = _argument_text(code, m.end(), False, limit=160)
        _open_call(call, text, lang)
    if _NETWORK.search(code):
        found = True
        call.fact(
            "network",
            detail="upload" if _UPLOAD.search(code) else "connect",
            note=f"{call.prog} code uses the network",
        )
    dyn = _DYNAMIC.search(code)
    if dyn:
        call.fact(
            "exec",
            detail="code",
            source="unknown",
            note=f"{call.prog} code computed at run time ({dyn.group(0).strip()[:20]})",
        )
    for m in _PERMISSIONS.finditer(code):
        text = _argument_text(code, m.end() - 1, code[m.end() - 1] == "(")
        literals = [
            lit for lit in _literals(text) if not re.fullmatch(r"[0-7]{3,4}|[ugoa+\-=rwxst,]+", lit)
        ]
        loc = call.loc(literals[-1] if literals else UNKNOWN)
        call.fact("permissions", detail=m.group(1), path=loc.path, where=loc.where, tags=loc.tags)
    if _FORK_LOOP.search(code):
        call.fact("fork-bomb", detail="loop", note=f"{call.prog}: fork in a loop")
    elif _FORK.search(code):
        call.fact("process", detail="fork", note=f"{call.prog} forks processes")
    for m in _KILL.finditer(code):
        text = _argument_text(code, m.end() - 1, code[m.end() - 1] == "(")
        call.fact(
            "process",
            detail="kill-all" if re.search(r"(^|[\s,(])-1\b", text) else "kill",
            note=f"{call.prog}: {m.group(0).strip()}{display(text)[:30]}",
        )
    for literal in _literals(code):
        if _PATHLIKE.search(literal) and len(literal) < 200 and "\n" not in literal:
            call.read(literal)
    del found


_LANGS = frozenset(
    {
        "perl",
        "ruby",
        "node",
        "php",
        "lua",
        "r",
        "osascript",
        "powershell",
        "awk",
        "tclsh",
        "julia",
        "groovy",
        "jshell",
        "scala",
        "kotlin",
    }
)


def _awk(code: str, call: Call) -> None:
    for m in re.finditer(r"(?<![\w])system\s*\(", code):
        _run_text(call, _argument_text(code, m.end() - 1, True), "awk system()")
    for m in re.finditer(
        r"(?<![\w])(print|printf)\b([^;{}\n]*?)(>>|>|\|)\s*(\"(?:[^\"\\]|\\.)*\"|[^;}\s]+)", code
    ):
        op, target = m.group(3), m.group(4)
        body = m.group(2)
        if op == ">" and re.search(r"[(]", body) and body.count("(") > body.count(")"):
            continue  # a comparison inside print (a > b)
        literal = target[1:-1] if target.startswith('"') else None
        if op == "|":
            _run_text(call, target, "awk print |")
        elif literal is not None:
            if literal not in ("/dev/stdout", "/dev/stderr", "-"):
                call.write(literal)
        else:
            call.write(UNKNOWN, detail="awk print >")
    for m in re.finditer(r"(\"(?:[^\"\\]|\\.)*\"|[A-Za-z_]\w*)\s*\|\s*getline", code):
        _run_text(call, m.group(1), "awk | getline")
    for m in re.finditer(r"getline[^;{}\n]*<\s*(\"(?:[^\"\\]|\\.)*\"|[^;}\s]+)", code):
        target = m.group(1)
        call.read(target[1:-1] if target.startswith('"') else UNKNOWN)
    if "/inet/" in code:
        call.fact("network", detail="connect", note="gawk /inet networking")
    for literal in _literals(code):
        if _PATHLIKE.search(literal) and "\n" not in literal and not literal.startswith("/inet"):
            call.read(literal)


def _run_text(call: Call, text: str, how: str) -> None:
    """Shell text built from literals; non-literal pieces become unknown."""
    pieces: list[str] = []
    pos = 0
    for m in _STRING.finditer(text):
        between = text[pos : m.start()]
        if re.search(r"[\w$@%]", between.replace(" x ", "").strip(" .+,&~()")):
            pieces.append(UNKNOWN)
        elif pieces and "," in between:
            pieces.append(" ")  # list form: system("rm", "-rf", "/x") is one argv
        raw = m.group(1) if m.group(1) is not None else m.group(2)
        pieces.append(_unescape(raw or ""))
        pos = m.end()
    tail = text[pos:].strip(" )+.,;")
    if tail and re.search(r"[\w$@%]", tail):
        pieces.append(UNKNOWN if not tail.startswith(("/", "-")) else tail)
    if not any(p for p in pieces if p != UNKNOWN):
        if (
            text.strip()
            and not _STRING.search(text)
            and re.fullmatch(r"[\w./ -]+", text.strip())
            and how in ("backticks", "qx")
        ):
            call.shell(text.strip())
            return
        call.fact(
            "exec",
            detail="code",
            source="unknown",
            note=f"{call.prog} {how} with a command built at run time",
        )
        return
    command = "".join(pieces)
    if UNKNOWN in command:
        call.fact(
            "exec",
            detail="code",
            source="unknown",
            note=f"{call.prog} {how} runs {display(command)[:60]}",
        )
    call.shell(command.replace(UNKNOWN, " " + UNKNOWN + " ") if UNKNOWN in command else command)


def _open_call(call: Call, text: str, lang: str) -> None:
    literals = _literals(text)
    if not literals:
        return
    modes = [
        lit for lit in literals if re.fullmatch(r"\+?[<>]{1,2}|\||-\||\|-|[rwaxb+]{1,3}(:.*)?", lit)
    ]
    paths = [lit for lit in literals if lit not in modes]
    mode = modes[0] if modes else ""
    for lit in paths[:1]:
        if lit.startswith("|") or lit.endswith("|"):
            _run_text(call, '"' + lit.strip("|") + '"', "open pipe")
            return
        m = re.match(r"^\s*(\+?>{1,2}|\+?<)\s*(.*)$", lit)
        if m:
            if ">" in m.group(1):
                call.write(m.group(2) or UNKNOWN)
            else:
                call.read(m.group(2))
            return
        if mode in ("|", "-|", "|-"):
            _run_text(call, '"' + lit + '"', "open pipe")
        elif any(c in mode for c in ">wax+"):
            call.write(lit)
        else:
            call.read(lit)


def _argument_text(code: str, start: int, paren: bool, limit: int = 400) -> str:
    """The text of a call's arguments from `start` (at '(' when paren) to its closing ')'."""
    if not paren:
        end = code.find(";", start)
        nl = code.find("\n", start)
        stops = [p for p in (end, nl) if p >= 0]
        return code[start : min(stops) if stops else min(len(code), start + limit)]
    depth = 0
    i = start
    quote = ""
    while i < len(code) and i < start + 4000:
        ch = code[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return code[start + 1 : i]
        i += 1
    return code[start + 1 : i]


def _literals(text: str) -> list[str]:
    return [
        _unescape(m.group(1) if m.group(1) is not None else m.group(2) or "")
        for m in _STRING.finditer(text)
    ]


def _first_literal(text: str) -> str | None:
    """The path a call names: its first string literal, with run-time parts marked."""
    m = _STRING.search(text)
    if m is None:
        return None
    literal = _unescape(m.group(1) if m.group(1) is not None else m.group(2) or "")
    before = text[: m.start()]
    if re.search(r"[\w\])$]\s*(\.|\+|,)\s*$", before) and "(" not in before[-2:]:
        literal = UNKNOWN + literal
    after = text[m.end() :].lstrip()
    if re.match(r"^(\.|\+)\s*[\w$(]", after):
        literal += UNKNOWN
    return literal


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)
