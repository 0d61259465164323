"""One lock per person, for every change to them: turns, profile updates, nudge dispatch.

The map is weak: a person's lock exists only while someone holds it or waits for it, so
memory does not grow with every person the bot has ever seen.
"""

from __future__ import annotations

import threading
import weakref
from types import TracebackType

__all__ = ["PersonLock", "PersonLocks"]


class PersonLock:
    """A :class:`threading.Lock` that a weak map can hold (the lock type itself cannot)."""

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> PersonLock:
        self._lock.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._lock.release()


class PersonLocks:
    """``with locks.of(user.key):`` orders every change to that person in this process."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, PersonLock] = (
            weakref.WeakValueDictionary())
        self._guard = threading.Lock()

    def of(self, key: str) -> PersonLock:
        """The caller keeps the returned lock alive for as long as it uses it."""
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = PersonLock()
            return lock

    def __len__(self) -> int:
        return len(self._locks)
