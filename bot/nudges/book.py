"""Where nudge records live, and how the dispatcher finds the due ones quickly.

Each nudge is a record of its own (namespace ``nudges``). Beside it, one empty record
per active nudge in ``nudge_due`` whose *key* is ``<when, ISO UTC>|<nudge id>``: the
dispatcher reads those keys in time order up to now (:meth:`Store.keys_through`, which
every backend lays out by key, so a pass with nothing due reads nothing), without
opening a single nudge that is not due. A third namespace, ``nudge_owners`` (key
``<person key>|<nudge id>``), finds every nudge that names a person, including one their
record does not list, so ``export`` and ``forget`` miss none.

Every change to a nudge is one :meth:`Store.commit` with its index entries: the record
(conditional on the version the writer read), the due entry it now needs and the
removal of the one it no longer needs. :meth:`NudgeBook.changes` gives those ops, so a
turn commits them with the person and a dispatcher with its claim, each in one durable
write; nothing is ever half-written, and the book needs no lock of its own.

Entries that point at a record whose due key differs, or at none, can still exist: left
by versions before commits were atomic, or by a store restored from a backup. They are
skipped, and removed once seen stale, unchanged, for ``stale_grace``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import cast

from bot.interfaces import (
    UNCONDITIONAL,
    CorruptRecordError,
    Delete,
    JsonObject,
    Op,
    Put,
    Store,
    StoreError,
)
from bot.records import NudgeRecord, PersonRecord

__all__ = ["ACTIVE_STATES", "NudgeBook", "due_key", "due_through"]

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


def due_through(now: datetime) -> str:
    """The last due-index key that is due at ``now``: every ``<time>|<id>`` with a time
    up to ``now`` sorts at or before it (``~`` sorts after every id character)."""
    return f"{now.isoformat()}|~"


class NudgeBook:
    """Nudge records plus the due and owner indexes. Thread-safe: every change is one
    atomic commit, so nothing here needs a lock on the hot path (only the dispatcher's
    memory of stale entries has one)."""

    def __init__(self, store: Store, *, stale_grace: timedelta = STALE_GRACE) -> None:
        self._store = store
        self._stale_grace = stale_grace
        self._suspects: dict[str, tuple[NudgeRecord | None, datetime]] = {}
        self._suspects_lock = threading.Lock()

    def get(self, nudge_id: str) -> NudgeRecord | None:
        return cast("NudgeRecord | None", self._store.read(NUDGES, nudge_id))

    def get_many(self, nudge_ids: Sequence[str]) -> dict[str, NudgeRecord]:
        """The stored nudges among ``nudge_ids``, by id (unreadable ones moved aside)."""
        return self._read_nudges(nudge_ids) if nudge_ids else {}

    @staticmethod
    def deletion(nudge: NudgeRecord | None, nudge_id: str, *, user_key: str) -> list[Op]:
        """The ops that remove a nudge (as read, ``None`` if unreadable or gone), its due
        entry and its owner entry (``forget``)."""
        ops: list[Op] = [Delete(NUDGES, nudge_id)]
        entry = nudge.get("due_key") if nudge is not None else None
        if entry:
            ops.append(Delete(DUE, entry))
        ops.append(Delete(OWNERS, owner_key(user_key, nudge_id)))
        return ops

    def delete(self, nudge_id: str, *, user_key: str) -> None:
        """Remove a nudge with its index entries, in one commit."""
        nudge = self._read_nudges([nudge_id]).get(nudge_id)
        self._commit(self.deletion(nudge, nudge_id, user_key=user_key))

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

    # -- changes ----------------------------------------------------------------------

    @staticmethod
    def changes(nudge: NudgeRecord, *,
                expected: NudgeRecord | object | None = UNCONDITIONAL) -> list[Op]:
        """The ops that store ``nudge`` with its index entries in step: the due entry it
        now needs, the record (only over ``expected``, the version the caller read;
        ``None`` for a new one) and the removal of the entry it no longer needs. Sets
        ``nudge["due_key"]``. Commit them alone or with the rest of a turn or claim."""
        prior = expected if isinstance(expected, dict) else None
        old = prior.get("due_key") if prior is not None else None
        if expected is UNCONDITIONAL:
            old = nudge.get("due_key")
        new = due_key(nudge) if nudge["state"] in ACTIVE_STATES else None
        nudge["due_key"] = new
        ops: list[Op] = []
        if expected is None:
            ops.append(Put(OWNERS, owner_key(nudge["user"], nudge["id"]), {}))
        if new is not None and new != old:
            ops.append(Put(DUE, new, {}))
        ops.append(Put(NUDGES, nudge["id"], nudge,
                       expected=cast("JsonObject | None", expected)
                       if expected is not UNCONDITIONAL else UNCONDITIONAL))
        if old is not None and old != new:
            ops.append(Delete(DUE, old))
        return ops

    def add(self, nudge: NudgeRecord) -> None:
        """Store a new nudge (it must not exist yet) with its index entries."""
        if not self._store.commit(self.changes(nudge, expected=None)):
            raise StoreError(f"nudge {nudge['id']} exists already")

    def save(self, nudge: NudgeRecord) -> None:
        """Write a changed nudge and keep its due entry in step (moved, or gone)."""
        self._commit(self.changes(nudge))

    def claim(self, nudge: NudgeRecord, *, expected: NudgeRecord) -> bool:
        """Save ``nudge`` only if nobody changed it since ``expected`` was read: two
        dispatchers sharing a database can both see a nudge due, only one claims it."""
        return self._store.commit(self.changes(nudge, expected=expected))

    def apply(self, nudge: NudgeRecord, *, prior: NudgeRecord | None) -> bool:
        """Write a change an older version's turn committed in the person's record but
        did not get to write (see :mod:`bot.nudges.outbox`): ``nudge`` as it should be,
        ``prior`` as that turn found it. Safe to repeat: one already made is left, and
        one that someone else moved on from since (the dispatcher sent the nudge) is
        left as it is. Returns whether the stored nudge is now ``nudge``."""
        stored = self.get(nudge["id"])
        if stored == nudge:
            return True
        if stored != prior:
            return False
        return self._store.commit(self.changes(nudge, expected=prior))

    def commit(self, ops: Sequence[Op]) -> bool:
        """Commit ops from :meth:`changes` (or :meth:`deletion`) on their own."""
        return self._store.commit(ops)

    def _commit(self, ops: list[Op]) -> None:
        if not self._store.commit(ops):  # only unconditional ops: cannot be refused
            raise StoreError("an unconditional commit was refused")

    # -- what is due ------------------------------------------------------------------

    def due(self, now: datetime) -> list[NudgeRecord]:
        """Active nudges whose time has come, oldest first (every batch of
        :meth:`due_batches`, for callers that want them all)."""
        return [nudge for batch in self.due_batches(now) for nudge in batch]

    def due_batches(self, now: datetime, *, size: int = 100, holder: str = "",
                    lease_for: timedelta = timedelta(minutes=2)) -> Iterator[list[NudgeRecord]]:
        """Active nudges whose time has come, oldest first, ``size`` at a time, read as
        they are asked for: a dispatcher sends the first while the next are read.
        With a ``holder``, each batch is leased to it (:meth:`Store.lease`), so
        dispatchers sharing a database take different batches. Entries that do not
        match their record are skipped, and cleared once stale for ``stale_grace``."""
        through = due_through(now)
        after = ""
        stale: dict[str, NudgeRecord | None] = {}
        # A store nobody else dispatches from is read in one ordered pass; starting over
        # after each batch listed an hour's folder once a batch (quadratic in TinyDB).
        stream = None if holder and self._store.leases else self._store.keys_through(
            DUE, through)
        while True:
            if stream is None:
                keys = self._store.lease(DUE, after=after, through=through, limit=size,
                                         holder=holder, now=now.isoformat(),
                                         until=(now + lease_for).isoformat())
            else:
                keys = list(itertools.islice(stream, size))
            if not keys:
                break
            after = keys[-1]
            ids = [key.split("|", 1)[1] for key in keys]
            found = self._read_nudges(ids)
            batch: list[NudgeRecord] = []
            for key, nudge_id in zip(keys, ids, strict=True):
                nudge = found.get(nudge_id)
                if nudge is None or nudge.get("due_key") != key:
                    stale[key] = nudge
                elif nudge["state"] in ACTIVE_STATES:
                    batch.append(nudge)
            if batch:
                yield batch
            if len(keys) < size:
                break
        self._clear_stale(stale, now)

    def _clear_stale(self, stale: dict[str, NudgeRecord | None], now: datetime) -> None:
        """Delete entries seen stale, with their record unchanged, for ``stale_grace``;
        remember the others. A record that changed in between was being written."""
        with self._suspects_lock:
            suspects: dict[str, tuple[NudgeRecord | None, datetime]] = {}
            expired: list[Op] = []
            for key, nudge in stale.items():
                seen, since = self._suspects.get(key, (nudge, now))
                if seen != nudge:
                    seen, since = nudge, now
                if now - since >= self._stale_grace:
                    expired.append(Delete(DUE, key))
                else:
                    suspects[key] = (seen, since)
            self._suspects = suspects
        if expired:
            self._commit(expired)

    def all(self) -> list[NudgeRecord]:
        keys = list(self._store.keys(NUDGES))
        return list(self._read_nudges(keys).values())
