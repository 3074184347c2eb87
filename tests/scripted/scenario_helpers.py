"""Scenarios the scripted-model tests build: a probe with branches, and one per fault kind."""

from __future__ import annotations

import tomllib

from cockpit.scripted.scenario import Scenario, parse_scenario

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
