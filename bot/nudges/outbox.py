"""A turn's check-in changes, carried in the person's record and written after it.

A turn decides first and writes after (STYLE.md #16). Planning, moving or cancelling a
check-in during a turn only *stages* the change, in ``person["nudge_outbox"]``; the
person's compare-and-set save is the commit point, and the staged nudge writes go out
right after it (the transactional-outbox pattern). So a turn that loses the race, or
fails, leaves no nudge behind, and a crash between the save and the nudge writes loses
nothing: the saved record still holds them. Each staged change keeps the nudge as the
turn found it (``prior``), and :meth:`NudgeBook.apply` writes only over that version, so
applying twice is harmless and never undoes what the dispatcher did in between.

Finding an outbox that a crash left unapplied: just before the save, a small marker
(namespace ``nudge_outbox``, key ``<person key>|<token>``) is written, and removed once
the outbox is applied. Loading a person whose outbox's marker is still there applies it,
and the dispatcher's pass does the same for every marker, so the check-ins of someone
who never comes back still go out. Only turns with check-in changes write a marker. A
marker whose turn never committed (it lost the race, or crashed before its save) names a
token the record does not hold; it is removed once older than a grace period, since its
turn may still be running in another process. The applied outbox stays in the record
until the person's next save, which drops it ("cleared lazily").
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Final, cast

from bot.interfaces import Clock, Record, Store, StoreError
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
    target = copy.deepcopy(nudge)
    target["due_key"] = due_key(target) if target["state"] in ACTIVE_STATES else None
    entry = outbox["nudges"].setdefault(nudge["id"], {"prior": copy.deepcopy(prior)})
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

    def open(self, user_key: str, person: PersonRecord) -> str | None:
        """Before the save: give staged changes a token and write their marker. Returns
        the token, or ``None`` when the turn changed no check-in (nothing is written).

        :raises StoreError: the marker could not be written (nothing is committed).
        """
        if not staged(person):
            return None
        token = secrets.token_hex(8)
        outbox = person.get(OUTBOX)
        assert outbox is not None  # staged() found changes in it
        outbox["token"] = token
        self._store.write(MARKERS, marker_key(user_key, token),
                          {"at": self._clock.now().isoformat()})
        return token

    def deliver(self, user_key: str, person: PersonRecord) -> None:
        """After the save succeeded: apply the outbox and remove its marker. A failure
        is logged, not raised: the turn is committed, and the marker leads the next
        load or dispatcher pass to finish the job."""
        try:
            self.settle(user_key, person, known_marked=True)
        except StoreError:
            log.warning("check-in changes saved but not yet written; they will be on the "
                        "next load or dispatcher pass", exc_info=True)

    def discard(self, user_key: str, token: str) -> None:
        """After a lost or failed save: the staged changes were never committed."""
        try:
            self._store.delete(MARKERS, marker_key(user_key, token))
        except StoreError:
            log.warning("could not remove an uncommitted outbox marker; the dispatcher "
                        "will", exc_info=True)

    def settle(self, user_key: str, person: PersonRecord, *, known_marked: bool = False) -> None:
        """Apply the person's committed outbox if its marker says it may not be yet.

        :raises StoreError: a write failed; the marker stays, so it is tried again.
        """
        outbox = person.get(OUTBOX) or {}
        token = outbox.get("token")
        if not token:
            return
        key = marker_key(user_key, token)
        if not known_marked and self._store.read(MARKERS, key) is None:
            return  # applied already
        for entry in outbox["nudges"].values():
            self._book.apply(copy.deepcopy(entry["nudge"]), prior=entry["prior"])
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

    def forget(self, user_key: str) -> None:
        """Remove every marker naming the person (``forget``), so no outbox of theirs is
        applied again, whatever happens next."""
        for owner, token in self.markers():
            if owner == user_key:
                self._store.delete(MARKERS, marker_key(owner, token))
