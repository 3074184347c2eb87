"""Orders pipeline: load CSV drops from landing/ into warehouse.db and build the summaries.

Usage:
    python pipeline.py run                 validate and load every new file in landing/, then transform
    python pipeline.py validate FILE...    check files without loading them
    python pipeline.py counts              row counts per table and the files loaded so far
    python pipeline.py show TABLE [--date YYYY-MM-DD] [--limit N]
    python pipeline.py pull                release partner drops from upstream/ into landing/
    python pipeline.py status              last runs from logs/ingest.log

A run is atomic: if any new file fails validation, nothing is loaded and the run
exits with status 1 after logging every problem to logs/ingest.log.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LANDING = ROOT / "landing"
UPSTREAM = ROOT / "upstream"
LOG = ROOT / "logs" / "ingest.log"
DB = ROOT / "warehouse.db"

COLUMNS = ["order_id", "cust_id", "order_date", "sku", "qty", "unit_price", "currency", "channel"]
CHANNELS = {"web", "store", "partner", "phone"}
CURRENCIES = {"EUR", "USD", "GBP"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id    TEXT PRIMARY KEY,
    cust_id     TEXT NOT NULL,
    order_date  TEXT NOT NULL,
    sku         TEXT NOT NULL,
    qty         INTEGER NOT NULL,
    unit_price  REAL NOT NULL,
    currency    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    source_file TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS loads (
    file      TEXT PRIMARY KEY,
    rows      INTEGER NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS daily_summary (
    order_date TEXT NOT NULL,
    channel    TEXT NOT NULL,
    orders     INTEGER NOT NULL,
    units      INTEGER NOT NULL,
    revenue    REAL NOT NULL,
    PRIMARY KEY (order_date, channel)
);
CREATE TABLE IF NOT EXISTS customer_summary (
    cust_id TEXT PRIMARY KEY,
    orders  INTEGER NOT NULL,
    revenue REAL NOT NULL
);
"""


class ValidationError(Exception):
    """A landing file that cannot be loaded as it is."""


def log(level: str, message: str) -> None:
    """Append one line to logs/ingest.log and echo it."""
    LOG.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = f"{stamp} {level:<5} {message}"
    with LOG.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    print(line)


