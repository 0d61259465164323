"""Compute the impact report from the store: read every person and check-in once, put
each event in its (workspace, month) cell, then sum the cells a report covers.

Only counts leave this module. Ids are used while reading (to count distinct people per
cell) and are dropped with the cells; no company, name or text anyone typed is read into
anything a report holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from bot.interfaces import Clock, CorruptRecordError, Record, Store
from bot.records import CaseRecord, NudgeRecord, PersonRecord
from bot.report.cells import (
    CellTable,
    Selection,
    kept,
    median_of,
    total_of,
)
from bot.report.model import MIN_PEOPLE, SUPPRESSED, Figure, Report, TrendPoint, Unit

__all__ = [
    "FIGURES", "ReportData", "assemble", "build_report", "month_range", "parse_month",
    "workspace_of",
]

PEOPLE = "people"
NUDGES = "nudges"
CONVERSATIONS = ("referral", "interview", "offer")  # a later conversation with the contact
ANSWERS = ("replied", *CONVERSATIONS)  # every outcome is an answer to the follow-up
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class FigureSpec:
    key: str
    label: str
    unit: Unit


#: every published figure, in the order a report lists them
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("people", "People who started using the coach", "people"),
    FigureSpec("cases_logged", "Rejections logged", "count"),
    FigureSpec("followups_sent", "Follow-ups sent", "count"),
    FigureSpec("answers_received", "Answers received", "count"),
    FigureSpec("feedback_recorded", "Feedback recorded", "count"),
    FigureSpec("checkins_done", "Check-ins done", "count"),
    FigureSpec("checkins_skipped", "Check-ins skipped", "count"),
    FigureSpec("checkins_snoozed", "Check-ins snoozed", "count"),
    FigureSpec("referrals", "Referrals", "count"),
    FigureSpec("interviews", "Interviews", "count"),
    FigureSpec("offers", "Offers", "count"),
    FigureSpec("later_conversations", "Later conversations", "count"),
    FigureSpec("roles_found", "Found a role (asked at 90 and 180 days)", "people"),
    FigureSpec("days_to_followup", "Time from rejection to follow-up (median)", "days"),
    FigureSpec("not_now_rate", '"No" became "not now"', "rate"),
)
_SPECS = {spec.key: spec for spec in FIGURES}
FUNNEL = ("cases_logged", "followups_sent", "answers_received", "later_conversations")
TREND = ("cases_logged", "followups_sent", "later_conversations")
#: cells behind the "not now" rate: follow-ups of people who share outcomes, and those of
#: them a later conversation came from (both in the month the follow-up went out)
RATE_BASE, RATE_HITS = "_consented_followups", "_followups_with_conversation"
OUTCOME_FIGURES = {"referral": "referrals", "interview": "interviews", "offer": "offers"}

NOTES = (
    "In each workspace, a month in which fewer than 5 people did something is left out of "
    "that figure, so no choice of periods or workspaces can point at one person; the "
    "figures are therefore a little lower than the true totals. A figure with nothing "
    'left to show reads "fewer than 5".',
    "People are counted in the month they started using the coach.",
    "Answers, referrals, interviews and offers count only people who agreed to share "
    "outcomes.",
)


def workspace_of(person_key: str, person: PersonRecord | None = None) -> str:
    """The workspace a person counts in: the first two parts of their key
    (``slack:T024BE7LH:U1`` -> ``slack:T024BE7LH``). Discord people are keyed without a
    server (``discord:discord:1``), so they count in the first server they used the coach
    from (``discord:<server id>``), or in ``discord:discord`` if they only ever wrote
    in DMs."""
    platform_and_team = ":".join(person_key.split(":", 2)[:2])
    servers = (person.get("servers") if person is not None else None) or []
    if platform_and_team == "discord:discord" and servers:
        return f"discord:{servers[0]}"
    return platform_and_team


def _month(stamp: str | None) -> str | None:
    """The UTC calendar month of an ISO time or date, ``None`` if there is none."""
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return f"{when.year:04d}-{when.month:02d}"


def _days_between(day: str, sent_at: str) -> float | None:
    try:
        rejected = date.fromisoformat(day[:10])
        sent = datetime.fromisoformat(sent_at).astimezone(UTC).date()
    except ValueError:
        return None
    return float(max((sent - rejected).days, 0))


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-03"`` -> ``(2026, 3)``.

    :raises ValueError: not a ``YYYY-MM`` month.
    """
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"{text!r} is not a month like 2026-03")
    return int(match[1]), int(match[2])


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def month_range(*, clock: Clock, since: str | None, until: str | None) -> list[str]:
    """The whole months a report covers; by default the twelve up to the clock's month.

    :raises ValueError: a month is malformed, or the period ends before it starts.
    """
    now = clock.now().astimezone(UTC)
    last = parse_month(until) if until else (now.year, now.month)
    first = parse_month(since) if since else _shift(*last, -11)
    if first > last:
        raise ValueError(f"the period starts ({since}) after it ends ({until or 'now'})")
    months = []
    current = first
    while current <= last:
        months.append(f"{current[0]:04d}-{current[1]:02d}")
        current = _shift(*current, 1)
    return months


