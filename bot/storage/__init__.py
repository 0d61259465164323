"""Pick a store from ``NOTNOW_DB``: a folder path means TinyDB, ``postgresql://...``
PostgreSQL, ``memory://`` a dict."""

from __future__ import annotations

from bot.interfaces import Store
from bot.storage.memory import MemoryStore
from bot.storage.tinydb_store import TinyDBStore

__all__ = ["MemoryStore", "TinyDBStore", "open_store"]


def open_store(url: str, *, read_only: bool = False, lock_timeout: float = 10.0) -> Store:
    """Open the store that ``url`` names; backends added later plug in here only.
    ``lock_timeout``: how long to wait for a TinyDB folder another process holds."""
    if url.startswith("memory://"):
        return MemoryStore()
    if url.startswith(("postgresql://", "postgres://")):
        from bot.storage.postgres import PostgresStore  # psycopg is an optional extra

        return PostgresStore(url)
    path = url.removeprefix("tinydb://")
    return TinyDBStore(path, read_only=read_only, lock_timeout=lock_timeout)
