"""What each known program does with its arguments: reads, writes, deletes, runs, connects."""

from __future__ import annotations

import base64
import binascii
import posixpath
import re

from cockpit.policy.context import (
    HANDLERS,
    SECRET_NAME,
    Call,
    ansi_c,
    canonical,
    handles,
    plain_pager,
)
from cockpit.policy.facts import OPAQUE, UNKNOWN, Fact, Stream, display
from cockpit.policy.options import parse

OPAQUE_OUT = Stream(None, "pipe", opaque=True)
SHELLS = ("sh", "bash", "dash", "zsh", "ksh", "ash", "fish", "rbash", "mksh", "tcsh", "csh")


# --------------------------------------------------------------------------- helpers
def _reads(call: Call, operands: list[str]) -> None:
    for word in operands:
        call.read(word)


def _static(call: Call, text: str) -> Stream:
    if UNKNOWN in text:
        return Stream(None, "pipe", opaque="/" not in text.replace(UNKNOWN, ""))
    return Stream(text, "literal")


def _cat_stream(call: Call, operands: list[str]) -> Stream | None:
    """cat's output: stdin, a file written earlier in the command, or a file on disk."""
    if not operands:
        return call.stdin
    if len(operands) == 1 and operands[0] != "-":
        loc = call.loc(operands[0])
        if loc.path in call.an.vfiles:
            return call.an.vfiles[loc.path]
        return Stream(None, "file", path=loc.path)
    texts: list[str] = []
    for word in operands:
        vf = call.an.vfiles.get(call.loc(word).path)
        if vf is None or vf.text is None:
            return Stream(None, "pipe")
        texts.append(vf.text)
    return Stream("".join(texts), "literal")


# --------------------------------------------------------------- reading commands
# program -> (letters whose short option takes a value, long options taking a value,
#             options whose value is a path written, options whose value is a path read,
#             how many leading operands are not paths)
_READERS: dict[str, tuple[str, frozenset[str], frozenset[str], frozenset[str], int]] = {}


def _reader(
    names: str,
    short: str = "",
    long: tuple[str, ...] = (),
    out: tuple[str, ...] = (),
    inp: tuple[str, ...] = (),
    skip: int = 0,
) -> None:
    for name in names.split():
        _READERS[name] = (short, frozenset(long), frozenset(out), frozenset(inp), skip)
        HANDLERS[name] = _read_handler


_LISTERS = frozenset({"ls", "dir", "vdir", "du", "stat", "tree", "file"})


def _read_handler(call: Call) -> Stream | None:
    short, long, out, inp, skip = _READERS[call.prog]
    opts = parse(call.args, short, long)
    for name in out:
        for value in opts.get(name):
            call.write(value)
    for name in inp:
        for value in opts.get(name):
            call.read(value)
    operands = opts.operands
    if call.prog in ("grep", "egrep", "fgrep", "zgrep", "rg", "ag", "ack") and (
        opts.has("-e", "--regexp", "-f", "--file")
    ):
        skip = 0
    listing = call.prog in _LISTERS
    recursive = call.prog in ("rg", "ag", "ack") or opts.has(
        "-r", "-R", "--recursive", "--dereference-recursive"
    )
    for word in operands[skip:]:
        call.read(word, detail="list" if listing else "", recursive=recursive)
    if call.prog in ("grep", "egrep", "fgrep", "rg", "ls", "du"):
        roots = tuple(call.loc(w).path for w in operands[skip:]) or (call.scope.cwd,)
        return Stream(None, "pipe", roots=roots)
    if call.prog in ("wc", "du", "stat", "md5sum", "sha1sum", "sha256sum", "sha512sum", "cksum"):
        return OPAQUE_OUT
    if call.prog in ("head", "tail", "sort", "uniq", "cut", "tr", "fold", "tac") and not operands:
        return call.stdin
    return None


_reader("cat tac nl less more file strings od hexdump zcat bzcat xzcat zstdcat lz4cat zless zmore")
_reader("head tail", "ncs", ("--lines", "--bytes", "--sleep-interval", "--pid"))
_reader("wc", "", ("--files0-from",), inp=("--files0-from",))
# fmt: off
_reader(
    "ls dir vdir",
    "IwT",
    (
        "--hide", "--ignore", "--width", "--tabsize", "--format", "--sort", "--time", "--color",
        "--block-size", "--time-style", "--quoting-style", "--indicator-style",
    ),
)
# fmt: on
# fmt: off
_reader(
    "du",
    "dBtX",
    (
        "--max-depth", "--block-size", "--threshold", "--exclude", "--time-style",
        "--exclude-from", "--files0-from",
    ),
    inp=("-X", "--exclude-from", "--files0-from"),
)
# fmt: on
_reader("stat", "c", ("--format", "--printf"))
_reader(
    "md5sum sha1sum sha224sum sha256sum sha384sum sha512sum b2sum cksum sum shasum",
    "a",
    ("--algorithm",),
)
_reader("column", "sotcNRlCWEHdr", ("--separator", "--output-separator", "--table-columns"))
_reader("fold fmt", "wgp", ("--width",))
_reader("expand unexpand", "t", ("--tabs",))
_reader("paste", "d", ("--delimiters",))
_reader("join", "tjeo12a", ("--check-order",))
# fmt: off
_reader(
    "comm cmp diff sdiff colordiff",
    "UCFLxXIin",
    (
        "--label", "--exclude", "--exclude-from", "--ignore-matching-lines", "--unified",
        "--context", "--from-file", "--to-file", "--ignore-files", "--horizon-lines", "--color",
        "--palette", "--width",
    ),
)
# fmt: on
_reader(
    "cut", "dfbcs", ("--delimiter", "--fields", "--bytes", "--characters", "--output-delimiter")
)
_reader("tr", "", (), skip=99)
_reader("readlink realpath", "", ("--relative-to", "--relative-base"))
# fmt: off
_reader(
    "grep egrep fgrep zgrep",
    "efmABCDd",
    (
        "--regexp", "--file", "--max-count", "--after-context", "--before-context", "--context",
        "--include", "--exclude", "--exclude-dir", "--exclude-from", "--label", "--binary-files",
        "--devices", "--directories", "--color", "--colour",
    ),
    inp=("-f", "--file"),
    skip=1,
)
# fmt: on
# fmt: off
_reader(
    "rg",
    "egtTmABCMjE",
    (
        "--regexp", "--file", "--glob", "--iglob", "--type", "--type-not", "--max-count",
        "--after-context", "--before-context", "--context", "--max-columns", "--threads",
        "--encoding", "--sort", "--sortr", "--type-add", "--max-depth", "--max-filesize",
        "--replace", "--colors", "--color", "--pre", "--ignore-file",
    ),
    inp=("-f", "--file"),
    skip=1,
)
# fmt: on
_reader("ag ack", "GmABC", ("--ignore", "--file-search-regex", "--max-count"), skip=1)
_reader("xxd", "cglsoC", ())
_reader(
    "tree", "LPIoH", ("--filelimit", "--timefmt", "--charset", "--sort", "--fromfile"), out=("-o",)
)
_reader("iconv", "fto", ("--from-code", "--to-code", "--output"), out=("-o", "--output"))
_reader(
    "csvlook csvstat csvcut csvgrep csvsort csvjson csvformat in2csv csvclean xsv",
    "cdqemrSKz",
    ("--columns", "--delimiter", "--match", "--regex", "--sheet"),
)
_reader("look", "t", (), skip=1)
_reader("shuf", "nore", ("--head-count", "--output", "--random-source"), out=("-o", "--output"))
_reader("numfmt", "", ("--from", "--to", "--format", "--field", "--suffix", "--padding"))
_reader("strings", "nte", ())
_reader("file", "mPeF", ())
_reader("pr", "wlhoN", ())


@handles("sort")
def _sort(call: Call) -> Stream | None:
    opts = parse(call.args, "kotTS", {"--key", "--field-separator", "--output", "--buffer-size",
        "--temporary-directory", "--parallel", "--files0-from", "--compress-program",
        "--random-source", "--batch-size"})  # fmt: skip
    for value in opts.get("-o", "--output"):
        call.write(value)
    for value in opts.get("--compress-program"):
        call.run([value])
    _reads(call, opts.operands + opts.get("--files0-from"))
    return None if opts.get("-o", "--output") else (call.stdin if not opts.operands else None)


@handles("uniq")
def _uniq(call: Call) -> Stream | None:
    opts = parse(
        call.args,
        "fsw",
        {"--skip-fields", "--skip-chars", "--check-chars", "--group", "--all-repeated"},
    )
    if opts.operands:
        call.read(opts.operands[0])
    if len(opts.operands) > 1:
        call.write(opts.operands[1])
    return None


@handles("split", "csplit")
def _split(call: Call) -> Stream | None:
    opts = parse(call.args, "lbCnatfk", {"--lines", "--bytes", "--line-bytes", "--number",
        "--suffix-length", "--additional-suffix", "--separator", "--filter", "--prefix",
        "--suffix-format", "--digits"})  # fmt: skip
    for value in opts.get("--filter"):
        call.shell(value)
    ops = opts.operands
    if call.prog == "csplit":
        if ops:
            call.read(ops[0])
        call.write((opts.first("-f", "--prefix") or "xx") + OPAQUE)
        return None
    if ops:
        call.read(ops[0])
    call.write((ops[1] if len(ops) > 1 else "x") + OPAQUE)
    return None


# ------------------------------------------------------------------- text producers
@handles("echo")
def _echo(call: Call) -> Stream | None:
    _printed_secrets(call, call.an.word_refs)
    args = list(call.args)
    interpret = False
    newline = True
    while args and re.fullmatch(r"-[neE]+", args[0]):
        interpret = interpret or "e" in args[0]
        newline = newline and "n" not in args[0]
        args.pop(0)
    text = " ".join(args)
    if interpret:
        text = _escapes(text)
    return _static(call, text + ("\n" if newline else ""))


@handles("printf")
def _printf(call: Call) -> Stream | None:
    _printed_secrets(call, call.an.word_refs)
    args = list(call.args)
    var = None
    if len(args) >= 2 and args[0] == "-v":
        var = args[1]
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        return None
    text = _format(args[0], args[1:])
    if var:
        call.scope.env[var] = text
        return None
    return _static(call, text)


def _printed_secrets(call: Call, names: list[str]) -> None:
    for name in dict.fromkeys(names):
        call.fact("read", detail="secret-env", note=f"${name}")


@handles("printenv")
def _printenv(call: Call) -> Stream | None:
    _printed_secrets(call, [a for a in call.args if SECRET_NAME.search(a)])
    return OPAQUE_OUT


def _escapes(text: str) -> str:
    return ansi_c(text)


def _format(fmt: str, args: list[str]) -> str:
    out: list[str] = []
    it = iter(args)
    first = True
    remaining = list(args)
    while first or remaining:
        first = False
        consumed = 0

        def sub(m: re.Match[str]) -> str:
            nonlocal consumed
            spec = m.group(0)
            if spec == "%%":
                return "%"
            consumed += 1
            value = next(it, "")
            if spec.endswith("b"):
                return _escapes(value)
            if spec[-1] in "di":
                return value if value.lstrip("-").isdigit() else OPAQUE
            return value

        out.append(_escapes(re.sub(r"%[-+ 0#]*\d*(?:\.\d+)?[sbdiqxXoucfgeE%]", sub, fmt)))
        remaining = remaining[consumed:] if consumed else []
    return "".join(out)


