"""Where nudge records live, and how the dispatcher finds the due ones quickly.

Each nudge is a record of its own (namespace ``nudges``). To find what is due without
reading every nudge ever planned, each one is also listed under the UTC day it falls
due (namespace ``nudge_days``); the dispatcher reads the days from the oldest one that
still has work up to today. A day's list only grows with the nudges due that day, so
planning stays cheap however many people are stored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

from bot.interfaces import Record, Store

__all__ = ["ACTIVE_STATES", "NudgeBook"]

NUDGES = "nudges"
DAYS = "nudge_days"
CURSOR = "nudge_cursor"
ACTIVE_STATES = frozenset({"planned", "claimed"})


class NudgeBook:
    """Nudge records plus the per-day index. Thread-safe within one process."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.RLock()

    def get(self, nudge_id: str) -> Record | None:
        return self._store.read(NUDGES, nudge_id)

    def add(self, nudge: Record) -> None:
        with self._lock:
            self._store.write(NUDGES, nudge["id"], nudge)
            self._index(nudge)

    def save(self, nudge: Record) -> None:
        """Write a changed nudge; if its due day moved (snooze, retry), list it there too."""
        with self._lock:
            self._store.write(NUDGES, nudge["id"], nudge)
            if nudge["state"] in ACTIVE_STATES:
                self._index(nudge)

    def delete(self, nudge_id: str) -> None:
        self._store.delete(NUDGES, nudge_id)

    def _index(self, nudge: Record) -> None:
        day = _day_of(nudge)
        entry = self._store.read(DAYS, day) or {"ids": []}
        if nudge["id"] not in entry["ids"]:
            entry["ids"].append(nudge["id"])
            self._store.write(DAYS, day, entry)
        cursor = self._store.read(CURSOR, "cursor")
        if cursor is None or cursor["day"] > day:
            self._store.write(CURSOR, "cursor", {"day": day})

    def due(self, now: datetime) -> Iterator[Record]:
        """Active nudges whose time (due, or next retry) has come, oldest day first.

        Days whose nudges have all ended are dropped from the index as they are passed,
        so the scan starts at the oldest day that still has work.
        """
        with self._lock:
            cursor = self._store.read(CURSOR, "cursor")
            if cursor is None:
                return
            today = now.date().isoformat()
            days = sorted(d for d in self._store.keys(DAYS) if cursor["day"] <= d <= today)
            now_iso = now.isoformat()
            still_open: str | None = None
            found: list[Record] = []
            for day in days:
                entry = self._store.read(DAYS, day) or {"ids": []}
                live: list[str] = []
                for nudge_id in entry["ids"]:
                    nudge = self.get(nudge_id)
                    if nudge is None or nudge["state"] not in ACTIVE_STATES:
                        continue
                    if _day_of(nudge) != day:
                        continue  # moved to another day; listed there
                    live.append(nudge_id)
                    if _when(nudge) <= now_iso:
                        found.append(nudge)
                if live != entry["ids"]:
                    if live:
                        self._store.write(DAYS, day, {"ids": live})
                    else:
                        self._store.delete(DAYS, day)
                if live and still_open is None:
                    still_open = day
            new_cursor = still_open or today
            if new_cursor != cursor["day"]:
                self._store.write(CURSOR, "cursor", {"day": new_cursor})
        yield from sorted(found, key=_when)

    def all(self) -> Iterator[Record]:
        for key in list(self._store.keys(NUDGES)):
            nudge = self.get(key)
            if nudge is not None:
                yield nudge


def _when(nudge: Record) -> str:
    """The moment a nudge may next go out: its due time, or a later retry time."""
    retry = nudge.get("retry_at")
    return max(nudge["due_at"], retry) if retry else nudge["due_at"]


def _day_of(nudge: Record) -> str:
    return datetime.fromisoformat(_when(nudge)).date().isoformat()
