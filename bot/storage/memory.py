"""A store that lives in a dict: for tests and for trying things out."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from bot.interfaces import UNCONDITIONAL, JsonObject, Op, Put, Record, Store, copy_json

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """Deep-copies on the way in and out, so callers cannot change stored state by accident
    (the same guarantee a real backend gives by serialising)."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Record]] = {}
        self._lock = threading.RLock()

    def read(self, namespace: str, key: str) -> Record | None:
        with self._lock:
            record = self._data.get(namespace, {}).get(key)
            return copy_json(record) if record is not None else None

    def write(self, namespace: str, key: str, record: JsonObject) -> None:
        with self._lock:
            self._data.setdefault(namespace, {})[key] = copy_json(dict(record))

    def replace(self, namespace: str, key: str, record: JsonObject, *,
                expected: JsonObject | None) -> bool:
        with self._lock:
            return super().replace(namespace, key, record, expected=expected)

    def commit(self, ops: Sequence[Op]) -> bool:
        with self._lock:
            for op in ops:
                if isinstance(op, Put) and op.expected is not UNCONDITIONAL and (
                        self._data.get(op.namespace, {}).get(op.key) != op.expected):
                    return False
            before = {(op.namespace, op.key): self._data.get(op.namespace, {}).get(op.key)
                      for op in ops}
            try:
                for op in ops:  # through write and delete, which a test double may fail
                    if isinstance(op, Put):
                        self.write(op.namespace, op.key, op.record)
                    else:
                        self.delete(op.namespace, op.key)
            except BaseException:
                for (namespace, key), record in before.items():  # all or nothing
                    if record is None:
                        self._data.get(namespace, {}).pop(key, None)
                    else:
                        self._data.setdefault(namespace, {})[key] = record
                raise
            return True

    def delete(self, namespace: str, key: str) -> None:
        with self._lock:
            self._data.get(namespace, {}).pop(key, None)

    def keys(self, namespace: str) -> Iterator[str]:
        with self._lock:
            return iter(list(self._data.get(namespace, {})))

    def namespaces(self) -> list[str]:
        with self._lock:
            return sorted(name for name, records in self._data.items() if records)
