"""SQL parsed with sqlglot: what each statement does (drop, delete-all, attach, select ...)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

# sqlglot logs a warning for every statement it falls back to parsing as a Command.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# Statement kinds (the `detail` of sql facts) that change nothing.
READ_KINDS = frozenset({"select", "pragma", "transaction", "detach", "explain"})

# Functions that touch files or run code from inside SQL: name -> role of their string argument.
_FILE_FUNCTIONS = {
    "load_extension": "exec",
    "writefile": "write",
    "readfile": "read",
    "edit": "exec",
    "fts3_tokenizer": "exec",
    "pg_read_file": "read",
    "pg_read_binary_file": "read",
    "pg_ls_dir": "read",
    "pg_stat_file": "read",
    "lo_import": "read",
    "lo_export": "write",
    "load_file": "read",
    "sys_exec": "exec",
    "sys_eval": "exec",
    "xp_cmdshell": "exec",
    "dblink": "network",
    "dblink_exec": "network",
    "read_csv": "read",
    "read_csv_auto": "read",
    "read_parquet": "read",
    "read_json": "read",
    "read_json_auto": "read",
    "read_ndjson": "read",
    "read_text": "read",
    "read_blob": "read",
    "parquet_scan": "read",
    "sqlite_scan": "read",
    "glob": "read",
}


@dataclass(frozen=True)
class Statement:
    """One SQL statement: its kind, a short text for reasons, and the files it names."""

    kind: str
    note: str
    paths: tuple[tuple[str, str], ...] = ()  # (role, literal): role = read / write / attach / exec


def _mysql_comments(sql: str) -> str:
    """MySQL runs the text of /*! ... */ comments: make it visible to the parser."""
    return re.sub(r"/\*!\d*(.*?)\*/", r" \1 ", sql, flags=re.S)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


@lru_cache(maxsize=2048)
def statements(sql: str, dialect: str = "sqlite") -> tuple[Statement, ...]:
    """Classify every statement of `sql`; what sqlglot cannot parse is kind 'unparsed'."""
    import sqlglot

    if "/*!" in sql:
        sql = _mysql_comments(sql)
    if not sql.strip().strip(";").strip():
        return ()
    try:
        parsed = sqlglot.parse(sql, read=dialect)
    except Exception as exc:  # a ParseError, or anything else the parser raises
        first = str(exc).split("\n", 1)[0]
        return (Statement("unparsed", _short(f"{_short(sql)} ({first[:60]})")),)
    out: list[Statement] = []
    for stmt in parsed:
        if stmt is not None:
            out.extend(_classify(stmt, sql, dialect))
    return tuple(out)


def _literal_paths(node: exp.Expr) -> list[str]:
    from sqlglot import exp

    return [str(lit.this) for lit in node.find_all(exp.Literal) if lit.is_string]


def _classify(s: exp.Expr, sql: str, dialect: str) -> list[Statement]:
    from sqlglot import exp

    note = _short(s.sql(dialect=dialect))
    found: list[Statement] = []
    # Functions that read or write files, load code, or reach the network.
    for fn in s.find_all(exp.Func):
        name = str(fn.this).lower() if isinstance(fn, exp.Anonymous) else fn.sql_name().lower()
        role = _FILE_FUNCTIONS.get(name)
        if role is None:
            continue
        args = _literal_paths(fn)
        if role == "exec":
            found.append(
                Statement("load-extension", f"{name}(...)", tuple(("exec", a) for a in args))
            )
        elif role == "network":
            found.append(Statement("network", f"{name}(...)"))
        else:
            found.append(Statement("select", f"{name}(...)", tuple((role, a) for a in args[:1])))
    kind = _kind(s, sql)
    paths: tuple[tuple[str, str], ...] = ()
    if kind == "attach":
        lits = _literal_paths(s)
        paths = tuple(("attach", p) for p in lits[:1])
        if not lits:
            ident = s.find(exp.Identifier)
            if ident is not None:
                paths = (("attach", str(ident.this)),)
    elif kind in ("copy-to", "copy-from"):
        files = [f for f in (s.args.get("files") or []) if isinstance(f, exp.Literal)]
        paths = tuple(("write" if kind == "copy-to" else "read", str(f.this)) for f in files)
    elif kind == "copy-program":
        m = re.search(r"\bPROGRAM\s+'((?:[^']|'')*)'", sql, re.I)
        paths = (("exec", m.group(1).replace("''", "'") if m else "\x00"),)
    elif kind == "vacuum-into":
        m = re.search(r"\bINTO\s+'((?:[^']|'')*)'", _command_rest(s), re.I)
        paths = (("write", m.group(1).replace("''", "'")),) if m else (("write", "\x00"),)
    elif kind in ("export", "import"):
        lits = _literal_paths(s)
        paths = tuple(("write" if kind == "export" else "read", p) for p in lits[:1])
    found.append(Statement(kind, note, paths))
    return found


def _kind(s: exp.Expr, sql: str) -> str:
    from sqlglot import exp

    if isinstance(s, exp.Drop):
        what = str(s.args.get("kind") or "").upper()
        return {"TABLE": "drop-table", "DATABASE": "drop-database", "SCHEMA": "drop-database",
                "VIEW": "drop-view", "INDEX": "drop-index"}.get(what, "drop-other")  # fmt: skip
    if isinstance(s, exp.TruncateTable):
        return "truncate"
    if isinstance(s, (exp.Delete, exp.Update)):
        where = s.args.get("where")
        everything = where is None or _always_true(where.this)
        base = "delete" if isinstance(s, exp.Delete) else "update"
        return base + "-all" if everything else base
    if isinstance(s, exp.Insert):
        return "truncate" if s.args.get("overwrite") else "insert"
    if isinstance(s, exp.Merge):
        return "update"
    if isinstance(s, exp.Create):
        return "replace" if s.args.get("replace") else "create"
    if isinstance(s, exp.Alter):
        for action in s.args.get("actions") or []:
            if isinstance(action, (exp.Drop, exp.DropPartition)) or action.sql().upper().startswith(
                "DROP"
            ):
                return "alter-drop"
        return "alter"
    if isinstance(s, exp.Attach):
        return "attach"
    if isinstance(s, exp.Detach):
        return "detach"
    if isinstance(s, exp.Copy):
        if re.search(r"\bPROGRAM\b", sql, re.I):
            return "copy-program"
        return "copy-from" if s.args.get("kind") else "copy-to"
    if isinstance(s, exp.Pragma):
        return "pragma-write" if re.search(r"\bPRAGMA\s+[\w.]+\s*=", sql, re.I) else "pragma"
    if isinstance(s, exp.Select) and s.args.get("into") is not None:
        return "create"
    if isinstance(s, (exp.Query, exp.Values, exp.Describe, exp.Show, exp.Use)):
        return "select"
    if isinstance(s, (exp.Transaction, exp.Commit, exp.Rollback)):
        return "transaction"
    if isinstance(s, (exp.Grant, exp.Revoke)):
        return "grant"
    if isinstance(s, exp.Set):
        return "pragma-write"
    if isinstance(s, exp.Command):
        return _command_kind(str(s.this).upper(), _command_rest(s))
    name = type(s).__name__.lower()
    if name == "loaddata":
        return "insert"
    if name in ("analyze", "cache", "uncache", "refresh", "optimize"):
        return "maintenance"
    if name == "export":
        return "export"
    if name in ("install", "load"):
        return "load-extension"
    return "unknown"


def _command_rest(s: exp.Expr) -> str:
    from sqlglot import exp

    rest = s.args.get("expression")
    if isinstance(rest, exp.Literal):
        return str(rest.this)
    return "" if rest is None else str(rest)


def _command_kind(head: str, rest: str) -> str:
    if head == "VACUUM":
        return "vacuum-into" if re.search(r"\bINTO\b", rest, re.I) else "vacuum"
    if head in ("REINDEX", "ANALYZE", "OPTIMIZE", "CHECKPOINT", "CLUSTER", "REFRESH"):
        return "maintenance"
    if head in ("EXPLAIN", "SHOW", "DESC", "DESCRIBE", "SUMMARIZE", "LISTEN", "NOTIFY", "DISCARD"):
        return "select"
    if head in ("GRANT", "REVOKE"):
        return "grant"
    if head in ("SET", "RESET"):
        return "pragma-write"
    if head in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END", "ABORT", "START"):
        return "transaction"
    if head in ("INSTALL", "LOAD", "FORCE"):
        return "load-extension"
    if head == "EXPORT":
        return "export"
    if head == "IMPORT":
        return "import"
    if head == "TRUNCATE":
        return "truncate"
    if head == "DROP":
        return "drop-table" if re.match(r"\s*(TABLE|DATABASE|SCHEMA)", rest, re.I) else "drop-other"
    if head == "DETACH":
        return "detach"
    return "unknown"


def _always_true(cond: exp.Expr) -> bool:
    """WHERE clauses that select every row: 1=1, 'a'='a', x=x, TRUE, ... OR 1, LIKE '%'."""
    from sqlglot.optimizer.simplify import simplify

    try:
        simple = simplify(cond.copy())
    except Exception:  # the simplifier is best effort
        simple = cond
    return _truthy(simple)


def _truthy(node: exp.Expr) -> bool:
    from sqlglot import exp

    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Paren):
        return _truthy(node.this)
    if isinstance(node, exp.Or):
        return _truthy(node.left) or _truthy(node.right)
    if isinstance(node, exp.And):
        return _truthy(node.left) and _truthy(node.right)
    if isinstance(node, (exp.EQ, exp.GTE, exp.LTE, exp.NullSafeEQ)) and node.left == node.right:
        return True
    if isinstance(node, (exp.Like, exp.ILike)):
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and set(str(pattern.this)) <= {"%"}:
            return True
    if node.find(exp.Column) is None:
        # A condition on no column (NOT 0, 2 > 1, 'x' IS NOT NULL): true unless plainly false.
        if isinstance(node, exp.Literal):
            return str(node.this).strip() not in ("0", "", "0.0")
        return not isinstance(node, exp.Null)
    return False
