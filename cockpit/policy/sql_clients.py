"""Database command-line clients (sqlite3, psql, mysql, duckdb, ...): where their SQL comes from."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

from cockpit.policy.context import handles
from cockpit.policy.facts import OUTSIDE, UNKNOWN, Stream, display
from cockpit.policy.options import parse
from cockpit.policy.sql import statements

if TYPE_CHECKING:
    from cockpit.policy.context import Call


def sql_facts(
    call: Call, sql: str, dialect: str, db: str = "", db_where: str = "", cwd: str | None = None
) -> None:
    """Facts of the SQL text `sql` run against database `db` (a path, or a server name)."""
    if UNKNOWN in sql:
        # Computed pieces: parse with a placeholder name so the statement kinds still show.
        sql = sql.replace(UNKNOWN, " _computed_ ")
        call.fact(
            "sql",
            detail="computed",
            path=db,
            where=db_where,
            note=f"SQL built at run time: {display(sql)[:60]}",
        )
    for stmt in statements(sql, dialect):
        call.fact("sql", detail=stmt.kind, path=db, where=db_where, note=stmt.note)
        for role, target in stmt.paths:
            if role == "write":
                call.write(target, detail=f"sql {stmt.kind}", cwd=cwd)
            elif role == "read":
                call.read(target, cwd=cwd)
            elif role == "attach":
                loc = call.loc(target, cwd)
                call.fact(
                    "sql",
                    detail="attach",
                    path=loc.path,
                    where=loc.where,
                    tags=loc.tags,
                    note=stmt.note,
                )
            elif role == "exec":
                if stmt.kind == "copy-program":
                    call.shell(target)
                else:
                    call.fact("exec", detail="native", source="file", note=stmt.note)


def _sql_from_stdin(
    call: Call, dialect: str, db: str, where: str, runner: Callable[[str], None]
) -> None:
    text, stream = call.stdin_text()
    if stream is None or stream.source == "terminal":
        return
    if text is None:
        origin = display(stream.path) if stream.path else stream.source
        call.fact("unparsed", detail="sql", note=f"SQL read from {origin} could not be inspected")
        return
    runner(text)


# ------------------------------------------------------------------------ sqlite3
_SQLITE_VALUE = {"-cmd", "-init", "-separator", "-newline", "-nullvalue", "-mmap", "-vfs",
    "-pagecache", "-lookaside", "-heap", "-maxsize", "-escape", "-nonce"}  # fmt: skip
_SQLITE_FLAGS = {"-append", "-ascii", "-bail", "-batch", "-box", "-column", "-csv",
    "-deserialize", "-echo", "-header", "-noheader", "-html", "-interactive", "-json", "-line",
    "-list", "-markdown", "-memtrace", "-nofollow", "-quote", "-readonly", "-safe", "-stats",
    "-table", "-tabs", "-version", "-zip", "-help", "-multiplex", "-unsafe-testing",
    "-no-rowid-in-view", "-A", "-utf8"}  # fmt: skip
_DOT_SAFE = {".tables", ".table", ".schema", ".indexes", ".indices", ".mode", ".headers",
    ".header", ".separator", ".nullvalue", ".width", ".timer", ".print", ".show", ".databases",
    ".dbinfo", ".stats", ".eqp", ".explain", ".changes", ".bail", ".echo", ".help", ".quit",
    ".exit", ".fullschema", ".lint", ".expert", ".sha3sum", ".parameter", ".prompt", ".limit",
    ".timeout", ".dump", ".crnl", ".binary", ".selftest", ".check", ".vfsinfo", ".vfslist",
    ".vfsname", ".connection", ".version", ".excel", ".recover", ".scanstats", ".filectrl",
    ".dbconfig", ".nonce", ".unmodule", ".testctrl", ".iotrace", ".imposter", ".progress",
    ".auth"}  # fmt: skip


def sqlite3_cli(call: Call, args: list[str]) -> Stream | None:
    ops: list[str] = []
    cmds: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        norm = "-" + a.lstrip("-") if a.startswith("-") else a
        if norm in _SQLITE_VALUE and i + 1 < len(args):
            if norm == "-cmd":
                cmds.append(args[i + 1])
            elif norm == "-init":
                loc = call.read(args[i + 1])
                text = call.an.read_file(loc.path) if loc else None
                cmds.append(text if text is not None else f".read {args[i + 1]}")
            i += 2
            continue
        if a.startswith("-") and norm in _SQLITE_FLAGS | {"-version", "-help"}:
            i += 1
            continue
        if a.startswith("-") and a != "-" and not any(ch.isspace() for ch in a):
            i += 1  # another option (sqlite3 refuses unknown ones); SQL has spaces: "-- x\n..."
            continue
        ops.append(a)
        i += 1
    state = {"db": ":memory:", "where": "inside", "cwd": call.scope.cwd}
    if ops:
        db = ops[0]
        if db.startswith("file:"):
            db = db[5:].split("?", 1)[0]  # a URI filename
        if db in (":memory:", ""):
            state["db"], state["where"] = ":memory:", "inside"
        else:
            loc = call.loc(db)
            state["db"], state["where"] = loc.path, loc.where
    sql_args = ops[1:]

    def run(text: str) -> None:
        _sqlite_script(call, text, state)

    for cmd in cmds:
        run(cmd)
    if sql_args:
        for text in sql_args:
            run(text)
    else:
        _sql_from_stdin(call, "sqlite", state["db"], state["where"], run)
    return Stream(None, "pipe")


def _sqlite_script(call: Call, text: str, state: dict[str, str]) -> None:
    buf: list[str] = []

    def flush() -> None:
        if buf and "".join(buf).strip():
            sql_facts(call, "\n".join(buf), "sqlite", state["db"], state["where"], state["cwd"])
        buf.clear()

    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(".") and not "".join(buf).strip().rstrip(";").count("'") % 2:
            flush()
            _dot_command(call, stripped, state)
        else:
            buf.append(line)
    flush()


def _dot_command(call: Call, line: str, state: dict[str, str]) -> None:
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    if not words:
        return
    cmd, rest = words[0], words[1:]
    cwd = state["cwd"]
    if cmd in (".shell", ".system"):
        call.shell(" ".join(rest))
    elif cmd in (".output", ".once", ".log", ".trace"):
        targets = [w for w in rest if not w.startswith("-")]
        if targets and targets[0] not in ("stdout", "stderr", "off"):
            if targets[0].startswith("|"):
                call.shell(targets[0][1:] + " " + " ".join(targets[1:]))
            else:
                call.write(targets[0], cwd=cwd)
    elif cmd == ".read":
        if not rest:
            return
        if rest[0].startswith("|"):
            call.shell(rest[0][1:] + " " + " ".join(rest[1:]))
            call.fact("unparsed", detail="sql", note=".read from a command's output")
            return
        loc = call.read(rest[0], cwd=cwd)
        content = call.an.read_file(loc.path) if loc else None
        if content is None:
            call.fact("unparsed", detail="sql", note=f"SQL in {display(rest[0])} could not be read")
        else:
            _sqlite_script(call, content, state)
    elif cmd == ".import":
        files = [w for w in rest if not w.startswith("-")]
        if files:
            call.read(files[0], cwd=cwd)
        call.fact("sql", detail="insert", path=state["db"], where=state["where"], note=line[:80])
    elif cmd in (".backup", ".save", ".clone"):
        files = [w for w in rest if not w.startswith("-")]
        if files:
            call.write(files[-1], cwd=cwd, detail="sql backup")
    elif cmd == ".restore":
        call.fact("sql", detail="restore", path=state["db"], where=state["where"], note=line[:80])
        files = [w for w in rest if not w.startswith("-")]
        if files:
            call.read(files[-1], cwd=cwd)
    elif cmd == ".open":
        files = [w for w in rest if not w.startswith("-")]
        if files:
            loc = call.loc(files[-1], cwd)
            state["db"], state["where"] = loc.path, loc.where
            if "--new" in rest:
                call.write(files[-1], cwd=cwd)
    elif cmd == ".load":
        call.fact("exec", detail="native", source="file", note=line[:80])
    elif cmd == ".cd":
        if rest:
            state["cwd"] = call.loc(rest[0], cwd).path
    elif cmd in _DOT_SAFE:
        return
    else:
        call.fact("unparsed", detail="sql", note=f"unknown sqlite3 command {cmd}")


@handles("sqlite3")
def _sqlite3(call: Call) -> Stream | None:
    return sqlite3_cli(call, list(call.args))


# --------------------------------------------------------------- server clients
def _server(call: Call, name: str) -> tuple[str, str]:
    return f"{call.prog}:{display(name) or 'default'}", OUTSIDE


@handles("psql")
def _psql(call: Call) -> Stream | None:
    opts = parse(call.args, "cfdhpUoLvPFRTs", {"--command", "--file", "--dbname", "--host",
        "--port", "--username", "--output", "--log-file", "--set", "--variable", "--pset",
        "--field-separator", "--record-separator", "--table-attr"})  # fmt: skip
    dbname = opts.first("-d", "--dbname") or (opts.operands[0] if opts.operands else "")
    db, where = _server(call, dbname)
    for value in opts.get("-o", "--output", "-L", "--log-file"):
        call.write(value)

    def run(text: str) -> None:
        _psql_script(call, text, db, where)

    for cmd in opts.get("-c", "--command"):
        run(cmd)
    files = opts.get("-f", "--file")
    for file in files:
        if file == "-":
            _sql_from_stdin(call, "postgres", db, where, run)
            continue
        loc = call.read(file)
        text = call.an.read_file(loc.path) if loc else None
        if text is None:
            call.fact("unparsed", detail="sql", note=f"SQL in {display(file)} could not be read")
        else:
            run(text)
    if not opts.get("-c", "--command") and not files:
        _sql_from_stdin(call, "postgres", db, where, run)
    return Stream(None, "pipe")


def _psql_script(call: Call, text: str, db: str, where: str) -> None:
    buf: list[str] = []
    for line in text.split("\n"):
        m = re.search(r"(^|\s)\\([a-zA-Z!]+|\.)\s*(.*)$", line)
        if m and not line.strip().startswith("--"):
            buf.append(line[: m.start()])
            meta, arg = m.group(2), m.group(3).strip()
            if meta == "!":
                call.shell(arg)
            elif meta in ("o", "out", "w", "lo_export"):
                target = arg.split()[-1] if arg.split() else ""
                if target.startswith("|"):
                    call.shell(target[1:])
                elif target:
                    call.write(target)
            elif meta in ("i", "ir", "include", "include_relative"):
                loc = call.read(arg)
                content = call.an.read_file(loc.path) if loc else None
                if content is None:
                    call.fact(
                        "unparsed", detail="sql", note=f"SQL in {display(arg)} could not be read"
                    )
                else:
                    _psql_script(call, content, db, where)
            elif meta == "copy":
                _psql_copy(call, arg, db, where)
            elif meta in ("gexec",):
                call.fact(
                    "sql",
                    detail="computed",
                    path=db,
                    where=where,
                    note="\\gexec runs SQL built at run time",
                )
            elif meta in ("lo_import",):
                call.read(arg.split()[0] if arg else "")
        else:
            buf.append(line)
    sql = "\n".join(buf)
    if sql.strip():
        sql_facts(call, sql, "postgres", db, where)


def _psql_copy(call: Call, arg: str, db: str, where: str) -> None:
    m = re.search(r"\b(to|from)\s+(program\s+)?'([^']*)'", arg, re.I)
    if not m:
        m = re.search(r"\b(to|from)\s+(program\s+)?(\S+)", arg, re.I)
    if not m:
        return
    direction, program, target = m.group(1).lower(), m.group(2), m.group(3)
    if program:
        call.shell(target)
        call.fact("sql", detail="copy-program", path=db, where=where, note=f"\\copy {arg[:60]}")
    elif direction == "to":
        if target.lower() not in ("stdout", "pstdout"):
            call.write(target)
        call.fact("sql", detail="select", path=db, where=where, note=f"\\copy {arg[:60]}")
    else:
        if target.lower() not in ("stdin", "pstdin"):
            call.read(target)
        call.fact("sql", detail="insert", path=db, where=where, note=f"\\copy {arg[:60]}")


@handles("mysql", "mariadb")
def _mysql(call: Call) -> Stream | None:
    opts = parse(call.args, "eDhuPSO", {"--execute", "--database", "--host", "--user", "--port",
        "--socket", "--defaults-file", "--defaults-extra-file", "--tee", "--init-command",
        "--pager", "--prompt", "--character-sets-dir", "--default-character-set"})  # fmt: skip
    dbname = opts.first("-D", "--database") or (opts.operands[0] if opts.operands else "")
    db, where = _server(call, dbname)
    for value in opts.get("--defaults-file", "--defaults-extra-file"):
        call.read(value)
    for value in opts.get("--tee"):
        call.write(value)
    for value in opts.get("--pager"):
        call.shell(value)

    def run(text: str) -> None:
        _mysql_script(call, text, db, where)

    for sql in opts.get("--init-command"):
        run(sql)
    executes = opts.get("-e", "--execute")
    for sql in executes:
        run(sql)
    if not executes:
        _sql_from_stdin(call, "mysql", db, where, run)
    return Stream(None, "pipe")


def _mysql_script(call: Call, text: str, db: str, where: str) -> None:
    buf: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        low = stripped.lower()
        if low.startswith(("system ", "\\! ")):
            call.shell(stripped.split(None, 1)[1] if " " in stripped else "")
        elif low.startswith(("source ", "\\. ")):
            target = stripped.split(None, 1)[1].rstrip(";").strip() if " " in stripped else ""
            loc = call.read(target)
            content = call.an.read_file(loc.path) if loc else None
            if content is None:
                call.fact(
                    "unparsed", detail="sql", note=f"SQL in {display(target)} could not be read"
                )
            else:
                _mysql_script(call, content, db, where)
        elif low.startswith(("tee ", "\\t ")):
            call.write(stripped.split(None, 1)[1].rstrip(";"))
        elif low.startswith("pager ") or low.startswith("\\p "):
            call.shell(stripped.split(None, 1)[1])
        else:
            buf.append(line)
    sql = "\n".join(buf)
    for m in re.finditer(r"\bLOAD\s+DATA\s+(LOCAL\s+)?INFILE\s+'([^']*)'", sql, re.I):
        call.read(m.group(2))
        call.fact("sql", detail="insert", path=db, where=where, note="LOAD DATA INFILE")
        sql = sql.replace(m.group(0), "SELECT 1 /* load data */")
    for m in re.finditer(r"\bINTO\s+(OUT|DUMP)FILE\s+'([^']*)'", sql, re.I):
        call.fact(
            "sql", detail="write-file", path=db, where=where, note=f"INTO OUTFILE {m.group(2)}"
        )
        sql = sql.replace(m.group(0), "")
    if sql.strip():
        sql_facts(call, sql, "mysql", db, where)


@handles("duckdb")
def _duckdb(call: Call) -> Stream | None:
    opts = parse(
        call.args,
        "cs",
        {"-cmd", "-init", "-separator", "-nullvalue"},
        dash_long={
            "-cmd",
            "-init",
            "-separator",
            "-nullvalue",
            "-readonly",
            "-csv",
            "-json",
            "-line",
            "-list",
            "-markdown",
            "-box",
            "-table",
            "-echo",
            "-bail",
            "-header",
            "-noheader",
            "-unsigned",
            "-version",
        },
    )
    ops = opts.operands
    db, where = ":memory:", "inside"
    if ops and not ops[0].lstrip().upper().startswith(
        ("SELECT", "CREATE", "COPY", "DROP", "INSERT")
    ):
        loc = call.loc(ops[0])
        db, where = loc.path, loc.where
        ops = ops[1:]

    def run(text: str) -> None:
        sql_facts(call, text, "duckdb", db, where)

    texts = opts.get("-c", "-s", "-cmd") + ops
    for value in opts.get("-init"):
        init = call.read(value)
        content = call.an.read_file(init.path) if init else None
        if content is None:
            call.fact("unparsed", detail="sql", note=f"SQL in {display(value)} could not be read")
        else:
            texts.append(content)
    for text in texts:
        run(text)
    if not texts:
        _sql_from_stdin(call, "duckdb", db, where, run)
    return Stream(None, "pipe")


@handles(
    "clickhouse-client",
    "clickhouse",
    "bq",
    "snowsql",
    "sqlcmd",
    "trino",
    "presto",
    "beeline",
    "impala-shell",
    "cqlsh",
    "spark-sql",
    "usql",
    "litecli",
    "pgcli",
    "mycli",
)
def _other_sql(call: Call) -> Stream | None:
    dialect = {"clickhouse-client": "clickhouse", "clickhouse": "clickhouse", "bq": "bigquery",
               "snowsql": "snowflake", "sqlcmd": "tsql", "trino": "trino", "presto": "presto",
               "beeline": "hive", "impala-shell": "hive", "spark-sql": "spark", "pgcli": "postgres",
               "mycli": "mysql", "litecli": "sqlite"}.get(call.prog, "")  # fmt: skip
    args = list(call.args)
    if call.prog == "clickhouse" and args[:1] == ["client"]:
        args = args[1:]
    if call.prog == "bq":
        if not args or args[0] != "query":
            return None
        args = args[1:]
    opts = parse(
        args, "qQeif", {"--query", "--execute", "--file", "--queries-file", "--input-file"}
    )
    db, where = _server(call, "")
    texts = opts.get("-q", "-Q", "--query", "-e", "--execute")
    if call.prog == "bq":
        texts += [o for o in opts.operands]
    for file in opts.get("-f", "-i", "--file", "--queries-file", "--input-file"):
        loc = call.read(file)
        content = call.an.read_file(loc.path) if loc else None
        if content is None:
            call.fact("unparsed", detail="sql", note=f"SQL in {display(file)} could not be read")
        else:
            texts.append(content)
    for text in texts:
        sql_facts(call, text, dialect, db, where)
    if not texts:
        _sql_from_stdin(call, dialect, db, where, lambda t: sql_facts(call, t, dialect, db, where))
    return Stream(None, "pipe")


# fmt: off
_REDIS = {
    "flushall": "drop-database", "flushdb": "drop-database", "del": "delete",
    "unlink": "delete", "config": "alter", "shutdown": "drop-database", "debug": "alter",
    "script": "alter", "eval": "update", "evalsha": "update", "set": "update", "hset": "update",
    "lpush": "insert", "rpush": "insert", "sadd": "insert", "zadd": "insert", "expire": "update",
    "rename": "alter", "migrate": "alter", "slaveof": "alter", "replicaof": "alter",
    "module": "load-extension", "acl": "grant", "swapdb": "alter", "restore": "restore",
}
# fmt: on


@handles("redis-cli", "valkey-cli")
def _redis(call: Call) -> Stream | None:
    opts = parse(call.args, "hpansuriRcdD", {"--user", "--pass", "--tls", "--cacert"})
    ops = opts.operands
    db, where = _server(call, opts.first("-h") or "")
    lines = [ops] if ops else []
    if not ops:

        def from_stdin(text: str) -> None:
            lines.extend(line.split() for line in text.split("\n") if line.strip())

        _sql_from_stdin(call, "", db, where, from_stdin)
    for words in lines:
        cmd = words[0].lower()
        kind = _REDIS.get(cmd, "select")
        if cmd == "config" and len(words) > 1 and words[1].lower() == "get":
            kind = "select"
        call.fact("sql", detail=kind, path=db, where=where, note=display(" ".join(words))[:80])
    return None


_MONGO = [
    (r"\.dropDatabase\s*\(", "drop-database"),
    (r"\.drop\s*\(", "drop-table"),
    (r"\.(deleteMany|remove)\s*\(\s*\{\s*\}\s*\)", "delete-all"),
    (r"\.(deleteMany|deleteOne|remove|findOneAndDelete)\s*\(", "delete"),
    (r"\.updateMany\s*\(\s*\{\s*\}", "update-all"),
    (r"\.(update|updateOne|updateMany|replaceOne|insert|insertOne|insertMany|save)\s*\(", "update"),
]


@handles("mongosh", "mongo")
def _mongo(call: Call) -> Stream | None:
    opts = parse(
        call.args,
        "uphf",
        {
            "--eval",
            "--file",
            "--host",
            "--port",
            "--username",
            "--password",
            "--authenticationDatabase",
        },
    )
    db, where = _server(call, opts.operands[0] if opts.operands else "")
    texts = opts.get("--eval")
    for file in opts.get("-f", "--file"):
        text = call.an.read_file(call.loc(file).path)
        if text is None:
            call.fact("exec", detail="script", source="file", note=f"mongo script {display(file)}")
        else:
            texts.append(text)
    for text in texts:
        kinds = [k for pattern, k in _MONGO if re.search(pattern, text)]
        for kind in kinds or ["select"]:
            call.fact("sql", detail=kind, path=db, where=where, note=display(text)[:80])
    return None
