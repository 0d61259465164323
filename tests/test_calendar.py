"""Issue 12: check-ins in your calendar. ``calendar`` hands over an RFC 5545 file that
``icalendar`` reads back, with the properties the RFC requires, each check-in at its
planned local time; ``calendar feed`` a private address (only its hash stored) that
``calendar reset`` and ``forget`` revoke. Everything goes through the real engine."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar, Component, Timezone

from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.choices import FORGET_YES
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.interfaces import Store
from bot.messages import Choice, UserRef
from bot.nudges.book import NUDGES
from bot.nudges.calendar_feed import FEEDS, feed_for
from bot.nudges.messages import nudge_reply
from bot.storage.memory import MemoryStore
from tests.conversation import Conversation, log_rejection

PUBLIC_URL = "https://notnow.example.org/"

#: RFC 5545's required properties (3.4 calendar; 3.6.1 event: DTSTART too, as there is
#: no METHOD-less exception for us; 3.6.5 time zone and its observances; 3.6.6 a DISPLAY
#: alarm); each "exactly once" (``1``) or "at least once" (``"+"``)
REQUIRED: dict[str, dict[str, Any]] = {
    "VCALENDAR": {"PRODID": 1, "VERSION": 1},
    "VEVENT": {"DTSTAMP": 1, "UID": 1, "DTSTART": 1},
    "VTIMEZONE": {"TZID": 1},
    "STANDARD": {"DTSTART": 1, "TZOFFSETTO": 1, "TZOFFSETFROM": 1},
    "DAYLIGHT": {"DTSTART": 1, "TZOFFSETTO": 1, "TZOFFSETFROM": 1},
    "VALARM": {"ACTION": 1, "TRIGGER": 1, "DESCRIPTION": 1},
}


def finish_with_check_ins(conv: Conversation, **case: str) -> None:
    """Log a case and choose regular check-ins, as a person would."""
    log_rejection(conv, **case)
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick("Regular")


def planned(conv: Conversation) -> list[dict[str, Any]]:
    nudges = [conv.coach.store.read(NUDGES, n) for n in conv.person["nudge_ids"]]
    return sorted((n for n in nudges if n and n["state"] == "planned"),
                  key=lambda n: n["due_at"])


def exported(conv: Conversation) -> Calendar:
    reply = conv.command("calendar")[-1]
    assert reply.file is not None, reply.text
    assert reply.file.filename == "notnow-check-ins.ics"
    return Calendar.from_ical(reply.file.content)


def counted(component: Component, name: str) -> int:
    value = component.get(name)
    return 0 if value is None else len(value) if isinstance(value, list) else 1


def rfc_problems(calendar: Calendar) -> list[str]:
    """Where the file breaks RFC 5545's required-property rules, and any TZID without
    its VTIMEZONE."""
    problems = []
    for component in calendar.walk():
        for prop, times in REQUIRED.get(component.name, {}).items():
            if counted(component, prop) != times:
                problems.append(f"{component.name} has {prop} {counted(component, prop)}x")
        if "DTEND" in component and "DURATION" in component:
            problems.append(f"{component.name} has both DTEND and DURATION")
    defined = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    for event in calendar.walk("VEVENT"):
        for prop in ("DTSTART", "DTEND"):
            tzid = event[prop].params.get("TZID") if prop in event else None
            if tzid and tzid not in defined:
                problems.append(f"TZID {tzid} has no VTIMEZONE")
    return problems


@pytest.fixture
def memory_conv(content: Content, clock: ManualClock) -> Conversation:
    coach = Coach(store=MemoryStore(), content=content, clock=clock)
    return Conversation(coach, UserRef("test", "T1", "U1"))


# -- the file -----------------------------------------------------------------------------

def test_the_file_parses_and_has_what_rfc_5545_requires(memory_conv: Conversation) -> None:
    conv = memory_conv
    finish_with_check_ins(conv)
    calendar = exported(conv)
    assert rfc_problems(calendar) == []
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) and str(calendar["CALSCALE"]) == "GREGORIAN"
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{n['id']}@check-ins.notnow"
                                                for n in planned(conv)]
    now = conv.coach.clock.now()
    for event in events:
        assert event["DTSTAMP"].dt == now and event["DTSTAMP"].dt.tzinfo is not None
        assert event["DURATION"].dt == timedelta(minutes=15)
    raw = conv.command("calendar")[-1].file
    assert raw is not None and all(len(line.encode()) <= 75 for line in raw.content.split("\r\n"))
    assert exported(conv).walk("VEVENT")[0]["UID"] == events[0]["UID"]  # stable per nudge


def test_only_check_ins_still_ahead_are_in_it_and_none_says_so(
        memory_conv: Conversation) -> None:
    conv = memory_conv
    assert "no check-ins coming up" in conv.command("calendar")[-1].text
    assert conv.last[-1].file is None
    finish_with_check_ins(conv)
    first = planned(conv)[0]
    conv.coach.clock.set(datetime.fromisoformat(first["due_at"]) + timedelta(minutes=1))
    uids = [str(e["UID"]) for e in exported(conv).walk("VEVENT")]
    assert f"{first['id']}@check-ins.notnow" not in uids and uids


def test_the_description_carries_the_suggestion_and_the_example_message(
        memory_conv: Conversation) -> None:
    conv = memory_conv
    finish_with_check_ins(conv)
    events = {str(e["UID"]).split("@")[0]: e for e in exported(conv).walk("VEVENT")}
    with_draft = 0
    for nudge in planned(conv):
        due = ManualClock(datetime.fromisoformat(nudge["due_at"]))  # as it will read then
        reply = nudge_reply(conv.person, nudge, content=conv.coach.content, clock=due)  # type: ignore[arg-type]
        title, text = reply.text.split("\n\n", 1)
        event = events[nudge["id"]]
        assert str(event["SUMMARY"]) == title.strip()
        description = str(event["DESCRIPTION"])
        assert description.startswith(text.strip())
        if reply.draft:
            with_draft += 1
            assert description.endswith(reply.draft.strip())
    assert with_draft >= 2


def test_a_berlin_person_keeps_nine_o_clock_across_the_clocks_going_back(
        content: Content) -> None:
    clock = ManualClock(datetime(2026, 10, 19, 8, 0, tzinfo=UTC))  # Monday before 25 Oct
    coach = Coach(store=MemoryStore(), content=content, clock=clock)
    conv = Conversation(coach, UserRef("test", "T1", "U1"))
    coach.set_display_name(conv.user, "Lena Vogel")
    coach.set_timezone(conv.user, "Europe/Berlin")
    finish_with_check_ins(conv)
    calendar = exported(conv)
    assert rfc_problems(calendar) == []
    events = calendar.walk("VEVENT")
    offsets = set()
    for event, nudge in zip(events, planned(conv), strict=True):
        start = event["DTSTART"]
        assert start.params["TZID"] == "Europe/Berlin"
        assert (start.dt.hour, start.dt.minute) == (9, 0)
        assert start.dt == datetime.fromisoformat(nudge["due_at"])  # the same instant
        offsets.add(start.dt.utcoffset())
    assert offsets == {timedelta(hours=2), timedelta(hours=1)}  # both sides of the change
    # a calendar app resolves the TZID from the file's own VTIMEZONE, not from a database
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert isinstance(vtimezone, Timezone)
    own = vtimezone.to_tz(lookup_tzid=False)
    for event in events:
        local = event["DTSTART"].dt.replace(tzinfo=None)
        assert local.replace(tzinfo=own).utcoffset() == event["DTSTART"].dt.utcoffset()


def test_what_a_person_typed_survives_the_round_trip(memory_conv: Conversation) -> None:
    """Commas, semicolons, backslashes, newlines and emoji are escaped and folded by the
    library and read back unchanged; the file says exactly what the check-in will."""
    conv = memory_conv
    finish_with_check_ins(conv, company="Smith, Jones; Partners \\ Co",
                          contact="Zoë Ñúñez-O'Brien")
    highlight = 'their "data mesh" talk; slides 3, 4\nand the Q&A 🚀🙂'
    person = conv.person  # what "Add a detail from the interview" saves
    person["cases"][0]["highlight"] = highlight
    conv.coach.store.write(PEOPLE, conv.user.key, person)
    raw = conv.command("calendar")[-1].file
    assert raw is not None
    assert "Smith\\, Jones\\; Partners \\\\ Co" in raw.content  # escaped, RFC 5545 3.3.11
    assert all(len(line.encode()) <= 75 for line in raw.content.split("\r\n"))
    parsed = Calendar.from_ical(raw.content).walk("VEVENT")
    events = {str(e["UID"]).split("@")[0]: e for e in parsed}
    for nudge in planned(conv):
        due = ManualClock(datetime.fromisoformat(nudge["due_at"]))
        shown = nudge_reply(conv.person, nudge, content=conv.coach.content,  # type: ignore[arg-type]
                            clock=due)
        summary, description = (str(events[nudge["id"]][k]) for k in ("SUMMARY", "DESCRIPTION"))
        assert f"{summary}\n\n{description}".startswith(shown.text.strip())
        assert "Zoë Ñúñez-O'Brien" in summary or "Acme" in summary or "Smith" in summary
    descriptions = [str(e["DESCRIPTION"]) for e in events.values()]
    # the check-in text runs a typed line break into a space; its paragraphs stay
    assert any(highlight.replace("\n", " ") in text for text in descriptions)
    assert any("\n\n" in text for text in descriptions)
    assert any("Smith, Jones; Partners \\ Co" in text for text in descriptions)


# -- the feed -------------------------------------------------------------------------------

@pytest.fixture
def feed_conv(store: Store, content: Content, clock: ManualClock) -> Conversation:
    coach = Coach(store=store, content=content, clock=clock, public_url=PUBLIC_URL)
    return Conversation(coach, UserRef("test", "T1", "U1"))


def token_of(url: str | None) -> str:
    assert url is not None and url.startswith("https://notnow.example.org/calendar/")
    assert url.endswith(".ics")
    return url.removeprefix("https://notnow.example.org/calendar/").removesuffix(".ics")


def feed(conv: Conversation, token: str) -> str | None:
    return feed_for(conv.coach.store, token, content=conv.coach.content, clock=conv.coach.clock)


def test_without_a_public_url_there_is_no_feed_but_the_file_still_comes(
        memory_conv: Conversation) -> None:
    conv = memory_conv
    finish_with_check_ins(conv)
    for action in ("feed", "reset"):
        reply = conv.command("calendar", action)[-1]
        assert "no calendar feed on this installation" in reply.text and reply.draft is None
    assert list(conv.coach.store.keys(FEEDS)) == []
    assert exported(conv).walk("VEVENT")


def test_a_feed_address_is_unguessable_and_only_its_hash_is_stored(
        feed_conv: Conversation) -> None:
    conv = feed_conv
    finish_with_check_ins(conv)
    reply = conv.command("calendar", "feed")[-1]
    token = token_of(reply.draft)
    assert len(token) >= 43 and "private" in reply.text  # 32 random bytes
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert list(conv.coach.store.keys(FEEDS)) == [digest]
    assert conv.person["calendar_feed"] == digest
    everything = json.dumps([conv.coach.store.read(ns, key)
                             for ns in conv.coach.store.namespaces()
                             for key in conv.coach.store.keys(ns)])
    assert token not in everything
    body = feed(conv, token)
    assert body is not None and rfc_problems(Calendar.from_ical(body)) == []
    assert len(Calendar.from_ical(body).walk("VEVENT")) == len(planned(conv))
    again = conv.command("calendar", "feed")[-1]  # cannot be shown twice
    assert "already have a calendar address" in again.text and again.draft is None
    assert feed(conv, token) is not None
    assert feed(conv, token[:-1]) is None and feed(conv, "") is None


def test_reset_revokes_the_old_address_and_gives_a_new_one(feed_conv: Conversation) -> None:
    conv = feed_conv
    finish_with_check_ins(conv)
    old = token_of(conv.command("calendar", "feed")[-1].draft)
    reply = conv.command("calendar", "reset")[-1]
    new = token_of(reply.draft)
    assert new != old and "stopped working" in reply.text
    assert feed(conv, old) is None and feed(conv, new) is not None
    assert list(conv.coach.store.keys(FEEDS)) == [hashlib.sha256(new.encode()).hexdigest()]


def test_forget_revokes_the_feed(feed_conv: Conversation) -> None:
    conv = feed_conv
    finish_with_check_ins(conv)
    token = token_of(conv.command("calendar", "feed")[-1].draft)
    conv.command("forget")
    conv.send(Choice(FORGET_YES))
    assert feed(conv, token) is None
    assert list(conv.coach.store.keys(FEEDS)) == []


def test_a_feed_shows_only_its_own_person(feed_conv: Conversation) -> None:
    mine = feed_conv
    theirs = Conversation(mine.coach, UserRef("test", "T1", "U2"))
    finish_with_check_ins(mine, company="Northwind Health")
    finish_with_check_ins(theirs, company="Globex Systems", contact="Ravi Menon")
    my_token = token_of(mine.command("calendar", "feed")[-1].draft)
    their_token = token_of(theirs.command("calendar", "feed")[-1].draft)
    my_feed, their_feed = feed(mine, my_token), feed(theirs, their_token)
    assert my_feed is not None and their_feed is not None
    assert "Northwind" in my_feed and "Globex" not in my_feed and "Ravi" not in my_feed
    assert "Globex" in their_feed and "Northwind" not in their_feed


def test_an_unknown_calendar_action_explains_the_three(memory_conv: Conversation) -> None:
    memory_conv.command("start")
    reply = memory_conv.command("calendar", "sync please")[-1]
    assert '"calendar feed"' in reply.text and '"calendar reset"' in reply.text
