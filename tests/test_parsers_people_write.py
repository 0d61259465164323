"""Dates, places, check-in hours and pause lengths, written the way people write them.

Every date is relative to the ``today`` passed in, never to the day the tests run: each
table runs for several ``today``s, across a month end, a year end and a leap day.
Functions that did not exist before issue 11 are looked up when a test runs, so each
test fails on its own on older code.
"""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from typing import Any

import pytest

from bot.conversation import parsers
from bot.conversation.parsers import parse_date, parse_timezone, parse_window

FRIDAY = date(2026, 11, 27)
TODAYS = [FRIDAY, date(2027, 1, 1), date(2028, 3, 1), date(2026, 6, 3)]
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def days_ago(days: int, today: date = FRIDAY) -> date:
    return today - timedelta(days=days)


def read_place(text: str) -> Any:
    return importlib.import_module("bot.conversation.places").read_place(text)


def parse_duration(text: str) -> int | None:
    return parsers.parse_duration(text)  # type: ignore[no-any-return]


# --- dates -------------------------------------------------------------------------


@pytest.mark.parametrize("today", TODAYS)
@pytest.mark.parametrize(("text", "days"), [
    ("today", 0), ("yesterday", 1), ("3 days ago", 3), ("the day before yesterday", 2),
    ("day before yesterday", 2), ("a week ago", 7), ("last week", 7), ("2 weeks ago", 14),
    ("yesterdy", 1), ("the day before yesterdy", 2), ("Yesterday", 1),
    ("gestern", 1), ("vorgestern", 2), ("ayer", 1), ("hier", 1),
])
def test_relative_dates(text: str, days: int, today: date) -> None:
    assert parse_date(text, today=today) == days_ago(days, today)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-20", date(2026, 11, 20)), ("20 Nov", date(2026, 11, 20)),
    ("Nov 20th", date(2026, 11, 20)), ("20/11", date(2026, 11, 20)),
    ("20.11.", date(2026, 11, 20)), ("20/11/2025", date(2025, 11, 20)),
    # Day first is impossible for 11/20, so it is read month first.
    ("11/20", date(2026, 11, 20)), ("1/2", date(2026, 2, 1)),
    # No year: the most recent such day, so a December date said in November is last year's.
    ("20 Dec", date(2025, 12, 20)), ("20/12", date(2025, 12, 20)),
    ("Nov 20 2025", date(2025, 11, 20)),
])
def test_calendar_dates(text: str, expected: date) -> None:
    assert parse_date(text, today=FRIDAY) == expected


def test_calendar_dates_follow_the_given_today_not_the_real_one() -> None:
    assert parse_date("20 Nov", today=date(2019, 3, 6)) == date(2018, 11, 20)
    assert parse_date("20/11", today=date(2031, 12, 1)) == date(2031, 11, 20)
    assert parse_date("yesterday", today=date(2019, 3, 1)) == date(2019, 2, 28)
    assert parse_date("29/02", today=date(2026, 11, 27)) == date(2024, 2, 29)


@pytest.mark.parametrize(("text", "days"), [
    # Said on Friday 27 November 2026.
    ("Wednesday", 2), ("wednesday", 2), ("last tuesday", 3), ("on monday", 4), ("mon", 4),
    ("Thursday", 1), ("sat", 6), ("Sunday", 5), ("wendsday", 2), ("tusday", 3),
    # Today's own weekday is the one a week ago: someone who means today says "today".
    ("Friday", 7), ("last friday", 7), ("fri", 7), ("mittwoch", 2), ("mercredi", 2),
])
def test_weekdays_are_the_most_recent_one(text: str, days: int) -> None:
    assert parse_date(text, today=FRIDAY) == days_ago(days)


