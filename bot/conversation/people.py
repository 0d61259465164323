"""Per-person state on top of the narrow store: load, create, save, forget.

A person's record holds their settings, where their conversation stands, their cases
(one per rejection) and their journal. Nudges are records of their own (see
:mod:`bot.nudges.plan`) because the dispatcher looks them up by time, not by person; the
check-in changes a turn makes are staged in the person's record (:mod:`bot.nudges.outbox`)
and committed with them in one :meth:`~bot.interfaces.Store.commit`, so saving a person
is a turn's one durable write.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, cast

from bot.content.loader import Content
from bot.interfaces import UNCONDITIONAL, Clock, Delete, Op, Put, Store, StoreError, copy_json
from bot.messages import UserRef
from bot.nudges.book import NudgeBook
from bot.nudges.outbox import NudgeOutbox, without_outbox
from bot.records import CaseRecord, ContactRecord, NudgeRecord, PersonRecord, WindowRecord

__all__ = ["PEOPLE", "PRIMARY_CONTACT", "PersonRepo", "active_case", "case_by_id",
           "contact_of_nudge", "contacts_of", "is_returning", "new_case", "person_key"]

log = logging.getLogger(__name__)

PEOPLE = "people"
SCHEMA_VERSION = 1
ANY = object()  # "save whatever is there": for callers that hold the only writer
#: how long since their last turn before someone is greeted as coming back
AWAY = timedelta(minutes=30)


class PersonRepo:
    """Reads and writes person records. Callers hold the per-person lock."""

    def __init__(self, *, store: Store, content: Content, clock: Clock,
                 book: NudgeBook | None = None) -> None:
        self._store = store
        self._content = content
        self._clock = clock
        self._outbox = NudgeOutbox(store=store, book=book or NudgeBook(store), clock=clock)

    def load(self, user: UserRef) -> PersonRecord | None:
        """The stored record, after writing any check-in changes it committed that a
        crash kept from being written (so the nudge book agrees with it).

        :raises CorruptRecordError: when the stored record cannot be parsed.
        :raises StoreError: reading, or finishing those writes, failed.
        """
        person = cast("PersonRecord | None", self._store.read(PEOPLE, user.key))
        if person is not None:
            self._outbox.settle(user.key, person)
        return person

    @staticmethod
    def begin(loaded: PersonRecord) -> PersonRecord:
        """A turn's working copy of a loaded record: changes to it stay out of ``loaded``
        (the compare-and-set's ``expected``), and the outbox of an earlier turn, applied
        by :meth:`load`, is dropped."""
        return copy_json(without_outbox(loaded))

    def fresh(self, user: UserRef) -> PersonRecord:
        nudges = self._content.nudges
        return {
            "version": SCHEMA_VERSION,
            "user": {"platform": user.platform, "workspace": user.workspace, "id": user.user},
            "created_at": self._clock.now().isoformat(),
            "display_name": None,
            "settings": {
                "timezone": nudges.default_timezone,
                "timezone_source": "default",
                "window": cast(WindowRecord, nudges.default_window.model_dump()),
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

    def save(self, user: UserRef, person: PersonRecord, *,
             expected: PersonRecord | object | None = ANY, also: Sequence[Op] = ()) -> bool:
        """Write the person. With ``expected`` (the record as it was read, ``None`` for a
        new person), only if the stored record is still that; returns whether it wrote.

        This is a turn's one durable write: the person, the check-in changes staged on
        them (:mod:`bot.nudges.outbox`) and ``also`` (the event the turn acted on) go in
        one :meth:`~bot.interfaces.Store.commit`, all or none.

        :raises StoreError: the write failed.
        """
        person["updated_at"] = self._clock.now().isoformat()
        ops = NudgeOutbox.changes(person)
        ops.append(Put(PEOPLE, user.key, person,
                       expected=UNCONDITIONAL if expected is ANY else
                       cast("PersonRecord | None", expected)))
        ops.extend(also)
        return self._store.commit(ops)

    def update(self, user: UserRef, change: Callable[[PersonRecord], None], *,
               attempts: int = 5) -> PersonRecord | None:
        """Load, change and save one person without losing a concurrent write: the save
        is conditional and the change is re-applied to a fresh copy if someone else won.
        Returns the saved record, or ``None`` if there is no such person."""
        for _ in range(attempts):
            loaded = self.load(user)
            if loaded is None:
                return None
            person = self.begin(loaded)
            change(person)
            if self.save(user, person, expected=loaded):
                return person
        raise StoreError(f"{user.key} kept changing under us; gave up after {attempts} tries")

    def forgetting(self, user: UserRef) -> list[Op]:
        """The ops deleting the person's record (with any unreadable copy the store kept
        aside) and every outbox marker of theirs (``forget``)."""
        return [*self._outbox.forgetting(user.key), Delete(PEOPLE, user.key)]

    def commit(self, ops: Sequence[Op]) -> bool:
        """Commit ops beside no person save (``forget``)."""
        return self._store.commit(ops)

    def recover_outboxes(self, lock_for: Callable[[str], AbstractContextManager[Any]]) -> None:
        """Write what crashed turns committed but did not get to write, for people who
        may never come back (the dispatcher's pass calls this). ``lock_for`` gives the
        lock that orders every change to one person, by their key.

        :raises StoreError: listing the markers failed (one person's failure is logged).
        """
        for user_key, token in self._outbox.markers():
            with lock_for(user_key):
                try:
                    person = cast("PersonRecord | None", self._store.read(PEOPLE, user_key))
                    self._outbox.sweep_marker(user_key, token, person)
                except StoreError:
                    log.warning("could not finish a committed turn's check-in changes; "
                                "trying again on the next pass", exc_info=True)

    def kept_aside(self, user: UserRef) -> list[str]:
        """The text of unreadable copies of the person's record (ids, name, settings),
        which are theirs to export."""
        return self._store.kept_aside(PEOPLE, user.key)


#: the id :func:`contacts_of` gives the case's own contact
PRIMARY_CONTACT = "primary"


def new_case(person: PersonRecord, *, now_iso: str) -> CaseRecord:
    case: CaseRecord = {
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


def contacts_of(case: CaseRecord | None) -> list[ContactRecord]:
    """Everyone at the case's company the person keeps in touch with, the primary
    contact (``case["contact"]``, id ``primary``) first; ``[]`` when nobody is named."""
    if case is None:
        return []
    primary: list[ContactRecord] = []
    if (case.get("contact") or "").strip():
        primary = [{"id": PRIMARY_CONTACT, "name": case["contact"].strip(),
                    "role": case.get("contact_role") or ""}]
    return primary + list(case.get("more_contacts") or [])


def contact_of_nudge(case: CaseRecord | None, nudge: NudgeRecord) -> ContactRecord | None:
    """The contact a check-in is about, when it is not the case's primary contact
    (``None`` for the primary one, or when that contact was removed since)."""
    wanted = nudge.get("contact")
    if not wanted or wanted == PRIMARY_CONTACT:
        return None
    return next((c for c in contacts_of(case) if c["id"] == wanted), None)


def is_returning(person: PersonRecord, now: datetime) -> bool:
    """Whether the person's last turn is long enough ago to say "welcome back": a "hi"
    typed between two answers of the same conversation only gets the question again."""
    last = person.get("updated_at")
    try:
        return last is None or now - datetime.fromisoformat(last) >= AWAY
    except (TypeError, ValueError):  # not a time: greet them as coming back
        return True


def case_by_id(person: PersonRecord, case_id: str | None) -> CaseRecord | None:
    return next((c for c in person["cases"] if c["id"] == case_id), None)


def active_case(person: PersonRecord) -> CaseRecord | None:
    flow = person.get("flow")
    return case_by_id(person, flow["case"]) if flow else None


def person_key(person: PersonRecord) -> str:
    """The storage key of a loaded person record (the same as :attr:`UserRef.key`)."""
    user = person["user"]
    return f"{user['platform']}:{user['workspace']}:{user['id']}"