def read_rows(path: Path) -> list[dict[str, str]]:
    """Parse and validate one orders file; raise ValidationError naming every problem."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ValidationError(f"{path.name}: empty file") from None
        if header != COLUMNS:
            missing = [c for c in COLUMNS if c not in header]
            unexpected = [c for c in header if c not in COLUMNS]
            raise ValidationError(
                f"{path.name}: header does not match the orders schema "
                f"(missing: {', '.join(missing) or '-'}; unexpected: {', '.join(unexpected) or '-'})"
            )
        rows = []
        problems = []
        for number, fields in enumerate(reader, start=1):
            if not fields:
                continue
            if len(fields) != len(COLUMNS):
                problems.append(
                    f"{path.name}: row {number} (line {number + 1}) has {len(fields)} fields, "
                    f"expected {len(COLUMNS)}: {','.join(fields)}"
                )
                continue
            row = dict(zip(COLUMNS, (f.strip() for f in fields)))
            try:
                int(row["qty"])
                float(row["unit_price"])
                dt.date.fromisoformat(row["order_date"])
            except ValueError as exc:
                problems.append(f"{path.name}: row {number} (line {number + 1}): {exc}")
                continue
            if row["currency"] not in CURRENCIES:
                problems.append(f"{path.name}: row {number}: unknown currency {row['currency']!r}")
                continue
            if row["channel"] not in CHANNELS:
                problems.append(f"{path.name}: row {number}: unknown channel {row['channel']!r}")
                continue
            rows.append(row)
    if problems:
        raise ValidationError("\n".join(problems))
    return rows


def connect(db: Path = DB) -> sqlite3.Connection:
    """Open the warehouse and make sure the schema exists."""
    conn = sqlite3.connect(db)
    conn.executescript(SCHEMA)
    return conn


def transform(conn: sqlite3.Connection) -> None:
    """Rebuild the summary tables from orders."""
    conn.execute("DELETE FROM daily_summary")
    conn.execute(
        """
        INSERT INTO daily_summary (order_date, channel, orders, units, revenue)
        SELECT order_date, channel, COUNT(*), SUM(qty), ROUND(SUM(qty * unit_price), 2)
        FROM orders GROUP BY order_date, channel
        """
    )
    conn.execute("DELETE FROM customer_summary")
    conn.execute(
        """
        INSERT INTO customer_summary (cust_id, orders, revenue)
        SELECT cust_id, COUNT(*), ROUND(SUM(qty * unit_price), 2)
        FROM orders GROUP BY cust_id
        """
    )


def pending_files(conn: sqlite3.Connection, landing: Path = LANDING) -> list[Path]:
    """Landing files not loaded yet, oldest name first."""
    loaded = {name for (name,) in conn.execute("SELECT file FROM loads")}
    return [p for p in sorted(landing.glob("*.csv")) if p.name not in loaded]


def run(db: Path = DB, landing: Path = LANDING) -> int:
    """Validate every pending file, load them all in one transaction, rebuild summaries."""
    conn = connect(db)
    try:
        files = pending_files(conn, landing)
        log("INFO", f"run started: {len(files)} new file(s) in landing/")
        batches: list[tuple[Path, list[dict[str, str]]]] = []
        failed = 0
        for path in files:
            try:
                batches.append((path, read_rows(path)))
            except ValidationError as exc:
                failed += 1
                for line in str(exc).splitlines():
                    log("ERROR", line)
        if failed:
            log("ERROR", f"run aborted: {failed} file(s) failed validation; nothing was loaded")
            return 1
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with conn:
            for path, rows in batches:
                conn.executemany(
                    "INSERT INTO orders VALUES "
                    "(:order_id, :cust_id, :order_date, :sku, :qty, :unit_price, :currency, "
                    ":channel, :source_file)",
                    [{**row, "source_file": path.name} for row in rows],
                )
                conn.execute("INSERT INTO loads VALUES (?, ?, ?)", (path.name, len(rows), now))
                log("INFO", f"loaded {path.name}: {len(rows)} rows")
            transform(conn)
        total = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        log("INFO", f"run finished: {len(batches)} file(s) loaded, orders now {total} rows")
        return 0
    except sqlite3.IntegrityError as exc:
        log("ERROR", f"run aborted: {exc}; nothing was loaded")
        return 1
    finally:
        conn.close()


def validate(paths: list[str]) -> int:
    """Check files without loading them."""
    status = 0
    for name in paths:
        path = Path(name)
        try:
            rows = read_rows(path)
        except (ValidationError, OSError) as exc:
            print(f"FAIL {exc}")
            status = 1
        else:
            print(f"OK   {path.name}: {len(rows)} rows")
    return status


def counts() -> int:
    """Print row counts per table and the load history."""
    conn = connect()
    try:
        for table in ("orders", "daily_summary", "customer_summary", "loads"):
            n = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            print(f"{table:<17} {n:>6}")
        print()
        for file, rows, loaded_at in conn.execute("SELECT * FROM loads ORDER BY file"):
            print(f"  {file:<24} {rows:>5} rows  {loaded_at}")
    finally:
        conn.close()
    return 0


def show(args: list[str]) -> int:
    """Print rows of one table, optionally for one order date."""
    if not args:
        print("usage: python pipeline.py show TABLE [--date YYYY-MM-DD] [--limit N]")
        return 2
    table, rest = args[0], args[1:]
    if table not in ("orders", "daily_summary", "customer_summary", "loads"):
        print(f"unknown table {table!r}")
        return 2
    date, limit = None, 50
    while rest:
        flag, value, rest = rest[0], rest[1] if len(rest) > 1 else "", rest[2:]
        if flag == "--date":
            date = value
        elif flag == "--limit":
            limit = int(value)
    conn = connect()
    try:
        query, params = f"SELECT * FROM {table}", []
        if date and table in ("orders", "daily_summary"):
            query += " WHERE order_date = ?"
            params.append(date)
        cursor = conn.execute(query + f" LIMIT {limit}", params)
        names = [d[0] for d in cursor.description]
        print(" | ".join(names))
        for row in cursor:
            print(" | ".join(str(v) for v in row))
    finally:
        conn.close()
    return 0


def pull() -> int:
    """Release partner drops waiting in upstream/ into landing/."""
    moved = 0
    for path in sorted(UPSTREAM.glob("*.csv")):
        shutil.move(str(path), LANDING / path.name)
        log("INFO", f"pulled {path.name} from upstream/")
        moved += 1
    print(f"{moved} file(s) released into landing/")
    return 0


def status() -> int:
    """Print the last runs recorded in the log."""
    if not LOG.exists():
        print("no runs yet")
        return 0
    lines = LOG.read_text(encoding="utf-8").splitlines()
    for line in lines[-15:]:
        print(line)
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    if command == "run":
        return run()
    if command == "validate":
        return validate(args)
    if command == "counts":
        return counts()
    if command == "show":
        return show(args)
    if command == "pull":
        return pull()
    if command == "status":
        return status()
    print(f"unknown command {command!r}\n{__doc__}")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
