"""Scenario files for the scripted model: pydantic models, loading, and turn selection."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cockpit.errors import CockpitError
from cockpit.events import DENIED_PREFIX

SCRIPTED_MODEL_PREFIX = "scripted:"
SCENARIOS_DIR: Path = Path(__file__).resolve().parent / "scenarios"
MAIN = "main"
END = "end"

StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "pause_turn", "refusal"]
FaultKind = Literal[
    "rate_limit",  # HTTP 429 rate_limit_error with retry-after, before the body
    "overloaded",  # HTTP 529 overloaded_error, before the body
    "api_error",  # HTTP 500 api_error, before the body
    "overloaded_midstream",  # `event: error` (overloaded_error) after `after_tokens` tokens
    "drop_connection",  # the socket is closed after `after_tokens` tokens
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pace(_Strict):
    """How fast the scripted model "types" (scaled by the server's speed factor)."""

    first_token_ms: float = Field(default=600, ge=0)
    tokens_per_s: float = Field(default=90, gt=0)


class ToolCall(_Strict):
    """One tool_use block the model emits."""

    name: str = Field(min_length=1)
    input: dict[str, Any] = Field(default_factory=dict)


class Fault(_Strict):
    """A failure injected on the first attempt of a turn only; the retry succeeds."""

    kind: FaultKind
    after_tokens: int = Field(default=0, ge=0)
    retry_after_s: float = Field(default=0.05, ge=0)


class Turn(_Strict):
    """What the model says in one response."""

    text: str | None = None
    thinking: str | None = None
    tools: list[ToolCall] = Field(default_factory=list)
    stop_reason: StopReason | None = None
    fault: Fault | None = None
    on_error: str | None = None
    on_denied: str | None = None
    goto: str | None = None
    pace: Pace | None = None
    # Generated text (benchmarks): `text_repeat` emitted `deltas` times, one delta each.
    text_repeat: str | None = None
    deltas: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> Turn:
        if (self.text_repeat is None) != (self.deltas is None):
            raise ValueError("text_repeat and deltas go together")
        if self.text_repeat is not None and self.text is not None:
            raise ValueError("give either text or text_repeat/deltas, not both")
        if self.text_repeat == "":
            raise ValueError("text_repeat must not be empty")
        if not (self.text or self.thinking or self.tools or self.text_repeat):
            raise ValueError("a turn needs at least one of text, thinking, tools, text_repeat")
        return self

    @property
    def effective_stop_reason(self) -> StopReason:
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_use" if self.tools else "end_turn"


class ScenarioHeader(_Strict):
    name: str = Field(min_length=1)
    goal: str = Field(min_length=1)
    description: str = ""
    demo: bool = True
    pace: Pace = Field(default_factory=Pace)


class Scenario(_Strict):
    """A validated scenario: header fields, the main turn list, and named branches."""

    name: str
    goal: str
    description: str = ""
    demo: bool = True  # False for scenarios that are not demos (benchmarks)
    pace: Pace = Field(default_factory=Pace)
    turns: list[Turn] = Field(min_length=1)
    branches: dict[str, list[Turn]] = Field(default_factory=dict)
    source: str = ""

    def turn_list(self, name: str) -> list[Turn]:
        return self.turns if name == MAIN else self.branches[name]


# --- loading ------------------------------------------------------------------------


def _turn_label(loc: Sequence[int | str]) -> str:
    """Render a pydantic error location over the raw TOML as a human position."""
    if len(loc) >= 2 and loc[0] == "turn" and isinstance(loc[1], int):
        rest = ".".join(str(p) for p in loc[2:])
        return f"turn {loc[1] + 1}" + (f", {rest}" if rest else "")
    if len(loc) >= 3 and loc[0] == "branch" and isinstance(loc[2], int):
        rest = ".".join(str(p) for p in loc[3:])
        return f"branch {loc[1]!r} turn {loc[2] + 1}" + (f", {rest}" if rest else "")
    return ".".join(str(p) for p in loc) or "top level"


class _RawFile(_Strict):
    scenario: ScenarioHeader
    turn: list[Turn] = Field(min_length=1)
    branch: dict[str, list[Turn]] = Field(default_factory=dict)


def _raw_model(data: dict[str, Any]) -> dict[str, Any]:
    return _RawFile.model_validate(data).model_dump(exclude_unset=True)


def parse_scenario(data: dict[str, Any], source: str) -> Scenario:
    """Validate raw scenario data (from TOML); raise CockpitError naming source and turn."""
    try:
        raw = _raw_model(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        extra = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise CockpitError(f"scenario {source}: {_turn_label(loc)}: {err['msg']}{extra}") from None
    header = raw["scenario"]
    scenario = Scenario.model_validate(
        {
            **header,
            "turns": raw["turn"],
            "branches": raw.get("branch", {}),
            "source": source,
        }
    )
    names = set(scenario.branches)
    for reserved in (MAIN, END):
        if reserved in names:
            raise CockpitError(f"scenario {source}: branch name {reserved!r} is reserved")
    for list_name in [MAIN, *scenario.branches]:
        for i, turn in enumerate(scenario.turn_list(list_name)):
            where = f"turn {i + 1}" if list_name == MAIN else f"branch {list_name!r} turn {i + 1}"
            for field in ("on_error", "on_denied", "goto"):
                target = getattr(turn, field)
                allowed = names | ({MAIN, END} if field == "goto" else set())
                if target is not None and target not in allowed:
                    raise CockpitError(
                        f"scenario {source}: {where}: {field} names unknown branch {target!r}"
                    )
    return scenario


def load_scenario(path: Path) -> Scenario:
    """Load and validate a TOML scenario file; errors name the file and the turn."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CockpitError(f"cannot read scenario {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CockpitError(f"scenario {path}: invalid TOML: {exc}") from None
    return parse_scenario(data, str(path))


def scenario_path(name: str) -> Path:
    """Path of a shipped scenario by name; CockpitError listing the names if unknown."""
    path = SCENARIOS_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml")))
        raise CockpitError(f"unknown scenario {name!r}; choose one of: {known}.")
    return path


def shipped_scenario(name: str) -> Scenario:
    """One shipped scenario by name; CockpitError listing the names if unknown."""
    return load_scenario(scenario_path(name))


def shipped_scenarios() -> dict[str, Scenario]:
    """Every scenario shipped in cockpit/scripted/scenarios/, by name."""
    found: dict[str, Scenario] = {}
    for path in sorted(SCENARIOS_DIR.glob("*.toml")):
        scenario = load_scenario(path)
        found[scenario.name] = scenario
    return found


# --- choosing the turn from a request -----------------------------------------------

Outcome = Literal["ok", "error", "denied"]


@dataclass(frozen=True)
class Position:
    """Where a request stands in a script: (list, index) plus the return stack."""

    list_name: str
    index: int
    stack: tuple[tuple[str, int], ...] = ()
    done: bool = False

    @property
    def key(self) -> str:
        return "end" if self.done else f"{self.list_name}[{self.index}]"


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def tool_outcome(user_message: Mapping[str, Any] | None) -> Outcome:
    """Classify the tool results in a user message: denied beats error beats ok."""
    if not user_message:
        return "ok"
    content = user_message.get("content")
    if not isinstance(content, list):
        return "ok"
    outcome: Outcome = "ok"
    for block in content:
        if not isinstance(block, dict) or block.get("type") != "tool_result":
            continue
        if block.get("is_error"):
            if _result_text(block.get("content")).lstrip().startswith(DENIED_PREFIX):
                return "denied"
            outcome = "error"
    return outcome


def _step(scenario: Scenario, pos: Position, outcome: Outcome) -> Position:
    """The position after the turn at `pos` was answered with `outcome`."""
    if pos.done:
        return pos
    turn = scenario.turn_list(pos.list_name)[pos.index]
    branch = None
    if outcome == "denied" and turn.on_denied:
        branch = turn.on_denied
    elif outcome in ("denied", "error") and turn.on_error:
        branch = turn.on_error
    if branch is not None:
        return Position(branch, 0, (*pos.stack, (pos.list_name, pos.index + 1)))
    if turn.goto == END:
        return Position(MAIN, 0, (), done=True)
    if turn.goto is not None:
        return Position(turn.goto, 0, pos.stack)
    nxt = Position(pos.list_name, pos.index + 1, pos.stack)
    # Fall off the end of a list: return to where the branch was taken, or finish.
    while nxt.index >= len(scenario.turn_list(nxt.list_name)):
        if not nxt.stack:
            return Position(MAIN, 0, (), done=True)
        (list_name, index), stack = nxt.stack[-1], nxt.stack[:-1]
        nxt = Position(list_name, index, stack)
    return nxt


def locate(scenario: Scenario, messages: Sequence[Mapping[str, Any]]) -> Position:
    """The script position for a request, derived from its messages alone.

    Every assistant message is one answered turn; the user message after it decides
    how the script moves on (its tool results: denied, error or ok). User text that
    is not a tool result (steering) does not move the script.
    """
    pos = Position(MAIN, 0)
    for i, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        following = messages[i + 1] if i + 1 < len(messages) else None
        pos = _step(scenario, pos, tool_outcome(following))
        if pos.done:
            break
    return pos


def turn_at(scenario: Scenario, pos: Position) -> Turn | None:
    """The turn to answer at `pos`, or None when the script is exhausted."""
    if pos.done:
        return None
    return scenario.turn_list(pos.list_name)[pos.index]