@pytest.mark.parametrize("offset", range(7))
def test_weekdays_never_land_in_the_future(offset: int) -> None:
    today = date(2026, 12, 28) + timedelta(days=offset)  # a week across a year end
    for index, name in enumerate(WEEKDAY_NAMES):
        for text in (name, f"last {name}", f"on {name}", name[:3], name.capitalize()):
            found = parse_date(text, today=today)
            assert found is not None, text
            assert found.weekday() == index, text
            assert days_ago(7, today) <= found < today, (text, today)


@pytest.mark.parametrize("text", ["", "soon", "the thirty-second of Smarch", "2026-13-45",
                                  "32/13", "31/4", "x" * 500])
def test_unreadable_dates(text: str) -> None:
    assert parse_date(text, today=FRIDAY) is None


# --- places and time zones ------------------------------------------------------------


@pytest.mark.parametrize(("text", "zone", "country"), [
    ("Berlin", "Europe/Berlin", "DE"), ("berlin germany", "Europe/Berlin", "DE"),
    ("Berlin, Germany", "Europe/Berlin", "DE"), ("Berlin, DE", "Europe/Berlin", "DE"),
    ("Munich", "Europe/Berlin", "DE"), ("München", "Europe/Berlin", "DE"),
    ("Paris", "Europe/Paris", "FR"), ("NYC", "America/New_York", "US"),
    ("New York", "America/New_York", "US"), ("San Francisco", "America/Los_Angeles", "US"),
    ("Bangalore", "Asia/Kolkata", "IN"), ("Bengaluru", "Asia/Kolkata", "IN"),
    ("Mumbai", "Asia/Kolkata", "IN"), ("Lagos", "Africa/Lagos", "NG"),
    ("Sao Paulo", "America/Sao_Paulo", "BR"), ("São Paulo", "America/Sao_Paulo", "BR"),
    ("Sydney", "Australia/Sydney", "AU"), ("Toronto", "America/Toronto", "CA"),
    ("London", "Europe/London", "GB"), ("Dublin", "Europe/Dublin", "IE"),
    ("St. Louis", "America/Chicago", "US"), ("Washington, D.C.", "America/New_York", "US"),
    ("I live in Berlin", "Europe/Berlin", "DE"),
    ("Germany", "Europe/Berlin", "DE"), ("India", "Asia/Kolkata", "IN"),
    ("UK", "Europe/London", "GB"), ("Nigeria", "Africa/Lagos", "NG"),
    ("Spain", "Europe/Madrid", "ES"), ("DE", "Europe/Berlin", "DE"),
    ("Berln", "Europe/Berlin", "DE"), ("Londn", "Europe/London", "GB"),
    ("Munchen", "Europe/Berlin", "DE"),
    ("EST", "America/New_York", "US"), ("PST", "America/Los_Angeles", "US"),
    ("IST", "Asia/Kolkata", "IN"), ("GMT", "UTC", None), ("CET", "CET", None),
    ("europe/berlin", "Europe/Berlin", "DE"), ("America/New York", "America/New_York", "US"),
])
def test_places_name_a_zone_and_country(text: str, zone: str, country: str | None) -> None:
    place = read_place(text)
    assert (place.zone, place.country) == (zone, country)
    assert parse_timezone(text) == zone


@pytest.mark.parametrize(("text", "country", "label"), [
    ("US", "US", "the US"), ("USA", "US", "the US"), ("United States", "US", "the US"),
    ("Canada", "CA", "Canada"), ("Australia", "AU", "Australia"),
    ("Brazil", "BR", "Brazil"), ("Russia", "RU", "Russia"), ("Mexico", "MX", "Mexico"),
    ("London, Canada", "CA", "Canada"),
])
def test_countries_with_several_clocks_ask_for_a_city(text: str, country: str,
                                                      label: str) -> None:
    place = read_place(text)
    assert (place.zone, place.country, place.label) == (None, country, label)
    assert parse_timezone(text) is None


@pytest.mark.parametrize("text", ["", "   ", "Mars/Base", "../../etc/passwd", "localtime",
                                  "Factory", "Europe/Berln", "hello there", "soon", "no",
                                  "NO", "in", "x" * 500])
