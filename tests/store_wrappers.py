"""A real store seen through a fault, a race or a crash: the base the tests' wrappers share.

:class:`DelegatingStore` passes every call to ``inner``; a wrapper overrides only the
calls it intercepts. ``add`` is left to :class:`~bot.interfaces.Store`'s default, which
goes through ``replace``, so a wrapper that intercepts ``replace`` sees every creation too.
A :meth:`~bot.interfaces.Store.commit` (a turn's one write) goes to ``inner`` whole,
after :meth:`DelegatingStore.before_commit`, where a wrapper injects its fault.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.interfaces import Op, Record, Store

__all__ = ["DelegatingStore"]


class DelegatingStore(Store):
    def __init__(self, inner: Store) -> None:
        self.inner = inner

    @property  # type: ignore[override]
    def leases(self) -> bool:
        return self.inner.leases

    def read(self, namespace: str, key: str) -> Record | None:
        return self.inner.read(namespace, key)

    def write(self, namespace: str, key: str, record: Record) -> None:
        self.inner.write(namespace, key, record)

    def replace(self, namespace: str, key: str, record: Record, *,
                expected: Record | None) -> bool:
        return self.inner.replace(namespace, key, record, expected=expected)

    def delete(self, namespace: str, key: str) -> None:
        self.inner.delete(namespace, key)

    def commit(self, ops: Sequence[Op]) -> bool:
        self.before_commit(ops)
        return self.inner.commit(ops)

    def before_commit(self, ops: Sequence[Op]) -> None:
        """Where a wrapper fails, pauses or races a commit; nothing by default."""

    def keys_through(self, namespace: str, last: str, *, after: str = "") -> Iterator[str]:
        return self.inner.keys_through(namespace, last, after=after)

    def lease(self, namespace: str, *, after: str, through: str, limit: int, holder: str,
              now: str, until: str) -> list[str]:
        return self.inner.lease(namespace, after=after, through=through, limit=limit,
                                holder=holder, now=now, until=until)

    def read_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record]:
        return self.inner.read_many(namespace, keys)

    def kept_aside(self, namespace: str, key: str) -> list[str]:
        return self.inner.kept_aside(namespace, key)

    def keys(self, namespace: str) -> Iterator[str]:
        return self.inner.keys(namespace)

    def namespaces(self) -> list[str]:
        return self.inner.namespaces()