@handles("cat")
def _cat(call: Call) -> Stream | None:
    opts = parse(call.args)
    _reads(call, opts.operands)
    return _cat_stream(call, opts.operands)


@handles("tee")
def _tee(call: Call) -> Stream | None:
    opts = parse(call.args, "", {"--output-error"})
    append = opts.has("-a", "--append")
    for word in opts.operands:
        call.write(word, detail="append" if append else "truncate")
        loc = call.loc(word)
        if call.stdin is not None:
            call.an.vfiles[loc.path] = call.stdin
    return call.stdin


@handles("sponge")
def _sponge(call: Call) -> Stream | None:
    opts = parse(call.args)
    for word in opts.operands:
        call.write(word)
    return None


@handles("base64", "basenc", "base32")
def _base64(call: Call) -> Stream | None:
    opts = parse(call.args, "w", {"--wrap"})
    _reads(call, opts.operands)
    if not opts.has("-d", "--decode", "-D"):
        return OPAQUE_OUT
    text, _ = call.stdin_text()
    if opts.operands:
        text = call.an.read_file(call.loc(opts.operands[0]).path)
    if text is not None:
        try:
            decoded = base64.b64decode("".join(text.split()) + "==", validate=False)
            return Stream(decoded.decode("utf-8", "replace"), "decoded")
        except (binascii.Error, ValueError):
            pass
    return Stream(None, "decoded")


@handles("xxd")
def _xxd(call: Call) -> Stream | None:
    opts = parse(call.args, "cglsoCn", set())
    ops = opts.operands
    if ops:
        call.read(ops[0])
    if len(ops) > 1:
        call.write(ops[1])
    if not opts.has("-r"):
        return None
    text, _ = call.stdin_text()
    if text is not None and opts.has("-p", "-ps"):
        try:
            return Stream(
                bytes.fromhex("".join(text.split())).decode("utf-8", "replace"), "decoded"
            )
        except ValueError:
            pass
    return Stream(None, "decoded")


@handles("rev")
def _rev(call: Call) -> Stream | None:
    _reads(call, call.args)
    text, _ = call.stdin_text()
    if text is None or call.args:
        return Stream(None, "decoded")
    return Stream("\n".join(line[::-1] for line in text.split("\n")), "decoded")


@handles("tr")
def _tr(call: Call) -> Stream | None:
    opts = parse(call.args)
    text, _ = call.stdin_text()
    ops = opts.operands
    if text is None:
        return Stream(None, "decoded") if call.stdin and call.stdin.source == "decoded" else None
    if opts.flags or len(ops) != 2:
        return Stream(None, "decoded")
    a, b = _tr_set(ops[0]), _tr_set(ops[1])
    if not a or not b:
        return Stream(None, "decoded")
    b = b + b[-1] * (len(a) - len(b))
    return Stream(text.translate(str.maketrans(a, b[: len(a)])), "decoded")


