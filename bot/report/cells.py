"""The cell arithmetic behind every figure of the impact report, and the rule that
decides whether a figure may be published.

A figure is a sum over atomic cells, one per (workspace, month). A cell remembers its
total, the distinct people behind it and, for medians, the values it holds. A cell
*qualifies* when it is empty or rests on at least :data:`~bot.report.model.MIN_PEOPLE`
people. A figure for a scope (some workspaces) and a period (some months) sums the
qualifying cells inside both; a cell that does not qualify is left out of every figure
(so a figure is a slight undercount, and says so), and a figure with nothing but
left-out cells shows "fewer than 5".

Cells never depend on the period or scope asked for: a case sent in March sits in the
March cell of its workspace whatever report is built. That is what makes the
difference between two published figures over nested scopes or periods a union of
whole cells, each empty or resting on five people or more, so no choice of periods
or workspaces singles anyone out.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from bot.report.model import MIN_PEOPLE

__all__ = [
    "Cell", "CellTable", "Selection", "kept", "median_of", "people_of", "publishable",
    "total_of",
]

CellKey = tuple[str, str]  # (workspace, "YYYY-MM")


@dataclass(slots=True)
class Cell:
    """What one (workspace, month) holds for one figure."""

    total: float = 0
    people: set[str] = field(default_factory=set)
    samples: list[float] = field(default_factory=list)

    @property
    def qualifies(self) -> bool:
        """Empty, or enough people that its part of any sum points at nobody."""
        return not self.people or len(self.people) >= MIN_PEOPLE


@dataclass(frozen=True, slots=True)
class Selection:
    """Which cells a report covers: ``workspaces`` (``None``: all) and ``months``."""

    workspaces: frozenset[str] | None
    months: frozenset[str]

    def covers(self, key: CellKey) -> bool:
        workspace, month = key
        return month in self.months and (self.workspaces is None or workspace in self.workspaces)


class CellTable:
    """One figure's cells, filled while the store is read, summed per report."""

    def __init__(self) -> None:
        self._cells: dict[CellKey, Cell] = {}

    def add(self, workspace: str, month: str, person: str, *, amount: float = 1,
            sample: float | None = None) -> None:
        """Count ``amount`` for ``person`` in a cell (and keep ``sample`` for a median)."""
        cell = self._cells.setdefault((workspace, month), Cell())
        cell.total += amount
        cell.people.add(person)
        if sample is not None:
            cell.samples.append(sample)

    def select(self, selection: Selection) -> list[Cell]:
        return [cell for key, cell in self._cells.items() if selection.covers(key)]

    def select_keyed(self, selection: Selection) -> dict[CellKey, Cell]:
        return {key: cell for key, cell in self._cells.items() if selection.covers(key)}

    def months(self) -> set[str]:
        return {month for _, month in self._cells}


def publishable(*groups: Collection[Cell]) -> bool:
    """Every cell behind a figure (for a rate, behind its numerator and its
    denominator) is empty or rests on enough people."""
    return all(cell.qualifies for cells in groups for cell in cells)


def kept(cells: Iterable[Cell]) -> tuple[list[Cell], bool]:
    """The cells a figure may sum, and whether any were left out for resting on fewer
    than five people."""
    cells = list(cells)
    keep = [cell for cell in cells if cell.qualifies]
    return keep, len(keep) < len(cells)


def total_of(cells: Iterable[Cell]) -> float:
    return sum(cell.total for cell in cells)


def people_of(cells: Iterable[Cell]) -> int:
    """Distinct people behind some cells (a person may sit in several months)."""
    return len(set().union(*(cell.people for cell in cells)))


def median_of(cells: Iterable[Cell]) -> float | None:
    samples = [value for cell in cells for value in cell.samples]
    return statistics.median(samples) if samples else None
