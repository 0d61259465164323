"""PostgreSQL: the store for several bot processes sharing one truth.

The same narrow contract as every store, kept in one table of JSON documents keyed by
(namespace, key). PostgreSQL does what TinyDB cannot: many writers at once. ``replace``
is a single conditional statement, so two dispatchers cannot both claim a nudge and two
processes cannot save over each other's turn; ``add`` is an insert that ignores
conflicts, so Slack's retried events are handled once across processes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import psycopg
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from bot.interfaces import Record, Store, StoreError
from bot.storage.urls import redact

__all__ = ["MIGRATIONS", "PostgresStore"]

log = logging.getLogger(__name__)

MIGRATION_LOCK = 7_315_004  # any constant: serialises migrations of concurrent starts

MIGRATIONS: list[tuple[int, str]] = [
    (1, """
        CREATE TABLE IF NOT EXISTS notnow_records (
            namespace  text        NOT NULL,
            key        text        NOT NULL,
            doc        jsonb       NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (namespace, key)
        )
    """),
]


class PostgresStore(Store):
    """``PostgresStore("postgresql://user@host/db")``; migrates on open (safe to rerun)."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8) -> None:
        self._url = url
        try:
            # Fail fast and clearly when the server is not there; the pool would retry
            # quietly until its timeout.
            psycopg.connect(url, connect_timeout=5).close()
            self._pool = ConnectionPool(url, min_size=min_size, max_size=max_size,
                                        kwargs={"autocommit": True}, open=True, timeout=10)
            self._pool.wait(timeout=10)
        except Exception as exc:
            raise StoreError(f"cannot reach PostgreSQL at {redact(url)}: {exc}") from exc
        self.migrate()

    def migrate(self) -> list[int]:
        """Apply migrations not yet applied; returns their versions. Idempotent."""
        applied: list[int] = []
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("""CREATE TABLE IF NOT EXISTS notnow_migrations (
                version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())""")
            done = {row[0] for row in conn.execute("SELECT version FROM notnow_migrations")}
            for version, sql in MIGRATIONS:
                if version not in done:
                    conn.execute(sql)
                    conn.execute("INSERT INTO notnow_migrations (version) VALUES (%s)",
                                 (version,))
                    applied.append(version)
        return applied

    def read(self, namespace: str, key: str) -> Record | None:
        row = self._one("SELECT doc FROM notnow_records WHERE namespace = %s AND key = %s",
                        (namespace, key))
        return row[0] if row else None  # type: ignore[return-value]  # jsonb -> dict

    def read_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT key, doc FROM notnow_records WHERE namespace = %s AND key = ANY(%s)",
                (namespace, list(keys)),
            ).fetchall()
        return {key: doc for key, doc in rows}

    def write(self, namespace: str, key: str, record: Record) -> None:
        self._one(
            """INSERT INTO notnow_records (namespace, key, doc) VALUES (%s, %s, %s)
               ON CONFLICT (namespace, key)
               DO UPDATE SET doc = EXCLUDED.doc, updated_at = now() RETURNING 1""",
            (namespace, key, Jsonb(record)),
        )

    def replace(self, namespace: str, key: str, record: Record, *,
                expected: Record | None) -> bool:
        if expected is None:
            row = self._one(
                """INSERT INTO notnow_records (namespace, key, doc) VALUES (%s, %s, %s)
                   ON CONFLICT (namespace, key) DO NOTHING RETURNING 1""",
                (namespace, key, Jsonb(record)),
            )
        else:
            row = self._one(
                """UPDATE notnow_records SET doc = %s, updated_at = now()
                   WHERE namespace = %s AND key = %s AND doc = %s RETURNING 1""",
                (Jsonb(record), namespace, key, Jsonb(expected)),
            )
        return row is not None

    def delete(self, namespace: str, key: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM notnow_records WHERE namespace = %s AND key = %s",
                         (namespace, key))

    def keys(self, namespace: str) -> Iterator[str]:
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT key FROM notnow_records WHERE namespace = %s",
                                (namespace,)).fetchall()
        return iter([row[0] for row in rows])

    def namespaces(self) -> list[str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT namespace FROM notnow_records ORDER BY namespace").fetchall()
        return [row[0] for row in rows]

    def _one(self, sql: str, params: tuple[object, ...]) -> tuple[object, ...] | None:
        try:
            with self._pool.connection() as conn:
                return conn.execute(sql, params).fetchone()
        except pg_errors.Error as exc:
            raise StoreError(f"PostgreSQL: {exc}") from exc

    def close(self) -> None:
        self._pool.close()