def _tr_set(spec: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


@handles("pwd")
def _pwd(call: Call) -> Stream | None:
    return _static(call, call.scope.cwd + "\n")


@handles("basename")
def _basename(call: Call) -> Stream | None:
    ops = [a for a in call.args if not a.startswith("-")]
    if not ops:
        return None
    name = ops[0].rstrip("/").rsplit("/", 1)[-1]
    if len(ops) > 1 and name.endswith(ops[1]):
        name = name[: -len(ops[1])]
    return _static(call, name + "\n")


@handles("dirname")
def _dirname(call: Call) -> Stream | None:
    ops = [a for a in call.args if not a.startswith("-")]
    if not ops or UNKNOWN in ops[0]:
        return None
    return _static(call, posixpath.dirname(ops[0].rstrip("/")) or "." + "\n")


# fmt: off
for _name in (
    "date", "nproc", "whoami", "id", "uname", "hostname", "seq", "expr", "uptime", "getconf",
    "arch", "tty", "logname",  "locale", "groups", "users", "jobs",
):
    HANDLERS[_name] = lambda call: OPAQUE_OUT
# fmt: on


@handles("mktemp")
def _mktemp(call: Call) -> Stream | None:
    opts = parse(call.args, "p", {"--tmpdir", "--suffix"})
    folder = opts.first("-p", "--tmpdir")
    template = opts.operands[0] if opts.operands else ""
    if folder is None:
        if "/" in template:
            folder = posixpath.dirname(template)
        elif template and not opts.has("-t", "--tmpdir"):
            folder = call.scope.cwd
        else:
            folder = call.an.lookup("TMPDIR", call.scope)
    path = folder.rstrip("/") + "/tmp." + OPAQUE
    call.an.temp_paths.add(call.loc(path).path)
    call.write(path, detail="temp")
    return Stream(path + "\n", "literal")


# ------------------------------------------------------------ filesystem changes
@handles("rm", "unlink", "rmdir", "srm")
def _rm(call: Call) -> Stream | None:
    opts = parse(call.args, "", {"--interactive"})
    recursive = opts.has("-r", "-R", "--recursive")
    force = opts.has("-f", "--force")
    if opts.has("--no-preserve-root"):
        call.fact(
            "delete",
            detail="no-preserve-root",
            path="/",
            where="outside",
            recursive=True,
            force=True,
            tags=frozenset({"contains-workspace"}),
        )
    for word in opts.operands:
        call.delete(word, recursive=recursive, force=force, detail=call.prog)
    return None


@handles("shred", "wipe")
def _shred(call: Call) -> Stream | None:
    opts = parse(call.args, "nsx", {"--iterations", "--size", "--random-source", "--remove"})
    for word in opts.operands:
        call.delete(word, force=True, detail="shred")
        call.write(word, detail="overwrite")
    return None


def _copy_like(call: Call, move: bool) -> None:
    opts = parse(call.args, "tSZ", {"--target-directory", "--suffix", "--backup", "--reflink",
        "--preserve", "--no-preserve", "--sparse", "--context", "--update"})  # fmt: skip
    target = opts.first("-t", "--target-directory")
    ops = opts.operands
    if target is None:
        if len(ops) < 2:
            for word in ops:
                call.read(word)
            return
        target, sources = ops[-1], ops[:-1]
    else:
        sources = ops
    recursive = move or opts.has("-r", "-R", "-a", "--recursive", "--archive")
    for word in sources:
        call.read(word, recursive=recursive)
        if move:
            call.write(word, detail="move-from")
    call.write(target, detail="move" if move else "copy", recursive=recursive)


@handles("cp")
def _cp(call: Call) -> Stream | None:
    _copy_like(call, move=False)
    return None


@handles("mv")
def _mv(call: Call) -> Stream | None:
    _copy_like(call, move=True)
    return None


@handles("install")
def _install(call: Call) -> Stream | None:
    opts = parse(
        call.args,
        "mogtSZ",
        {"--mode", "--owner", "--group", "--target-directory", "--suffix", "--backup"},
    )
    if opts.has("-d", "--directory"):
        for word in opts.operands:
            call.write(word, detail="mkdir")
        return None
    target = opts.first("-t", "--target-directory")
    ops = opts.operands
    if target is None and len(ops) >= 2:
        target, ops = ops[-1], ops[:-1]
    _reads(call, ops)
    if target:
        call.write(target, detail="install")
    return None


@handles("ln", "link")
def _ln(call: Call) -> Stream | None:
    opts = parse(call.args, "tS", {"--target-directory", "--suffix", "--backup"})
    target = opts.first("-t", "--target-directory")
    ops = opts.operands
    if target is not None:
        links = [target.rstrip("/") + "/" + w.rstrip("/").rsplit("/", 1)[-1] for w in ops]
        sources = ops
    elif len(ops) >= 2:
        links, sources = [ops[-1]], ops[:-1]
    elif ops:
        links, sources = [ops[0].rstrip("/").rsplit("/", 1)[-1]], ops
    else:
        return None
    for link in links:
        call.write(link, detail="link")
    # A symbolic link's relative target is relative to the link's folder.
    base = posixpath.dirname(call.loc(links[0]).path) if opts.has("-s", "--symbolic") else None
    for source in sources:
        call.write(source, detail="link-target", cwd=base)
    return None


@handles("touch")
def _touch(call: Call) -> Stream | None:
    opts = parse(call.args, "dtr", {"--date", "--reference", "--time"})
    for word in opts.operands:
        call.write(word, detail="touch")
    return None


@handles("mkdir")
def _mkdir(call: Call) -> Stream | None:
    opts = parse(call.args, "mZ", {"--mode", "--context"})
    for word in opts.operands:
        call.write(word, detail="mkdir")
    return None


@handles("truncate", "fallocate")
def _truncate(call: Call) -> Stream | None:
    opts = parse(call.args, "srlo", {"--size", "--reference", "--length", "--offset"})
    for value in opts.get("-r", "--reference"):
        call.read(value)
    for word in opts.operands:
        call.write(word, detail="truncate")
    return None


@handles("dd")
def _dd(call: Call) -> Stream | None:
    wrote = False
    for arg in call.args:
        key, eq, value = arg.partition("=")
        if not eq:
            continue
        if key == "if":
            call.read(value)
        elif key == "of":
            call.write(value, detail="overwrite")
            wrote = True
    return None if wrote else Stream(None, "pipe")


@handles("chmod", "chown", "chgrp", "chattr", "setfacl", "chcon")
def _chmod(call: Call) -> Stream | None:
    opts = parse(call.args, "mMxXnb" if call.prog == "setfacl" else "", {"--reference", "--from",
        "--modify", "--remove", "--set", "--set-file", "--modify-file"})  # fmt: skip
    ops = opts.operands
    # chmod with a mode like -w or +x given first: parse() may take "-w" as flags; fine.
    if call.prog != "setfacl" and not opts.get("--reference") and ops:
        mode, ops = ops[0], ops[1:]
    else:
        mode = ""
    recursive = opts.has("-R", "--recursive")
    detail = ""
    if call.prog == "chmod" and (
        re.search(r"[ug]?\+[rwx]*s", mode) or re.fullmatch(r"[2-7][0-7]{3}", mode)
    ):
        detail = "setuid"
    elif call.prog == "chmod" and (
        mode.endswith("777") or mode in ("a+rwx", "o+w", "a+w", "ugo+rwx")
    ):
        detail = "world-writable"
    for word in ops:
        loc = call.loc(word)
        call.fact(
            "permissions",
            detail=detail or call.prog,
            path=loc.path,
            where=loc.where,
            recursive=recursive,
            tags=loc.tags,
            note=mode,
        )
    return None


@handles("sed")
def _sed(call: Call) -> Stream | None:
    opts = parse(
        call.args,
        "efl",
        {"--expression", "--file", "--line-length"},
        optional_attached="i",
    )
    scripts = opts.get("-e", "--expression")
    for value in opts.get("-f", "--file"):
        call.read(value)
        text = call.an.read_file(call.loc(value).path)
        if text is not None:
            scripts.append(text)
        else:
            call.fact("exec", detail="code", source="file", note="sed script from a file")
    ops = opts.operands
    if not scripts and not opts.get("-f", "--file") and ops:
        scripts, ops = [ops[0]], ops[1:]
    in_place = opts.has("-i", "--in-place")
    for script in scripts:
        _sed_script(call, script)
    for word in ops:
        if in_place:
            call.write(word, detail="in-place")
        else:
            call.read(word)
    text, _ = call.stdin_text()
    return Stream(None, "decoded") if text is not None or not ops else None


_SED_ADDRESS = r"(?:\d+|\$|/(?:[^/\\]|\\.)*/)"
_SED_COMMAND = re.compile(
    r"(?:^|[;\n{}])\s*" + _SED_ADDRESS + r"?(?:," + _SED_ADDRESS + r")?!?\s*([ewWrR])\b ?([^;\n}]*)"
)


def _sed_script(call: Call, script: str) -> None:
    if UNKNOWN in script:
        call.fact("exec", detail="code", source="unknown", note="sed script only known at run time")
        return
    for m in re.finditer(
        _SED_COMMAND,
        script,
    ):
        cmd, arg = m.group(1), m.group(2).strip()
        if cmd == "e":
            if arg:
                call.shell(arg)
            else:
                call.fact("exec", detail="code", source="unknown", note="sed e runs pattern space")
        elif cmd in "wW" and arg:
            call.write(arg) if arg not in ("/dev/stdout", "/dev/stderr") else None
        elif cmd in "rR" and arg:
            call.read(arg)
    for m in re.finditer(r"(?:^|[;\n{}\s])s(.)", script):
        delim = m.group(1)
        if delim.isalnum() or delim in " \\\n;":
            continue
        rest = script[m.end() :]
        parts: list[str] = []
        buf: list[str] = []
        i = 0
        while i < len(rest) and len(parts) < 2:
            ch = rest[i]
            if ch == "\\" and i + 1 < len(rest):
                buf.append(rest[i : i + 2])
                i += 2
                continue
            if ch == delim:
                parts.append("".join(buf))
                buf = []
            else:
                buf.append(ch)
            i += 1
        if len(parts) < 2:
            continue
        flags = re.match(r"[gpiImMeE0-9]*(w\s*[^;\n}]*)?", rest[i:])
        if flags:
            text = flags.group(0)
            if "e" in text.split("w", 1)[0]:
                call.fact(
                    "exec",
                    detail="code",
                    source="unknown",
                    note="sed s///e runs the result as a command",
                )
            if flags.group(1):
                target = flags.group(1)[1:].strip()
                if target and target not in ("/dev/stdout", "/dev/stderr"):
                    call.write(target)


@handles("patch")
def _patch(call: Call) -> Stream | None:
    opts = parse(call.args, "pioFdrBDVzYg", {"--strip", "--input", "--output", "--fuzz",
        "--directory", "--reject-file", "--prefix", "--ifdef", "--version-control", "--suffix",
        "--basename-prefix", "--get", "--quoting-style"})  # fmt: skip
    folder = opts.first("-d", "--directory")
    cwd = call.loc(folder).path if folder else call.scope.cwd
    ops = opts.operands
    text: str | None = None
    patch_file = opts.first("-i", "--input") or (ops[1] if len(ops) > 1 else None)
    if patch_file:
        loc = call.read(patch_file)
        text = call.an.read_file(loc.path) if loc else None
    else:
        text, _ = call.stdin_text()
    dry = opts.has("--dry-run", "-C", "--check")
    for value in opts.get("-o", "--output", "-r", "--reject-file"):
        if value != "-":
            call.write(value, cwd=cwd)
    if dry:
        return None
    if ops:
        call.write(ops[0], cwd=cwd, detail="patch")
        return None
    strip = opts.first("-p", "--strip")
    if text is None:
        call.write(UNKNOWN, cwd=cwd, detail="patch")
        return None
    for target in _patch_targets(text, strip):
        call.write(target, cwd=cwd, detail="patch")
    return None


def _patch_targets(text: str, strip: str | None) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        if line.startswith(("+++ ", "*** ")) and not line.startswith("*** ***"):
            name = line[4:].split("\t")[0].strip()
            if name == "/dev/null" or not name:
                continue
            if strip is None:
                name = name.rsplit("/", 1)[-1]
            elif strip.isdigit():
                parts = name.split("/")
                n = int(strip)
                name = "/".join(parts[n:]) if n < len(parts) else parts[-1]
            out.append(name)
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------- archives
_TAR_VALUE = set("fCTXbHVKLNgI")
_TAR_LONG = {"--file", "--directory", "--files-from", "--exclude-from", "--exclude",
    "--blocking-factor", "--format", "--label", "--starting-file", "--tape-length",
    "--newer", "--after-date", "--listed-incremental", "--use-compress-program", "--to-command",
    "--transform", "--xform", "--owner", "--group", "--mode", "--mtime", "--strip-components",
    "--checkpoint-action", "--index-file", "--rsh-command", "--info-script", "--new-volume-script",
    "--volno-file", "--suffix", "--backup", "--occurrence", "--record-size", "--exclude-tag",
    "--add-file"}  # fmt: skip


@handles("tar")
def _tar(call: Call) -> Stream | None:
    args = list(call.args)
    if args and not args[0].startswith("-") and re.fullmatch(r"[a-zA-Z]+", args[0]):
        args[0] = "-" + args[0]  # tar xzf archive
    opts = parse(args, "".join(_TAR_VALUE), _TAR_LONG)
    mode = next(
        (m for f, m in (("-x", "x"), ("--extract", "x"), ("--get", "x"), ("-c", "c"),
         ("--create", "c"), ("-t", "t"), ("--list", "t"), ("-r", "r"), ("--append", "r"),
         ("-u", "u"), ("--update", "u"), ("-A", "r"), ("--delete", "r"), ("-d", "t"),
         ("--diff", "t")) if opts.has(f)),
        "",
    )  # fmt: skip
    folder = opts.first("-C", "--directory")
    cwd = call.loc(folder).path if folder else call.scope.cwd
    archive = opts.first("-f", "--file")
    # fmt: off
    for prog in opts.get(
        "-I", "--use-compress-program", "--to-command", "--rsh-command", "--info-script",
        "--new-volume-script",
    ):
        call.shell(prog)
    # fmt: on
    for action in opts.get("--checkpoint-action"):
        if action.startswith("exec="):
            call.shell(action[5:])
    for value in opts.get("-T", "--files-from", "-X", "--exclude-from"):
        call.read(value)
    for value in opts.get("-g", "--listed-incremental"):
        call.write(value)
    if mode == "x":
        if archive:
            call.read(archive)
        if opts.has("-O", "--to-stdout"):
            return Stream(None, "pipe")
        if opts.has("-P", "--absolute-names"):
            call.write(UNKNOWN, detail="extract", recursive=True, cwd=cwd)
        call.write(".", detail="extract", recursive=True, cwd=cwd)
        return None
    if mode in ("c", "r", "u"):
        if archive and archive != "-":
            call.write(archive, detail="archive")
        for word in opts.operands:
            call.read(word, cwd=cwd, recursive=True)
        return None if archive and archive != "-" else Stream(None, "pipe")
    if archive:
        call.read(archive)
    return None


@handles("unzip")
def _unzip(call: Call) -> Stream | None:
    opts = parse(call.args, "dPx", set())
    ops = opts.operands
    if ops:
        call.read(ops[0])
    if opts.has("-l", "-t", "-v", "-Z", "-z", "-p", "-c"):
        return None
    target = opts.first("-d") or "."
    call.write(target, detail="extract", recursive=True)
    return None


@handles("zip")
def _zip(call: Call) -> Stream | None:
    opts = parse(
        call.args,
        "PbtOnxiZ",
        {"--password", "--temp-path", "--out", "--exclude", "--include", "--suffixes"},
    )
    ops = opts.operands
    if ops:
        call.write(ops[0], detail="archive")
    for value in opts.get("-O", "--out"):
        call.write(value, detail="archive")
    for word in ops[1:]:
        call.read(word)
        if opts.has("-m", "--move"):
            call.delete(word, recursive=opts.has("-r", "-R"), detail="zip -m")
    return None


@handles("7z")
def _7z(call: Call) -> Stream | None:
    if not call.args:
        return None
    verb = call.args[0]
    rest = call.args[1:]
    ops = [a for a in rest if not a.startswith("-")]
    out = next((a[2:] for a in rest if a.startswith("-o")), ".")
    if verb in ("x", "e"):
        if ops:
            call.read(ops[0])
        call.write(out or ".", detail="extract", recursive=True)
    elif verb in ("a", "u", "d", "rn"):
        if ops:
            call.write(ops[0], detail="archive")
        _reads(call, ops[1:])
    else:
        _reads(call, ops[:1])
    return None


# fmt: off
@handles(
    "gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz", "zstd", "unzstd", "lz4", "unlz4",
    "compress", "uncompress", "pigz", "lzma", "unlzma", "brotli",
)
def _compress(call: Call) -> Stream | None:
    opts = parse(call.args, "So", {"--suffix", "--output"})
    to_stdout = opts.has("-c", "--stdout", "--to-stdout", "-l", "--list", "-t", "--test")
    for value in opts.get("-o", "--output"):
        call.write(value)
        to_stdout = True
    for word in opts.operands:
        if to_stdout:
            call.read(word)
        else:
            call.write(word, detail="compress", recursive=opts.has("-r", "--recursive"))
    if not opts.operands:
        return Stream(None, "decoded")
    return Stream(None, "decoded") if to_stdout else None
# fmt: on


@handles("cpio")
def _cpio(call: Call) -> Stream | None:
    opts = parse(
        call.args,
        "DFHEIMORC",
        {"--directory", "--file", "--format", "--pattern-file", "--owner", "--block-size"},
    )
    folder = opts.first("-D", "--directory")
    cwd = call.loc(folder).path if folder else call.scope.cwd
    if opts.has("-i", "--extract"):
        if not opts.has("--no-absolute-filenames"):
            call.write(UNKNOWN, detail="extract", recursive=True, cwd=cwd)
        call.write(".", detail="extract", recursive=True, cwd=cwd)
    elif opts.has("-p", "--pass-through") and opts.operands:
        call.write(opts.operands[0], detail="extract", recursive=True, cwd=cwd)
    return None


# ----------------------------------------------------------------------- find
_FIND_TESTS = {"-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex",
    "-iregex", "-type", "-xtype", "-mtime", "-mmin", "-atime", "-amin", "-ctime", "-cmin",
    "-newer", "-anewer", "-cnewer", "-newermt", "-size", "-user", "-group", "-uid", "-gid",
    "-perm", "-empty", "-lname", "-ilname", "-links", "-inum", "-samefile", "-used",
    "-nouser", "-nogroup", "-readable", "-writable", "-executable", "-context"}  # fmt: skip
_FIND_VALUE = _FIND_TESTS - {"-empty", "-nouser", "-nogroup", "-readable", "-writable",
    "-executable"} | {"-maxdepth", "-mindepth", "-printf", "-fprint", "-fprint0", "-fprintf",
    "-fls", "-regextype", "-files0-from"}  # fmt: skip


@handles("find")
def _find(call: Call) -> Stream | None:
    args = list(call.args)
    i = 0
    while i < len(args) and args[i] in ("-H", "-L", "-P", "-O0", "-O1", "-O2", "-O3", "-D"):
        i += 2 if args[i] == "-D" else 1
    roots: list[str] = []
    while i < len(args) and not args[i].startswith(("-", "(", "!", ")")) and args[i] not in (",",):
        roots.append(args[i])
        i += 1
    if not roots:
        roots = ["."]
    expr = args[i:]
    filtered = any(a in _FIND_TESTS for a in expr)
    for root in roots:
        call.read(root, detail="list")
    j = 0
    while j < len(expr):
        a = expr[j]
        if a == "-delete":
            for root in roots:
                call.delete(
                    root, recursive=True, force=True, filtered=filtered, detail="find -delete"
                )
        elif a in ("-exec", "-execdir", "-ok", "-okdir"):
            end = j + 1
            while end < len(expr) and expr[end] not in (";", "+"):
                end += 1
            words = expr[j + 1 : end]
            for root in roots:
                item = root if not filtered else root.rstrip("/") + "/" + OPAQUE
                inner = [w.replace("{}", item) for w in words]
                if inner:
                    call.run(inner, stdin=Stream(None, "terminal"))
            j = end
        elif a in ("-fprint", "-fprint0", "-fprintf", "-fls") and j + 1 < len(expr):
            call.write(expr[j + 1])
            j += 1
        elif a in _FIND_VALUE:
            j += 1
        j += 1
    root_paths = tuple(call.loc(r).path for r in roots)
    return Stream(None, "pipe", roots=root_paths)


# ------------------------------------------------------------- shells and wrappers
@handles(*SHELLS)
def _shell(call: Call) -> Stream | None:
    args = list(call.args)
    command: str | None = None
    i = 0
    read_stdin = False
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if a in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            i += 2
            continue
        if a.startswith("--"):
            i += 1
            continue
        if a.startswith(("-", "+")) and len(a) > 1 and not a.startswith(UNKNOWN):
            if "c" in a[1:]:
                command = args[i + 1] if i + 1 < len(args) else ""
                i += 2
                break
            if "s" in a[1:]:
                read_stdin = True
            i += 1
            continue
        break
    rest = args[i:]
    if command is not None:
        if UNKNOWN in command:
            call.fact(
                "exec",
                detail="code",
                source="unknown",
                note=f"{call.prog} -c with a string only known at run time",
            )
            return None
        return call.shell(command, stdin=call.stdin, positional=rest[1:])
    if rest and not read_stdin:
        return call.an.run_script(rest[0], rest[1:], call.scope, call.stdin, interpreter="sh")
    return _code_from_stdin(call, "sh")


def _code_from_stdin(call: Call, lang: str) -> Stream | None:
    """An interpreter reading its program from stdin: inspect it if it is known."""
    text, stream = call.stdin_text()
    if stream is None or stream.source == "terminal":
        call.fact(
            "exec", detail="shell", source="terminal", note=f"opens an interactive {call.prog}"
        )
        return None
    if text is None:
        where = stream.path and call.an.locate(stream.path, "/").where
        if stream.source == "file" and stream.path:
            call.fact(
                "exec",
                detail="script",
                source="file",
                path=stream.path,
                where=where or "",
                note=display(stream.path),
            )
            return None
        call.fact(
            "exec",
            detail="code",
            source=stream.source,
            note=f"{call.prog} runs code from {stream.source}",
        )
        return None
    if stream.source == "decoded":
        call.fact("exec", detail="decoded", source="decoded", note=f"{call.prog} runs decoded text")
    return call.an.run_code(call, lang, text)


@handles("eval")
def _eval(call: Call) -> Stream | None:
    text = " ".join(call.args)
    if UNKNOWN in text:
        call.fact(
            "exec", detail="code", source="unknown", note="eval of text only known at run time"
        )
        return None
    return call.shell(text)


@handles("source", ".")
def _source(call: Call) -> Stream | None:
    if not call.args:
        return None
    return call.an.run_script(call.args[0], call.args[1:], call.scope, call.stdin, interpreter="sh")


# fmt: off
@handles(
    "exec", "builtin", "nohup", "setsid", "unbuffer", "caffeinate", "catchsegv", "strace",
    "ltrace", "valgrind", "proxychains", "proxychains4", "torsocks", "nocache", "eatmydata",
    "faketime", "firejail", "chronic", "ifne",
)
def _wrapper(call: Call) -> Stream | None:
    value_opts = {
        "exec": "a",
        "strace": "eoOpsuPSEI",
        "ltrace": "eoOpsuS",
        "setsid": "",
        "faketime": "f",
    }.get(call.prog, "")
    opts = parse(call.args, value_opts, set(), stop=True)
    for value in opts.get("-o") if call.prog in ("strace", "ltrace") else []:
        call.write(value)
    if not opts.operands:
        return None
    if call.prog == "faketime" and len(opts.operands) > 1:
        return call.run(opts.operands[1:])
    return call.run(opts.operands)
# fmt: on


@handles("command")
def _command(call: Call) -> Stream | None:
    opts = parse(call.args, "", set(), stop=True)
    if opts.has("-v", "-V") or not opts.operands:
        return OPAQUE_OUT
    words = opts.operands
    prog = canonical(words[0])
    handler = HANDLERS.get(prog)
    inner = Call(call.an, prog, words[1:], call.scope, call.stdin)
    call.an.add(Fact("command", command=inner.words))
    return handler(inner) if handler else None


@handles("time")
def _time(call: Call) -> Stream | None:
    opts = parse(call.args, "fo", {"--format", "--output"}, stop=True)
    for value in opts.get("-o", "--output"):
        call.write(value)
    return call.run(opts.operands) if opts.operands else None


@handles("nice")
def _nice(call: Call) -> Stream | None:
    args = list(call.args)
    if args and re.fullmatch(r"-\d+", args[0]):
        args = args[1:]
    opts = parse(args, "n", {"--adjustment"}, stop=True)
    return call.run(opts.operands) if opts.operands else OPAQUE_OUT


@handles("timeout")
def _timeout(call: Call) -> Stream | None:
    opts = parse(call.args, "sk", {"--signal", "--kill-after"}, stop=True)
    return call.run(opts.operands[1:]) if len(opts.operands) > 1 else None


@handles("stdbuf")
def _stdbuf(call: Call) -> Stream | None:
    opts = parse(call.args, "ioe", {"--input", "--output", "--error"}, stop=True)
    return call.run(opts.operands) if opts.operands else None


@handles("ionice")
def _ionice(call: Call) -> Stream | None:
    opts = parse(call.args, "cnp", {"--class", "--classdata", "--pid"}, stop=True)
    return call.run(opts.operands) if opts.operands and not opts.has("-p", "--pid") else None


@handles("chrt", "taskset")
def _chrt(call: Call) -> Stream | None:
    opts = parse(call.args, "", set(), stop=True)
    if opts.has("-p", "--pid"):
        call.fact("process", detail="change")
        return None
    return call.run(opts.operands[1:]) if len(opts.operands) > 1 else None


@handles("flock")
def _flock(call: Call) -> Stream | None:
    opts = parse(call.args, "wEc", {"--timeout", "--conflict-exit-code", "--command"}, stop=True)
    ops = opts.operands
    if ops:
        call.write(ops[0], detail="lock")
    for cmd in opts.get("-c", "--command"):
        call.shell(cmd)
    return call.run(ops[1:]) if len(ops) > 1 else None


@handles("watch")
def _watch(call: Call) -> Stream | None:
    opts = parse(call.args, "nqd", {"--interval", "--differences"}, stop=True)
    if not opts.operands:
        return None
    if opts.has("-x", "--exec"):
        return call.run(opts.operands)
    return call.shell(" ".join(opts.operands))


@handles("env")
def _env(call: Call) -> Stream | None:
    args = list(call.args)
    scope = call.scope.copy()
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-i", "--ignore-environment", "-0", "--null", "-v", "--debug", "-"):
            if a in ("-i", "--ignore-environment", "-"):
                scope.env = {}
            i += 1
        elif a in ("-u", "--unset"):
            scope.env.pop(args[i + 1] if i + 1 < len(args) else "", None)
            i += 2
        elif a.startswith("--unset="):
            i += 1
        elif a in ("-C", "--chdir"):
            scope.cwd = call.loc(args[i + 1] if i + 1 < len(args) else UNKNOWN).path
            i += 2
        elif a in ("-S", "--split-string"):
            text = " ".join(args[i + 1 :])
            return call.an.script(text, scope, call.stdin)
        elif a.startswith("-S"):
            return call.an.script(a[2:] + " " + " ".join(args[i + 1 :]), scope, call.stdin)
        elif a == "--":
            i += 1
            break
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", a):
            name, _, value = a.partition("=")
            scope.env[name] = value
            i += 1
        elif a.startswith("-") and not a.startswith(UNKNOWN):
            i += 1
        else:
            break
    rest = args[i:]
    if not rest:
        return OPAQUE_OUT
    return call.run(rest, scope=scope)


@handles("sudo", "doas", "pkexec", "runuser", "run0")
def _sudo(call: Call) -> Stream | None:
    # fmt: off
    opts = parse(
        call.args,
        "ugUpCDrthTc" if call.prog != "pkexec" else "u",
        {
            "--user", "--group", "--other-user", "--prompt", "--close-from", "--chdir", "--role",
            "--type", "--host", "--command-timeout", "--login-class",
        },
        stop=True,
    )
    # fmt: on
    call.fact(
        "privilege", detail=call.prog, note=f"{call.prog} {display(' '.join(call.args))}"[:120]
    )
    scope = call.scope
    folder = opts.first("-D", "--chdir")
    if folder:
        scope = scope.copy()
        scope.cwd = call.loc(folder).path
    if opts.has("-e", "--edit"):
        for word in opts.operands:
            call.write(word, detail="sudoedit")
        return None
    # fmt: off
    if (
        opts.has(
            "-l", "--list", "-v", "--validate", "-k", "-K", "--reset-timestamp",
            "--remove-timestamp", "-V", "--version", "-h", "--help",
        )
        and not opts.operands
    ):
        return None
    # fmt: on
    if not opts.operands:
        if opts.has("-i", "--login", "-s", "--shell", "-u") or call.prog in ("doas", "pkexec"):
            call.fact(
                "exec", detail="shell", source="terminal", note=f"opens a root shell ({call.prog})"
            )
        return None
    if opts.has("-s", "--shell", "-i", "--login") and call.prog == "sudo":
        return call.an.script(" ".join(opts.operands), scope, call.stdin)
    return call.run(opts.operands, scope=scope)


@handles("su")
def _su(call: Call) -> Stream | None:
    # fmt: off
    opts = parse(
        call.args,
        "cgGsw",
        {
            "--command", "--group", "--supp-group", "--shell", "--session-command",
            "--whitelist-environment",
        },
    )
    # fmt: on
    call.fact("privilege", detail="su", note=f"su {display(' '.join(call.args))}"[:120])
    commands = opts.get("-c", "--command", "--session-command")
    for cmd in commands:
        call.shell(cmd)
    if not commands:
        call.fact("exec", detail="shell", source="terminal", note="opens a shell as another user")
    return None


@handles("chroot", "nsenter", "unshare", "systemd-run", "machinectl")
def _chroot(call: Call) -> Stream | None:
    call.fact("privilege", detail=call.prog, note=call.prog)
    ops = [a for a in call.args if not a.startswith("-")]
    if call.prog == "chroot" and len(ops) > 1:
        call.run(ops[1:])
    return None


@handles("xargs")
def _xargs(call: Call) -> Stream | None:
    opts = parse(call.args, "dEILnPsa", {"--delimiter", "--eof", "--replace", "--max-lines",
        "--max-args", "--max-procs", "--max-chars", "--arg-file", "--process-slot-var"},
        stop=True, optional_attached="ie")  # fmt: skip
    replace_str = opts.first("-I", "--replace")
    if opts.has("-i") and replace_str is None:
        replace_str = opts.first("-i") or "{}"
    words = opts.operands or ["echo"]
    items: list[str]
    text, stream = call.stdin_text()
    for value in opts.get("-a", "--arg-file"):
        call.read(value)
        text = call.an.read_file(call.loc(value).path)
        stream = Stream(text, "file")
    if text is not None:
        items = text.split("\0" if opts.has("-0", "--null") else None)[:16] or [""]
    elif (
        stream is not None
        and stream.roots
        and all(call.an.locate(r, "/").where == "inside" for r in stream.roots)
    ):
        items = [stream.roots[0].rstrip("/") + "/" + OPAQUE]
    else:
        items = [UNKNOWN]
    for item in items:
        inner = [w.replace(replace_str, item) for w in words] if replace_str else [*words, item]
        call.run(inner, stdin=Stream(None, "terminal"))
    return None


@handles("parallel")
def _parallel(call: Call) -> Stream | None:
    args = list(call.args)
    if ":::" in args:
        k = args.index(":::")
        words, items = args[:k], args[k + 1 :]
    else:
        words, items = args, [UNKNOWN]
    words = [w for w in words if not w.startswith("-")] or ["echo"]
    for item in items[:8]:
        text = " ".join(w.replace("{}", item) for w in words)
        if "{}" not in " ".join(words):
            text += " " + item
        call.shell(text)
    return None


@handles("busybox", "toybox")
def _busybox(call: Call) -> Stream | None:
    return call.run(list(call.args)) if call.args else None


# ------------------------------------------------------------- shell builtins
@handles("cd", "pushd", "chdir")
def _cd(call: Call) -> Stream | None:
    ops = [a for a in call.args if a not in ("-P", "-L", "-e", "-@", "-n")]
    if not ops:
        call.scope.cwd = call.an.home if call.prog != "pushd" else UNKNOWN
    elif ops[0] == "-" or ops[0].startswith(("+", "-")):
        call.scope.cwd = UNKNOWN
    else:
        call.scope.cwd = call.loc(ops[0]).path
    return None


@handles("popd")
def _popd(call: Call) -> Stream | None:
    call.scope.cwd = UNKNOWN
    return None


@handles("read", "mapfile", "readarray")
def _read(call: Call) -> Stream | None:
    opts = parse(call.args, "adinNptuCcOsu", set())
    for name in opts.operands + opts.get("-a"):
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            call.scope.env[name] = UNKNOWN
    if call.prog != "read" and not opts.operands:
        call.scope.env["MAPFILE"] = UNKNOWN
    return None


@handles("let")
def _let(call: Call) -> Stream | None:
    for expr in call.args:
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*[-+*/%]?=", expr)
        if m:
            call.scope.env[m.group(1)] = OPAQUE
    return None


@handles("set")
def _set(call: Call) -> Stream | None:
    if "--" in call.args:
        call.scope.positional = call.args[call.args.index("--") + 1 :]
    return None


@handles("shift")
def _shift(call: Call) -> Stream | None:
    if call.scope.positional:
        n = int(call.args[0]) if call.args and call.args[0].isdigit() else 1
        call.scope.positional = call.scope.positional[n:]
    return None


@handles("trap")
def _trap(call: Call) -> Stream | None:
    if call.args and call.args[0] not in ("-", "", "-l", "-p"):
        call.shell(call.args[0])
    return None


@handles("alias")
def _alias(call: Call) -> Stream | None:
    for arg in call.args:
        _name, eq, value = arg.partition("=")
        if eq and value:
            call.shell(value)
    return None


# ------------------------------------------------------------------- processes
@handles("kill")
def _kill(call: Call) -> Stream | None:
    args = list(call.args)
    if not args or args[0] in ("-l", "-L", "--list", "--table"):
        return None
    targets: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-s", "-n", "--signal"):
            i += 2
            continue
        if a == "--":
            targets.extend(args[i + 1 :])
            break
        if (a.startswith("-") and not re.fullmatch(r"-\d+", a)) or (
            re.fullmatch(r"-\d+", a) and not targets and i == 0 and len(args) > 1
        ):
            i += 1
            continue
        targets.append(a)
        i += 1
    for t in targets:
        if t in ("-1", "0") or t.startswith("-"):
            call.fact("process", detail="kill-all", note=f"kill {t}")
        elif t.startswith("%"):
            call.fact("process", detail="kill-job", note=f"kill {t}")
        else:
            call.fact("process", detail="kill", note=f"kill {display(t)}")
    return None


@handles("pkill", "killall", "killall5", "skill", "slay")
def _pkill(call: Call) -> Stream | None:
    detail = "kill-all" if call.prog in ("killall5", "slay") else "kill"
    call.fact("process", detail=detail, note=f"{call.prog} {display(' '.join(call.args))}"[:100])
    return None


# --------------------------------------------------------------------- network
_CURL_VALUES = {"-d", "--data", "--data-binary", "--data-raw", "--data-urlencode",
    "--data-ascii", "--json", "-F", "--form", "--form-string", "-T", "--upload-file", "-o",
    "--output", "--output-dir", "-D", "--dump-header", "-c", "--cookie-jar", "-K", "--config",
    "-X", "--request", "-H", "--header", "-u", "--user", "-A", "--user-agent", "-e", "--referer",
    "-b", "--cookie", "-x", "--proxy", "-m", "--max-time", "--connect-timeout", "-w",
    "--write-out", "-r", "--range", "-E", "--cert", "--key", "--cacert", "--capath", "-U",
    "--proxy-user", "-Y", "-y", "-z", "-C", "--retry", "--limit-rate", "--url", "-Q", "--quote",
    "--stderr", "--trace", "--trace-ascii", "--netrc-file", "--libcurl", "--resolve",
    "--interface", "--local-port", "--unix-socket", "--abstract-unix-socket", "--variable",
    "--expand-data", "--oauth2-bearer", "--retry-delay", "--retry-max-time", "--max-filesize",
    "--connect-to", "--happy-eyeballs-timeout-ms", "--hostpubmd5", "--mail-from", "--mail-rcpt",
    "--etag-save", "--etag-compare", "--aws-sigv4", "--proto", "--proto-redir", "-t",
    "--telnet-option", "--ciphers", "--tls-max", "--pinnedpubkey"}  # fmt: skip


@handles("curl")
def _curl(call: Call) -> Stream | None:
    long = {v for v in _CURL_VALUES if v.startswith("--")}
    short = "".join(v[1] for v in _CURL_VALUES if not v.startswith("--"))
    opts = parse(call.args, short, long)
    upload = False
    for name in ("-d", "--data", "--data-binary", "--data-ascii", "--data-urlencode", "--json"):
        for value in opts.get(name):
            upload = True
            body = value.split("=", 1)[1] if name == "--data-urlencode" and "=" in value else value
            if body.startswith("@") and body != "@-":
                call.read(body[1:])
    for value in opts.get("-F", "--form"):
        upload = True
        m = re.search(r"=[@<]([^;]+)", value)
        if m:
            call.read(m.group(1))
    for value in opts.get("-T", "--upload-file"):
        upload = True
        if value not in ("-", "."):
            call.read(value)
    for value in opts.get("-K", "--config", "--netrc-file", "-E", "--cert", "--key"):
        call.read(value)
    method = (opts.first("-X", "--request") or "").upper()
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        upload = True
    # fmt: off
    outs = opts.get(
        "-o", "--output", "-D", "--dump-header", "-c", "--cookie-jar", "--stderr", "--trace",
        "--trace-ascii", "--libcurl", "--etag-save",
    )
    # fmt: on
    for value in outs:
        if value != "-":
            call.write(value, detail="download")
    if opts.has("-O", "--remote-name", "-J", "--remote-name-all"):
        folder = opts.first("--output-dir") or "."
        call.write(folder.rstrip("/") + "/" + OPAQUE, detail="download")
    urls = opts.operands + opts.get("--url")
    for url in urls:
        if url.lower().startswith("file://"):
            call.read(url[7:] or "/")
    hosts = ", ".join(_host(u) for u in urls if not u.lower().startswith("file://"))
    if hosts or not urls:
        call.fact("network", detail="upload" if upload else "download", note=hosts or "?")
    elif upload:
        call.fact("network", detail="upload", note="?")
    if opts.get("--unix-socket"):
        for value in opts.get("--unix-socket"):
            call.write(value, detail="socket")
    written = [v for v in outs if v not in ("-",)] or opts.has("-O", "--remote-name")
    return None if written else Stream(None, "network")


def _host(url: str) -> str:
    m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]+)", url)
    return display(m.group(1) if m else url.split("/", 1)[0])[:60]


