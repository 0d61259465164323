"""A map that keeps only the most recently used entries.

Adapters remember small facts per person for the life of the process (whose profile was
synced, which channel is their DM). A plain dict would grow with every person the bot has
ever seen; this one forgets the least recently used entry once it is full, and forgetting
only costs one more platform call.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["DEFAULT_CAPACITY", "RecentMap"]

DEFAULT_CAPACITY = 10_000
K = TypeVar("K")
V = TypeVar("V")


class RecentMap(Generic[K, V]):
    """Up to ``capacity`` entries; reading or writing one makes it the most recent."""

    def __init__(self, *, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        self._entries.pop(key, None)
