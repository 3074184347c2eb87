"""HealthMonitor: every metric group folded from the event stream, sampled once per turn."""

from __future__ import annotations

from cockpit.defaults import CONTEXT_WINDOW
from cockpit.events import Event, ModelResponse, SessionStarted
from cockpit.health.base import Definition, MetricGroup
from cockpit.health.drift import OfflineDriftJudge
from cockpit.health.errors import ErrorMetrics
from cockpit.health.loops import LoopMetrics, LoopSettings
from cockpit.health.memory import MemoryMetrics
from cockpit.health.pace import PaceMetrics
from cockpit.health.safety import SafetyMetrics

# High-volume kinds no metric group reads (streamed text and output): skipped at once, so
# folding a 100,000-event session on resume costs what its calls and turns cost.
UNREAD_KINDS = frozenset({"text_delta", "tool_output", "thinking", "health_sample"})


class HealthMonitor:
    """Folds events into every metric group (constant work per event).

    `sample()` returns the flat {metric name: value} mapping a `health_sample` event
    records; `definitions()` says what each name means.
    """

    def __init__(
        self,
        context_window: int = CONTEXT_WINDOW,
        loops: LoopSettings | None = None,
        pinned: list[str] | None = None,
    ) -> None:
        self.errors = ErrorMetrics()
        self.loops = LoopMetrics(loops)
        self.memory = MemoryMetrics(context_window, pinned)
        self.safety = SafetyMetrics()
        self.pace = PaceMetrics()
        self.drift = OfflineDriftJudge()
        self.judge_score: float | None = None
        self.judge_reason = ""
        self.turns = 0
        self.groups: tuple[MetricGroup, ...] = (
            self.errors,
            self.loops,
            self.memory,
            self.safety,
            self.pace,
            self.drift,
        )

    def fold(self, event: Event) -> None:
        if event.kind in UNREAD_KINDS:
            return
        if isinstance(event, SessionStarted):
            self.memory.pin(event.goal)
        elif isinstance(event, ModelResponse):
            self.turns += 1
        for group in self.groups:
            group.fold(event)

    def record_judge(self, score: float, reason: str) -> None:
        """A model judge's drift verdict (0 on the goal .. 1 away from it)."""
        self.judge_score = max(0.0, min(1.0, score))
        self.judge_reason = reason

    def sample(self) -> dict[str, float]:
        values: dict[str, float] = {"turns": self.turns}
        for group in self.groups:
            values.update(group.values())
        if self.judge_score is not None:
            values["drift.judge"] = self.judge_score
        return values

    @staticmethod
    def definitions() -> tuple[Definition, ...]:
        groups: tuple[type[MetricGroup], ...] = (
            ErrorMetrics,
            LoopMetrics,
            MemoryMetrics,
            SafetyMetrics,
            PaceMetrics,
            OfflineDriftJudge,
        )
        out: list[Definition] = [Definition("turns", "Model turns completed.", "turns")]
        for group in groups:
            out.extend(group.DEFINITIONS)
        out.append(
            Definition(
                "drift.judge",
                "The model judge's drift score (0 on the goal, 1 away from it), every N turns "
                "when a judge model is configured.",
                "ratio",
            )
        )
        return tuple(out)