# fmt: off
@handles(
    "wget", "wget2", "aria2c", "axel", "http", "https", "xh", "httpie", "lynx", "w3m", "links",
    "elinks",
)
def _wget(call: Call) -> Stream | None:
    opts = parse(call.args, "OoaPiUetTwQlAR", {"--output-document", "--output-file",
        "--append-output", "--directory-prefix", "--input-file", "--user-agent", "--post-data",
        "--post-file", "--body-data", "--body-file", "--method", "--header", "--user",
        "--password", "--tries", "--timeout", "--wait", "--quota", "--level", "--accept",
        "--reject", "--execute", "--load-cookies", "--save-cookies", "--config"})  # fmt: skip
    upload = bool(opts.get("--post-data", "--post-file", "--body-data", "--body-file"))
    for value in opts.get(
        "--post-file", "--body-file", "-i", "--input-file", "--load-cookies", "--config"
    ):
        call.read(value)
    method = (opts.first("--method") or "").upper()
    upload = upload or method in ("POST", "PUT", "PATCH", "DELETE")
    if call.prog in ("http", "https", "xh", "httpie"):
        upload = (
            upload
            or any(re.match(r"^[A-Za-z_-]+(:=@|=@|@)", a) for a in opts.operands)
            or (
                bool(opts.operands)
                and opts.operands[0].upper() in ("POST", "PUT", "PATCH", "DELETE")
            )
        )
        for a in opts.operands:
            m = re.match(r"^[A-Za-z_-]*(?:=@|:=@|@)(.+)$", a)
            if m:
                call.read(m.group(1))
    out = opts.first("-O", "--output-document")
    stdout = out == "-"
    if out and out != "-":
        call.write(out, detail="download")
    elif call.prog in ("wget", "wget2", "aria2c", "axel") and not stdout:
        folder = opts.first("-P", "--directory-prefix") or "."
        call.write(
            folder.rstrip("/") + "/" + OPAQUE,
            detail="download",
            recursive=opts.has("-r", "--recursive", "-m", "--mirror"),
        )
    for value in opts.get("-o", "--output-file", "-a", "--append-output", "--save-cookies"):
        call.write(value)
    hosts = ", ".join(_host(u) for u in opts.operands if "://" in u or "." in u)
    call.fact("network", detail="upload" if upload else "download", note=hosts or "?")
    return (
        Stream(None, "network")
        if stdout or call.prog not in ("wget", "wget2", "aria2c", "axel")
        else None
    )
