"""Python handed to an interpreter (python -c, python - <<EOF): inspected through `ast`."""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import posixpath
import shlex
import warnings
from typing import TYPE_CHECKING

from cockpit.policy.facts import UNKNOWN, display

if TYPE_CHECKING:
    from cockpit.policy.context import Call

MAX_NESTING = 4

_DELETE = {"os.remove": False, "os.unlink": False, "os.rmdir": False, "os.removedirs": False,
           "shutil.rmtree": True, "send2trash.send2trash": False}  # fmt: skip
_PATH_METHODS_DELETE = {"unlink": False, "rmdir": False, "rmtree": True}
_PATH_METHODS_WRITE = {
    "write_text",
    "write_bytes",
    "touch",
    "mkdir",
    "symlink_to",
    "hardlink_to",
    "chmod",
    "lchmod",
}
_PATH_METHODS_READ = {"read_text", "read_bytes", "iterdir", "glob", "rglob", "stat", "exists"}
_WRITE_FUNCS = {"os.makedirs", "os.mkdir", "os.truncate", "os.mkfifo", "os.mknod",
                "shutil.make_archive", "numpy.save", "numpy.savetxt", "numpy.savez"}  # fmt: skip
_COPY_FUNCS = {"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree",
               "shutil.copymode", "shutil.copystat", "shutil.move", "os.rename", "os.replace",
               "os.renames", "os.symlink", "os.link"}  # fmt: skip
_PERM_FUNCS = {"os.chmod", "os.chown", "os.lchown", "shutil.chown", "os.chflags", "os.lchmod"}
_READ_FUNCS = {"os.listdir", "os.scandir", "os.walk", "glob.glob", "glob.iglob",
               "pandas.read_csv", "pandas.read_parquet", "pandas.read_json", "pandas.read_excel",
               "pandas.read_table", "pandas.read_pickle", "numpy.load", "numpy.loadtxt",
               "json.load", "tomllib.load", "configparser.ConfigParser.read"}  # fmt: skip
_FRAME_WRITES = {"to_csv", "to_parquet", "to_json", "to_excel", "to_pickle", "to_feather",
                 "to_hdf", "to_html", "to_markdown", "to_string", "savefig"}  # fmt: skip
_SHELL_FUNCS = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
                "commands.getoutput", "asyncio.create_subprocess_shell", "os.popen2",
                "os.popen3", "platform.popen"}  # fmt: skip
_ARGV_FUNCS = {"subprocess.run", "subprocess.call", "subprocess.check_call",
               "subprocess.check_output", "subprocess.Popen", "asyncio.create_subprocess_exec",
               "pty.spawn", "os.posix_spawn", "os.posix_spawnp"}  # fmt: skip
_NETWORK = ("socket.", "urllib.request.", "urllib3.", "requests.", "httpx.", "http.client.",
            "ftplib.", "smtplib.", "telnetlib.", "paramiko.", "aiohttp.", "websocket.",
            "websockets.", "xmlrpc.client.", "boto3.", "botocore.", "google.cloud.", "azure.",
            "pysftp.", "asyncssh.", "asyncio.open_connection", "socketserver.", "http.server.",
            "urllib.urlopen", "urllib2.", "pycurl.", "dns.", "scapy.", "grpc.",
            "webbrowser.", "imaplib.", "poplib.", "nntplib.")  # fmt: skip
_UPLOAD_METHODS = {"post", "put", "patch", "delete", "send", "sendall", "sendto", "sendfile",
                   "upload_file", "upload_fileobj", "put_object", "storbinary", "storlines",
                   "sendmail", "send_message", "delete_object", "delete_objects",
                   "delete_bucket", "upload", "write"}  # fmt: skip
_LISTEN_METHODS = {"bind", "listen", "serve_forever", "HTTPServer", "TCPServer", "start_server"}
_SQL_METHODS = {"execute", "executescript", "executemany", "sql", "query", "read_sql",
                "read_sql_query", "exec_driver_sql", "raw_sql", "run"}  # fmt: skip


