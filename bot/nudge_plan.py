"""Plan check-ins: turn "in 14 days" into a stored nudge with a due time in UTC.

The due time is the start of the person's check-in window on the target day, in their
own time zone, computed with zoneinfo so a daylight-saving change never moves it off
the local hour. The dispatcher (a later stage) owns delivery; planning only writes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content_loader import Content
from bot.interfaces import Clock, Record, Store
from bot.parsers import WEEKDAYS

__all__ = ["NudgePlanner", "local_today", "window_start_utc"]

NUDGES = "nudges"


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


def add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


class NudgePlanner:
    def __init__(self, *, store: Store, content: Content, clock: Clock) -> None:
        self._store = store
        self._content = content
        self._clock = clock

    def plan(self, person: Record, case: Record, kind: str, *, on: date) -> Record:
        """Store a nudge of ``kind`` for ``case`` due at the start of the window on ``on``."""
        nudge: Record = {
            "id": uuid.uuid4().hex,
            "user": _user_key(person),
            "case": case["id"],
            "kind": kind,
            "due_at": window_start_utc(person, on).isoformat(),
            "state": "planned",
            "attempts": 0,
            "created_at": self._clock.now().isoformat(),
        }
        self._store.write(NUDGES, nudge["id"], nudge)
        person["nudge_ids"].append(nudge["id"])
        return nudge

    def plan_after(self, person: Record, case: Record, kind: str, *, days: int) -> Record:
        return self.plan(person, case, kind, on=local_today(person, self._clock) + timedelta(days))

    def plan_after_business_days(
        self, person: Record, case: Record, kind: str, *, days: int
    ) -> Record:
        day = add_business_days(local_today(person, self._clock), days)
        return self.plan(person, case, kind, on=day)

    def plan_cadence(self, person: Record, case: Record, cadence: str) -> list[Record]:
        spec = self._content.nudges.cadences[cadence]
        return [self.plan_after(person, case, item.kind, days=item.after_days)
                for item in spec.schedule]

    def cancel(self, person: Record, case: Record, kind: str) -> int:
        """Cancel planned nudges of one kind for one case (e.g. the reminder, once sent)."""
        cancelled = 0
        for nudge_id in person["nudge_ids"]:
            nudge = self._store.read(NUDGES, nudge_id)
            if (nudge and nudge["case"] == case["id"] and nudge["kind"] == kind
                    and nudge["state"] == "planned"):
                nudge["state"] = "cancelled"
                self._store.write(NUDGES, nudge_id, nudge)
                cancelled += 1
        return cancelled


def _user_key(person: Record) -> str:
    user = person["user"]
    return f"{user['platform']}:{user['workspace']}:{user['id']}"