# fmt: on


# fmt: off
@handles(
    "nc", "socat", "telnet", "ftp", "sftp", "tftp", "lftp", "ncftp", "openssl", "ssh", "mosh",
    "autossh", "sshpass", "rsh", "rlogin", "smbclient", "mount.cifs",
)
def _connect(call: Call) -> Stream | None:
    args = list(call.args)
    if call.prog == "openssl":
        sub = args[0] if args else ""
        if sub not in ("s_client", "s_server", "s_time"):
            return _openssl_local(call)
    if call.prog == "sshpass":
        opts = parse(args, "pfde", set(), stop=True)
        return call.run(opts.operands) if opts.operands else None
    detail = "connect"
    if call.prog == "nc":
        opts = parse(args, "pswqiIOxXTecVMmG", set())
        if opts.has("-l", "--listen"):
            detail = "listen"
        for cmd in opts.get("-e", "-c"):
            call.fact("remote-shell", note=f"nc runs {display(cmd)} for the network")
            call.run([cmd]) if "/" in cmd or cmd.isidentifier() else call.shell(cmd)
    if call.prog == "socat":
        for a in args:
            up = a.upper()
            if up.startswith(("EXEC:", "SYSTEM:")):
                call.fact("remote-shell", note=f"socat runs {display(a)}")
                call.shell(a.split(":", 1)[1].split(",", 1)[0])
            if "LISTEN" in up:
                detail = "listen"
    if call.prog in ("ssh", "autossh", "mosh"):
        opts = parse(args, "bcDEeFIiJLlmOopQRSWw", set(), stop=True)
        if opts.get("-R", "-L", "-D"):
            detail = "listen"
        host = opts.operands[0] if opts.operands else "?"
        remote = " ".join(opts.operands[1:])
        call.fact(
            "network",
            detail=detail,
            note=f"{display(host)}" + (f": {display(remote)[:60]}" if remote else ""),
        )
        return Stream(None, "network")
    _text, stream = call.stdin_text()
    if stream is not None and stream.source == "file" and stream.path:
        detail = "upload"
    call.fact(
        "network",
        detail=detail,
        note=display(" ".join(a for a in args if not a.startswith("-")))[:60],
    )
    return Stream(None, "network")
