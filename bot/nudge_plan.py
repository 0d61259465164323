"""Plan check-ins: turn "in 14 days" into a stored nudge with a due time in UTC.

The due time is the start of the person's check-in window on the target day, in their
own time zone, computed with zoneinfo so a daylight-saving change never moves it off
the local hour. The dispatcher (a later stage) owns delivery; planning only writes.
"""

from __future__ import annotations

import secrets
import time as _time
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content_loader import Content
from bot.interfaces import Clock, Record
from bot.nudge_book import NudgeBook
from bot.parsers import WEEKDAYS
from bot.people import person_key

__all__ = ["NudgePlanner", "local_today", "window_start_utc"]



def local_today(person: Record, clock: Clock) -> date:
    return clock.now().astimezone(ZoneInfo(person["settings"]["timezone"])).date()


def window_start_utc(person: Record, day: date) -> datetime:
    """The first allowed moment on or after ``day``, as UTC."""
    settings = person["settings"]
    window = settings["window"]
    zone = ZoneInfo(settings["timezone"])
    hour, minute = (int(part) for part in window["start"].split(":"))
    allowed = set(window["days"]) or set(WEEKDAYS)
    while WEEKDAYS[day.weekday()] not in allowed:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def new_nudge_id() -> str:
    """Ids that sort in the order nudges were planned (nanosecond clock, then random), so
    of two nudges due at the same minute the one planned first goes first."""
    return f"{_time.time_ns():016x}{secrets.token_hex(4)}"


def add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


class NudgePlanner:
    def __init__(self, *, book: NudgeBook, content: Content, clock: Clock) -> None:
        self._book = book
        self._content = content
        self._clock = clock

    def plan(self, person: Record, case: Record, kind: str, *, on: date,
             sequence: int | None = None) -> Record:
        """Store a nudge of ``kind`` for ``case`` due at the start of the window on ``on``."""
        nudge: Record = {
            "id": new_nudge_id(),
            "user": person_key(person),
            "case": case["id"],
            "kind": kind,
            "due_at": window_start_utc(person, on).isoformat(),
            "state": "planned",
            "attempts": 0,
            "sequence": sequence,
            "created_at": self._clock.now().isoformat(),
        }
        self._book.add(nudge)
        person["nudge_ids"].append(nudge["id"])
        return nudge

    def plan_after(self, person: Record, case: Record, kind: str, *, days: int,
                   sequence: int | None = None) -> Record:
        day = local_today(person, self._clock) + timedelta(days)
        return self.plan(person, case, kind, on=day, sequence=sequence)

    def plan_after_business_days(
        self, person: Record, case: Record, kind: str, *, days: int
    ) -> Record:
        day = add_business_days(local_today(person, self._clock), days)
        return self.plan(person, case, kind, on=day)

    def plan_cadence(self, person: Record, case: Record, cadence: str) -> list[Record]:
        """Every check-in the cadence implies, stored now so the plan is visible at once."""
        spec = self._content.nudges.cadences[cadence]
        return [self.plan_after(person, case, item.kind, days=item.after_days, sequence=index)
                for index, item in enumerate(spec.schedule)]

    def plan_follow_on(self, person: Record, case: Record) -> Record | None:
        """After the last planned networking check-in, keep the relationship warm: plan
        the cadence's repeating check-in, unless the person stopped this contact."""
        cadence = case.get("cadence") or person["settings"]["cadence"]
        spec = self._content.nudges.cadences.get(cadence)
        if spec is None or spec.repeat is None or case.get("nudges_stopped"):
            return None
        if any(n["case"] == case["id"] and n["state"] == "planned"
               for n in self.of_person(person)):
            return None
        return self.plan_after(person, case, spec.repeat.kind, days=spec.repeat.every_days)

    def of_person(self, person: Record) -> list[Record]:
        return self._book.of_person(person)

    def cancel(self, person: Record, *, case: Record | None = None,
               kind: str | None = None) -> int:
        """Cancel planned nudges, optionally only one case's or one kind's."""
        cancelled = 0
        for nudge in self.of_person(person):
            if nudge["state"] != "planned":
                continue
            if case is not None and nudge["case"] != case["id"]:
                continue
            if kind is not None and nudge["kind"] != kind:
                continue
            nudge["state"] = "cancelled"
            self._book.save(nudge)
            cancelled += 1
        return cancelled
