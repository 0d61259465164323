"""A person's upcoming check-ins as an iCalendar file (RFC 5545), for ``calendar``.

Free Slack workspaces hide messages after 90 days; a calendar keeps the plan. Each
planned check-in still ahead becomes one event at its planned local time, in the
person's own zone (``DTSTART;TZID=...`` with the matching ``VTIMEZONE``), so a calendar
app shows 09:00 on both sides of a daylight-saving change. The event carries the same
title, suggestion and example message the check-in itself will show.

Everything the person typed (a company, a contact's name) reaches the file only through
:mod:`icalendar`'s property values, which escape commas, semicolons and newlines and
fold long lines; no line of the file is built here by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event

from bot.content.loader import Content
from bot.conversation.context import build_context
from bot.conversation.people import PRIMARY_CONTACT, case_by_id, contact_of_nudge
from bot.interfaces import Clock
from bot.messages import ExportFile
from bot.records import NudgeRecord, PersonRecord

__all__ = ["CALENDAR_FILENAME", "EVENT_LENGTH", "calendar_file", "upcoming_check_ins"]

CALENDAR_FILENAME = "notnow-check-ins.ics"
#: how long an event blocks in the calendar: enough to read the suggestion and send it
EVENT_LENGTH = timedelta(minutes=15)
PRODID = "-//notnow//check-ins//EN"
CALENDAR_NAME = "notnow check-ins"
#: the domain part of each event's UID (RFC 5545 3.8.4.7 recommends one)
UID_DOMAIN = "check-ins.notnow"
DRAFT_HEADING = "A message you could send:"


def upcoming_check_ins(nudges: list[NudgeRecord], *, now: datetime,
                       person: PersonRecord | None = None) -> list[NudgeRecord]:
    """The planned check-ins still ahead, soonest first (done, skipped or sent ones
    are history, not plans), as the dispatcher will send them: none while coaching is
    held for the person's safety, none before a pause ends, none about a contact whose
    check-ins they stopped. A subscribed calendar must not alarm where a DM would not."""
    if person is not None and person.get("safety"):
        return []
    paused = (person.get("paused_until") if person is not None else None) or ""
    ahead = [n for n in nudges
             if n["state"] == "planned" and datetime.fromisoformat(n["due_at"]) > now
             and n["due_at"] >= paused and not (person and _stopped(person, n))]
    return sorted(ahead, key=lambda n: n["due_at"])


def _stopped(person: PersonRecord, nudge: NudgeRecord) -> bool:
    case = case_by_id(person, nudge["case"])
    if case is None:
        return True
    contact = nudge.get("contact") or PRIMARY_CONTACT
    return bool(case.get("nudges_stopped")) or contact in case.get("stopped_contacts", [])


def calendar_file(person: PersonRecord, nudges: list[NudgeRecord], *, content: Content,
                  clock: Clock) -> ExportFile:
    """The ``.ics`` file of ``nudges`` that are still ahead (any order, any state)."""
    now = clock.now()
    zone = _zone_of(person)
    calendar = Calendar.new(prodid=PRODID, name=CALENDAR_NAME, method="PUBLISH",
                            calscale="GREGORIAN")
    calendar.pop("UID", None)  # a random id per export would make every copy differ
    for nudge in upcoming_check_ins(nudges, now=now, person=person):
        if nudge["kind"] not in content.nudges.kinds:
            continue  # a kind the content no longer has: nothing to say about it
        calendar.add_component(_event(person, nudge, zone=zone, content=content, stamp=now))
    calendar.add_missing_timezones()
    return ExportFile(CALENDAR_FILENAME, calendar.to_ical().decode("utf-8"))


def _zone_of(person: PersonRecord) -> ZoneInfo:
    try:
        return ZoneInfo(person["settings"].get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _event(person: PersonRecord, nudge: NudgeRecord, *, zone: ZoneInfo, content: Content,
           stamp: datetime) -> Event:
    due = datetime.fromisoformat(nudge["due_at"])
    title, text, draft = check_in_words(person, nudge, content=content, at=due)
    description = text if draft is None else f"{text}\n\n{DRAFT_HEADING}\n\n{draft}"
    event = Event.new(uid=f"{nudge['id']}@{UID_DOMAIN}", stamp=stamp,
                      start=due.astimezone(zone), summary=title, description=description)
    event.DURATION = EVENT_LENGTH
    event.add_component(_reminder(title))
    return event


def _reminder(title: str) -> Alarm:
    """An alert at the start: the point of the file is a reminder that still comes when
    the chat is gone. DISPLAY alarms need ACTION, TRIGGER and DESCRIPTION (RFC 5545
    3.6.6)."""
    alarm = Alarm.new(description=title)
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", timedelta(0))
    return alarm


def check_in_words(person: PersonRecord, nudge: NudgeRecord, *, content: Content,
                   at: datetime) -> tuple[str, str, str | None]:
    """The title, suggestion and example message (if the kind has one) the check-in will
    show, rendered as of ``at``, its planned time, like
    :func:`bot.nudges.messages.nudge_reply` does when it is due."""
    spec = content.nudges.kinds[nudge["kind"]]
    case = case_by_id(person, nudge["case"])
    context = build_context(person, case, now=at, upset_moods=content.coach.upset_moods,
                            contact=contact_of_nudge(case, nudge))
    title = content.render(f"nudge:{nudge['kind']}:title", context).strip()
    text = content.render(f"nudge:{nudge['kind']}:text", context).strip()
    draft = (content.render(f"nudge:{nudge['kind']}:draft", context).strip()
             if spec.draft is not None else None)
    return title, text, draft