# fmt: on


def _openssl_local(call: Call) -> Stream | None:
    opts = parse(call.args[1:], "", {"-in", "-out", "-inkey", "-key", "-pass", "-passin",
        "-passout", "-config", "-k", "-kfile", "-signkey", "-CA", "-CAkey", "-cert"},
        dash_long={"-in", "-out", "-inkey", "-key", "-pass", "-passin", "-passout", "-config",
                   "-k", "-kfile", "-signkey", "-CA", "-CAkey", "-cert", "-d", "-base64", "-a",
                   "-A", "-e", "-noout", "-text", "-salt", "-nosalt", "-pbkdf2"})  # fmt: skip
    for value in opts.get("-in", "-inkey", "-key", "-kfile", "-signkey", "-CAkey", "-cert", "-CA"):
        call.read(value)
    for value in opts.get("-out"):
        call.write(value)
    if opts.has("-d") and (opts.has("-base64") or opts.has("-a")):
        text, _ = call.stdin_text()
        if text is not None and not opts.get("-in"):
            try:
                return Stream(
                    base64.b64decode("".join(text.split()) + "==").decode("utf-8", "replace"),
                    "decoded",
                )
            except (binascii.Error, ValueError):
                pass
        return Stream(None, "decoded")
    return None


def _remote(word: str) -> bool:
    if word.startswith(("rsync://", "s3://", "gs://", "scp://", "sftp://")):
        return True
    head = word.split("/", 1)[0]
    return ":" in head and not head.startswith(".") and len(head) > 1


@handles("scp", "rsync", "rclone")
def _scp(call: Call) -> Stream | None:
    if call.prog == "rclone":
        sub = call.args[0] if call.args else ""
        ops = [a for a in call.args[1:] if not a.startswith("-")]
        remote_any = any(":" in o for o in ops)
        if sub in ("delete", "purge", "deletefile", "rmdir", "rmdirs", "cleanup"):
            call.fact("network", detail="upload", note=f"rclone {sub}")
        elif sub in ("sync", "copy", "move", "copyto", "moveto") and ops:
            if len(ops) > 1 and ":" in ops[-1]:
                for o in ops[:-1]:
                    if ":" not in o:
                        call.read(o)
                call.fact("network", detail="upload", note=display(ops[-1]))
            elif ops:
                call.write(ops[-1], recursive=True)
                call.fact("network", detail="download", note=display(ops[0]))
        elif remote_any:
            call.fact("network", detail="download", note=f"rclone {sub}")
        return None
    # fmt: off
    opts = parse(
        call.args,
        "PiocFlSJe" if call.prog == "scp" else "eTfMB",
        {
            "--rsh", "--exclude", "--include", "--exclude-from", "--include-from", "--files-from",
            "--filter", "--log-file", "--backup-dir", "--partial-dir", "--temp-dir", "--chmod",
            "--chown", "--password-file", "--bwlimit", "--timeout", "--port", "--compare-dest",
            "--copy-dest", "--link-dest", "--suffix", "--rsync-path", "--max-size", "--min-size",
            "--usermap", "--groupmap", "--out-format", "--log-file-format", "--info", "--debug",
        },
    )
    # fmt: on
    for value in opts.get("--exclude-from", "--include-from", "--files-from", "--password-file"):
        call.read(value)
    for value in opts.get("--log-file"):
        call.write(value)
    ops = opts.operands
    if not ops:
        return None
    dest, sources = (ops[-1], ops[:-1]) if len(ops) > 1 else (ops[0], [])
    recursive = (call.prog == "scp" and opts.has("-r")) or opts.has(
        "-r", "-a", "--recursive", "--archive"
    )
    remote_dest = _remote(dest)
    if remote_dest:
        for s in sources:
            if not _remote(s):
                call.read(s)
        call.fact("network", detail="upload", note=display(dest)[:60])
    else:
        if any(_remote(s) for s in sources):
            call.fact("network", detail="download", note=display(sources[0])[:60])
        else:
            _reads(call, sources)
        call.write(dest, detail="copy", recursive=recursive)
        if any(f.startswith("--delete") for f in opts.flags):
            call.delete(dest, recursive=True, force=True, filtered=True, detail="rsync --delete")
    if opts.has("--remove-source-files"):
        for s in sources:
            if not _remote(s):
                call.delete(s, recursive=recursive, detail="rsync --remove-source-files")
    return None


# fmt: off
@handles(
    "ping", "ping6", "traceroute", "tracepath", "mtr", "dig", "host", "nslookup", "whois", "drill",
    "arping",
)
def _probe(call: Call) -> Stream | None:
    call.fact("network", detail="probe", note=display(" ".join(call.args))[:60])
    return OPAQUE_OUT
# fmt: on


# ---------------------------------------------------------------------- git
_GIT_EXEC_KEYS = re.compile(
    r"^(core\.(pager|editor|sshcommand|fsmonitor|hookspath|askpass|gitproxy|worktree)|"
    r"pager\..*|alias\..*|diff\..*\.(textconv|command)|diff\.external|filter\..*|"
    r"credential\..*helper|credential\.helper|sequence\.editor|gpg\..*program|"
    r"uploadpack\.packobjectshook|protocol\..*|include\.path|includeif\..*|merge\..*\.driver|"
    r"remote\..*\.(uploadpack|receivepack)|receive\.procreceiverefs|ssh\.variant|"
    r"http\.proxy|gpg\.program|core\.sshcommand|interactive\.difffilter|web\.browser|"
    r"browser\..*\.cmd|difftool\..*\.cmd|mergetool\..*\.cmd)$",
    re.IGNORECASE,
)
_GIT_READ_ONLY = frozenset({"status", "log", "diff", "show", "blame", "shortlog", "describe",
    "rev-parse", "rev-list", "ls-files", "ls-tree", "cat-file", "grep", "reflog", "branch",
    "tag", "remote", "config", "stash", "worktree", "help", "version", "whatchanged",
    "count-objects", "fsck", "check-ignore", "check-attr", "name-rev", "merge-base", "cherry",
    "range-diff", "for-each-ref", "show-ref", "show-branch", "var", "verify-commit",
    "verify-tag", "diff-tree", "diff-files", "diff-index", "notes", "annotate", "format-patch",
    "archive", "bundle", "bisect", "submodule", "--version", "--help", "-h", "ls-remote",
    "fetch", "pull", "clone", "push"})  # fmt: skip


_GIT_SOMETIMES_CHANGES = frozenset(
    {"stash", "branch", "tag", "remote", "worktree", "bisect", "submodule"}
)


@handles("git")
def _git(call: Call) -> Stream | None:
    args = list(call.args)
    cwd = call.scope.cwd
    tags: set[str] = set()
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-C" and i + 1 < len(args):
            cwd = call.loc(args[i + 1], cwd).path
            tags.add("git-C")
            i += 2
        elif a == "-c" and i + 1 < len(args):
            _git_config(call, args[i + 1], "-c")
            i += 2
        elif a.startswith("--config-env="):
            call.fact("exec", detail="git-config", source="unknown", note=a)
            i += 1
        # fmt: off
        elif a in (
            "--git-dir",
            "--work-tree",
            "--namespace",
            "--exec-path",
            "--super-prefix",
            "--list-cmds",
            "--attr-source",
        ) and i + 1 < len(args):
            if a == "--work-tree":
                tags.add("work-tree")
                call.write(args[i + 1], detail="git-work-tree", cwd=cwd)
            if a == "--exec-path":
                call.fact(
                    "exec",
                    detail="git-config",
                    source="file",
                    note=f"--exec-path {display(args[i + 1])}",
                )
            i += 2
        elif a.startswith(("--git-dir=", "--work-tree=", "--namespace=", "--exec-path=")):
            if a.startswith("--work-tree="):
                call.write(a.split("=", 1)[1], detail="git-work-tree", cwd=cwd)
            if a.startswith("--exec-path="):
                call.fact("exec", detail="git-config", source="file", note=a)
            i += 1
        elif a.startswith("-") and not a.startswith(UNKNOWN):
            i += 1
        else:
            break
        # fmt: on
    rest = args[i:]
    words = ("git", *rest)
    call.words = words
    call.an.add(Fact("command", command=words, tags=frozenset(tags)))
    if not rest:
        return None
    sub, sub_args = rest[0], rest[1:]
    opts = parse(
        sub_args,
        "oOm" if sub in ("diff", "log", "show", "format-patch", "archive") else "",
        {"--output", "--output-directory", "--prefix", "--remote", "--exec"},
    )
    for value in opts.get("--output", "-o" if sub in ("archive", "format-patch") else "--output"):
        call.write(value, cwd=cwd)
    for value in opts.get("--output-directory"):
        call.write(value, cwd=cwd)
    for program in _git_programs(sub, sub_args):
        call.fact(
            "exec",
            detail="git-config",
            source="literal",
            note=f"git {sub} runs {display(program)[:60]}",
        )
        call.shell(program)
    if sub == "config":
        _git_config_command(call, sub_args, cwd)
    elif sub in ("clone", "init", "worktree") and opts.operands:
        target = (
            opts.operands[-1]
            if sub != "worktree"
            else (opts.operands[1] if len(opts.operands) > 1 and opts.operands[0] == "add" else "")
        )
        if sub == "clone" and len(opts.operands) < 2:
            target = opts.operands[0].rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        if target:
            call.write(target, detail=f"git {sub}", cwd=cwd, recursive=True)
    elif sub == "bundle" and len(sub_args) > 1 and sub_args[0] == "create":
        call.write(sub_args[1], cwd=cwd)
    changes = sub not in _GIT_READ_ONLY or sub in _GIT_SOMETIMES_CHANGES
    if changes and ("git-C" in tags or "work-tree" in tags):
        call.write(".", detail=f"git {sub}", cwd=cwd)
    if (
        sub in ("push", "fetch", "pull", "clone", "ls-remote", "submodule", "remote")
        and (sub != "remote" or (sub_args[:1] and sub_args[0] in ("update", "prune", "show")))
        and (sub != "submodule" or (sub_args[:1] and sub_args[0] in ("update", "add", "sync")))
    ):
        call.fact("network", detail="upload" if sub == "push" else "download", note=f"git {sub}")
    return None


