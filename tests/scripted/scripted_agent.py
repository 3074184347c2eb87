"""A minimal agent loop for tests: drives a scenario through the SDK and runs its tools."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anthropic
import httpx2

from cockpit.scripted.scenario import Scenario, parse_scenario

TOOLS: list[dict[str, Any]] = [
    {"name": n, "description": n, "input_schema": {"type": "object"}}
    for n in ("bash", "read_file", "write_file", "edit_file", "list_files", "grep")
] + [{"type": "memory_20250818", "name": "memory"}]


@dataclass
class Run:
    messages: list[dict[str, Any]]
    calls: list[tuple[str, dict[str, Any], bool, str]] = field(default_factory=list)
    input_tokens: list[int] = field(default_factory=list)
    tool_output_chars: int = 0


class ToolBox:
    """Runs tool calls the way the engine does (simplified), inside `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.memory: dict[str, str] = {}
        bindir = str(Path(sys.executable).parent)
        self.env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}

    def _path(self, rel: str) -> Path:
        p = (self.root / rel).resolve()
        if not p.is_relative_to(self.root.resolve()):
            raise PermissionError(f"path outside the workspace: {rel}")
        return p

    def run(self, name: str, args: dict[str, Any]) -> tuple[bool, str]:
        try:
            return False, getattr(self, "t_" + name)(**args)
        except Exception as exc:
            return True, f"{type(exc).__name__}: {exc}"

    def t_bash(self, command: str, timeout_s: int = 120) -> str:
        proc = subprocess.run(
            command,
            shell=True,
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        out = proc.stdout + proc.stderr
        if proc.returncode:
            raise RuntimeError(f"exit status {proc.returncode}\n{out}")
        return out

    def t_read_file(self, path: str, offset: int = 1, limit: int | None = None) -> str:
        lines = self._path(path).read_text().splitlines()
        start = max(offset, 1) - 1
        return "\n".join(lines[start : start + limit if limit else None])

    def t_write_file(self, path: str, content: str) -> str:
        p = self._path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
        return f"wrote {path}"

    def t_edit_file(
        self, path: str, old_string: str, new_string: str, replace_all: bool = False
    ) -> str:
        p = self._path(path)
        text = p.read_text()
        n = text.count(old_string)
        if n != 1 and not (replace_all and n):
            raise ValueError(f"old_string occurs {n} times in {path}")
        p.write_text(text.replace(old_string, new_string))
        return f"edited {path}"

    def t_list_files(self, path: str = ".", pattern: str = "*") -> str:
        return "\n".join(
            sorted(str(p.relative_to(self.root)) for p in self._path(path).glob(pattern))
        )

    def t_grep(self, pattern: str, path: str = ".", glob: str = "*") -> str:
        target = self._path(path)
        files = [target] if target.is_file() else sorted(target.rglob(glob))
        hits = [
            f"{f.relative_to(self.root)}:{i}:{line}"
            for f in files
            if f.is_file()
            for i, line in enumerate(f.read_text(errors="replace").splitlines(), 1)
            if re.search(pattern, line)
        ]
        return "\n".join(hits) or "no matches"

    def t_memory(self, command: str, path: str, **kw: Any) -> str:
        if command == "view":
            if path in self.memory:
                return self.memory[path]
            return "\n".join(k for k in sorted(self.memory) if k.startswith(path)) or "(empty)"
        if command == "create":
            self.memory[path] = kw["file_text"]
            return f"created {path}"
        if command == "str_replace":
            text = self.memory[path]
            if text.count(kw["old_str"]) != 1:
                raise ValueError("old_str not found exactly once")
            self.memory[path] = text.replace(kw["old_str"], kw["new_str"])
            return f"edited {path}"
        raise ValueError(f"unsupported memory command {command}")


Decider = Callable[[str, dict[str, Any]], bool]


async def drive(
    client: anthropic.AsyncAnthropic,
    scenario: str,
    root: Path,
    deny: Decider = lambda name, args: False,
    max_turns: int = 400,
) -> Run:
    """Run a scenario to its end_turn: stream each turn, run tools (or deny), loop."""
    box = ToolBox(root)
    run = Run(messages=[{"role": "user", "content": "Start."}])
    for _ in range(max_turns):
        blocks: list[dict[str, Any]] = []
        stop = None
        attempts = 0
        while True:
            attempts += 1
            try:
                stream = await client.messages.create(
                    model=f"scripted:{scenario}",
                    max_tokens=4096,
                    messages=run.messages,
                    tools=TOOLS,
                    stream=True,  # type: ignore[arg-type]
                )
                blocks, partial = [], {}
                async for ev in stream:
                    if ev.type == "message_start":
                        run.input_tokens.append(ev.message.usage.input_tokens)
                    elif ev.type == "content_block_start":
                        blocks.append(ev.content_block.model_dump(exclude_none=True))
                        partial[ev.index] = ""
                    elif ev.type == "content_block_delta":
                        d = ev.delta
                        if d.type == "text_delta":
                            blocks[ev.index]["text"] += d.text
                        elif d.type == "input_json_delta":
                            partial[ev.index] += d.partial_json
                    elif ev.type == "content_block_stop":
                        if blocks[ev.index]["type"] == "tool_use":
                            blocks[ev.index]["input"] = json.loads(partial[ev.index] or "{}")
                    elif ev.type == "message_delta":
                        stop = ev.delta.stop_reason
                break
            except (anthropic.APIStatusError, anthropic.APIConnectionError, httpx2.TransportError):
                if attempts > 3:
                    raise
        for b in blocks:
            b.pop("citations", None)
        run.messages.append({"role": "assistant", "content": blocks})
        if stop != "tool_use":
            return run
        results = []
        for b in blocks:
            if b["type"] != "tool_use":
                continue
            if deny(b["name"], b["input"]):
                is_error, out = True, "Permission denied by the user: not allowed."
            else:
                is_error, out = box.run(b["name"], b["input"])
            run.calls.append((b["name"], b["input"], is_error, out))
            run.tool_output_chars += len(out)
            results.append(
                {
                    "type": "tool_result",
                    "tool_use_id": b["id"],
                    "content": out,
                    "is_error": is_error,
                }
            )
        run.messages.append({"role": "user", "content": results})
    raise AssertionError("scenario did not finish")


TEST_SCENARIO = """
[scenario]
name = "probe"
goal = "Exercise the wire format."
pace = { first_token_ms = 500, tokens_per_s = 80 }

[[turn]]
thinking = "The user wants a listing first; a directory scan is cheap and read-only."
text = "I'll look at the landing folder first."
tools = [{ name = "bash", input = { command = "ls -la landing/ && wc -l landing/*.csv" } }]
on_denied = "denied"
on_error = "failed"

[[turn]]
text = "Main path continues."
tools = [{ name = "read_file", input = { path = "pipeline.py" } }]

[[turn]]
text = "Final words."

[[branch.denied]]
text = "Denied branch."
tools = [{ name = "list_files", input = { path = "landing" } }]

[[branch.failed]]
text = "Error branch."
goto = "end"

[[branch.bursty]]
text = "unused"
"""


def make_scenario(text: str, source: str = "test.toml") -> Scenario:
    return parse_scenario(tomllib.loads(text), source)


def fault_scenario(kind: str, extra: str = "") -> Scenario:
    return make_scenario(
        f'''
[scenario]
name = "fault-{kind}"
goal = "g"

[[turn]]
text = "Answer after a fault: with enough words to stream past the fault point."
fault = {{ kind = "{kind}", after_tokens = 3{extra} }}
'''
    )
