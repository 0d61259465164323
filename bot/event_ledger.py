"""Remember which platform events were already handled, so a retry is not a second turn.

Slack resends an event when the first delivery was slow (``X-Slack-Retry-Num``); the
event id stays the same. Keeping the ledger in the store, not in memory, makes the
check hold across restarts and, with a shared backend, across processes.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.interfaces import Clock, Store

__all__ = ["EventLedger"]

NAMESPACE = "events"


class EventLedger:
    """``first_time(source, event_id)`` is ``True`` once per event id, ``False`` after."""

    def __init__(self, *, store: Store, clock: Clock, ttl: timedelta = timedelta(hours=2)) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._since_purge = 0

    def first_time(self, source: str, event_id: str) -> bool:
        now = self._clock.now()
        with self._lock:
            created = self._store.add(NAMESPACE, f"{source}:{event_id}", {"at": now.isoformat()})
            self._since_purge += 1
            if self._since_purge >= 500:
                self._since_purge = 0
                self._purge()
        return created

    def _purge(self) -> None:
        """Drop entries older than the ttl: Slack stops retrying after minutes, not hours."""
        cutoff = (self._clock.now() - self._ttl).isoformat()
        for key in list(self._store.keys(NAMESPACE)):
            record = self._store.read(NAMESPACE, key)
            if record is not None and record.get("at", "") < cutoff:
                self._store.delete(NAMESPACE, key)