_GIT_PROGRAM_OPTIONS = {
    "rebase": ("-x", "--exec"),
    "difftool": ("-x", "--extcmd"),
    "grep": ("-O", "--open-files-in-pager"),
    "clone": ("-u", "--upload-pack"),
    "fetch": ("--upload-pack",),
    "pull": ("--upload-pack",),
    "ls-remote": ("--upload-pack",),
    "push": ("--receive-pack", "--exec"),
    "archive": ("--exec",),
    "filter-branch": ("--env-filter", "--tree-filter", "--index-filter", "--parent-filter",
                      "--msg-filter", "--commit-filter", "--tag-name-filter"),
}  # fmt: skip


def _git_programs(sub: str, args: list[str]) -> list[str]:
    """Shell commands a git subcommand is told to run (rebase --exec, bisect run, ...)."""
    if sub == "bisect" and args[:1] == ["run"]:
        return [" ".join(args[1:])] if len(args) > 1 else []
    if sub == "submodule" and "foreach" in args:
        return [" ".join(args[args.index("foreach") + 1 :])]
    names = _GIT_PROGRAM_OPTIONS.get(sub, ())
    out: list[str] = []
    for i, a in enumerate(args):
        name, eq, value = a.partition("=")
        if name in names:
            if eq:
                out.append(value)
            elif i + 1 < len(args):
                out.append(args[i + 1])
        elif (
            a.startswith(tuple(n for n in names if len(n) == 2))
            and len(a) > 2
            and not a.startswith("--")
        ):
            out.append(a[2:])
    return [p for p in out if p]


def _git_config(call: Call, assignment: str, how: str) -> None:
    key, _, value = assignment.partition("=")
    low = key.strip().lower()
    if low.startswith(("core.pager", "pager.", "core.editor", "sequence.editor")) and plain_pager(
        value
    ):
        return  # git -c core.pager=cat
    if _GIT_EXEC_KEYS.match(key.strip()):
        call.fact(
            "exec",
            detail="git-config",
            source="literal",
            note=f"{how} {display(key)}={display(value)[:60]}",
        )
        if value:
            text = value[1:] if value.startswith("!") else value
            if key.lower() != "include.path" and not key.lower().startswith("includeif"):
                call.shell(text)


def _git_config_command(call: Call, args: list[str], cwd: str) -> None:
    opts = parse(args, "f", {"--file", "--type", "--default", "--blob"})
    # fmt: off
    if (
        opts.has(
            "--get", "--get-all", "--get-regexp", "--list", "-l", "--get-urlmatch",
            "--show-origin", "--name-only", "--edit", "-e",
        )
        or len(opts.operands) < 2
    ):
        if opts.has("--edit", "-e"):
            call.fact(
                "exec", detail="shell", source="terminal", note="git config --edit opens an editor"
            )
        return
    # fmt: on
    key, value = opts.operands[0], " ".join(opts.operands[1:])
    if opts.has("--unset", "--unset-all", "--remove-section", "--rename-section"):
        value = ""
    if opts.has("--global"):
        call.write("~/.gitconfig", detail="git config")
    elif opts.has("--system"):
        call.write("/etc/gitconfig", detail="git config")
    for path in opts.get("-f", "--file"):
        call.write(path, detail="git config", cwd=cwd)
    if key.lower() != "--unset":
        _git_config(call, f"{key}={value}", "git config")


# ----------------------------------------------------------------- interpreters
@handles("python")
def _python(call: Call) -> Stream | None:
    from cockpit.policy.python_code import analyse_python

    args = list(call.args)
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-W", "-X", "--check-hash-based-pycs"):
            i += 2
            continue
        if a == "-c":
            code = args[i + 1] if i + 1 < len(args) else ""
            if UNKNOWN in code:
                call.fact(
                    "exec",
                    detail="code",
                    source="unknown",
                    note="python -c with code only known at run time",
                )
                return None
            analyse_python(code, call)
            return None
        if a == "-m":
            return _python_module(call, args[i + 1] if i + 1 < len(args) else "", args[i + 2 :])
        if a.startswith("-m") and len(a) > 2:
            return _python_module(call, a[2:], args[i + 1 :])
        if a.startswith("-") and len(a) > 1 and not a.startswith("--") and "c" in a[1:]:
            code = a[a.index("c") + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
            analyse_python(code, call)
            return None
        if a in ("--version", "-V", "-VV", "--help", "-h", "--help-all", "--help-env"):
            return OPAQUE_OUT
        if a == "-":
            return _code_from_stdin(call, "python")
        if a.startswith("-") and not a.startswith(UNKNOWN):
            i += 1
            continue
        return call.an.run_script(a, args[i + 1 :], call.scope, call.stdin, interpreter="python")
    return _code_from_stdin(call, "python")


_PY_TOOL_MODULES = frozenset({"pytest", "unittest", "doctest", "mypy", "ruff", "black", "isort",
    "flake8", "pylint", "coverage", "pyflakes", "pycodestyle", "bandit", "pydocstyle", "nox",
    "tox", "hypothesis", "pdb", "cProfile", "profile", "trace", "timeit", "py_compile",
    "compileall", "pyright", "build", "alembic", "dbt", "jupyter", "nbconvert", "pre_commit",
    "memory_profiler", "line_profiler", "pstats"})  # fmt: skip
_PY_READ_MODULES = frozenset({"json.tool", "pydoc", "site", "platform", "sysconfig", "this",
    "calendar", "tokenize", "ast", "dis", "pip._internal", "sqlite3.dump", "tabnanny", "pyclbr",
    "inspect", "encodings", "locale", "mimetypes", "sys", "os", "uuid", "zoneinfo",
    "importlib.metadata", "pickletools", "filecmp", "quopri", "base64", "random",
    "statistics", "tomllib", "csv"})  # fmt: skip


def _python_module(call: Call, module: str, args: list[str]) -> Stream | None:
    words = ("python", "-m", module, *args)
    call.words = words
    call.an.add(Fact("command", command=words))
    if module in ("pip", "pip3"):
        return call.run(["pip", *args])
    if module in _PY_TOOL_MODULES:
        call.fact("exec", detail="project", source="file", note=f"python -m {module}")
        return None
    if module in _PY_READ_MODULES:
        ops = [a for a in args if not a.startswith("-")]
        if module == "json.tool" and len(ops) > 1:
            call.read(ops[0])
            call.write(ops[1])
        else:
            _reads(
                call,
                ops[:1] if module in ("json.tool", "tokenize", "ast", "dis", "tabnanny") else [],
            )
        return None
    if module in ("tarfile", "zipfile"):
        opts = parse(args, "", set())
        ops = opts.operands
        if opts.has("-c", "--create") and ops:
            call.write(ops[0], detail="archive")
            _reads(call, ops[1:])
        elif opts.has("-e", "--extract") and ops:
            call.read(ops[0])
            call.write(ops[1] if len(ops) > 1 else ".", detail="extract", recursive=True)
        else:
            _reads(call, ops[:1])
        return None
    if module in ("venv", "virtualenv"):
        for word in [a for a in args if not a.startswith("-")]:
            call.write(word, detail="venv", recursive=True)
        return None
    if module in ("gzip",):
        return _compress(call)
    if module == "sqlite3":
        from cockpit.policy.sql_clients import sqlite3_cli

        return sqlite3_cli(call, args)
    # fmt: off
    if module in (
        "http.server", "SimpleHTTPServer", "smtpd", "aiosmtpd", "pyftpdlib", "xmlrpc.server",
    ):
        call.fact(
            "network", detail="listen", note=f"python -m {module} serves files over the network"
        )
        return None
    # fmt: on
    if module in ("twine",):
        call.fact("network", detail="upload", note="twine uploads packages")
        return None
    if module in ("ensurepip",):
        return None
    folder = call.scope.cwd
    head = module.split(".", 1)[0]
    local = call.an.locate(head + ".py", folder)
    if local.where == "inside" and (_exists(local.path) or _exists(local.path[:-3])):
        call.fact(
            "exec",
            detail="script",
            source="file",
            path=local.path,
            where="inside",
            note=f"python -m {module}",
        )
        return None
    call.fact("exec", detail="module", source="file", note=f"python -m {module}")
    return None


def _exists(path: str) -> bool:
    import os

    return os.path.exists(path)


# fmt: off
@handles(
    "perl", "ruby", "node", "php", "lua", "Rscript", "osascript", "deno", "bun", "tclsh", "jshell",
    "groovy", "julia", "pwsh", "powershell", "R", "luajit", "scala", "kotlin",
)
def _interpreter(call: Call) -> Stream | None:
    from cockpit.policy.scripts import analyse_lexical

    lang = {
        "Rscript": "r",
        "R": "r",
        "luajit": "lua",
        "pwsh": "powershell",
        "bun": "node",
        "deno": "node",
    }.get(call.prog, call.prog)
    args = list(call.args)
    codes: list[str] = []
    in_place = False
    i = 0
    eval_flags = {
        "perl": ("-e", "-E"),
        "ruby": ("-e",),
        "node": ("-e", "--eval", "-p", "--print"),
        "php": ("-r",),
        "lua": ("-e",),
        "r": ("-e",),
        "osascript": ("-e",),
        "tclsh": (),
        "powershell": ("-c", "-Command", "-command", "-EncodedCommand", "-enc", "-e"),
        "julia": ("-e", "--eval", "-E", "--print"),
    }.get(lang, ("-e",))
    if call.prog == "deno" and args[:1] == ["eval"]:
        codes.append(" ".join(args[1:]))
        args = []
    if call.prog == "bun" and args[:1] in (["run"], ["test"], ["x"], ["install"], ["add"]):
        call.fact("exec", detail="project", source="file", note=f"bun {args[0]}")
        return None
    while i < len(args):
        a = args[i]
        if a in eval_flags:
            code = args[i + 1] if i + 1 < len(args) else ""
            if lang == "powershell" and a.lower() in ("-encodedcommand", "-enc", "-e"):
                call.fact(
                    "exec", detail="decoded", source="decoded", note="powershell -EncodedCommand"
                )
                return None
            codes.append(code)
            i += 2
            continue
        if lang == "perl" and a.startswith("-") and len(a) > 1 and not a.startswith("--"):
            letters = a[1:]
            j = 0
            took = False
            while j < len(letters):
                ch = letters[j]
                if ch in "eE":
                    code = letters[j + 1 :] or (args[i + 1] if i + 1 < len(args) else "")
                    codes.append(code)
                    if not letters[j + 1 :]:
                        i += 1
                    took = True
                    break
                if ch == "i":
                    in_place = True
                    break
                if ch in "IMmxFlC0dD":
                    break
                j += 1
            i += 1
            if took:
                continue
            continue
        if a == "-i" and lang == "ruby":
            in_place = True
        if a.startswith("-") and not a.startswith(UNKNOWN) and a != "-":
            i += 1
            continue
        break
    rest = args[i:]
    if not codes:
        if call.prog in ("node", "deno", "bun") and not rest and call.stdin is None:
            return None
        if not rest or rest[0] == "-":
            return _code_from_stdin(call, lang)
        return call.an.run_script(rest[0], rest[1:], call.scope, call.stdin, interpreter=lang)
    for code in codes:
        if UNKNOWN in code:
            call.fact(
                "exec",
                detail="code",
                source="unknown",
                note=f"{call.prog} code only known at run time",
            )
            continue
        analyse_lexical(code, lang, call)
    for word in rest:
        if in_place:
            call.write(word, detail="in-place")
        else:
            call.read(word)
    return Stream(None, "pipe")
# fmt: on


@handles("awk")
def _awk(call: Call) -> Stream | None:
    from cockpit.policy.scripts import analyse_lexical

    opts = parse(
        call.args,
        "Ffvi",
        {"--field-separator", "--file", "--assign", "--include", "--load", "--source", "-e"},
        optional_attached="",
    )
    programs = opts.get("--source", "-e")
    for value in opts.get("-f", "--file", "-i", "--include"):
        call.read(value)
        text = call.an.read_file(call.loc(value).path)
        if text is None:
            call.fact(
                "exec",
                detail="script",
                source="file",
                path=call.loc(value).path,
                where=call.loc(value).where,
                note=f"awk -f {display(value)}",
            )
        else:
            programs.append(text)
    if opts.get("-l", "--load"):
        call.fact("exec", detail="native", source="file", note="gawk loads a native extension")
    ops = opts.operands
    if not opts.get("-f", "--file") and not programs and ops:
        programs, ops = [ops[0]], ops[1:]
    for program in programs:
        if UNKNOWN in program:
            call.fact(
                "exec", detail="code", source="unknown", note="awk program only known at run time"
            )
        else:
            analyse_lexical(program, "awk", call)
    for word in ops:
        if "=" in word and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word):
            continue
        call.read(word)
    text, _ = call.stdin_text()
    return Stream(None, "pipe")


