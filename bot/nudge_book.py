"""Where nudge records live, and how the dispatcher finds the due ones quickly.

Each nudge is a record of its own (namespace ``nudges``). Beside it, one empty record
per active nudge in ``nudge_due`` whose *key* is ``<when, ISO UTC>|<nudge id>``: the
dispatcher lists those keys and compares strings, without opening a single nudge that
is not due. Planning a nudge writes two small records whatever the number of people
stored, so a turn's cost does not grow with the community; an entry is replaced when
a nudge is snoozed or retried, and removed when it ends.
"""

from __future__ import annotations

import threading
from datetime import datetime

from bot.interfaces import Record, Store

__all__ = ["ACTIVE_STATES", "NudgeBook"]

NUDGES = "nudges"
DUE = "nudge_due"
ACTIVE_STATES = frozenset({"planned", "claimed"})


def next_time(nudge: Record) -> str:
    """The moment a nudge may next go out: its due time, or a later retry time."""
    retry = nudge.get("retry_at")
    return max(nudge["due_at"], retry) if retry else nudge["due_at"]


def due_key(nudge: Record) -> str:
    return f"{next_time(nudge)}|{nudge['id']}"


class NudgeBook:
    """Nudge records plus the due index. Thread-safe within one process."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.RLock()

    def get(self, nudge_id: str) -> Record | None:
        return self._store.read(NUDGES, nudge_id)

    def delete(self, nudge_id: str) -> None:
        """Remove a nudge and its due entry (``forget``)."""
        with self._lock:
            nudge = self.get(nudge_id)
            if nudge is not None and nudge.get("due_key"):
                self._store.delete(DUE, nudge["due_key"])
            self._store.delete(NUDGES, nudge_id)

    def of_person(self, person: Record) -> list[Record]:
        """The person's nudges, in the order they were planned."""
        ids = list(person.get("nudge_ids", []))
        found = self._store.read_many(NUDGES, ids)
        return [found[nudge_id] for nudge_id in ids if nudge_id in found]

    def add(self, nudge: Record) -> None:
        with self._lock:
            nudge["due_key"] = due_key(nudge)
            self._store.write(DUE, nudge["due_key"], {})
            self._store.write(NUDGES, nudge["id"], nudge)

    def save(self, nudge: Record) -> None:
        """Write a changed nudge and keep its due entry in step (moved, or gone)."""
        with self._lock:
            self._reindex(nudge)
            self._store.write(NUDGES, nudge["id"], nudge)

    def claim(self, nudge: Record, *, expected: Record) -> bool:
        """Save ``nudge`` only if nobody changed it since ``expected`` was read: two
        dispatchers sharing a database can both see a nudge due, only one claims it."""
        with self._lock:
            if not self._store.replace(NUDGES, nudge["id"], nudge, expected=expected):
                return False
            self._reindex(nudge)
            return True

    def _reindex(self, nudge: Record) -> None:
        old = nudge.get("due_key")
        new = due_key(nudge) if nudge["state"] in ACTIVE_STATES else None
        if new is not None and new != old:
            self._store.write(DUE, new, {})
        if old is not None and old != new:
            self._store.delete(DUE, old)
        nudge["due_key"] = new

    def due(self, now: datetime) -> list[Record]:
        """Active nudges whose time has come, oldest first. Entries left behind by nudges
        that ended or were deleted (``forget``) are cleared on the way."""
        now_iso = now.isoformat()
        keys = sorted(k for k in self._store.keys(DUE) if k.split("|", 1)[0] <= now_iso)
        if not keys:
            return []
        ids = [key.split("|", 1)[1] for key in keys]
        found = self._store.read_many(NUDGES, ids)
        due: list[Record] = []
        for key, nudge_id in zip(keys, ids, strict=True):
            nudge = found.get(nudge_id)
            if nudge is None or nudge.get("due_key") != key:
                with self._lock:
                    self._store.delete(DUE, key)
                continue
            if nudge["state"] in ACTIVE_STATES:
                due.append(nudge)
        return due

    def all(self) -> list[Record]:
        keys = list(self._store.keys(NUDGES))
        return list(self._store.read_many(NUDGES, keys).values())
