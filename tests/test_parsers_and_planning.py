"""Dates, zones and windows people type, and due times that respect local time and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.conversation.parsers import parse_date, parse_timezone, parse_window
from bot.nudges.plan import add_business_days, window_start_utc

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(("text", "expected"), [
    ("today", TODAY), ("Yesterday", date(2026, 11, 26)), ("3 days ago", date(2026, 11, 24)),
    ("2 weeks ago", date(2026, 11, 13)), ("2026-11-20", date(2026, 11, 20)),
    ("20 Nov", date(2026, 11, 20)), ("Nov 20 2025", date(2025, 11, 20)),
])
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["", "soon", "the thirty-second of Smarch", "2026-13-45"])
def test_unreadable_dates(text: str) -> None:
    assert parse_date(text, today=TODAY) is None


def test_zones() -> None:
    assert parse_timezone("europe/berlin") == "Europe/Berlin"
    assert parse_timezone("America/New York") == "America/New_York"
    assert parse_timezone("utc") == "UTC"
    assert parse_timezone("Mars/Base") is None
    assert parse_timezone("../../etc/passwd") is None


def test_windows() -> None:
    assert parse_window("9-18").as_dict() == {  # type: ignore[union-attr]
        "start": "09:00", "end": "18:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
    assert parse_window("08:30 to 17:00").start == "08:30"  # type: ignore[union-attr]
    assert len(parse_window("10-16 every day").days) == 7  # type: ignore[union-attr]
    assert parse_window("18-9") is None
    assert parse_window("25-26") is None


def person(zone: str) -> dict:  # type: ignore[type-arg]
    return {"settings": {"timezone": zone, "window": {
        "start": "09:00", "end": "18:00", "days": ["mon", "tue", "wed", "thu", "fri"]}}}


def test_due_time_is_nine_local_across_a_dst_change() -> None:
    berlin = person("Europe/Berlin")
    # Summer time ends on 25 Oct 2026: 09:00 local is 07:00 UTC before, 08:00 UTC after.
    assert window_start_utc(berlin, date(2026, 10, 23)) == datetime(2026, 10, 23, 7, tzinfo=UTC)
    assert window_start_utc(berlin, date(2026, 10, 26)) == datetime(2026, 10, 26, 8, tzinfo=UTC)


def test_weekend_days_roll_to_monday() -> None:
    assert window_start_utc(person("UTC"), date(2026, 11, 28)) == datetime(
        2026, 11, 30, 9, tzinfo=UTC)


def test_business_days() -> None:
    assert add_business_days(date(2026, 11, 27), 5) == date(2026, 12, 4)
