"""Remember which platform events were already handled, so a retry is not a second turn.

Slack resends an event when the first delivery was slow (``X-Slack-Retry-Num``); the
event id stays the same. A slash command or a click has no event id, and its signed body
stays valid for five minutes, so a replay would act again: the adapter records those by
a key of its own (Slack's ``trigger_id``), and the ttl outlasts that window. Keeping the
ledger in the store, not in memory, makes the check hold across restarts and, with a
shared backend, across processes.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from bot.interfaces import Clock, Store

__all__ = ["EventLedger"]

NAMESPACE = "events"


class EventLedger:
    """``first_time(source, event_id)`` is ``True`` once per event id, ``False`` after.

    The check is the store's atomic ``add``, so it needs no lock of its own. Old entries
    are purged at most once per ``ttl``, so the purge reads each entry about twice in its
    life, however busy the workspace is.
    """

    def __init__(self, *, store: Store, clock: Clock, ttl: timedelta = timedelta(hours=2)) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._purge_guard = threading.Lock()
        self._last_purge = clock.now()

    def first_time(self, source: str, event_id: str) -> bool:
        now = self._clock.now()
        created = self._store.add(NAMESPACE, f"{source}:{event_id}", {"at": now.isoformat()})
        if now - self._last_purge >= self._ttl and self._purge_guard.acquire(blocking=False):
            try:
                self._last_purge = now
                self._purge(now)
            finally:
                self._purge_guard.release()
        return created

    def _purge(self, now: datetime) -> None:
        """Drop entries older than the ttl: Slack stops retrying after minutes, not hours."""
        cutoff = (now - self._ttl).isoformat()
        keys = list(self._store.keys(NAMESPACE))
        for key, record in self._store.read_many(NAMESPACE, keys).items():
            if record.get("at", "") < cutoff:
                self._store.delete(NAMESPACE, key)
