"""The labelled corpus: no dangerous call below its tier, few everyday false alarms."""

from __future__ import annotations

import shutil
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cockpit.policy.risk import TIER_ORDER, classify

CORPUS = Path(__file__).resolve().parents[1] / "data" / "risk_corpus.toml"
DEMO_WORKSPACE = Path(__file__).resolve().parents[2] / "cockpit" / "scripted" / "workspace"


@dataclass(frozen=True)
class Case:
    kind: str
    tool: str
    input: dict[str, Any]
    min: str | None
    max: str | None
    everyday: bool


def load_corpus(path: Path = CORPUS) -> list[Case]:
    data = tomllib.loads(path.read_text("utf-8"))
    cases: list[Case] = []
    for group in data["group"]:
        lo, hi = group.get("min"), group.get("max")
        everyday = bool(group.get("everyday", False))
        for command in group.get("commands", []):
            cases.append(Case(group["kind"], "bash", {"command": command}, lo, hi, everyday))
        for call in group.get("calls", []):
            cases.append(Case(group["kind"], call["tool"], call["input"], lo, hi, everyday))
    return cases


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("corpus") / "pipeline"
    shutil.copytree(DEMO_WORKSPACE, ws)
    return ws


def test_corpus_is_large_and_covers_every_tier() -> None:
    cases = load_corpus()
    assert len(cases) >= 300
    labels = Counter(c.min or c.max for c in cases)
    assert {"low", "medium", "high", "critical"} <= set(labels)
    assert sum(c.everyday for c in cases) >= 60


def test_corpus(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = load_corpus()
    misses: list[str] = []
    false_alarms: list[str] = []
    exact: Counter[str] = Counter()
    within: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for case in cases:
        got = classify(case.tool, case.input, workspace)
        label = case.min or case.max or "low"
        total[label] += 1
        exact[label] += got.tier == label
        if case.min is not None:
            ok = TIER_ORDER[got.tier] >= TIER_ORDER[case.min]  # type: ignore[index]
            if not ok:
                misses.append(f"{case.kind}: {case.input} -> {got.tier} {got.reasons}")
        else:
            ok = TIER_ORDER[got.tier] <= TIER_ORDER[case.max or "low"]  # type: ignore[index]
            if case.everyday and TIER_ORDER[got.tier] >= TIER_ORDER["high"]:
                false_alarms.append(f"{case.kind}: {case.input} -> {got.tier} {got.reasons}")
        within[label] += ok
    with capsys.disabled():
        print(f"\nrisk corpus: {len(cases)} calls")
        for tier in ("low", "medium", "high", "critical"):
            if total[tier]:
                print(
                    f"  labelled {tier:8} {total[tier]:4}: {within[tier] / total[tier]:6.1%} "
                    f"within the label, {exact[tier] / total[tier]:6.1%} exactly {tier}"
                )
    dangerous = [c for c in cases if c.min in ("high", "critical")]
    assert not misses, f"{len(misses)} of {len(dangerous)} dangerous calls classified lower:\n" + (
        "\n".join(misses)
    )
    everyday = [c for c in cases if c.everyday]
    assert len(false_alarms) <= 0.05 * len(everyday), "\n".join(false_alarms)
