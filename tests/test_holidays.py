"""Issue 11, "no check-in on public holidays": a check-in that would fall on a public
holiday of the person's country moves to their next working day.

The country is the one the person named (``settings.country``), else the country of
their time zone; ``UTC`` belongs to no country, so it has no holidays. A window of all
seven days still skips holidays: the issue asks for no check-in on a public holiday at
all, and a day off is a day off whether or not the person also takes weekend nudges.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.conversation.engine import Coach
from bot.interfaces import Store
from bot.messages import UserRef
from bot.nudges.dispatcher import NudgeDispatcher
from bot.nudges.holidays_calendar import country_of_person, is_public_holiday
from bot.nudges.plan import add_business_days, window_start_utc
from bot.records import PersonRecord
from bot.storage import MemoryStore
from tests.conversation import Conversation, log_rejection
from tests.nudge_checks import Inbox, dispatch_until, press

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
EVERY_DAY = [*WEEKDAYS, "sat", "sun"]


@pytest.fixture
def store() -> Iterator[Store]:
    """Holidays are about dates, not storage: the memory store is enough here."""
    backend = MemoryStore()
    yield backend
    backend.close()


def person(zone: str, *, country: str | None = None,
           days: list[str] | None = None) -> PersonRecord:
    settings: dict[str, object] = {"timezone": zone, "window": {
        "start": "09:00", "end": "18:00", "days": days or WEEKDAYS}}
    if country is not None:
        settings["country"] = country
    return {"settings": settings}  # type: ignore[typeddict-item]


def local_day(who: PersonRecord, day: date) -> date:
    """The local date of the check-in planned for ``day``."""
    return window_start_utc(who, day).astimezone(ZoneInfo(who["settings"]["timezone"])).date()


@pytest.mark.parametrize(("zone", "expected"), [
    ("Europe/Berlin", date(2026, 12, 28)),  # 25, 26 Dec holidays, then the weekend
    ("Europe/London", date(2026, 12, 29)),  # Boxing Day (Sat) is observed on Mon 28
    ("America/New_York", date(2026, 12, 28)),  # 25 Dec, then the weekend
])
def test_a_check_in_planned_for_christmas_day_moves_to_the_next_working_day(
        zone: str, expected: date) -> None:
    assert local_day(person(zone), date(2026, 12, 25)) == expected


def test_german_unity_day_moves_a_check_in_in_germany_but_not_in_britain() -> None:
    unity_day = date(2028, 10, 3)  # a Tuesday (in 2026 and 2027 it is a weekend day)
    assert local_day(person("Europe/Berlin"), unity_day) == date(2028, 10, 4)
    assert local_day(person("Europe/London"), unity_day) == unity_day


def test_thanksgiving_moves_a_check_in_in_the_united_states_only() -> None:
    thanksgiving = date(2026, 11, 26)
    assert local_day(person("America/Chicago"), thanksgiving) == date(2026, 11, 27)
    assert local_day(person("Europe/Berlin"), thanksgiving) == thanksgiving


def test_a_person_in_utc_with_no_country_has_no_holidays() -> None:
    assert country_of_person(person("UTC")["settings"]) is None
    assert window_start_utc(person("UTC"), date(2026, 12, 25)) == datetime(
        2026, 12, 25, 9, tzinfo=UTC)
    assert not is_public_holiday(None, date(2026, 12, 25))


def test_the_country_the_person_named_wins_over_their_time_zone() -> None:
    in_utc_from_germany = person("UTC", country="DE")
    assert window_start_utc(in_utc_from_germany, date(2026, 12, 25)) == datetime(
        2026, 12, 28, 9, tzinfo=UTC)
    assert local_day(person("Europe/Berlin", country="gb"), date(2026, 12, 28)) == date(
        2026, 12, 29)


def test_a_seven_day_window_still_skips_public_holidays() -> None:
    every_day = person("Europe/Berlin", days=EVERY_DAY)
    assert local_day(every_day, date(2026, 12, 25)) == date(2026, 12, 27)  # Sunday
    assert local_day(every_day, date(2026, 12, 27)) == date(2026, 12, 27)


def test_public_holidays_are_not_business_days() -> None:
    # Fri 18 Dec + 5 working days: 21, 22, 23, 24 Dec, then Christmas
    assert add_business_days(date(2026, 12, 18), 5) == date(2026, 12, 25)
    assert add_business_days(date(2026, 12, 18), 5, country="DE") == date(2026, 12, 28)
    assert add_business_days(date(2026, 12, 18), 5, country="GB") == date(2026, 12, 29)
    assert add_business_days(date(2026, 11, 23), 3, country="US") == date(2026, 11, 27)
    assert add_business_days(date(2026, 11, 23), 3, country="DE") == date(2026, 11, 26)
    assert add_business_days(date(2026, 12, 18), 5, country="XX") == date(2026, 12, 25)


def sent_follow_up(conv: Conversation, zone: str) -> None:
    """Steps 1 to 3, in ``zone``: the follow-up sent, the regular networking plan."""
    conv.coach.set_timezone(conv.user, zone)
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick("Regular")


def due_day(conv: Conversation, kind: str) -> date:
    zone = ZoneInfo(conv.person["settings"]["timezone"])
    nudges = [conv.coach.nudge_book.get(i) for i in conv.person["nudge_ids"]]
    [nudge] = [n for n in nudges if n is not None and n["kind"] == kind]
    return datetime.fromisoformat(nudge["due_at"]).astimezone(zone).date()


def test_did_you_hear_back_counts_working_days_of_the_persons_country(
        conv: Conversation, clock: ManualClock) -> None:
    clock.set(datetime(2026, 12, 18, 12, 0, tzinfo=UTC))  # Friday
    sent_follow_up(conv, "Europe/Berlin")
    assert due_day(conv, "heard_back") == date(2026, 12, 28)  # not Christmas Day


@pytest.mark.parametrize(("zone", "back_on"), [
    ("Europe/Berlin", "Mon 28 Dec, 09:00"),
    ("Europe/London", "Tue 29 Dec, 09:00"),
])
def test_tomorrow_on_christmas_eve_brings_the_check_in_back_after_the_holidays(
        coach: Coach, clock: ManualClock, zone: str, back_on: str) -> None:
    conv = Conversation(coach, UserRef("test", "T1", "eve"))
    clock.set(datetime(2026, 12, 17, 12, 0, tzinfo=UTC))  # Thursday
    sent_follow_up(conv, zone)  # connect Mon 21 Dec; heard_back Thu 24 Dec
    inbox = Inbox(clock)
    dispatcher = NudgeDispatcher.using(conv.coach, senders={"test": inbox})
    dispatch_until(dispatcher, clock, datetime(2026, 12, 24, 10, 0, tzinfo=UTC),
                   timedelta(hours=1))
    eve = inbox.last("Did you hear back")
    assert inbox.received[-1][0].date() == date(2026, 12, 24)
    press(conv, eve, "Tomorrow")
    assert f"bring this back {back_on}" in conv.text
