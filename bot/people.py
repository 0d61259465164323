"""Per-person state on top of the narrow store: load, create, save, forget.

A person's record holds their settings, where their conversation stands, their cases
(one per rejection) and their journal. Nudges are records of their own (see
:mod:`bot.nudge_plan`) because the dispatcher looks them up by time, not by person.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from bot.content_loader import Content
from bot.interfaces import Clock, Record, Store, StoreError
from bot.messages import UserRef

__all__ = ["PEOPLE", "PersonRepo", "active_case", "case_by_id", "new_case", "person_key"]

PEOPLE = "people"
SCHEMA_VERSION = 1
ANY = object()  # "save whatever is there": for callers that hold the only writer


class PersonRepo:
    """Reads and writes person records. Callers hold the per-person lock."""

    def __init__(self, *, store: Store, content: Content, clock: Clock) -> None:
        self._store = store
        self._content = content
        self._clock = clock

    def load(self, user: UserRef) -> Record | None:
        """:raises CorruptRecordError: when the stored record cannot be parsed."""
        return self._store.read(PEOPLE, user.key)

    def fresh(self, user: UserRef) -> Record:
        nudges = self._content.nudges
        return {
            "version": SCHEMA_VERSION,
            "user": {"platform": user.platform, "workspace": user.workspace, "id": user.user},
            "created_at": self._clock.now().isoformat(),
            "display_name": None,
            "settings": {
                "timezone": nudges.default_timezone,
                "timezone_source": "default",
                "window": nudges.default_window.model_dump(),
                "cadence": nudges.default_cadence,
            },
            "flow": None,
            "return_to": None,
            "pending": None,
            "paused_until": None,
            "safety": None,
            "cases": [],
            "journal": [],
            "nudge_ids": [],
        }

    def save(self, user: UserRef, person: Record, *,
             expected: Record | object | None = ANY) -> bool:
        """Write the person. With ``expected`` (the record as it was read, ``None`` for a
        new person), only if the stored record is still that; returns whether it wrote.

        :raises StoreError: the write failed.
        """
        person["updated_at"] = self._clock.now().isoformat()
        if expected is ANY:
            self._store.write(PEOPLE, user.key, person)
            return True
        return self._store.replace(PEOPLE, user.key, person,
                                   expected=expected)  # type: ignore[arg-type]

    def update(self, user: UserRef, change: Callable[[Record], None], *,
               attempts: int = 5) -> Record | None:
        """Load, change and save one person without losing a concurrent write: the save
        is conditional and the change is re-applied to a fresh copy if someone else won.
        Returns the saved record, or ``None`` if there is no such person."""
        for _ in range(attempts):
            loaded = self._store.read(PEOPLE, user.key)
            if loaded is None:
                return None
            person = copy.deepcopy(loaded)
            change(person)
            if self.save(user, person, expected=loaded):
                return person
        raise StoreError(f"{user.key} kept changing under us; gave up after {attempts} tries")

    def forget(self, user: UserRef) -> None:
        """Delete the person's record and any unreadable copy of it the store kept aside
        (their nudges are the nudge book's to delete)."""
        self._store.delete(PEOPLE, user.key)

    def kept_aside(self, user: UserRef) -> list[str]:
        """The text of unreadable copies of the person's record (ids, name, settings),
        which are theirs to export."""
        return self._store.kept_aside(PEOPLE, user.key)


def new_case(person: Record, *, now_iso: str) -> Record:
    case: Record = {
        "id": uuid.uuid4().hex[:12],
        "created_at": now_iso,
        "status": "logging",
        "mood": None,
        "company": "",
        "role": "",
        "stage": "",
        "date": "",
        "contact": "",
        "contact_role": "",
        "reason": "",
        "channel": "email",
        "variant": "",
        "draft_shown_at": None,
        "sent_at": None,
        "feedback": "",
        "improvements": [],
        "cadence": None,
        "touches": [],
        "resume_at": None,
    }
    person["cases"].append(case)
    return case


def case_by_id(person: Record, case_id: str | None) -> Record | None:
    return next((c for c in person["cases"] if c["id"] == case_id), None)


def active_case(person: Record) -> Record | None:
    flow: dict[str, Any] | None = person.get("flow")
    return case_by_id(person, flow.get("case")) if flow else None


def person_key(person: Record) -> str:
    """The storage key of a loaded person record (the same as :attr:`UserRef.key`)."""
    user = person["user"]
    return f"{user['platform']}:{user['workspace']}:{user['id']}"
