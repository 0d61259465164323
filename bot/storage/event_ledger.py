"""Remember which platform events were already handled, so a retry is not a second turn.

Slack resends an event when the first delivery was slow (``X-Slack-Retry-Num``); the
event id stays the same. A slash command or a click has no event id, and its signed body
stays valid for five minutes, so a replay would act again: the adapter records those by
a key of its own (Slack's ``trigger_id``), and the ttl outlasts that window. Keeping the
ledger in the store, not in memory, makes the check hold across restarts and, with a
shared backend, across processes.

A turn records its event in its own commit (:meth:`EventLedger.entry`, a put that
requires the key to be free), so acting on an event and remembering it are one durable
write: a repeat racing the first delivery loses the commit and finds the entry when
the turn runs again. :meth:`first_time` records one on its own, for what is not a turn.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from bot.interfaces import Clock, Delete, Put, Store

__all__ = ["EventLedger"]

NAMESPACE = "events"
PURGE_BATCH = 1000  # deletes per commit: a big purge must not become one huge write


class EventLedger:
    """``first_time(source, event_id)`` is ``True`` once per event id, ``False`` after.

    The check is the store's atomic commit, so it needs no lock of its own. Old entries
    are purged at most once per ``ttl``, so the purge reads each entry about twice in its
    life, however busy the workspace is.
    """

    def __init__(self, *, store: Store, clock: Clock, ttl: timedelta = timedelta(hours=2)) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._purge_guard = threading.Lock()
        self._last_purge = clock.now()

    def key(self, source: str, event_id: str) -> str:
        return f"{source}:{event_id}"

    def seen(self, key: str) -> bool:
        """Whether the event behind ``key`` (:meth:`key`) was acted on already."""
        return self._store.read(NAMESPACE, key) is not None

    def entry(self, key: str) -> Put:
        """The op recording the event, for the commit of the turn that acts on it:
        refused (and the whole commit with it) if another delivery recorded it first."""
        return Put(NAMESPACE, key, {"at": self._clock.now().isoformat()}, expected=None)

    def first_time(self, source: str, event_id: str) -> bool:
        """Record an event on its own; ``True`` the first time."""
        created = self._store.add(NAMESPACE, self.key(source, event_id),
                                  {"at": self._clock.now().isoformat()})
        self.purge_if_due()
        return created

    def purge_if_due(self) -> None:
        """Purge old entries if a ttl passed since the last purge (one thread at a time,
        nobody waits for it)."""
        now = self._clock.now()
        if now - self._last_purge >= self._ttl and self._purge_guard.acquire(blocking=False):
            try:
                self._last_purge = now
                self._purge(now)
            finally:
                self._purge_guard.release()

    def _purge(self, now: datetime) -> None:
        """Drop entries older than the ttl: Slack stops retrying after minutes, not hours."""
        cutoff = (now - self._ttl).isoformat()
        keys = list(self._store.keys(NAMESPACE))
        old = [Delete(NAMESPACE, key) for key, record in
               self._store.read_many(NAMESPACE, keys).items() if record.get("at", "") < cutoff]
        for start in range(0, len(old), PURGE_BATCH):
            self._store.commit(old[start:start + PURGE_BATCH])
