"""PostgreSQL: the store for several bot processes sharing one truth.

The same narrow contract as every store, kept in one table of JSON documents keyed by
(namespace, key). PostgreSQL does what TinyDB cannot: many writers at once. ``replace``
is a single conditional statement, so two dispatchers cannot both claim a nudge and two
processes cannot save over each other's turn; ``add`` is an insert that ignores
conflicts, so Slack's retried events are handled once across processes.

A server restart kills every pooled connection at once. The pool checks a connection
before handing it out (one empty round trip), and a statement whose connection died
under it runs once more on a fresh one, so a restart costs no turn and no dispatch pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from bot.interfaces import JsonObject, Record, Store, StoreError
from bot.storage.urls import redact

__all__ = ["MIGRATIONS", "PostgresStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Connection = psycopg.Connection[Any]

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
        try:
            # Fail fast and clearly when the server is not there; the pool would retry
            # quietly until its timeout.
            psycopg.connect(url, connect_timeout=5).close()
            self._pool = ConnectionPool(url, min_size=min_size, max_size=max_size,
                                        kwargs={"autocommit": True}, open=True, timeout=10,
                                        check=ConnectionPool.check_connection)
            self._pool.wait(timeout=10)
        except Exception as exc:
            raise StoreError(f"cannot reach PostgreSQL at {redact(url)}: {exc}") from exc
        self.migrate()

    def migrate(self) -> list[int]:
        """Apply migrations not yet applied; returns their versions. Idempotent."""
        def run(conn: Connection) -> list[int]:
            applied: list[int] = []
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                conn.execute("""CREATE TABLE IF NOT EXISTS notnow_migrations (
                    version integer PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())""")
                done = {row[0] for row in conn.execute("SELECT version FROM notnow_migrations")}
                for version, sql in MIGRATIONS:
                    if version not in done:
                        conn.execute(sql)
                        conn.execute("INSERT INTO notnow_migrations (version) VALUES (%s)",
                                     (version,))
                        applied.append(version)
            return applied

        return self._run(run)

    def read(self, namespace: str, key: str) -> Record | None:
        row = self._one("SELECT doc FROM notnow_records WHERE namespace = %s AND key = %s",
                        (namespace, key))
        return row[0] if row else None  # type: ignore[return-value]  # jsonb -> dict

    def read_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record]:
        rows = self._all(
            "SELECT key, doc FROM notnow_records WHERE namespace = %s AND key = ANY(%s)",
            (namespace, list(keys)))
        return {key: doc for key, doc in rows}  # type: ignore[misc]  # text, jsonb -> dict

    def write(self, namespace: str, key: str, record: JsonObject) -> None:
        self._one(
            """INSERT INTO notnow_records (namespace, key, doc) VALUES (%s, %s, %s)
               ON CONFLICT (namespace, key)
               DO UPDATE SET doc = EXCLUDED.doc, updated_at = now() RETURNING 1""",
            (namespace, key, Jsonb(record)),
        )

    def replace(self, namespace: str, key: str, record: JsonObject, *,
                expected: JsonObject | None) -> bool:
        if expected is None:
            sql = """INSERT INTO notnow_records (namespace, key, doc) VALUES (%s, %s, %s)
                     ON CONFLICT (namespace, key) DO NOTHING RETURNING 1"""
            params: tuple[object, ...] = (namespace, key, Jsonb(record))
        else:
            sql = """UPDATE notnow_records SET doc = %s, updated_at = now()
                     WHERE namespace = %s AND key = %s AND doc = %s RETURNING 1"""
            params = (Jsonb(record), namespace, key, Jsonb(expected))

        def run(conn: Connection) -> bool:
            return conn.execute(sql, params).fetchone() is not None

        def landed(conn: Connection) -> bool:
            """After a lost connection the first try may have committed: then the
            record is already ours, and "someone changed it" would be wrong."""
            if run(conn):
                return True
            row = conn.execute("SELECT doc FROM notnow_records WHERE namespace = %s "
                               "AND key = %s", (namespace, key)).fetchone()
            return row is not None and row[0] == record

        return self._run(run, again=landed)

    def delete(self, namespace: str, key: str) -> None:
        self._all("DELETE FROM notnow_records WHERE namespace = %s AND key = %s RETURNING 1",
                  (namespace, key))

    def keys(self, namespace: str) -> Iterator[str]:
        rows = self._all("SELECT key FROM notnow_records WHERE namespace = %s", (namespace,))
        return iter([str(row[0]) for row in rows])

    def namespaces(self) -> list[str]:
        rows = self._all(
            "SELECT DISTINCT namespace FROM notnow_records ORDER BY namespace", ())
        return [str(row[0]) for row in rows]

    def _one(self, sql: str, params: tuple[object, ...]) -> tuple[object, ...] | None:
        return self._run(lambda conn: conn.execute(sql, params).fetchone())

    def _all(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        return self._run(lambda conn: conn.execute(sql, params).fetchall())

    def _run(self, work: Callable[[Connection], T], *,
             again: Callable[[Connection], T] | None = None) -> T:
        """Run ``work`` on a pooled connection; if that connection died under it (a
        server restart, a dropped network path), run ``again`` (by default ``work``)
        once on a fresh one. Every statement here is safe to repeat.

        :raises StoreError: on any database error, or a second lost connection.
        """
        try:
            try:
                return self._attempt(work)
            except _ConnectionLost as lost:
                log.warning("PostgreSQL connection lost (%s); trying once more",
                            type(lost.__cause__).__name__)
            return self._attempt(again or work)
        except _ConnectionLost as lost:
            raise StoreError(f"PostgreSQL: connection lost twice: {lost.__cause__}") from lost
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {exc}") from exc

    def _attempt(self, work: Callable[[Connection], T]) -> T:
        with self._pool.connection() as conn:
            try:
                return work(conn)
            except psycopg.OperationalError as exc:
                if conn.closed:  # the pool replaces it when we give it back
                    raise _ConnectionLost() from exc
                raise

    def close(self) -> None:
        self._pool.close()


class _ConnectionLost(Exception):
    """The connection died while a statement ran; its cause is psycopg's error."""

