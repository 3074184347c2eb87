"""`cockpit policy check` classifies a command or tool call; `cockpit policy show` the rules."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import click

from cockpit.errors import CockpitError

TIER_STYLE = {"low": "green", "medium": "cyan", "high": "yellow", "critical": "red"}


@click.group("policy")
def policy_group() -> None:
    """The approval policy: classify a command, show the merged rules and their version."""


@policy_group.command(
    "check",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Workspace the command runs in (default: the current folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as a JSON object.")
@click.option("--tool", default="bash", show_default=True, help="Tool name for non-bash calls.")
@click.option(
    "--input", "input_json", default=None, help="The tool's input as a JSON object (non-bash)."
)
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
def check_command(
    workspace: Path | None, as_json: bool, tool: str, input_json: str | None, words: tuple[str, ...]
) -> None:
    """Classify COMMAND WORDS (joined as shell words; one word is a whole command line).

    Example: cockpit policy check --json -- bash -c "rm -rf /"
    """
    from cockpit.policy.risk import classify

    tool_input = _tool_input(tool, input_json, words)
    ws = (workspace or Path.cwd()).resolve()
    result = classify(tool, tool_input, ws)
    if as_json:
        out: dict[str, Any] = {
            "tier": result.tier,
            "reasons": result.reasons,
            "rule_ids": result.rules,
            "mutating": result.mutating,
            "policy_version": result.policy_version,
            "tool": tool,
            "input": tool_input,
            "hits": [{"rule": h.rule, "tier": h.tier, "reason": h.reason} for h in result.hits],
        }
        click.echo(json.dumps(out, indent=2))
        return
    shown = tool_input.get("command") if tool == "bash" else json.dumps(tool_input)
    click.echo(
        click.style(f"{result.tier.upper():8}", fg=TIER_STYLE[result.tier], bold=True)
        + f" {tool}: {shown}"
    )
    for reason, rule in zip(result.reasons, result.rules, strict=True):
        click.echo(f"  - {reason}  [{rule}]")
    click.echo(f"policy {result.policy_version}")


def _tool_input(tool: str, input_json: str | None, words: tuple[str, ...]) -> dict[str, Any]:
    if input_json is not None:
        try:
            value = json.loads(input_json)
        except json.JSONDecodeError as exc:
            raise CockpitError(f"--input is not valid JSON ({exc.msg})") from exc
        if not isinstance(value, dict):
            raise CockpitError('--input must be a JSON object, e.g. \'{"path": "x"}\'')
        if words:
            raise CockpitError("give either --input or command words, not both")
        return value
    if tool != "bash":
        raise CockpitError(f"--tool {tool} needs --input with the tool's input as JSON")
    if not words:
        raise CockpitError("nothing to check: give a command, e.g. cockpit policy check -- ls -la")
    command = words[0] if len(words) == 1 else shlex.join(words)
    return {"command": command}


@policy_group.command("show")
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Workspace whose .cockpit/policy.toml is merged in (default: the current folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the merged policy as JSON.")
def show_command(workspace: Path | None, as_json: bool) -> None:
    """Print the merged policy (shipped rules, your file, the workspace's) and its version."""
    from cockpit.policy.loader import load_policy, user_policy_file

    ws = (workspace or Path.cwd()).resolve()
    policy = load_policy(ws)
    data = policy.data()
    if as_json:
        click.echo(
            json.dumps(
                {"version": policy.version, "sources": list(policy.sources), **data}, indent=2
            )
        )
        return
    import tomli_w

    click.echo(f"# policy version {policy.version}")
    click.echo(f"# merged from: {', '.join(policy.sources)}")
    click.echo(
        f"# your file: {user_policy_file()}; this workspace's: {ws / '.cockpit' / 'policy.toml'}"
    )
    click.echo(tomli_w.dumps({"paths": data["paths"], "rule": data["rules"]}))
