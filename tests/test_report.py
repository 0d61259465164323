"""The impact report on a generated history of 500+ people: it matches a plain re-count,
hides every small cell, cannot be made to single anyone out by choosing periods and
workspaces, and names nobody in any format; ``notnow report`` prints the same."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.messages import UserRef
from bot.report.build import FIGURES, ReportData, assemble, build_report, month_range
from bot.report.formats import render, render_csv, render_json
from bot.report.model import MIN_PEOPLE, SUPPRESSED, Report
from bot.storage import MemoryStore, TinyDBStore
from tests.conftest import START
from tests.report_history import BIG_WORKSPACES, TINY_WORKSPACE, History, generate_history

MONTHS = ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
SCOPES: list[str | None] = [None, *BIG_WORKSPACES, TINY_WORKSPACE]
COUNTED = [spec.key for spec in FIGURES if spec.unit in ("people", "count")]
CONVERSATIONS = {"referral", "interview", "offer"}


# -- a plain re-count, written without the report's code --------------------------------

Event = tuple[str, str, str, int | None]  # workspace, month, person key, days (medians)


def _team(person_key: str) -> str:
    return person_key.rsplit(":", 1)[0]


def recount_events(history: History) -> dict[str, list[Event]]:
    """Every event of every figure, one list per figure, by walking the records."""
    events: dict[str, list[Event]] = defaultdict(list)

    def note(figure: str, key: str, stamp: str, days: int | None = None) -> None:
        events[figure].append((_team(key), stamp[:7], key, days))

    for key, person in history.people.items():
        note("people", key, person["created_at"])
        consented = (person.get("consent") or {}).get("outcomes") is True
        found = [m["at"] for m in person.get("milestones", []) if m["answer"] == "found_role"]
        if consented and found:
            note("roles_found", key, min(found))
        for entry in person["journal"]:
            note("feedback_recorded", key, entry["at"])
        for case in person["cases"]:
            if case["company"]:
                note("cases_logged", key, case["created_at"])
            sent = case["sent_at"]
            if sent:
                days = (datetime.fromisoformat(sent).date() - date.fromisoformat(case["date"])).days
                note("followups_sent", key, sent, days)
            outcomes = case.get("outcomes", []) if consented else []
            for outcome in outcomes:
                if outcome["outcome"] in CONVERSATIONS:
                    note(outcome["outcome"] + "s", key, outcome["at"])
            if outcomes:
                note("answers_received", key, min(o["at"] for o in outcomes))
            talks = [o["at"] for o in outcomes if o["outcome"] in CONVERSATIONS]
            if talks:
                note("later_conversations", key, min(talks))
            if consented and sent:
                note("rate_base", key, sent)
                if talks:
                    note("rate_hits", key, sent)
    for nudge in history.nudges:
        if nudge["state"] in ("done", "skipped"):
            note(f"checkins_{nudge['state']}", nudge["user"], nudge["acted_at"])
        if nudge.get("snoozed"):
            note("checkins_snoozed", nudge["user"], nudge["acted_at"])
    return events


def _in(events: list[Event], scope: str | None, months: list[str]) -> list[Event]:
    return [e for e in events if e[1] in months and (scope is None or e[0] == scope)]


def _cells(events: list[Event]) -> dict[tuple[str, str], list[Event]]:
    cells: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        cells[event[0], event[1]].append(event)
    return cells


def _big(cell: list[Event]) -> bool:
    return len({e[2] for e in cell}) >= MIN_PEOPLE


def _kept(events: list[Event]) -> list[Event]:
    """The events in (workspace, month) cells of at least five people: the rest are
    left out of every figure."""
    return [e for cell in _cells(events).values() if _big(cell) for e in cell]


def expected_value(events: dict[str, list[Event]], figure: str, scope: str | None,
                   months: list[str]) -> float | None:
    if figure == "days_to_followup":
        sent = _kept(_in(events["followups_sent"], scope, months))
        samples = [e[3] for e in sent if e[3] is not None]
        return round(statistics.median(samples), 1) if samples else None
    if figure == "not_now_rate":
        base = _cells(_in(events["rate_base"], scope, months))
        hits = _cells(_in(events["rate_hits"], scope, months))
        both = [k for k, cell in base.items() if _big(cell) and (k not in hits or _big(hits[k]))]
        denominator = sum(len(base[k]) for k in both)
        if denominator < MIN_PEOPLE:
            return None
        return round(sum(len(hits.get(k, [])) for k in both) / denominator, 4)
    chosen = _in(events[figure], scope, months)
    kept = _kept(chosen)
    return None if not kept and chosen else len(kept)


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> History:
    return generate_history()


@pytest.fixture(scope="module")
def store(history: History) -> MemoryStore:
    store = MemoryStore()
    history.write(store)
    return store


@pytest.fixture(scope="module")
def data(store: MemoryStore) -> ReportData:
    return ReportData.read(store)


@pytest.fixture(scope="module")
def events(history: History) -> dict[str, list[Event]]:
    return recount_events(history)


def _report(data: ReportData, scope: str | None, months: list[str]) -> Report:
    return assemble(data, clock=ManualClock(START), workspace=scope, months=months)


def _periods() -> Iterator[list[str]]:
    """Every run of consecutive months in the year: nested, adjacent, single."""
    for first in range(len(MONTHS)):
        for last in range(first, len(MONTHS)):
            yield MONTHS[first:last + 1]


# -- tests ------------------------------------------------------------------------------


def test_the_history_is_big_enough(history: History) -> None:
    teams: dict[str, int] = defaultdict(int)
    for key in history.people:
        teams[_team(key)] += 1
    assert sum(teams[w] for w in BIG_WORKSPACES) >= 500
    assert teams[TINY_WORKSPACE] == 3


def test_the_default_period_is_the_twelve_months_up_to_the_clock(store: MemoryStore) -> None:
    report = build_report(store, clock=ManualClock(START), workspace=None, since=None,
                          until=None)
    assert (report.since, report.until) == ("2025-12", "2026-11")
    assert [point.month for point in report.trend] == MONTHS
    assert report.scope == "All workspaces"
    assert month_range(clock=ManualClock(START), since="2026-03", until=None)[0] == "2026-03"
    for bad in ({"since": "2026-13"}, {"until": "26-01"}, {"since": "2026-05", "until": "2026-04"}):
        with pytest.raises(ValueError):
            build_report(store, clock=ManualClock(START), workspace=None, **{
                "since": None, "until": None, **bad})


@pytest.mark.parametrize("scope", SCOPES)
def test_the_report_matches_a_plain_recount(store: MemoryStore, data: ReportData,
                                            events: dict[str, list[Event]],
                                            scope: str | None) -> None:
    published = 0
    periods = [MONTHS, MONTHS[4:7], MONTHS[1:7], *([m] for m in MONTHS)]
    for months in periods:
        report = _report(data, scope, months)
        if months in (MONTHS, MONTHS[4:7]):  # the store-reading entry point agrees
            via_store = build_report(store, clock=ManualClock(START), workspace=scope,
                                     since=months[0], until=months[-1])
            assert via_store == report
        for figure in report.figures:
            want = expected_value(events, figure.key, scope, months)
            assert figure.value == want, (figure.key, scope, months)
            assert figure.display == SUPPRESSED if want is None else figure.display != SUPPRESSED
            published += want is not None and want > 0
        for point in report.trend:
            for key, value in point.values.items():
                assert value == expected_value(events, key, scope, [point.month])
        assert [f.key for f in report.funnel] == [
            "cases_logged", "followups_sent", "answers_received", "later_conversations"]
    if scope in BIG_WORKSPACES:
        assert published >= 100  # the comparison is not vacuous


def test_every_small_cell_is_left_out(data: ReportData, events: dict[str, list[Event]]
                                        ) -> None:
    small = 0
    for scope in [*BIG_WORKSPACES, TINY_WORKSPACE]:
        for month in MONTHS:
            report = _report(data, scope, [month])
            for figure in report.figures:
                if figure.key not in COUNTED:
                    continue
                people = {e[2] for e in _in(events[figure.key], scope, [month])}
                if 0 < len(people) < MIN_PEOPLE:
                    small += 1
                    assert figure.value is None and figure.display == SUPPRESSED
    assert small >= 20  # the history has small cells to hide
    tiny = _report(data, TINY_WORKSPACE, MONTHS)
    assert all(f.value in (None, 0) for f in tiny.figures)
    # the month the tiny team joined: its cell is left out, the big teams' cells are not
    april = [_report(data, scope, ["2026-04"]).figures[0].value for scope in
             (None, *BIG_WORKSPACES)]
    assert april[0] is not None and april[0] == sum(v or 0 for v in april[1:])


def test_no_choice_of_periods_and_workspaces_singles_anyone_out(data: ReportData) -> None:
    """The attack: every report over runs of months, for all workspaces and for each one;
    any two whose cells nest (a period inside another, one workspace inside all) differ,
    where both are published, by nothing or by at least five; so do all-workspaces and
    the two big ones added together (the difference being the tiny workspace)."""
    values: dict[tuple[str | None, tuple[str, ...]], dict[str, float | None]] = {}
    for scope in SCOPES:
        for months in _periods():
            report = _report(data, scope, months)
            values[scope, tuple(months)] = {f.key: f.value for f in report.figures}
    compared = 0
    for (inner_scope, inner_period), (outer_scope, outer_period) in permutations(values, 2):
        if not (set(inner_period) <= set(outer_period)
                and outer_scope in (None, inner_scope)):
            continue
        inner, outer = values[inner_scope, inner_period], values[outer_scope, outer_period]
        for key in COUNTED:
            small, big = inner[key], outer[key]
            if small is not None and big is not None:
                compared += 1
                assert big - small == 0 or big - small >= MIN_PEOPLE, (
                    key, inner_scope, inner_period, outer_scope, outer_period)
    for months in _periods():
        for key in COUNTED:
            whole = values[None, tuple(months)][key]
            parts = [values[w, tuple(months)][key] for w in BIG_WORKSPACES]
            if whole is not None and None not in parts:
                rest = whole - sum(p for p in parts if p is not None)
                assert rest == 0 or rest >= MIN_PEOPLE
    assert compared >= 5000


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
def test_no_output_names_anyone(data: ReportData, history: History, fmt: str) -> None:
    for scope in SCOPES:
        for months in (MONTHS, MONTHS[4:7]):
            text = render(_report(data, scope, months), fmt)
            leaked = sorted(secret for secret in history.secrets if secret in text)
            assert not leaked, f"{fmt} output contains {leaked[:3]}"


def test_json_and_csv_carry_every_figure_and_the_trend(data: ReportData) -> None:
    report = _report(data, BIG_WORKSPACES[0], MONTHS[4:7])
    parsed = json.loads(render_json(report))
    assert [f["key"] for f in parsed["figures"]] == [f.key for f in report.figures]
    assert {f["display"] for f in parsed["figures"] if f["value"] is None} <= {SUPPRESSED}
    lines = render_csv(report).splitlines()
    assert lines[0] == "key,label,value,display"
    assert len(lines) == 1 + len(report.figures) + 3 * len(report.trend)
    assert lines[-1].startswith(f"trend:{MONTHS[6]}:later_conversations,")


# -- the real command -------------------------------------------------------------------


def _notnow(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NOTNOW_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "adapters.cli", "report", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_notnow_report_prints_the_report_read_only(tmp_path: Path) -> None:
    db = tmp_path / "db"
    small = generate_history(seed=3, people_per_workspace=(45, 30))
    writer = TinyDBStore(db)  # holds the process lock: the report must not need it
    try:
        small.write(writer)
        period = ["--since", MONTHS[0], "--until", MONTHS[-1]]
        done = _notnow(db, "--format", "csv", "--workspace", BIG_WORKSPACES[0], *period)
        assert done.returncode == 0, done.stderr
        expected = build_report(writer, clock=ManualClock(START), workspace=BIG_WORKSPACES[0],
                                since=MONTHS[0], until=MONTHS[-1])
        assert done.stdout == render_csv(expected)
        assert "," in done.stdout.splitlines()[1] and not done.stderr

        out = tmp_path / "report.json"
        done = _notnow(db, "--format", "json", "--output", str(out), *period)
        assert done.returncode == 0 and done.stdout == "", done.stderr
        written: dict[str, Any] = json.loads(out.read_text())
        mine = json.loads(render_json(build_report(
            writer, clock=ManualClock(START), workspace=None, since=MONTHS[0],
            until=MONTHS[-1])))
        assert {k: v for k, v in written.items() if k != "generated_at"} == {
            k: v for k, v in mine.items() if k != "generated_at"}
        assert not [s for s in small.secrets if s in out.read_text()]

        done = _notnow(db, "--format", "csv", "--since", "2026-13")
        assert done.returncode == 2 and "not a month" in done.stderr
    finally:
        writer.close()


def test_discord_people_count_in_the_first_server_they_used() -> None:
    """Discord people are keyed without a server; the report counts each in the first
    server they used /notnow in, so a server's managers see their own server only."""
    from bot.content.loader import load_content
    from bot.conversation.actions import ACTIONS
    from bot.conversation.people import PersonRepo
    from bot.settings import DEFAULT_CONTENT_DIR

    store = MemoryStore()
    repo = PersonRepo(store=store, content=load_content(DEFAULT_CONTENT_DIR,
                                                        known_actions=ACTIONS),
                      clock=ManualClock(START))
    for n, servers in enumerate([["111"]] * 6 + [["222", "111"]] * 7 + [[]] * 2):
        person = repo.fresh(UserRef("discord", "discord", str(10**17 + n)))
        if servers:
            person["servers"] = list(servers)
        repo.save(UserRef("discord", "discord", str(10**17 + n)), person)
    month = START.strftime("%Y-%m")
    people = {scope: build_report(store, clock=ManualClock(START), workspace=scope,
                                  since=month, until=month).figures[0].value
              for scope in ("discord:111", "discord:222", "discord:discord", None)}
    assert people == {"discord:111": 6, "discord:222": 7, "discord:discord": None, None: 13}