@handles("jq", "gojq", "jaq")
def _jq(call: Call) -> Stream | None:
    args = list(call.args)
    ops: list[str] = []
    i = 0
    has_filter_file = False
    while i < len(args):
        a = args[i]
        if a in ("--arg", "--argjson"):
            i += 3
            continue
        if a in ("--slurpfile", "--rawfile"):
            if i + 2 < len(args):
                call.read(args[i + 2])
            i += 3
            continue
        if a in ("-f", "--from-file"):
            has_filter_file = True
            if i + 1 < len(args):
                call.read(args[i + 1])
            i += 2
            continue
        if a in ("--indent", "-L"):
            i += 2
            continue
        if a in ("--args", "--jsonargs"):
            break
        if a.startswith("-") and len(a) > 1 and not a.startswith(UNKNOWN):
            i += 1
            continue
        ops.append(a)
        i += 1
    _reads(call, ops if has_filter_file else ops[1:])
    return None


@handles("yq")
def _yq(call: Call) -> Stream | None:
    opts = parse(
        call.args, "oIpP", {"--output-format", "--indent", "--input-format", "--front-matter"}
    )
    ops = opts.operands
    files = ops[1:] if ops and not _looks_like_file(ops[0]) else ops
    for word in files:
        if opts.has("-i", "--inplace"):
            call.write(word, detail="in-place")
        else:
            call.read(word)
    return None


def _looks_like_file(word: str) -> bool:
    return bool(re.search(r"\.(ya?ml|json|toml|xml|csv|properties)$", word))


@handles("mlr")
def _mlr(call: Call) -> Stream | None:
    in_place = "-I" in call.args
    for word in call.args:
        if _looks_like_file(word) or word.endswith((".tsv", ".dat")):
            if in_place:
                call.write(word, detail="in-place")
            else:
                call.read(word)
    return None


# ------------------------------------------------------------------- package tools
# fmt: off
@handles(
    "pip", "uv", "poetry", "pipx", "conda", "mamba", "npm", "yarn", "pnpm", "npx", "gem", "cargo",
    "go", "composer", "bundle", "brew", "apt", "apt-get", "dnf", "yum", "apk", "pacman", "zypper",
    "snap", "flatpak", "dpkg", "rpm", "pdm", "hatch", "rye", "make", "cmake", "ninja", "mvn",
    "gradle", "tox", "nox", "pytest", "just", "task", "invoke", "ant", "bazel", "sbt", "dotnet",
    "mix", "lein",
)
def _project_tool(call: Call) -> Stream | None:
    opts = parse(
        call.args, "Cf" if call.prog == "make" else "", {"--directory", "--file", "--makefile"}
    )
    if call.prog == "make":
        for folder in opts.get("-C", "--directory"):
            loc = call.loc(folder)
            call.fact(
                "exec", detail="project", source="file", path=loc.path, where=loc.where, note="make"
            )
        for file in opts.get("-f", "--file", "--makefile"):
            loc = call.loc(file)
            call.fact(
                "exec",
                detail="project",
                source="file",
                path=loc.path,
                where=loc.where,
                note="make -f",
            )
    if call.prog in ("pip", "uv", "npm", "yarn", "pnpm", "apt", "apt-get", "dpkg", "rpm", "pipx"):
        for value in opts.get("-r", "--requirement", "-c", "--constraint"):
            call.read(value)
    return None
# fmt: on


# ------------------------------------------------------------------- ops tools
_VOLUME = re.compile(r"^(?P<src>[^:]+):(?P<dst>[^:]+)(:(?P<mode>.*))?$")


@handles("docker", "podman", "nerdctl")
def _docker(call: Call) -> Stream | None:
    args = list(call.args)
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += (
            2
            if args[i] in ("-H", "--host", "--context", "-c", "--config", "-l", "--log-level")
            else 1
        )
    sub = args[i] if i < len(args) else ""
    rest = args[i + 1 :]
    if sub == "container" and rest:
        sub, rest = rest[0], rest[1:]
    if sub in ("run", "create"):
        j = 0
        while j < len(rest):
            a = rest[j]
            value = None
            if a in ("-v", "--volume", "--mount") and j + 1 < len(rest):
                value = rest[j + 1]
                j += 1
            elif a.startswith(("--volume=", "--mount=")):
                value = a.split("=", 1)[1]
            elif a.startswith("-v") and len(a) > 2:
                value = a[2:]
            elif a in ("--env-file",) and j + 1 < len(rest):
                call.read(rest[j + 1])
                j += 1
            elif not a.startswith("-"):
                break
            elif a in _DOCKER_RUN_VALUES and j + 1 < len(rest):
                j += 1
            j += 1
            if value is None:
                continue
            source = ""
            if "source=" in value or "src=" in value:
                m = re.search(r"(?:source|src)=([^,]+)", value)
                source = m.group(1) if m else ""
            else:
                m2 = _VOLUME.match(value)
                source = m2.group("src") if m2 else ""
            if source and (
                source.startswith(("/", "~", ".")) or "/" in source or source.startswith(UNKNOWN)
            ):
                call.write(source, detail="mount", recursive=True)
        image_and_cmd = rest[j:]
        if len(image_and_cmd) > 1:
            call.fact(
                "exec",
                detail="container",
                source="literal",
                note=display(" ".join(image_and_cmd))[:80],
            )
    elif sub == "cp" and len(rest) >= 2:
        ops = [a for a in rest if not a.startswith("-")]
        if len(ops) >= 2:
            if ":" in ops[0].split("/", 1)[0]:
                call.write(ops[1], detail="copy", recursive=True)
            else:
                call.read(ops[0])
    elif sub in ("build",):
        ops = [a for a in rest if not a.startswith("-")]
        _reads(call, ops[-1:])
    return None


_DOCKER_RUN_VALUES = {"-e", "--env", "-p", "--publish", "--name", "-w", "--workdir", "--network",
    "--net", "--entrypoint", "-u", "--user", "-l", "--label", "--cpus", "-m", "--memory",
    "--restart", "--pid", "--ipc", "--uts", "--userns", "--cap-add", "--cap-drop", "--device",
    "--security-opt", "--hostname", "-h", "--add-host", "--dns", "--volumes-from", "--tmpfs",
    "--ulimit", "--log-driver", "--log-opt", "--platform", "--pull", "--stop-signal",
    "--health-cmd", "--gpus", "--shm-size", "--cidfile", "--expose", "--group-add",
    "--label-file", "--link", "--mac-address", "--memory-swap", "--runtime", "--stop-timeout",
    "--storage-opt", "--sysctl", "--cgroupns", "--cgroup-parent", "-a", "--attach"}  # fmt: skip


@handles("aws", "gsutil", "gcloud", "az", "s3cmd", "mc", "azcopy")
def _cloud(call: Call) -> Stream | None:
    ops = [a for a in call.args if not a.startswith("-")]
    remote = ("s3://", "gs://", "https://", "az://", "wasb://", "abfs://")
    if call.prog == "aws" and ops[:1] == ["s3"]:
        ops = ops[1:]
    if call.prog == "gcloud" and ops[:1] == ["storage"]:
        ops = ops[1:]
    if call.prog == "az" and ops[:2] == ["storage", "blob"]:
        if len(ops) > 2 and ops[2] in ("upload", "upload-batch"):
            for flag in ("-f", "--file", "-s", "--source"):
                if flag in call.args:
                    k = call.args.index(flag)
                    if k + 1 < len(call.args):
                        call.read(call.args[k + 1])
            call.fact("network", detail="upload", note="az storage blob upload")
        return None
    if not ops:
        return None
    verb, paths = ops[0], ops[1:]
    if verb in ("cp", "mv", "sync", "rsync", "put", "get") and len(paths) >= 2:
        src, dst = paths[:-1], paths[-1]
        if dst.startswith(remote) or ":" in dst.split("/", 1)[0]:
            for s in src:
                if not s.startswith(remote):
                    call.read(s)
            call.fact("network", detail="upload", note=display(dst)[:60])
        else:
            call.write(dst, detail="download", recursive=True)
            call.fact("network", detail="download", note=display(src[0])[:60])
    return None