def _read_all(store: Store, namespace: str) -> Iterator[tuple[str, Record]]:
    """Every readable record of a namespace; an unreadable one is left out, not fatal."""
    keys = list(store.keys(namespace))
    try:
        yield from store.read_many(namespace, keys).items()
        return
    except CorruptRecordError:
        pass
    for key in keys:
        try:
            record = store.read(namespace, key)
        except CorruptRecordError:
            continue
        if record is not None:
            yield key, record


def _consents_to_outcomes(person: PersonRecord) -> bool:
    consent = cast(dict[str, Any], person).get("consent") or {}
    return isinstance(consent, dict) and consent.get("outcomes") is True


@dataclass(slots=True)
class ReportData:
    """Every figure's cells, read from the store once; any number of reports (scopes,
    periods) can be summed from it."""

    tables: dict[str, CellTable] = field(default_factory=dict)

    def table(self, key: str) -> CellTable:
        return self.tables.setdefault(key, CellTable())

    def count(self, key: str, workspace: str, stamp: str | None, person: str, *,
              sample: float | None = None) -> None:
        month = _month(stamp)
        if month is not None:
            self.table(key).add(workspace, month, person, sample=sample)

    @classmethod
    def read(cls, store: Store) -> ReportData:
        data = cls()
        known: dict[str, str] = {}  # person key -> the workspace they count in
        for key, record in _read_all(store, PEOPLE):
            person = cast(PersonRecord, record)
            known[key] = workspace_of(key, person)
            data._add_person(key, person, known[key])
        for _, record in _read_all(store, NUDGES):
            nudge = cast(NudgeRecord, record)
            if nudge.get("user") in known:
                data._add_nudge(nudge, known[nudge["user"]])
        return data

    def _add_person(self, key: str, person: PersonRecord, workspace: str) -> None:
        self.count("people", workspace, person.get("created_at"), key)
        consented = _consents_to_outcomes(person)
        found = sorted(m["at"] for m in person.get("milestones") or []
                       if m.get("answer") == "found_role" and m.get("at"))
        if consented and found:  # once per person, when they first said so
            self.count("roles_found", workspace, found[0], key)
        for case in person.get("cases") or []:
            self._add_case(workspace, key, case, consented=consented)
        for entry in person.get("journal") or []:
            self.count("feedback_recorded", workspace, entry.get("at"), key)

    def _add_case(self, workspace: str, key: str, case: CaseRecord, *, consented: bool) -> None:
        if case.get("company"):
            self.count("cases_logged", workspace, case.get("created_at"), key)
        sent_at = case.get("sent_at")
        if sent_at:
            days = _days_between(case.get("date") or "", sent_at)
            self.count("followups_sent", workspace, sent_at, key, sample=days)
        if consented:
            self._add_outcomes(workspace, key, case)

    def _add_outcomes(self, workspace: str, key: str, case: CaseRecord) -> None:
        outcomes = [o for o in case.get("outcomes") or [] if isinstance(o, dict)]
        for outcome in outcomes:
            figure = OUTCOME_FIGURES.get(outcome.get("outcome", ""))
            if figure:
                self.count(figure, workspace, outcome.get("at"), key)
        answered = sorted(str(o.get("at") or "") for o in outcomes if o.get("outcome") in ANSWERS)
        if answered:
            self.count("answers_received", workspace, answered[0], key)
        talks = sorted(str(o.get("at") or "") for o in outcomes
                       if o.get("outcome") in CONVERSATIONS)
        if talks:
            self.count("later_conversations", workspace, talks[0], key)
        sent_at = case.get("sent_at")
        if sent_at:
            self.count(RATE_BASE, workspace, sent_at, key)
            if any(_is_after(at, sent_at) for at in talks):
                self.count(RATE_HITS, workspace, sent_at, key)

    def _add_nudge(self, nudge: NudgeRecord, workspace: str) -> None:
        person = nudge["user"]
        acted_at = nudge.get("acted_at")
        state = nudge.get("state")
        if state in ("done", "skipped"):
            self.count(f"checkins_{state}", workspace, acted_at, person)
        if (nudge.get("snoozed") or 0) > 0:
            self.count("checkins_snoozed", workspace, acted_at or nudge.get("due_at"), person)