def analyse_python(code: str, call: Call, nesting: int = 0) -> None:
    """Facts of Python source run by `call` (its working folder is the call's)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning must not reach the terminal
            tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        call.fact(
            "unparsed",
            detail="python",
            note=f"Python that does not parse ({exc.__class__.__name__})",
        )
        return
    _Visitor(call, nesting).visit(tree)


class _Visitor(ast.NodeVisitor):
    def __init__(self, call: Call, nesting: int) -> None:
        self.call = call
        self.nesting = nesting
        self.aliases: dict[str, str] = {}
        self.values: dict[str, str] = {}
        self.paths: dict[str, str] = {}  # names bound to Path(...) objects
        self.cwd = call.scope.cwd
        self.db = ""
        self.db_where = ""
        self.dialect = "sqlite"
        self.loops = 0
        self.network: set[str] = set()

    # ------------------------------------------------------------- bindings
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.aliases[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )
            self._module_dialect(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._module_dialect(module)
        for alias in node.names:
            if alias.name == "*":
                continue
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"

    def _module_dialect(self, module: str) -> None:
        if module.startswith("duckdb"):
            self.dialect = "duckdb"
        elif module.startswith(("psycopg", "asyncpg", "pg8000")):
            self.dialect = "postgres"
        elif module.startswith(("pymysql", "MySQLdb", "mysql")):
            self.dialect = "mysql"

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        value = self.static(node.value)
        path = self._path_of(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if value is not None:
                    self.values[target.id] = value
                else:
                    self.values.pop(target.id, None)
                if path is not None:
                    self.paths[target.id] = path
                name = self.resolve(node.value.func) if isinstance(node.value, ast.Call) else None
                if name in ("os", "subprocess", "shutil") or (
                    isinstance(node.value, ast.Name)
                    and self.resolve(node.value) in ("os", "subprocess", "shutil", "builtins")
                ):
                    self.aliases[target.id] = name or self.resolve(node.value) or ""
            else:
                self.visit(target)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self.loops += 1
        for stmt in node.body + node.orelse:
            self.visit(stmt)
        self.loops -= 1

    def visit_While(self, node: ast.While) -> None:
        self.visit(node.test)
        self.loops += 1
        for stmt in node.body + node.orelse:
            self.visit(stmt)
        self.loops -= 1

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = self.resolve(node)
        if name:
            self._network(name, node.attr, None)
        self.generic_visit(node)

    # ---------------------------------------------------------------- calls
    def visit_Call(self, node: ast.Call) -> None:
        call = self.call
        self.generic_visit(node)
        func = node.func
        name = self.resolve(func) or ""
        method = (
            func.attr
            if isinstance(func, ast.Attribute)
            else (func.id if isinstance(func, ast.Name) else "")
        )
        args = node.args
        arg0 = self.static(args[0]) if args else None
        target: str | None = None
        if name:
            self._network(name, method, node)
        if name in ("open", "io.open", "codecs.open", "builtins.open") or (
            method == "open"
            and isinstance(func, ast.Attribute)
            and self._path_of(func.value) is not None
        ):
            self._open(node, func)
            return
        if name == "os.open" and args:
            flags = ast.unparse(args[1]) if len(args) > 1 else ""
            target = arg0 or UNKNOWN
            if any(f in flags for f in ("WRONLY", "RDWR", "CREAT", "TRUNC", "APPEND")):
                call.write(target, cwd=self.cwd)
            else:
                call.read(target, cwd=self.cwd)
            return
        if name in _DELETE:
            call.delete(
                arg0 or UNKNOWN,
                recursive=_DELETE[name],
                force=_DELETE[name],
                detail=name,
                cwd=self.cwd,
            )
            return
        if isinstance(func, ast.Attribute):
            receiver = self._path_of(func.value)
            if receiver is not None:
                if method in _PATH_METHODS_DELETE:
                    call.delete(
                        receiver,
                        recursive=_PATH_METHODS_DELETE[method],
                        detail=f"Path.{method}",
                        cwd=self.cwd,
                    )
                    return
                if method in _PATH_METHODS_WRITE:
                    if method in ("chmod", "lchmod"):
                        loc = call.loc(receiver, self.cwd)
                        call.fact(
                            "permissions",
                            detail="chmod",
                            path=loc.path,
                            where=loc.where,
                            tags=loc.tags,
                        )
                    else:
                        call.write(receiver, cwd=self.cwd)
                    return
                if method in ("rename", "replace") and args:
                    call.write(receiver, detail="move-from", cwd=self.cwd)
                    call.write(arg0 or UNKNOWN, cwd=self.cwd)
                    return
                if method in _PATH_METHODS_READ:
                    call.read(receiver, cwd=self.cwd)
                    return
            if method in ("extractall", "extract") and name.split(".")[0] not in ("re",):
                target = (
                    arg0
                    if method == "extractall"
                    else (self.static(args[1]) if len(args) > 1 else None)
                )
                kw = _kw(node, "path")
                target = self.static(kw) if kw is not None else target
                call.write(target or ".", detail="extract", recursive=True, cwd=self.cwd)
                return
            if method in _FRAME_WRITES and args and not name.startswith(("os.", "sys.")):
                call.write(arg0 or UNKNOWN, cwd=self.cwd)
                return
            if method == "to_sql":
                how = _kw(node, "if_exists")
                kind = "replace" if how is not None and self.static(how) == "replace" else "insert"
                call.fact(
                    "sql",
                    detail=kind,
                    path=self.db,
                    where=self.db_where,
                    note=f"to_sql({display(arg0 or '?')})",
                )
                return
            if method in _SQL_METHODS and args and not name.startswith(("subprocess.", "asyncio.")):
                self._sql(args[0])
                return
        if name in _WRITE_FUNCS:
            call.write(arg0 or UNKNOWN, cwd=self.cwd)
            return
        if name in _COPY_FUNCS and len(args) >= 2:
            src, dst = arg0 or UNKNOWN, self.static(args[1]) or UNKNOWN
            if name.startswith("shutil.copy"):
                call.read(src, cwd=self.cwd)
            else:
                call.write(src, detail="move-from", cwd=self.cwd)
            call.write(dst, recursive=name in ("shutil.copytree", "shutil.move"), cwd=self.cwd)
            return
        if name in _PERM_FUNCS:
            loc = call.loc(arg0 or UNKNOWN, self.cwd)
            call.fact(
                "permissions",
                detail=name.split(".")[-1],
                path=loc.path,
                where=loc.where,
                tags=loc.tags,
            )
            return
        if name in _READ_FUNCS and args:
            if arg0 and arg0.startswith(("http://", "https://", "s3://", "ftp://")):
                call.fact("network", detail="download", note=display(arg0)[:60])
            elif arg0 is not None or not isinstance(args[0], ast.Call):
                call.read(arg0 or UNKNOWN, cwd=self.cwd)
            return
        if name in ("shutil.unpack_archive",):
            call.read(arg0 or UNKNOWN, cwd=self.cwd)
            target = self.static(args[1]) if len(args) > 1 else "."
            call.write(target or UNKNOWN, detail="extract", recursive=True, cwd=self.cwd)
            return
        if name in ("urllib.request.urlretrieve",) and len(args) > 1:
            call.write(self.static(args[1]) or UNKNOWN, detail="download", cwd=self.cwd)
            return
        if name in _SHELL_FUNCS:
            self._shell_string(args[0] if args else None, name)
            return
        if name in _ARGV_FUNCS:
            self._argv(node, name)
            return
        if name.startswith(("os.exec", "os.spawn")):
            self._exec_family(node, name)
            return
        if name in ("eval", "exec", "compile", "builtins.eval", "builtins.exec"):
            self._eval(node, name)
            return
        if (
            name in ("__import__", "importlib.import_module", "builtins.__import__")
            and args
            and arg0 is None
        ):
            call.fact(
                "exec", detail="code", source="unknown", note="imports a module named at run time"
            )
            return
        if (
            name in ("getattr", "builtins.getattr")
            and len(args) >= 2
            and self.static(args[1]) is None
        ):
            target = self.resolve(args[0]) or ""
            if target.split(".")[0] in (
                "os",
                "subprocess",
                "shutil",
                "builtins",
                "socket",
                "pty",
                "sys",
            ):
                call.fact(
                    "exec", detail="code", source="unknown", note=f"getattr({target}, <computed>)"
                )
            return
        if name.startswith(("ctypes.", "cffi.")) or name in ("ctypes", "cffi"):
            call.fact("exec", detail="native", source="unknown", note=f"{name}: native code")
            return
        if name in ("os.kill", "os.killpg", "signal.pthread_kill"):
            target = self.static(args[0]) if args else None
            detail = "kill-all" if target in ("-1", "0") or name == "os.killpg" else "kill"
            call.fact("process", detail=detail, note=f"{name}({display(target or '?')})")
            return
        if name in ("os.fork", "os.forkpty"):
            if self.loops:
                call.fact("fork-bomb", detail="loop", note=f"{name} in a loop")
            else:
                call.fact("process", detail="fork", note=name)
            return
        if name in ("os.chdir",) and arg0 is not None:
            self.cwd = call.loc(arg0, self.cwd).path
            return
        if name in ("sqlite3.connect", "duckdb.connect", "sqlite3.dbapi2.connect"):
            target = (
                arg0
                if arg0 is not None
                else (
                    self.static(_kw(node, "database"))
                    if _kw(node, "database") is not None
                    else UNKNOWN
                )
            )
            if target in (":memory:", ""):
                self.db, self.db_where = ":memory:", "inside"
            else:
                loc = call.loc(target or UNKNOWN, self.cwd)
                self.db, self.db_where = loc.path, loc.where
            self.dialect = "duckdb" if name.startswith("duckdb") else "sqlite"
            return
        if name.endswith(
            (
                "psycopg2.connect",
                "psycopg.connect",
                "pymysql.connect",
                "MySQLdb.connect",
                "mysql.connector.connect",
                "asyncpg.connect",
                "pg8000.connect",
            )
        ):
            self.db, self.db_where = f"{name.split('.')[0]}:server", "outside"
            return
        if name.endswith("create_engine") and arg0:
            if arg0.startswith("sqlite:///"):
                loc = call.loc(arg0[len("sqlite:///") :], self.cwd)
                self.db, self.db_where = loc.path, loc.where
            else:
                self.db, self.db_where = arg0.split(":", 1)[0] + ":server", "outside"
                self.dialect = (
                    "postgres"
                    if "postgres" in arg0
                    else ("mysql" if "mysql" in arg0 else self.dialect)
                )
            return

    # ----------------------------------------------------------- specifics
    def _open(self, node: ast.Call, func: ast.expr) -> None:
        args = node.args
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "open"
            and self._path_of(func.value) is not None
        ):
            target = self._path_of(func.value)
            mode_node = args[0] if args else _kw(node, "mode")
        else:
            target = self.static(args[0]) if args else None
            mode_node = args[1] if len(args) > 1 else _kw(node, "mode")
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, int):
                return  # open(fd)
        mode = self.static(mode_node) if mode_node is not None else "r"
        if mode is None:
            mode = "w"
        if target is None:
            target = UNKNOWN
        if any(c in mode for c in "wax+"):
            self.call.write(target, detail="append" if "a" in mode else "truncate", cwd=self.cwd)
        else:
            self.call.read(target, cwd=self.cwd)

    def _sql(self, node: ast.expr) -> None:
        from cockpit.policy.sql_clients import sql_facts

        if isinstance(node, ast.Call) and node.args:
            fname = self.resolve(node.func) or ""
            if fname.endswith("text"):
                node = node.args[0]
        text = self.static(node)
        if text is None:
            self.call.fact(
                "sql",
                detail="computed",
                path=self.db,
                where=self.db_where,
                note="SQL built at run time",
            )
            return
        sql_facts(self.call, text, self.dialect, self.db, self.db_where, self.cwd)

    def _shell_string(self, node: ast.expr | None, name: str) -> None:
        text = self.static(node) if node is not None else None
        if text is None or UNKNOWN in text:
            self.call.fact(
                "exec",
                detail="code",
                source="unknown",
                note=f"{name} runs a command built at run time",
            )
            if text:
                self.call.shell(text)
            return
        self.call.shell(text)

    def _argv(self, node: ast.Call, name: str) -> None:
        if not node.args:
            return
        first = node.args[0]
        shell_kw = _kw(node, "shell")
        use_shell = isinstance(shell_kw, ast.Constant) and bool(shell_kw.value)
        if isinstance(first, (ast.List, ast.Tuple)) and name != "asyncio.create_subprocess_exec":
            words = [self.static(e) for e in first.elts]
            if any(w is None for w in words):
                words = [w if w is not None else UNKNOWN for w in words]
            if use_shell and words:
                self._shell_words_text(" ".join(w or "" for w in words), name)
            else:
                self.call.run([w or UNKNOWN for w in words])
            return
        if name == "asyncio.create_subprocess_exec":
            words2 = [self.static(a) or UNKNOWN for a in node.args]
            self.call.run(words2)
            return
        text = self.static(first)
        if text is None:
            self.call.fact(
                "exec",
                detail="code",
                source="unknown",
                note=f"{name} runs a command built at run time",
            )
            return
        if use_shell or (name == "pty.spawn" and " " in text):
            self._shell_words_text(text, name)
        else:
            try:
                self.call.run(shlex.split(text) if " " in text else [text])
            except ValueError:
                self._shell_words_text(text, name)

    def _shell_words_text(self, text: str, name: str) -> None:
        if UNKNOWN in text:
            self.call.fact(
                "exec",
                detail="code",
                source="unknown",
                note=f"{name} runs a command built at run time",
            )
        self.call.shell(text)

    def _exec_family(self, node: ast.Call, name: str) -> None:
        values = node.args[1:] if name.startswith("os.spawn") else node.args
        flat: list[str] = []
        for v in values:
            if isinstance(v, (ast.List, ast.Tuple)):
                flat.extend(self.static(e) or UNKNOWN for e in v.elts)
            elif isinstance(v, ast.Dict):
                continue
            else:
                flat.append(self.static(v) or UNKNOWN)
        if not flat:
            return
        path, argv = flat[0], flat[2:] if len(flat) > 1 else []
        self.call.run([path, *argv])

    def _eval(self, node: ast.Call, name: str) -> None:
        if not node.args:
            return
        text = self.static(node.args[0])
        if text is None or UNKNOWN in text:
            fetched = any(
                isinstance(n, ast.Call) and (self.resolve(n.func) or "").startswith(_NETWORK)
                for n in ast.walk(node.args[0])
            )
            self.call.fact(
                "exec",
                detail="code",
                source="network" if fetched else "unknown",
                note=f"{name}() of code {'downloaded' if fetched else 'built'} at run time",
            )
            return
        if self.nesting >= MAX_NESTING:
            self.call.fact("unparsed", detail="python", note="exec() nested too deeply")
            return
        analyse_python(text, self.call, self.nesting + 1)

    def _network(self, name: str, method: str, node: ast.Call | None) -> None:
        if not name.startswith(_NETWORK) and name not in ("socket", "requests", "httpx", "urllib3"):
            return
        module = name.split(".")[0]
        detail = "connect"
        if method in _UPLOAD_METHODS or (
            node is not None and any(k.arg in ("data", "files", "json") for k in node.keywords)
        ):
            detail = "upload"
        elif method in _LISTEN_METHODS or name.startswith(("http.server", "socketserver")):
            detail = "listen"
        key = f"{module}:{detail}"
        if key in self.network:
            return
        self.network.add(key)
        self.call.fact("network", detail=detail, note=f"Python {name}")

    # -------------------------------------------------------------- values
    def resolve(self, node: ast.expr) -> str | None:
        """Dotted name of a function or attribute, with import aliases applied."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            fname = self.resolve(node.func)
            if (
                fname in ("__import__", "importlib.import_module", "builtins.__import__")
                and node.args
            ):
                return self.static(node.args[0])
            if fname in ("getattr", "builtins.getattr") and len(node.args) >= 2:
                base = self.resolve(node.args[0])
                attr = self.static(node.args[1])
                return f"{base}.{attr}" if base and attr else None
            if fname and fname.split(".")[-1] in (
                "Session",
                "client",
                "resource",
                "socket",
                "create_connection",
                "Client",
                "AsyncClient",
                "SSHClient",
                "FTP",
                "SMTP",
                "HTTPConnection",
                "HTTPSConnection",
                "PoolManager",
                "urlopen",
            ):
                return fname
            return None
        if isinstance(node, ast.Subscript):
            return self.resolve(node.value)
        return None

    def _path_of(self, node: ast.expr) -> str | None:
        """The path of a pathlib.Path expression (Path('x'), Path.home() / 'y', p)."""
        if isinstance(node, ast.Name) and node.id in self.paths:
            return self.paths[node.id]
        if isinstance(node, ast.Call):
            fname = self.resolve(node.func) or ""
            short = fname.rsplit(".", 1)[-1]
            if short in ("Path", "PosixPath", "PurePath", "PurePosixPath"):
                parts = [self.static(a) or UNKNOWN for a in node.args]
                return posixpath.join(*parts) if parts else "."
            if fname.endswith(("Path.home", "pathlib.Path.home")) or short == "home":
                return self.call.an.home
            if short == "cwd":
                return self.cwd
            if isinstance(node.func, ast.Attribute) and node.func.attr in (
                "expanduser",
                "resolve",
                "absolute",
                "with_suffix",
                "with_name",
                "joinpath",
            ):
                base = self._path_of(node.func.value)
                if base is None:
                    return None
                if node.func.attr == "joinpath":
                    return posixpath.join(base, *[self.static(a) or UNKNOWN for a in node.args])
                return base
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = self._path_of(node.left)
            if left is not None:
                right = self.static(node.right)
                return posixpath.join(left, right if right is not None else UNKNOWN)
        return None

    def static(self, node: ast.expr | None) -> str | None:
        """The text of an expression when it is known statically (UNKNOWN marks holes)."""
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return node.value
            if isinstance(node.value, bytes):
                return node.value.decode("utf-8", "replace")
            if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
                return str(node.value)
            return None
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, ast.FormattedValue):
                    parts.append(self.static(v.value) or UNKNOWN)
            return "".join(parts)
        if isinstance(node, ast.Name):
            if node.id in self.values:
                return self.values[node.id]
            if node.id in self.paths:
                return self.paths[node.id]
            return None
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                left, right = self.static(node.left), self.static(node.right)
                if left is None and right is None:
                    return None
                return (left if left is not None else UNKNOWN) + (
                    right if right is not None else UNKNOWN
                )
            if isinstance(node.op, ast.Mod):
                left = self.static(node.left)
                if left is None:
                    return None
                return left.replace("%s", UNKNOWN).replace("%d", UNKNOWN).replace("%r", UNKNOWN)
            if isinstance(node.op, ast.Div):
                return self._path_of(node)
            return None
        if isinstance(node, ast.Subscript):
            base = self.resolve(node.value)
            if base in ("os.environ",):
                key = self.static(node.slice)
                return self.call.an.home if key == "HOME" else UNKNOWN
            value = self.static(node.value)
            sl = node.slice
            if (
                value is not None
                and isinstance(sl, ast.Slice)
                and sl.lower is None
                and sl.upper is None
            ):
                step = self.static(sl.step) if sl.step is not None else None
                if step == "-1":
                    return value[::-1]
            if value is not None and isinstance(sl, ast.UnaryOp):
                return None
            return None
        if isinstance(node, ast.Call):
            return self._static_call(node)
        return None

    def _static_call(self, node: ast.Call) -> str | None:
        fname = self.resolve(node.func) or ""
        args = node.args
        values = [self.static(a) for a in args]
        if fname in ("os.path.join", "posixpath.join"):
            if not values:
                return None
            return posixpath.join(*[v if v is not None else UNKNOWN for v in values])
        if fname in ("os.path.expanduser",):
            v = values[0] if values else None
            return (
                v.replace("~", self.call.an.home, 1) if v is not None and v.startswith("~") else v
            )
        if fname in (
            "os.path.abspath",
            "os.path.realpath",
            "os.path.normpath",
            "str",
            "os.fspath",
            "os.path.expandvars",
        ):
            return values[0] if values else None
        if fname in ("os.getcwd",):
            return self.cwd
        if fname in ("os.environ.get", "os.getenv"):
            return self.call.an.home if values and values[0] == "HOME" else UNKNOWN
        if fname in (
            "base64.b64decode",
            "base64.decodebytes",
            "base64.standard_b64decode",
            "base64.urlsafe_b64decode",
            "base64.b32decode",
            "base64.b16decode",
        ):
            if values and values[0] is not None:
                try:
                    data = values[0]
                    if fname.endswith("b32decode"):
                        return base64.b32decode(data).decode("utf-8", "replace")
                    if fname.endswith("b16decode"):
                        return base64.b16decode(data).decode("utf-8", "replace")
                    return base64.b64decode(
                        data + "==", altchars=b"-_" if "urlsafe" in fname else None
                    ).decode("utf-8", "replace")
                except (binascii.Error, ValueError):
                    return None
            return None
        if fname in ("bytes.fromhex", "binascii.unhexlify", "binascii.a2b_hex"):
            try:
                return (
                    bytes.fromhex(values[0]).decode("utf-8", "replace")
                    if values and values[0]
                    else None
                )
            except ValueError:
                return None
        if (
            fname in ("codecs.decode", "codecs.encode")
            and len(values) >= 2
            and values[0] is not None
        ):
            if values[1] in ("rot13", "rot_13"):
                return codecs.decode(values[0], "rot13")
            return None
        if fname in ("chr",) and values and values[0] is not None and values[0].isdigit():
            return chr(int(values[0]))
        if isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            base = self.static(node.func.value)
            if (
                attr in ("decode", "encode", "strip", "lower", "upper", "rstrip", "lstrip")
                and base is not None
            ):
                return (
                    base.lower() if attr == "lower" else (base.upper() if attr == "upper" else base)
                )
            if attr == "join" and base is not None and args:
                items = self._static_list(args[0])
                if items is not None:
                    return base.join(items)
                return None
            if attr == "format" and base is not None:
                return _format_holes(base)
            if (
                attr == "replace"
                and base is not None
                and len(values) >= 2
                and None not in values[:2]
            ):
                return base.replace(values[0] or "", values[1] or "")
            if attr in ("expanduser", "resolve", "absolute") or self._path_of(node) is not None:
                return self._path_of(node)
        short = fname.rsplit(".", 1)[-1]
        if short in ("Path", "PosixPath", "PurePath", "home", "cwd"):
            return self._path_of(node)
        return None

    def _static_list(self, node: ast.expr) -> list[str] | None:
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.static(e) for e in node.elts]
            return None if any(i is None for i in items) else [i or "" for i in items]
        if (
            isinstance(node, ast.Call)
            and (self.resolve(node.func) or "") in ("reversed",)
            and node.args
        ):
            inner = self._static_list(node.args[0])
            if inner is None:
                s = self.static(node.args[0])
                return list(reversed(s)) if s is not None else None
            return list(reversed(inner))
        if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
            return None
        s = self.static(node)
        return list(s) if s is not None else None


def _kw(node: ast.Call, name: str) -> ast.expr | None:
    for k in node.keywords:
        if k.arg == name:
            return k.value
    return None


def _format_holes(text: str) -> str:
    import re

    return re.sub(r"\{[^{}]*\}", UNKNOWN, text)
