"""The health strip: a session's latest health sample as a few gauges coloured by threshold.

Pure (no widgets): the pane draws what `strip()` returns; the thresholds are the watchdog's.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.content import Content

from cockpit.health.watchdog import default_rules

# (metric, label, how the value is shown), in the strip's order.
GAUGES: tuple[tuple[str, str, str], ...] = (
    ("drift.score", "drift", "{:.2f}"),
    ("errors.streak", "err streak", "{:.0f}"),
    ("loops.score", "loops", "{:.2f}"),
    ("memory.fill", "ctx", "{:.0%}"),
    ("safety.critical", "crit", "{:.0f}"),
    ("cost.usd", "", "${:.2f}"),
)
WARN_AT = 0.6  # a gauge turns yellow at 60 % of its rule's threshold


def thresholds() -> dict[str, float]:
    """Each metric's watchdog threshold (the lowest, when several rules watch it)."""
    out: dict[str, float] = {}
    for rule in default_rules():
        out[rule.metric] = min(rule.threshold, out.get(rule.metric, rule.threshold))
    return out


def level(metric: str, value: float, limits: Mapping[str, float]) -> str:
    """'ok', 'warn' or 'alert' for a value against its metric's threshold."""
    limit = limits.get(metric)
    if limit is None or limit <= 0:
        return "ok"
    if value >= limit:
        return "alert"
    return "warn" if value >= WARN_AT * limit else "ok"


STYLES = {"ok": "$text-success", "warn": "bold $text-warning", "alert": "bold reverse $text-error"}


def strip(metrics: Mapping[str, float], limits: Mapping[str, float]) -> Content:
    """The gauges of one sample, e.g. `drift 0.12 · err streak 0 · loops 0.00 · ctx 34%`."""
    if not metrics:
        return Content.assemble(("health: no complete turn yet", "$text-muted"))
    parts: list[Content | tuple[str, str] | str] = [("♥ ", "$text-muted")]
    for i, (metric, label, fmt) in enumerate(GAUGES):
        if metric not in metrics:
            continue
        value = metrics[metric]
        if i and len(parts) > 1:
            parts.append((" · ", "$text-muted"))
        if label:
            parts.append((f"{label} ", "$text-muted"))
        parts.append((fmt.format(value), STYLES[level(metric, value, limits)]))
    parts.append(("   h: health", "$text-muted"))
    return Content.assemble(*parts)