def _is_after(later: str, earlier: str) -> bool:
    try:
        return datetime.fromisoformat(later) >= datetime.fromisoformat(earlier)
    except (TypeError, ValueError):
        return False


def _display(unit: Unit, value: float) -> str:
    if unit == "rate":
        return f"{round(value * 100)}%"
    if unit == "days":
        return "1 day" if value == 1 else f"{value:g} days"
    return f"{round(value):,}"


def _figure(key: str, value: float | None) -> Figure:
    spec = _SPECS[key]
    shown = SUPPRESSED if value is None else _display(spec.unit, value)
    return Figure(key=key, label=spec.label, unit=spec.unit, value=value, display=shown)


def _value(data: ReportData, key: str, selection: Selection) -> float | None:
    """A figure's published value for a selection: a sum over the cells that qualify
    (see :mod:`bot.report.cells`); ``None`` ("fewer than 5") when the cells that do not
    qualify are all there is, or a rate's base is too small."""
    if key == "days_to_followup":
        cells, _ = kept(data.table("followups_sent").select(selection))
        median = median_of(cells)
        return round(median, 1) if median is not None else None
    if key == "not_now_rate":
        base = data.table(RATE_BASE).select_keyed(selection)
        hits = data.table(RATE_HITS).select_keyed(selection)
        # a month counts only if both its follow-ups and its later conversations qualify,
        # so the numerator stays a part of the denominator
        both = [k for k, cell in base.items()
                if cell.qualifies and (k not in hits or hits[k].qualifies)]
        denominator = total_of(base[k] for k in both)
        if denominator < MIN_PEOPLE:
            return None
        return round(total_of(hits[k] for k in both if k in hits) / denominator, 4)
    cells, left_out = kept(data.table(key).select(selection))
    total = total_of(cells)
    return None if total == 0 and left_out else total


def assemble(data: ReportData, *, clock: Clock, workspace: str | None, months: list[str]
             ) -> Report:
    """One report from cells already read: the figures, the funnel and the trend."""
    workspaces = frozenset({workspace}) if workspace else None
    whole = Selection(workspaces=workspaces, months=frozenset(months))
    figures = tuple(_figure(spec.key, _value(data, spec.key, whole)) for spec in FIGURES)
    by_key = {figure.key: figure for figure in figures}
    trend = tuple(
        TrendPoint(month=month, values={
            key: _value(data, key, Selection(workspaces=workspaces, months=frozenset({month})))
            for key in TREND
        })
        for month in months
    )
    return Report(
        scope="One workspace" if workspace else "All workspaces",
        since=months[0], until=months[-1],
        generated_at=clock.now().astimezone(UTC).isoformat(timespec="seconds"),
        figures=figures,
        funnel=tuple(by_key[key] for key in FUNNEL),
        trend=trend,
        notes=NOTES,
    )


def build_report(store: Store, *, clock: Clock, workspace: str | None, since: str | None,
                 until: str | None) -> Report:
    """The report for one workspace (``"slack:T024BE7LH"``, ``"discord:discord"``) or all
    (``None``), over whole calendar months ``since``..``until`` (``"2026-01"``; by default
    the twelve months up to the clock's).

    :raises ValueError: a month is malformed or the period is reversed.
    :raises StoreError: the store could not be read.
    """
    months = month_range(clock=clock, since=since, until=until)
    return assemble(ReportData.read(store), clock=clock, workspace=workspace, months=months)