def test_unknown_places(text: str) -> None:
    assert read_place(text) is None
    assert parse_timezone(text) is None


def test_places_file_is_large_and_every_entry_is_real() -> None:
    """Every curated city resolves to its own entry: a zone and a country that exist
    (the loader raises on a wrong one) and no tz-database city shadowing it."""
    import yaml

    from bot.conversation.places import Place, zones_of_country
    from bot.settings import DEFAULT_CONTENT_DIR

    data = yaml.safe_load((DEFAULT_CONTENT_DIR / "places.yaml").read_text(encoding="utf-8"))
    assert len(data["cities"]) >= 80
    for name, entry in data["cities"].items():
        assert read_place(name) == Place(entry["zone"], entry["country"], name), name
        assert entry["zone"] in zones_of_country(entry["country"]), name


# --- check-in windows ---------------------------------------------------------------

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
EVERY_DAY = [*WEEKDAYS, "sat", "sun"]


@pytest.mark.parametrize(("text", "start", "end", "days"), [
    ("9am-5pm", "09:00", "17:00", WEEKDAYS), ("9am to 5pm", "09:00", "17:00", WEEKDAYS),
    ("9 am – 5:30 pm", "09:00", "17:30", WEEKDAYS),
    ("9 a.m. - 5 p.m.", "09:00", "17:00", WEEKDAYS),
    # An earlier end with no am/pm is in the afternoon.
    ("9-5", "09:00", "17:00", WEEKDAYS), ("12-5", "12:00", "17:00", WEEKDAYS),
    ("10-4 every day", "10:00", "16:00", EVERY_DAY),
    ("1-5pm", "13:00", "17:00", WEEKDAYS), ("9-5pm", "09:00", "17:00", WEEKDAYS),
    ("09:00–17:00 weekdays", "09:00", "17:00", WEEKDAYS),
    ("9-5 mon-fri", "09:00", "17:00", WEEKDAYS),
    ("weekends 10-2", "10:00", "14:00", ["sat", "sun"]),
    ("9pm-12am", "21:00", "23:59", WEEKDAYS),
    ("mornings", "09:00", "12:00", WEEKDAYS), ("weekday mornings", "09:00", "12:00", WEEKDAYS),
    ("afternoons", "12:00", "17:00", WEEKDAYS),
    ("evenings every day", "17:00", "21:00", EVERY_DAY),
    # The forms read before issue 11 still are.
    ("9-18", "09:00", "18:00", WEEKDAYS), ("08:30 to 17:00", "08:30", "17:00", WEEKDAYS),
    ("10-16 every day", "10:00", "16:00", EVERY_DAY),
])
def test_windows(text: str, start: str, end: str, days: list[str]) -> None:
    window = parse_window(text)
    assert window is not None, text
    assert window.as_dict() == {"start": start, "end": end, "days": days}


@pytest.mark.parametrize("text", ["18-9", "25-26", "13pm-5pm", "5pm-9am", "soon", ""])
def test_unreadable_windows(text: str) -> None:
    assert parse_window(text) is None


# --- pause lengths ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "days"), [
    ("14", 14), ("14 days", 14), ("1 day", 1), ("2 weeks", 14), ("two weeks", 14),
    ("a week", 7), ("week", 7), ("a month", 30), ("1 month", 30), ("3 months", 90),
    ("fortnight", 14), ("a fortnight", 14), ("for 2 weeks", 14), ("a couple of weeks", 14),
    ("2 wekks", 14), ("3 monts", 90), ("10d", 10),
    # At most a year.
    ("12 months", 360), ("2 years", 365), ("1000", 365),
])
def test_durations(text: str, days: int) -> None:
    assert parse_duration(text) == days


@pytest.mark.parametrize("text", ["", "0", "soon", "-3", "two", "forever and ever"])
def test_unreadable_durations(text: str) -> None:
    assert parse_duration(text) is None
