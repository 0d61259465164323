"""Plan check-ins: turn "in 14 days" into a stored nudge with a due time in UTC.

The due time is the start of the person's check-in window on the target day, in their
own time zone, computed with zoneinfo so a daylight-saving change never moves it off
the local hour. The dispatcher owns delivery; planning only stages changes, which are
written when the turn's person is saved (:mod:`bot.nudges.outbox`).
"""

from __future__ import annotations

import secrets
import time as _time
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.content.loader import Content
from bot.conversation.parsers import WEEKDAYS
from bot.conversation.people import PRIMARY_CONTACT, case_by_id, contacts_of, person_key
from bot.interfaces import Clock, copy_json
from bot.nudges.book import ACTIVE_STATES, NudgeBook
from bot.nudges.holidays_calendar import country_of_person, is_public_holiday
from bot.nudges.outbox import stage, staged
from bot.records import CaseRecord, NudgeRecord, PersonRecord

__all__ = ["MILESTONES", "MOOT_AFTER", "NudgePlanner", "key_of", "local_today", "nudge_key",
           "shares_outcomes", "window_start_utc"]

ONCE = "1"  # the occurrence of a check-in a case has at most one of at a time
REPEAT = "repeat"  # the cadence's repeating check-in, after the schedule ran out
HANDLED_STATES = frozenset({"sent", "done", "skipped", "stopped", "failed"})
MOOT_AFTER: dict[str, tuple[str, ...]] = {
    # they answered: no need to ask whether they did, nor to chase them
    "feedback": ("heard_back", "chase"),
    "reply": ("heard_back", "chase"),
}
#: days between one contact's check-in and the next contact's of the same kind
CONTACT_SPACING = 2

#: the "have you found a role?" check-ins, by kind: days after the person's first case
MILESTONES: dict[str, int] = {"milestone_90": 90, "milestone_180": 180}


def shares_outcomes(person: PersonRecord) -> bool:
    """Whether the person agreed that anonymous outcome counts may be reported."""
    consent = person.get("consent") or {}
    return consent.get("outcomes") is True


def nudge_key(case: Mapping[str, Any], kind: str, occurrence: str,
              contact: str | None = None) -> str:
    """What makes two planned check-ins the same one: their case, the contact, the
    kind, and which occurrence (the place in a cadence's schedule, or ``1``).

    A check-in about the primary contact is keyed by their name, as it always was; one
    about another contact of the case by that contact's id (``@k1``), which stays the
    same when their name is corrected."""
    if contact and contact != PRIMARY_CONTACT:
        who = f"@{contact}"
    else:
        who = " ".join((case.get("contact") or "").casefold().split())
    return "|".join((case["id"], who, kind, occurrence))


def scheduled(index: int) -> str:
    """The occurrence of the check-in at ``index`` in a cadence's schedule."""
    return f"#{index}"


def key_of(person: PersonRecord, nudge: NudgeRecord) -> str:
    """A stored nudge's key; older records, planned before keys, get theirs derived."""
    if nudge.get("key"):
        return str(nudge["key"])
    case = case_by_id(person, nudge["case"]) or {"id": nudge["case"]}
    sequence = nudge.get("sequence")
    return nudge_key(case, nudge["kind"], ONCE if sequence is None else scheduled(sequence),
                     nudge.get("contact"))


def _same_slot(person: PersonRecord, nudge: NudgeRecord, key: str,
               contact: str | None) -> bool:
    """Whether ``nudge`` is the primary contact's check-in that ``key`` names, planned
    when the contact had another name: the primary contact is keyed by name (as it was
    before contacts had ids), so a corrected name must still find its check-ins rather
    than plan a second set beside them."""
    if (contact and contact != PRIMARY_CONTACT) or nudge.get("contact"):
        return False
    return _slot(key_of(person, nudge)) == _slot(key)


def _slot(key: str) -> tuple[str, ...]:
    """A key's case, kind and occurrence, without the contact between them (a name may
    hold any character, so the parts are taken from both ends)."""
    case_id = key.split("|", 1)[0]
    return (case_id, *key.rsplit("|", 2)[-2:])


def local_today(person: PersonRecord, clock: Clock) -> date:
    return clock.now().astimezone(ZoneInfo(person["settings"]["timezone"])).date()


