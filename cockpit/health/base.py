"""The shape every health metric group shares: fold events, report named values, define them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from cockpit.events import Event


@dataclass(frozen=True)
class Definition:
    """What a metric means, in one sentence a user can read, and where the idea comes from."""

    name: str
    text: str
    unit: str = ""
    reference: str = ""


class MetricGroup(Protocol):
    """A group of related metrics computed incrementally (constant work per event)."""

    DEFINITIONS: ClassVar[tuple[Definition, ...]]

    def fold(self, event: Event) -> None: ...

    def values(self) -> dict[str, float]: ...
