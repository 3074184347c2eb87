"""Generate long-run.toml: a 300+ turn backfill of the demo workspace's archive.

Run from the repository root after changing the workspace data:
    python cockpit/scripted/scenarios/make_long_run.py
The numbers in the agent's text (rows per file, running totals) are computed from
the workspace files, so what the model "says" matches what the tools will show.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKSPACE = HERE.parent / "workspace"
OUT = HERE / "long-run.toml"
PROGRESS = "/memories/backfill-progress.md"


def toml_value(value: Any) -> str:
    """A TOML inline value (JSON string escapes are valid TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def data_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


class Script:
    def __init__(self) -> None:
        self.turns: list[dict[str, Any]] = []

    def turn(
        self,
        tool: str,
        tool_input: dict[str, Any],
        text: str | None = None,
        thinking: str | None = None,
        fault: dict[str, Any] | None = None,
    ) -> None:
        turn: dict[str, Any] = {}
        if thinking:
            turn["thinking"] = thinking
        if text:
            turn["text"] = text
        turn["tools"] = [{"name": tool, "input": tool_input}]
        if fault:
            turn["fault"] = fault
        self.turns.append(turn)

    def bash(self, command: str, text: str | None = None, **kw: Any) -> None:
        self.turn("bash", {"command": command}, text, **kw)

    def memory(self, text: str | None = None, **tool_input: Any) -> None:
        self.turn("memory", tool_input, text)

    def final(self, text: str) -> None:
        self.turns.append({"text": text})


FAULTS = {
    40: {"kind": "rate_limit", "retry_after_s": 0.5},
    110: {"kind": "overloaded"},
    170: {"kind": "overloaded_midstream", "after_tokens": 8},
    230: {"kind": "drop_connection", "after_tokens": 10},
    290: {"kind": "api_error"},
}

OPENERS = [
    "Next file: `{name}`. Reading it before anything touches the warehouse.",
    "Moving on to `{name}`; reading the raw drop first.",
    "`{name}` is next. Reading it in full.",
    "Now `{name}`. Same procedure: read, validate, stage, load, verify.",
]


def build() -> Script:
    s = Script()
    archive = sorted((WORKSPACE / "archive").glob("orders_*.csv"))
    landing_rows = sum(
        data_rows(p) for p in sorted((WORKSPACE / "landing").glob("*.csv")) if "0412" not in p.name
    )
    s.memory(
        "Before starting I'll check my memory directory for notes from an earlier session.",
        command="view",
        path="/memories",
    )
    s.bash(
        "cat README.md", "Reading the workspace README to confirm how the pipeline is meant to run."
    )
    s.bash("python pipeline.py status", "Checking the recent run history.")
    s.bash(
        "mkdir -p quarantine && mv landing/orders_0412.csv quarantine/",
        "The last nightly run aborted on `orders_0412.csv` (a malformed row). That's a separate "
        "incident; I'll set the file aside in `quarantine/` so it can't block the backfill.",
        thinking="Every run is atomic over all pending landing files, so one bad file blocks the "
        "whole backfill. Quarantining it moves nothing out of reach and keeps the runs clean.",
    )
    s.bash(
        "python pipeline.py run",
        "Loading the current landing files first, so the backfill starts from a known state.",
    )
    s.bash("ls archive", "Listing the archive to plan the backfill.")
    progress = f"Loaded through: nothing yet (0 of {len(archive)})"
    s.memory(
        f"{len(archive)} daily files to backfill. I'll keep progress in memory, since a run this "
        "long will outgrow the context window.",
        command="create",
        path=PROGRESS,
        file_text=(
            "# Archive backfill\n\n"
            f"Goal: load the {len(archive)} files in archive/ one at a time, verified.\n"
            "Procedure per file: read -> validate -> cp to landing/ -> run -> show orders -> "
            "show daily_summary -> grep log.\n"
            "orders_0412.csv is quarantined (malformed row 17); not part of this job.\n"
            f"Baseline before backfill: {landing_rows} orders (orders_0410 + orders_0411).\n\n"
            f"{progress}\n"
        ),
    )
    total = landing_rows
    for i, path in enumerate(archive, start=1):
        name, rows = path.name, data_rows(path)
        day = f"2025-{name[7:9]}-{name[9:11]}"
        total += rows
        s.turn(
            "read_file",
            {"path": f"archive/{name}"},
            OPENERS[i % len(OPENERS)].format(name=name),
            thinking=(
                f"File {i} of {len(archive)}. Row count so far is {total - rows}; "
                f"after this one it should be {total}."
                if i % 6 == 1
                else None
            ),
        )
        s.bash(f"python pipeline.py validate archive/{name}", "Validating it against the schema.")
        s.bash(f"cp archive/{name} landing/", f"Valid: {rows} rows. Staging it in `landing/`.")
        s.bash("python pipeline.py run", "Loading.")
        s.bash(
            f"python pipeline.py show orders --date {day} --limit {rows}",
            f"Loaded. Orders should now be {total}. Spot-checking the loaded rows for {day}.",
        )
        s.bash(
            f"python pipeline.py show daily_summary --date {day}",
            "Rows look right. Checking the day's summary by channel.",
        )
        s.turn(
            "grep",
            {"pattern": name, "path": "logs/ingest.log"},
            "And confirming the log recorded the load.",
        )
        if i % 5 == 0 or i == len(archive):
            new = f"Loaded through: {name} ({i} of {len(archive)}), orders = {total}"
            s.memory(
                f"Checkpoint: {i} of {len(archive)} files loaded. Updating my progress notes.",
                command="str_replace",
                path=PROGRESS,
                old_str=progress,
                new_str=new,
            )
            progress = new
        if i % 10 == 0 and i != len(archive):
            s.memory(
                "Older tool output has likely been cleared from my context by now. Re-reading "
                "my notes to make sure I continue from the right file.",
                command="view",
                path=PROGRESS,
            )
    s.bash(
        "python pipeline.py counts",
        "All archive files are loaded. Final reconciliation: table counts.",
    )
    s.bash(
        "python -m unittest discover -s tests -v",
        f"Counts match: {total} orders. Running the pipeline's tests before writing the report.",
    )
    lines = [
        "# Archive backfill: reconciliation",
        "",
        "| file | rows in source | status |",
        "|------|---------------:|--------|",
    ]
    lines += [f"| {p.name} | {data_rows(p)} | loaded |" for p in archive]
    lines += [
        "",
        f"Baseline before the backfill: {landing_rows} orders (orders_0410, orders_0411).",
        f"Total after the backfill: {total} orders.",
        "orders_0412.csv is quarantined (row 17 has 9 fields) and was not part of this job.",
        "",
    ]
    s.turn(
        "write_file",
        {"path": "reports/backfill.md", "content": "\n".join(lines)},
        "Tests are green. Writing the reconciliation report.",
    )
    s.memory(
        "Recording completion in my notes.",
        command="str_replace",
        path=PROGRESS,
        old_str=progress,
        new_str=(
            f"DONE: all {len(archive)} files loaded, orders = {total}; "
            "report in reports/backfill.md"
        ),
    )
    s.final(
        f"Backfill complete.\n\n"
        f"- **Loaded:** all {len(archive)} archive files, one at a time, each validated before "
        f"loading and spot-checked afterwards.\n"
        f"- **Warehouse:** {total} orders ({landing_rows} before the backfill); daily and customer "
        "summaries rebuilt.\n"
        "- **Report:** `reports/backfill.md` has the per-file reconciliation.\n"
        "- **Open item:** `orders_0412.csv` stays in `quarantine/` (malformed row 17), pending a "
        "corrected resend."
    )
    for index, fault in FAULTS.items():
        if index < len(s.turns):
            s.turns[index]["fault"] = fault
    return s


def render(s: Script) -> str:
    out = [
        "# Generated by make_long_run.py; edit the generator, not this file.",
        "[scenario]",
        'name = "long-run"',
        "goal = "
        + toml_value(
            "Backfill the archive (40 daily order files in archive/) into the warehouse, one "
            "verified file at a time, and write a reconciliation report to reports/backfill.md. "
            "Keep progress notes in memory."
        ),
        'description = "Hundreds of turns of real work: overflows a 200k context window '
        'without clearing; uses the memory tool."',
        "pace = { first_token_ms = 450, tokens_per_s = 110 }",
        "",
    ]
    for turn in s.turns:
        out.append("[[turn]]")
        out += [f"{k} = {toml_value(v)}" for k, v in turn.items()]
        out.append("")
    return "\n".join(out)


def main() -> None:
    script = build()
    OUT.write_text(render(script), encoding="utf-8")
    print(f"wrote {OUT} ({len(script.turns)} turns)")


if __name__ == "__main__":
    main()