def window_start_utc(person: PersonRecord, day: date) -> datetime:
    """The first allowed moment on or after ``day``, as UTC: a day of the person's
    window that is not a public holiday of their country. A window of all seven days
    still skips holidays: no check-in arrives on a public holiday, whatever the days."""
    settings = person["settings"]
    window = settings["window"]
    zone = ZoneInfo(settings["timezone"])
    hour, minute = (int(part) for part in window["start"].split(":"))
    allowed = set(window["days"]) or set(WEEKDAYS)
    country = country_of_person(settings)
    while WEEKDAYS[day.weekday()] not in allowed or is_public_holiday(country, day):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def new_nudge_id() -> str:
    """Ids that sort in the order nudges were planned (nanosecond clock, then random), so
    of two nudges due at the same minute the one planned first goes first."""
    return f"{_time.time_ns():016x}{secrets.token_hex(4)}"


def add_business_days(start: date, days: int, *, country: str | None = None) -> date:
    """``days`` working days after ``start``: Monday to Friday, less the public holidays
    of ``country`` (none when it is ``None``), the days an office answers mail."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and not is_public_holiday(country, current):
            days -= 1
    return current


class NudgePlanner:
    """Plans, moves and cancels check-ins for a turn. Nothing is written here: each
    change is staged on the person (:func:`bot.nudges.outbox.stage`) and written once
    the person is saved, so a turn that is not saved leaves nothing behind.

    Every check-in has a key (case, contact, kind, occurrence): planning one whose key
    is already pending moves that one instead of adding a second, and a one-off the
    person already handled (done, skipped...) is not planned again."""

    def __init__(self, *, book: NudgeBook, content: Content, clock: Clock) -> None:
        self._book = book
        self._content = content
        self._clock = clock

    def plan(self, person: PersonRecord, case: CaseRecord, kind: str, *, on: date,
             occurrence: str = ONCE, sequence: int | None = None,
             one_off: bool = False, contact: str | None = None) -> NudgeRecord | None:
        """A nudge of ``kind`` for ``case`` (and ``contact``, an id from
        :func:`~bot.conversation.people.contacts_of`; the primary one when ``None``) due
        at the start of the window on ``on``: the pending one with the same key, moved
        there, or a new one. ``None`` when a ``one_off`` with this key was handled."""
        key = nudge_key(case, kind, occurrence, contact)
        due_at = window_start_utc(person, on).isoformat()
        same_key = [n for n in self.of_person(person)
                    if key_of(person, n) == key or _same_slot(person, n, key, contact)]
        pending = next((n for n in same_key if n["state"] in ACTIVE_STATES), None)
        if pending is not None:
            if pending["state"] == "planned" and pending["due_at"] != due_at:
                pending.update({"due_at": due_at, "retry_at": None})
                self.save(person, pending)
            return pending
        if one_off and any(n["state"] in HANDLED_STATES for n in same_key):
            return None
        nudge: NudgeRecord = {
            "id": new_nudge_id(),
            "key": key,
            "user": person_key(person),
            "case": case["id"],
            "kind": kind,
            "due_at": due_at,
            "state": "planned",
            "attempts": 0,
            "sequence": sequence,
            "created_at": self._clock.now().isoformat(),
        }
        if contact and contact != PRIMARY_CONTACT:
            nudge["contact"] = contact
        stage(person, nudge, prior=None)
        person["nudge_ids"].append(nudge["id"])
        return nudge

    def plan_after(self, person: PersonRecord, case: CaseRecord, kind: str, *, days: int,
                   occurrence: str = ONCE, sequence: int | None = None,
                   one_off: bool = False, contact: str | None = None) -> NudgeRecord | None:
        day = local_today(person, self._clock) + timedelta(days)
        return self.plan(person, case, kind, on=day, occurrence=occurrence,
                         sequence=sequence, one_off=one_off, contact=contact)

    def plan_after_business_days(
        self, person: PersonRecord, case: CaseRecord, kind: str, *, days: int
    ) -> NudgeRecord | None:
        day = add_business_days(local_today(person, self._clock), days,
                                country=country_of_person(person["settings"]))
        return self.plan(person, case, kind, on=day)

    def plan_cadence(self, person: PersonRecord, case: CaseRecord,
                     cadence: str) -> list[NudgeRecord]:
        """Every check-in the cadence implies, planned now so the plan is visible at
        once. Each is a one-off, keyed by its place in the schedule: planning the same
        cadence again adds nothing, and brings back none the person already handled."""
        spec = self._content.nudges.cadences[cadence]
        contacts = [c["id"] for c in contacts_of(case)] or [PRIMARY_CONTACT]
        zone = ZoneInfo(person["settings"]["timezone"])
        today = local_today(person, self._clock)
        planned: list[NudgeRecord] = []
        for index, item in enumerate(spec.schedule):
            # each contact's own check-in of this kind, a couple of days after the one
            # before (counted from the day it really landed, after weekends and
            # holidays), so three people never make three messages on one morning
            on = today + timedelta(item.after_days)
            for contact in contacts if item.each_contact else contacts[:1]:
                nudge = self.plan(person, case, item.kind, on=on, occurrence=scheduled(index),
                                  sequence=index, one_off=True, contact=contact)
                if nudge is not None:
                    planned.append(nudge)
                    landed = datetime.fromisoformat(nudge["due_at"]).astimezone(zone).date()
                    on = max(on, landed) + timedelta(CONTACT_SPACING)
        return sorted(planned, key=lambda n: n["due_at"])

    def plan_milestones(self, person: PersonRecord) -> list[NudgeRecord]:
        """The 90- and 180-day check-ins, for someone who agreed to share outcomes: due
        that many days after their first case, on its nudge key, and once per person
        (one already planned, sent or answered, for whichever case, is not planned again;
        a cancelled one, after a change of mind, is)."""
        if not shares_outcomes(person) or not person["cases"]:
            return []
        first = person["cases"][0]
        zone = ZoneInfo(person["settings"]["timezone"])
        started = datetime.fromisoformat(first["created_at"]).astimezone(zone).date()
        kept = {n["kind"] for n in self.of_person(person) if n["state"] != "cancelled"}
        planned = (self.plan(person, first, kind, on=started + timedelta(days), one_off=True)
                   for kind, days in MILESTONES.items() if kind not in kept)
        return [nudge for nudge in planned if nudge is not None]

    def cancel_milestones(self, person: PersonRecord) -> int:
        """Cancel the pending 90- and 180-day check-ins (the person said no after all)."""
        return sum(self.cancel(person, kind=kind) for kind in MILESTONES)

    def plan_follow_on(self, person: PersonRecord, case: CaseRecord) -> NudgeRecord | None:
        """After the last planned networking check-in, keep the relationship warm: plan
        the cadence's repeating check-in, unless the person stopped this contact."""
        cadence = case.get("cadence") or person["settings"]["cadence"]
        spec = self._content.nudges.cadences.get(cadence)
        stopped = case.get("nudges_stopped") or PRIMARY_CONTACT in case.get(
            "stopped_contacts", [])
        if spec is None or spec.repeat is None or stopped:  # the repeat is the primary's
            return None
        if any(n["case"] == case["id"] and n["state"] == "planned"
               and n["kind"] not in MILESTONES for n in self.of_person(person)):
            return None
        return self.plan_after(person, case, spec.repeat.kind, days=spec.repeat.every_days,
                               occurrence=REPEAT)

    def of_person(self, person: PersonRecord) -> list[NudgeRecord]:
        """The person's nudges as this turn leaves them: stored, with the changes it
        staged on top. Copies: change one, then :meth:`save` it."""
        ids = list(dict.fromkeys(person.get("nudge_ids", [])))
        stored = self._book.get_many(ids)
        changes = staged(person)
        nudges: list[NudgeRecord] = []
        for nudge_id in ids:
            entry = changes.get(nudge_id)
            if entry is not None and stored.get(nudge_id) == entry["prior"]:
                nudges.append(copy_json(entry["nudge"]))
            elif nudge_id in stored:
                nudges.append(stored[nudge_id])
        return nudges

    def get(self, person: PersonRecord, nudge_id: str) -> NudgeRecord | None:
        """One nudge as this turn sees it (see :meth:`of_person`)."""
        entry = staged(person).get(nudge_id)
        if entry is not None:
            return copy_json(entry["nudge"])
        return self._book.get(nudge_id)

    def save(self, person: PersonRecord, nudge: NudgeRecord) -> None:
        """Stage a changed nudge, to be written when the person is saved."""
        known = staged(person).get(nudge["id"])
        prior = known["prior"] if known is not None else self._book.get(nudge["id"])
        stage(person, nudge, prior=prior)

    def cancel(self, person: PersonRecord, *, case: CaseRecord | None = None,
               kind: str | None = None, contact: str | None = None) -> int:
        """Cancel planned nudges, optionally only one case's, one kind's, or one
        contact's (``""``: the primary contact's, the ones without a contact id)."""
        cancelled = 0
        for nudge in self.of_person(person):
            if nudge["state"] != "planned":
                continue
            if case is not None and nudge["case"] != case["id"]:
                continue
            if contact is not None and (nudge.get("contact") or "") != contact:
                continue
            if kind is not None and nudge["kind"] != kind:
                continue
            nudge["state"] = "cancelled"
            self.save(person, nudge)
            cancelled += 1
        return cancelled

    def cancel_moot(self, person: PersonRecord, case: CaseRecord, *, after: str) -> int:
        """Cancel the case's check-ins that ``after`` (an event: ``feedback`` recorded,
        a ``reply`` reported) made pointless, such as "did you hear back?"."""
        return sum(self.cancel(person, case=case, kind=kind) for kind in MOOT_AFTER[after])
