"""Scenario files: loading errors, shipped scenarios, and turn choice from the request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import pytest
from scenario_helpers import TEST_SCENARIO, make_scenario

from cockpit.errors import CockpitError
from cockpit.scripted.scenario import (
    load_scenario,
    locate,
    scenario_path,
    shipped_scenarios,
    turn_at,
)

DENIED = "Permission denied by the user: too risky."


def tool_use(i: int) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{i}", "name": "bash", "input": {}}


def result(i: int, text: str = "ok", is_error: bool = False) -> dict[str, Any]:
    return {
        "type": "tool_result",
        "tool_use_id": f"toolu_{i}",
        "content": text,
        "is_error": is_error,
    }


def convo(*results: dict[str, Any], steer: str | None = None) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    for i, res in enumerate(results):
        messages.append({"role": "assistant", "content": [tool_use(i)]})
        content = [{**res, "tool_use_id": f"toolu_{i}"}]
        if steer:
            content.append({"type": "text", "text": steer})
        messages.append({"role": "user", "content": content})
    return messages


async def _text(client: anthropic.AsyncAnthropic, messages: list[dict[str, Any]]) -> str:
    message = await client.messages.create(
        model="scripted:probe",
        max_tokens=99,
        messages=messages,  # type: ignore[arg-type]
    )
    return message.content[0].text  # type: ignore[union-attr]


async def test_branch_chosen_from_request(client: anthropic.AsyncAnthropic) -> None:
    assert await _text(client, convo()) == "I'll look at the landing folder first."
    assert await _text(client, convo(result(0))) == "Main path continues."
    assert await _text(client, convo(result(0, DENIED, True))) == "Denied branch."
    assert await _text(client, convo(result(0, "exit 1", True))) == "Error branch."
    # a finished branch rejoins after the turn that branched; goto = "end" finishes
    assert await _text(client, convo(result(0, DENIED, True), result(1))) == "Main path continues."
    assert await _text(client, convo(result(0, "boom", True), result(1))) == "Done."


async def test_steering_and_rollback(client: anthropic.AsyncAnthropic) -> None:
    steered = convo(result(0), steer="Please be quick.")
    assert await _text(client, steered) == "Main path continues."
    # rolling back (a shorter request) picks the earlier turn again, whatever came before
    assert await _text(client, convo()) == "I'll look at the landing folder first."
    finished = convo(result(0), result(1), result(2))
    assert await _text(client, finished) == "Done."


def test_locate_is_pure() -> None:
    scenario = make_scenario(TEST_SCENARIO)
    pos = locate(scenario, convo(result(0, DENIED, True)))
    assert pos.list_name == "denied" and pos.index == 0
    assert turn_at(scenario, locate(scenario, convo(result(0), result(1), result(2)))) is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


HEAD = '[scenario]\nname = "x"\ngoal = "g"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEAD + "[[turn]]\ntext = \n", "invalid TOML"),
        (HEAD + '[[turn]]\ntext = "a"\n[[turn]]\ntxt = "b"\n', "turn 2, txt: Extra inputs"),
        (HEAD + '[[turn]]\ntext = "a"\n[[turn]]\ntools = "bash"\n', "turn 2, tools"),
        (HEAD + '[[turn]]\ntext = "a"\nfault = { kind = "meteor" }\n', "turn 1, fault.kind"),
        (HEAD + '[[turn]]\ntext = "a"\non_denied = "nowhere"\n', "turn 1: on_denied names unknown"),
        (HEAD + '[[turn]]\nstop_reason = "end_turn"\n', "turn 1: Value error, a turn needs"),
        (
            HEAD + '[[turn]]\ntext = "a"\n[[branch.b]]\ntext = 3\n',
            "branch 'b' turn 1, text",
        ),
        ('[scenario]\nname = "x"\n[[turn]]\ntext = "a"\n', "scenario.goal: Field required"),
    ],
)
def test_scenario_errors_name_file_and_turn(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(CockpitError) as info:
        load_scenario(_write(tmp_path, text))
    assert str(tmp_path / "bad.toml") in str(info.value)
    assert expected in str(info.value)


def test_missing_scenario_file_and_name(tmp_path: Path) -> None:
    with pytest.raises(CockpitError, match="cannot read scenario"):
        load_scenario(tmp_path / "none.toml")
    with pytest.raises(CockpitError, match="unknown scenario 'nope'; choose one of"):
        scenario_path("nope")


def test_shipped_scenarios() -> None:
    scenarios = shipped_scenarios()
    demos = {"ingestion-failure", "schema-drift", "rogue-action", "loop", "long-run"}
    assert demos <= set(scenarios)
    assert scenarios["bench-200k"].demo is False
    for name in demos:
        scenario = scenarios[name]
        assert scenario.demo and scenario.goal
        assert 400 <= scenario.pace.first_token_ms <= 800
        assert 60 <= scenario.pace.tokens_per_s <= 120
        assert scenario_path(name).stem == name
    commands = [
        c.input.get("command") for t in scenarios["loop"].turns for c in t.tools if c.name == "bash"
    ]
    assert commands.count("python pipeline.py run") >= 12
    long_run = scenarios["long-run"]
    assert len(long_run.turns) >= 300
    assert sum(1 for t in long_run.turns for c in t.tools if c.name == "memory") >= 10
    rogue = scenarios["rogue-action"]
    risky = [t for t in rogue.turns if t.on_denied]
    rendered = [str(t.tools[0].input) for t in risky]
    assert any("rm -rf" in r for r in rendered)
    assert any("DROP TABLE" in r for r in rendered)
    assert any("/etc/" in r for r in rendered)
