"""Where nudge records live, and how the dispatcher finds the due ones quickly.

Each nudge is a record of its own (namespace ``nudges``). Beside it, one empty record
per active nudge in ``nudge_due`` whose *key* is ``<when, ISO UTC>|<nudge id>``: the
dispatcher lists those keys and compares strings, without opening a single nudge that
is not due. Planning a nudge writes three small records whatever the number of people
stored, so a turn's cost does not grow with the community; an entry is replaced when
a nudge is snoozed or retried, and removed when it ends. A third namespace,
``nudge_owners`` (key ``<person key>|<nudge id>``), finds every nudge that names a
person, including one their record does not list (left by a version before turns
committed their nudges with the person, see :mod:`bot.nudges.outbox`), so ``export`` and
``forget`` miss none. A turn's changes arrive through :meth:`NudgeBook.apply`, after the
person's save; the dispatcher's own (claim, mark, retry) through ``claim`` and ``save``.

The order of the writes is what makes a crash at any point harmless: the due entry a
nudge will need is written *before* the nudge record that points at it, and the entry it
no longer needs is removed *after*. So a nudge record always has its due entry; a crash
can only leave an entry too many, which points at a record whose due key differs (or at
no record) and is skipped. Such a stale entry is removed once it has been seen stale,
unchanged, for ``stale_grace``: a writer in another process may be between its two
writes, and it will have finished long before.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from bot.interfaces import CorruptRecordError, Store
from bot.records import NudgeRecord, PersonRecord

__all__ = ["ACTIVE_STATES", "NudgeBook", "due_key"]

NUDGES = "nudges"
DUE = "nudge_due"
OWNERS = "nudge_owners"
ACTIVE_STATES = frozenset({"planned", "claimed"})
STALE_GRACE = timedelta(minutes=10)


def next_time(nudge: NudgeRecord) -> str:
    """The moment a nudge may next go out: its due time, or a later retry time."""
    retry = nudge.get("retry_at")
    return max(nudge["due_at"], retry) if retry else nudge["due_at"]


def due_key(nudge: NudgeRecord) -> str:
    return f"{next_time(nudge)}|{nudge['id']}"


def owner_key(user_key: str, nudge_id: str) -> str:
    return f"{user_key}|{nudge_id}"


class NudgeBook:
    """Nudge records plus the due and owner indexes. Thread-safe within one process."""

    def __init__(self, store: Store, *, stale_grace: timedelta = STALE_GRACE) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._stale_grace = stale_grace
        self._suspects: dict[str, tuple[NudgeRecord | None, datetime]] = {}

    def get(self, nudge_id: str) -> NudgeRecord | None:
        return cast("NudgeRecord | None", self._store.read(NUDGES, nudge_id))

    def get_many(self, nudge_ids: Sequence[str]) -> dict[str, NudgeRecord]:
        """The stored nudges among ``nudge_ids``, by id (unreadable ones moved aside)."""
        return self._read_nudges(nudge_ids) if nudge_ids else {}

    def delete(self, nudge_id: str, *, user_key: str) -> None:
        """Remove a nudge, its due entry and its owner entry (``forget``). The record
        goes first: a crash after it leaves only entries that point at nothing."""
        with self._lock:
            nudge = self._read_nudges([nudge_id]).get(nudge_id)
            self._store.delete(NUDGES, nudge_id)
            entry = nudge.get("due_key") if nudge is not None else None
            if entry:
                self._store.delete(DUE, entry)
            self._store.delete(OWNERS, owner_key(user_key, nudge_id))

    def of_person(self, person: PersonRecord) -> list[NudgeRecord]:
        """The nudges the person's record lists, in the order they were planned."""
        ids = list(person.get("nudge_ids", []))
        found = self._read_nudges(ids)
        return [found[nudge_id] for nudge_id in ids if nudge_id in found]

    def ids_of(self, user_key: str, listed: Sequence[str] = ()) -> list[str]:
        """Every nudge id that names the person: ``listed`` (their record's list) first,
        then any other their key owns, found by the owner index rather than the list."""
        prefix = owner_key(user_key, "")
        owned = sorted(key.removeprefix(prefix) for key in self._store.keys(OWNERS)
                       if key.startswith(prefix))
        ids = list(dict.fromkeys(listed))
        return ids + [nudge_id for nudge_id in owned if nudge_id not in ids]

    def all_of(self, user_key: str, listed: Sequence[str] = ()) -> list[NudgeRecord]:
        """Every stored nudge that names the person (for ``export``)."""
        ids = self.ids_of(user_key, listed)
        found = self._read_nudges(ids)
        return [found[nudge_id] for nudge_id in ids if nudge_id in found]

    def kept_aside(self, nudge_ids: Sequence[str]) -> list[str]:
        """Unreadable copies of these nudges that the store moved aside."""
        return [text for nudge_id in nudge_ids for text in self._store.kept_aside(NUDGES, nudge_id)]

    def _read_nudges(self, ids: Sequence[str]) -> dict[str, NudgeRecord]:
        """``read_many``, going on past unreadable records: each one is moved aside by
        the store when it is first met, so trying again reads the rest. One that is
        still there the second time (a read-only store moves nothing) is raised."""
        met: set[str] = set()
        while True:
            try:
                return cast("dict[str, NudgeRecord]", self._store.read_many(NUDGES, ids))
            except CorruptRecordError as exc:
                if exc.key in met:
                    raise
                met.add(exc.key)

    def add(self, nudge: NudgeRecord) -> None:
        with self._lock:
            entry = nudge["due_key"] = due_key(nudge)
            self._store.write(OWNERS, owner_key(nudge["user"], nudge["id"]), {})
            self._store.write(DUE, entry, {})
            self._store.write(NUDGES, nudge["id"], nudge)

    def save(self, nudge: NudgeRecord) -> None:
        """Write a changed nudge and keep its due entry in step (moved, or gone)."""
        with self._lock:
            old = self._enter_due(nudge)
            self._store.write(NUDGES, nudge["id"], nudge)
            self._leave_due(old, nudge)

    def apply(self, nudge: NudgeRecord, *, prior: NudgeRecord | None) -> bool:
        """Write a change a turn committed (see :mod:`bot.nudges.outbox`): ``nudge`` as it
        should be, ``prior`` as the turn found it (``None``: new). Safe to repeat: a
        change already made is only tidied (the due entry it left), and one that someone
        else moved on from since (the dispatcher claimed or sent the nudge) is left as
        it is. Returns whether the stored nudge is now ``nudge``.

        :raises StoreError: a write failed; trying again later finishes the job.
        """
        with self._lock:
            stored = self.get(nudge["id"])
            old = prior.get("due_key") if prior is not None else None
            if stored == nudge:
                self._leave_due(old, nudge)
                return True
            if stored != prior:
                return False
            if prior is None:
                self._store.write(OWNERS, owner_key(nudge["user"], nudge["id"]), {})
            entry = nudge.get("due_key")
            if entry is not None and entry != old:
                self._store.write(DUE, entry, {})
            if not self._store.replace(NUDGES, nudge["id"], nudge, expected=prior):
                return False  # the entry just written stays, stale, until cleared
            self._leave_due(old, nudge)
            return True

    def claim(self, nudge: NudgeRecord, *, expected: NudgeRecord) -> bool:
        """Save ``nudge`` only if nobody changed it since ``expected`` was read: two
        dispatchers sharing a database can both see a nudge due, only one claims it.
        A due entry written for a claim that lost stays behind, stale, and is cleared
        later: the winner may have written the very same entry."""
        with self._lock:
            old = self._enter_due(nudge)
            if not self._store.replace(NUDGES, nudge["id"], nudge, expected=expected):
                nudge["due_key"] = old
                return False
            self._leave_due(old, nudge)
            return True

    def _enter_due(self, nudge: NudgeRecord) -> str | None:
        """Write the due entry the nudge will need, before the record that points at it;
        returns the entry it had."""
        old: str | None = nudge.get("due_key")
        new = due_key(nudge) if nudge["state"] in ACTIVE_STATES else None
        if new is not None and new != old:
            self._store.write(DUE, new, {})
        nudge["due_key"] = new
        return old

    def _leave_due(self, old: str | None, nudge: NudgeRecord) -> None:
        """Remove the entry the saved record no longer points at."""
        if old is not None and old != nudge["due_key"]:
            self._store.delete(DUE, old)

    def due(self, now: datetime) -> list[NudgeRecord]:
        """Active nudges whose time has come, oldest first. Entries that do not match
        their record (left by a crash, or by nudges that ended or were deleted) are
        skipped, and cleared once stale for ``stale_grace``."""
        now_iso = now.isoformat()
        keys = sorted(k for k in self._store.keys(DUE) if k.split("|", 1)[0] <= now_iso)
        ids = [key.split("|", 1)[1] for key in keys]
        found = self._read_nudges(ids) if keys else {}
        due: list[NudgeRecord] = []
        stale: dict[str, NudgeRecord | None] = {}
        for key, nudge_id in zip(keys, ids, strict=True):
            nudge = found.get(nudge_id)
            if nudge is None or nudge.get("due_key") != key:
                stale[key] = nudge
            elif nudge["state"] in ACTIVE_STATES:
                due.append(nudge)
        self._clear_stale(stale, now)
        return due

    def _clear_stale(self, stale: dict[str, NudgeRecord | None], now: datetime) -> None:
        """Delete entries seen stale, with their record unchanged, for ``stale_grace``;
        remember the others. A record that changed in between was being written."""
        with self._lock:
            suspects: dict[str, tuple[NudgeRecord | None, datetime]] = {}
            for key, nudge in stale.items():
                seen, since = self._suspects.get(key, (nudge, now))
                if seen != nudge:
                    seen, since = nudge, now
                if now - since >= self._stale_grace:
                    self._store.delete(DUE, key)
                else:
                    suspects[key] = (seen, since)
            self._suspects = suspects

    def all(self) -> list[NudgeRecord]:
        keys = list(self._store.keys(NUDGES))
        return list(self._read_nudges(keys).values())
