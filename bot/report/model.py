"""What an impact report says, independent of how it is shown (HTML, CSV, JSON).

A report is computed from the store for a scope (all workspaces, or one) and a period of
whole calendar months. It names no person, workspace, company or id, and carries no
text anyone typed: only counts, rates and medians, each of which is either published or
suppressed ("fewer than 5").

The privacy rule (see :mod:`bot.report.cells`): every figure is a sum over atomic cells,
one per (workspace, month), and each person counts in one cell per figure. A cell that
rests on fewer than :data:`MIN_PEOPLE` people is left out of every figure, whatever the
report asks for (whether a cell is left out depends on the cell alone). The difference
between any two published figures (two periods, or all workspaces against one) is then
a sum of whole cells that each rest on at least five people, so no choice of periods or
workspaces singles anyone out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["MIN_PEOPLE", "SUPPRESSED", "Figure", "Report", "TrendPoint"]

MIN_PEOPLE = 5
SUPPRESSED = "fewer than 5"

Unit = Literal["people", "count", "days", "rate"]


@dataclass(frozen=True, slots=True)
class Figure:
    """One published number. ``value`` is ``None`` when suppressed; ``display`` is what a
    reader sees (``"1,204"``, ``"38%"``, ``"4.5 days"`` or ``"fewer than 5"``)."""

    key: str
    label: str
    unit: Unit
    value: float | None
    display: str

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One month of the trend chart: figure key -> value (``None`` when suppressed)."""

    month: str  # "2026-03"
    values: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class Report:
    scope: str  # "All workspaces" or "One workspace": never an id or a name
    since: str  # first month, "2026-01"
    until: str  # last month, inclusive
    generated_at: str  # ISO-8601 UTC
    figures: tuple[Figure, ...]
    #: the path from a rejection to a later conversation, in order, for the funnel chart
    funnel: tuple[Figure, ...]
    trend: tuple[TrendPoint, ...]
    notes: tuple[str, ...] = field(default=())
