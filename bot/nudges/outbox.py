"""A turn's check-in changes, carried in the person's record until the turn commits.

A turn decides first and writes after (STYLE.md #16). Planning, moving or cancelling a
check-in during a turn only *stages* the change, in ``person["nudge_outbox"]``. At the
save, :meth:`NudgeOutbox.changes` turns what was staged into store ops (each nudge
written only over the version the turn read, ``prior``, with its index entries) and
takes the outbox off the record; the person and those ops go in one
:meth:`~bot.interfaces.Store.commit`. So a turn that loses a race, or fails, leaves no
nudge behind, and one that commits has every change, in one durable write.

Older versions wrote the staged changes *after* the person's save, guarded by a marker
record (namespace ``nudge_outbox``, key ``<person key>|<token>``) so a crash in between
lost nothing. A store they left may still hold such a committed outbox and its marker:
loading that person, or the dispatcher's pass, applies it (``settle``, ``sweep_marker``)
as those versions did, and the next save drops it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Final, cast

from bot.interfaces import Clock, Delete, Op, Record, Store, copy_json
from bot.nudges.book import ACTIVE_STATES, NudgeBook, due_key
from bot.records import NudgeRecord, PersonRecord

__all__ = ["MARKERS", "OUTBOX", "NudgeOutbox", "stage", "staged", "without_outbox"]

log = logging.getLogger(__name__)

OUTBOX: Final = "nudge_outbox"  # the field on the person record
MARKERS = "nudge_outbox"  # the namespace of "this person may have an unapplied outbox"
MARKER_GRACE = timedelta(minutes=10)


def staged(person: PersonRecord) -> dict[str, Record]:
    """The changes this turn staged so far: nudge id -> ``{"prior", "nudge"}``. Empty
    for an outbox that was already committed (it has a token)."""
    outbox = person.get(OUTBOX)
    if not outbox or outbox.get("token"):
        return {}
    entries: dict[str, Record] = outbox["nudges"]
    return entries


def stage(person: PersonRecord, nudge: NudgeRecord, *, prior: NudgeRecord | None) -> None:
    """Stage ``nudge`` as it should be written; ``prior`` is the stored version it
    replaces (``None`` for a new one), kept from the first time the turn staged it."""
    outbox = person.get(OUTBOX)
    if not outbox or outbox.get("token"):  # a committed outbox belongs to an earlier turn
        outbox = person[OUTBOX] = {"token": None, "nudges": {}}
    target = copy_json(nudge)
    target["due_key"] = due_key(target) if target["state"] in ACTIVE_STATES else None
    entry = outbox["nudges"].setdefault(nudge["id"], {"prior": copy_json(prior)})
    entry["nudge"] = target


def without_outbox(person: PersonRecord) -> PersonRecord:
    """The person's record without the outbox: what a turn starts from, and what an
    export shows (the nudges themselves are exported beside it)."""
    return cast(PersonRecord, {key: value for key, value in person.items() if key != OUTBOX})


def marker_key(user_key: str, token: str) -> str:
    return f"{user_key}|{token}"


class NudgeOutbox:
    """Commits and recovers staged nudge changes; callers hold the per-person lock."""

    def __init__(self, *, store: Store, book: NudgeBook, clock: Clock,
                 grace: timedelta = MARKER_GRACE) -> None:
        self._store = store
        self._book = book
        self._clock = clock
        self._grace = grace

    @staticmethod
    def changes(person: PersonRecord) -> list[Op]:
        """The store ops for the check-in changes this turn staged, and the record
        without its outbox (an applied one from an older version is dropped too)."""
        entries = staged(person)
        person.pop(OUTBOX, None)
        ops: list[Op] = []
        for entry in entries.values():
            nudge = cast(NudgeRecord, copy_json(entry["nudge"]))
            ops.extend(NudgeBook.changes(nudge, expected=entry["prior"]))
        return ops

    def settle(self, user_key: str, person: PersonRecord) -> None:
        """Apply a committed outbox an older version left, if its marker says it may
        not be applied yet.

        :raises StoreError: a write failed; the marker stays, so it is tried again.
        """
        outbox = person.get(OUTBOX) or {}
        token = outbox.get("token")
        if not token:
            return
        key = marker_key(user_key, token)
        if self._store.read(MARKERS, key) is None:
            return  # applied already
        for entry in outbox["nudges"].values():
            self._book.apply(copy_json(entry["nudge"]), prior=entry["prior"])
        self._store.delete(MARKERS, key)

    def markers(self) -> Iterator[tuple[str, str]]:
        """Every (person key, token) that may have an unapplied outbox."""
        for key in list(self._store.keys(MARKERS)):
            user_key, _, token = key.rpartition("|")
            yield user_key, token

    def sweep_marker(self, user_key: str, token: str, person: PersonRecord | None) -> None:
        """For the dispatcher's pass, holding the person's lock with ``person`` just read:
        apply what the marker stands for, or drop a marker whose turn never committed
        once it is older than the grace period."""
        outbox = (person.get(OUTBOX) if person is not None else None) or {}
        if person is not None and outbox.get("token") == token:
            self.settle(user_key, person)
            return
        marker = self._store.read(MARKERS, marker_key(user_key, token))
        if marker is None:
            return
        if self._clock.now() - datetime.fromisoformat(marker["at"]) >= self._grace:
            self._store.delete(MARKERS, marker_key(user_key, token))

    def forgetting(self, user_key: str) -> list[Op]:
        """The ops removing every marker naming the person (``forget``)."""
        return [Delete(MARKERS, marker_key(owner, token))
                for owner, token in self.markers() if owner == user_key]
