"""The event vocabulary: every kind round-trips through canonical JSON."""

from __future__ import annotations

from cockpit import events as ev


def test_every_kind_is_in_the_union() -> None:
    assert len(ev.EVENT_KINDS) >= 26
    for kind in ("session_started", "tool_call_proposed", "approval_decided", "session_ended"):
        assert kind in ev.EVENT_TYPES


def test_round_trip_keeps_versions() -> None:
    e = ev.UserMessage(session_id="s", seq=3, text="hi", prompt_version="p1", policy_version="q1")
    back = ev.parse_event(ev.canonical_json(e))
    assert back == e
    assert back.prompt_version == "p1" and back.policy_version == "q1"
