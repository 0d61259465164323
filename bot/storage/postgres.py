"""PostgreSQL: the store for several bot processes sharing one truth.

The same narrow contract as every store, kept in one table of JSON documents keyed by
(namespace, key). PostgreSQL does what TinyDB cannot: many writers at once. ``replace``
is a single conditional statement, so two dispatchers cannot both claim a nudge and two
processes cannot save over each other's turn; ``add`` is an insert that ignores
conflicts, so Slack's retried events are handled once across processes.

A turn's writes go in one :meth:`PostgresStore.commit`: one transaction, its statements
pipelined (two round trips whatever the number of ops). Keys are compared bytewise
(``COLLATE "C"``) wherever order matters, because a database's own collation (en_US and
the like) skips punctuation and would put ``...T09:00|b`` and ``...T10:00|a`` in the
wrong order; an index in that collation serves :meth:`PostgresStore.keys_through` and
:meth:`PostgresStore.lease`, so a dispatch pass with nothing due reads nothing.

A server restart kills every pooled connection at once. The pool checks a connection
before handing it out (one empty round trip), and a statement whose connection died
under it runs once more on a fresh one, so a restart costs no turn and no dispatch pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from bot.interfaces import (
    UNCONDITIONAL,
    Delete,
    JsonObject,
    Op,
    Put,
    Record,
    Store,
    StoreError,
)
from bot.storage.urls import redact

__all__ = ["MIGRATIONS", "PostgresStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Connection = psycopg.Connection[Any]

MIGRATION_LOCK = 7_315_004  # any constant: serialises migrations of concurrent starts
KEYS_PAGE = 500  # keys_through reads this many keys per query

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
    # keys_through and lease compare keys bytewise; the primary key's index is in the
    # database's collation and cannot serve those ranges
    (2, """
        CREATE INDEX IF NOT EXISTS notnow_records_key_bytewise
            ON notnow_records (namespace, key COLLATE "C")
    """),
]

_INSERT_NEW = """INSERT INTO notnow_records (namespace, key, doc) VALUES (%s, %s, %s)
                 ON CONFLICT (namespace, key) DO NOTHING RETURNING 1"""
_UPDATE_EXPECTED = """UPDATE notnow_records SET doc = %s, updated_at = now()
                      WHERE namespace = %s AND key = %s AND doc = %s RETURNING 1"""
_UPSERT = """INSERT INTO notnow_records (namespace, key, doc) VALUES (%s, %s, %s)
             ON CONFLICT (namespace, key)
             DO UPDATE SET doc = EXCLUDED.doc, updated_at = now() RETURNING 1"""
_DELETE = "DELETE FROM notnow_records WHERE namespace = %s AND key = %s"
_KEYS_PAGE = """SELECT key FROM notnow_records
                WHERE namespace = %s AND key COLLATE "C" > %s AND key COLLATE "C" <= %s
                ORDER BY key COLLATE "C" LIMIT %s"""
# Rows another dispatcher's transaction holds are skipped, not waited for; a row whose
# lease has not ended by ``now`` (and is someone else's) is left alone.
_LEASE = """WITH picked AS (
                SELECT namespace, key FROM notnow_records
                WHERE namespace = %(namespace)s
                  AND key COLLATE "C" > %(after)s AND key COLLATE "C" <= %(through)s
                  AND (doc->>'lease_until' IS NULL
                       OR doc->>'lease_until' COLLATE "C" <= %(now)s
                       OR doc->>'lease_holder' = %(holder)s)
                ORDER BY key COLLATE "C"
                LIMIT %(limit)s
                FOR UPDATE SKIP LOCKED)
            UPDATE notnow_records AS r
            SET doc = r.doc || jsonb_build_object('lease_holder', %(holder)s::text,
                                                  'lease_until', %(until)s::text),
                updated_at = now()
            FROM picked WHERE r.namespace = picked.namespace AND r.key = picked.key
            RETURNING r.key"""


def _statement(op: Op) -> tuple[str, tuple[object, ...], bool]:
    """The SQL for one op of a commit, its parameters, and whether it must touch a row
    (an expectation that fails otherwise)."""
    if isinstance(op, Delete):
        return _DELETE, (op.namespace, op.key), False
    if op.expected is None:
        return _INSERT_NEW, (op.namespace, op.key, Jsonb(op.record)), True
    if op.expected is UNCONDITIONAL:
        return _UPSERT, (op.namespace, op.key, Jsonb(op.record)), False
    expected = cast("JsonObject", op.expected)
    return _UPDATE_EXPECTED, (Jsonb(op.record), op.namespace, op.key, Jsonb(expected)), True


def _final_state(ops: Sequence[Op]) -> dict[tuple[str, str], JsonObject | None]:
    """What each key touched by ``ops`` holds once they are applied in order."""
    final: dict[tuple[str, str], JsonObject | None] = {}
    for op in ops:
        final[(op.namespace, op.key)] = op.record if isinstance(op, Put) else None
    return final


class _Refused(Exception):
    """An expectation of a commit did not hold: roll the transaction back."""


class PostgresStore(Store):
    """``PostgresStore("postgresql://user@host/db")``; migrates on open (safe to rerun)."""

    leases = True  # several processes may dispatch from one database

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

    def commit(self, ops: Sequence[Op]) -> bool:
        """One transaction, pipelined: every statement is sent at once, the results come
        back in one round trip, then ``COMMIT`` (or ``ROLLBACK`` when an expectation
        failed) in a second. After a lost connection the commit may have landed: if
        every key holds what the ops leave there, it did, and it is not tried again."""
        if not ops:
            return True
        statements = [_statement(op) for op in ops]

        def run(conn: Connection) -> bool:
            try:
                with conn.pipeline() as pipeline, conn.transaction():
                    cursors = [(conn.execute(sql, params), must_touch)
                               for sql, params, must_touch in statements]
                    pipeline.sync()
                    if any(must_touch and cursor.fetchone() is None
                           for cursor, must_touch in cursors):
                        raise _Refused
            except _Refused:
                return False
            return True

        def landed_or_run(conn: Connection) -> bool:
            return self._holds(conn, _final_state(ops)) or run(conn)

        return self._run(run, again=landed_or_run)

    @staticmethod
    def _holds(conn: Connection, final: dict[tuple[str, str], JsonObject | None]) -> bool:
        """Every key holds what ``final`` says (``None``: absent)."""
        rows = conn.execute(
            """SELECT namespace, key, doc FROM notnow_records
               WHERE (namespace, key) IN (SELECT * FROM unnest(%s::text[], %s::text[]))""",
            ([ns for ns, _ in final], [key for _, key in final])).fetchall()
        stored = {(ns, key): doc for ns, key, doc in rows}
        return all(stored.get(address) == record for address, record in final.items())

    def keys_through(self, namespace: str, last: str, *, after: str = "") -> Iterator[str]:
        """Pages of :data:`KEYS_PAGE` keys, each query starting after the last key of
        the one before, through the bytewise index: a pass that stops early, or finds
        nothing due, reads only what it uses."""
        while True:
            page = [str(row[0]) for row in
                    self._all(_KEYS_PAGE, (namespace, after, last, KEYS_PAGE))]
            yield from page
            if len(page) < KEYS_PAGE:
                return
            after = page[-1]

    def lease(self, namespace: str, *, after: str, through: str, limit: int, holder: str,
              now: str, until: str) -> list[str]:
        """One statement: ``FOR UPDATE SKIP LOCKED`` picks keys no concurrent lease is
        taking, and the update stamps ``lease_holder`` and ``lease_until`` into their
        documents, so a later lease (by another process) sees them taken until then."""
        rows = self._all(_LEASE, {"namespace": namespace, "after": after, "through": through,
                                  "limit": limit, "holder": holder, "now": now,
                                  "until": until})
        return sorted(str(row[0]) for row in rows)  # code point order is UTF-8 byte order

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

    def _all(self, sql: str, params: tuple[object, ...] | dict[str, object]
             ) -> list[tuple[object, ...]]:
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

