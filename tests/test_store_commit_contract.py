"""The contract of ``Store.commit``, ``keys_through`` and ``lease`` on every store.

A turn is one commit, and a dispatcher makes one per claim and one per mark, so these
three methods carry every durable write the bot makes: all or nothing, in order, and a
due index read in bytewise key order, a page at a time. The PostgreSQL-only tests at the
end cover what only a shared database has: concurrent writers, concurrent dispatchers and
a connection that dies in the middle of a commit.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from itertools import islice
from typing import Any

import psycopg
import pytest

from bot.interfaces import Delete, Op, Put, Store
from bot.storage.postgres import PostgresStore
from tests.conftest import fresh_postgres_store

NS = "things"
DUE = "nudge_due"


def test_a_failing_expectation_in_the_last_op_applies_none(store: Store) -> None:
    store.write(NS, "held", {"v": 1})
    ops: list[Op] = [Put(NS, "a", {"v": "a"}), Delete(NS, "held"),
                     Put(NS, "b", {"v": "b"}, expected=None),
                     Put(NS, "held", {"v": 3}, expected={"v": 2})]
    assert store.commit(ops) is False
    assert store.read(NS, "a") is None and store.read(NS, "b") is None
    assert store.read(NS, "held") == {"v": 1}


def test_expected_none_means_absent(store: Store) -> None:
    assert store.commit([Put(NS, "k", {"v": 1}, expected=None)]) is True
    assert store.commit([Put(NS, "k", {"v": 2}, expected=None)]) is False
    assert store.read(NS, "k") == {"v": 1}


def test_expected_record_must_match_the_stored_one(store: Store) -> None:
    store.write(NS, "k", {"v": 1, "nested": {"a": [1, 2]}})
    assert store.commit([Put(NS, "k", {"v": 2}, expected={"v": 1, "nested": {"a": [2, 1]}})]) \
        is False
    assert store.commit([Put(NS, "k", {"v": 2}, expected={"v": 1, "nested": {"a": [1, 2]}})]) \
        is True
    assert store.read(NS, "k") == {"v": 2}
    assert store.commit([Put(NS, "absent", {"v": 1}, expected={"v": 0})]) is False
    assert store.read(NS, "absent") is None


def test_unconditional_puts_create_and_overwrite(store: Store) -> None:
    store.write(NS, "old", {"v": 1})
    assert store.commit([Put(NS, "old", {"v": 2}), Put(NS, "new", {"w": 1})]) is True
    assert store.read(NS, "old") == {"v": 2} and store.read(NS, "new") == {"w": 1}


def test_deletes_inside_a_commit(store: Store) -> None:
    store.write(NS, "gone", {"v": 1})
    assert store.commit([Delete(NS, "gone"), Delete(NS, "never-was"),
                         Put("other", "k", {"v": 1})]) is True
    assert store.read(NS, "gone") is None and store.read("other", "k") == {"v": 1}


def test_ops_apply_in_order(store: Store) -> None:
    assert store.commit([Put(NS, "k", {"v": 1}), Delete(NS, "k")]) is True
    assert store.read(NS, "k") is None
    store.write(NS, "j", {"v": 0})
    assert store.commit([Delete(NS, "j"), Put(NS, "j", {"v": 1}), Put(NS, "j", {"v": 2})]) \
        is True
    assert store.read(NS, "j") == {"v": 2}


def test_an_empty_commit_succeeds_and_writes_nothing(store: Store) -> None:
    assert store.commit([]) is True
    assert store.namespaces() == []


def test_keys_through_bounds_order_and_after(store: Store) -> None:
    for key in ["k05", "k01", "k03", "k04", "k02"]:
        store.write(NS, key, {})
    store.write("elsewhere", "k02", {})
    assert list(store.keys_through(NS, "k04")) == ["k01", "k02", "k03", "k04"]
    assert list(store.keys_through(NS, "k04", after="k02")) == ["k03", "k04"]
    assert list(store.keys_through(NS, "k035", after="k01")) == ["k02", "k03"]
    assert list(store.keys_through(NS, "k00")) == []
    assert list(store.keys_through("nothing", "z")) == []


DUE_KEYS = [  # due-index shapes: an ISO time with its offset, then "|" and an id
    "2026-11-28T09:00:00+00:00|b",
    "2026-11-28T09:00:00+00:00|b-2",
    "2026-11-28T09:00:00+00:00|b:1",
    "2026-11-28T09:00:00+00:00|c",
    "2026-11-28T09:00:00-05:00|a",
    "2026-11-28T09:00:01+00:00|a",
    "2026-11-28T10:00:00+00:00|a",
    "2026-11-28T10:00:00+00:00|a+b",
]


def test_keys_through_compares_bytewise(store: Store) -> None:
    for key in reversed(DUE_KEYS):
        store.write(DUE, key, {})
    assert sorted(DUE_KEYS, key=str.encode) == DUE_KEYS
    assert list(store.keys_through(DUE, "2026-11-28T23:59:59+00:00|")) == DUE_KEYS
    assert list(store.keys_through(DUE, DUE_KEYS[4], after=DUE_KEYS[1])) == DUE_KEYS[2:5]


def test_lease_returns_keys_in_range_up_to_the_limit(store: Store) -> None:
    for n in range(1, 8):
        store.write(DUE, f"t{n}", {})
    taken = store.lease(DUE, after="t1", through="t6", limit=3, holder="one", now="0",
                        until="5")
    assert taken == ["t2", "t3", "t4"]


# -- PostgreSQL only ---------------------------------------------------------------------


@pytest.fixture
def pg(postgres_url: str) -> Iterator[PostgresStore]:
    store = fresh_postgres_store(postgres_url)
    assert isinstance(store, PostgresStore)
    yield store
    store.close()


def test_pg_keys_through_reads_page_by_page(pg: PostgresStore) -> None:
    """A key added past the page being read is still seen: later pages are read when
    the iterator gets there, not up front (pages are 500 keys: a few of them here)."""
    count = 1210
    assert pg.commit([Put(DUE, f"k{n:05d}", {}) for n in range(count)])
    keys = pg.keys_through(DUE, "k99999")
    first_three = list(islice(keys, 3))
    pg.write(DUE, f"k{count - 5:05d}a", {})  # in the third page
    pg.write(DUE, "k00000a", {})  # behind the cursor: not seen
    rest = list(keys)
    assert first_three == ["k00000", "k00001", "k00002"]
    assert f"k{count - 5:05d}a" in rest and "k00000a" not in rest
    assert len(first_three) + len(rest) == count + 1


def test_pg_keys_through_is_bytewise_whatever_the_database_collation(
        postgres_url: str) -> None:
    """In an en-US collation "+" and "|" count for little, so ``...|b-2`` would come
    before ``...|b`` and a ``-05:00`` time before its ``+00:00`` neighbours."""
    database = "notnow_icu_en"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE template0 '
                     "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
        unordered = conn.execute(
            "SELECT array_agg(k ORDER BY k COLLATE \"en-US-x-icu\") FROM unnest(%s::text[]) k",
            (DUE_KEYS,)).fetchone()
    assert unordered is not None and unordered[0] != DUE_KEYS  # the trap is real
    store = PostgresStore(postgres_url.rsplit("/", 1)[0] + "/" + database)
    try:
        store.commit([Put(DUE, key, {}) for key in reversed(DUE_KEYS)])
        assert list(store.keys_through(DUE, "2026-11-29")) == DUE_KEYS
        assert store.lease(DUE, after="", through="2026-11-29", limit=3, holder="h",
                           now="0", until="1") == DUE_KEYS[:3]
    finally:
        store.close()


def test_pg_a_pass_with_nothing_due_uses_the_bytewise_index(pg: PostgresStore,
                                                            postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("""INSERT INTO notnow_records (namespace, key, doc)
                        SELECT 'nudge_due', '2027-' || lpad(n::text, 6, '0') || '|x', '{}'
                        FROM generate_series(1, 20000) n""")
        conn.execute("ANALYZE notnow_records")
        plan = "\n".join(str(row[0]) for row in conn.execute(
            """EXPLAIN SELECT key FROM notnow_records WHERE namespace = 'nudge_due'
               AND key COLLATE "C" > '' AND key COLLATE "C" <= '2026-11-28T10:00:00+00:00|'
               ORDER BY key COLLATE "C" LIMIT 500"""))
    assert "notnow_records_key_bytewise" in plan, plan
    assert list(pg.keys_through(DUE, "2026-11-28T10:00:00+00:00|")) == []


def test_pg_two_holders_lease_disjoint_batches(pg: PostgresStore) -> None:
    keys = [f"t{n:03d}" for n in range(100)]
    pg.commit([Put(DUE, key, {}) for key in keys])
    batches: dict[str, list[str]] = {"one": [], "two": []}
    start = threading.Barrier(2)

    def take(holder: str) -> None:
        """As a dispatcher does: each batch starts after the last key of the one before."""
        start.wait()
        after = ""
        while batch := pg.lease(DUE, after=after, through="t999", limit=7, holder=holder,
                                now="2026-01-01T00:00", until="2026-01-01T00:02"):
            batches[holder].extend(batch)
            after = batch[-1]

    threads = [threading.Thread(target=take, args=(holder,)) for holder in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not set(batches["one"]) & set(batches["two"])
    assert sorted(batches["one"] + batches["two"]) == keys


def test_pg_a_lease_keeps_others_out_until_it_ends(pg: PostgresStore) -> None:
    pg.commit([Put(DUE, f"t{n}", {"n": n}) for n in range(1, 6)])
    lease: dict[str, Any] = {"after": "", "through": "t9", "limit": 3}
    assert pg.lease(DUE, **lease, holder="one", now="10:00", until="10:02") == \
        ["t1", "t2", "t3"]
    assert pg.read(DUE, "t1") == {"n": 1, "lease_holder": "one", "lease_until": "10:02"}
    assert pg.lease(DUE, **lease, holder="two", now="10:01", until="10:03") == ["t4", "t5"]
    # the same holder takes its own keys again, and pushes its lease on
    assert pg.lease(DUE, **lease, holder="one", now="10:01", until="10:04") == \
        ["t1", "t2", "t3"]
    assert pg.lease(DUE, **lease, holder="two", now="10:03", until="10:05") == \
        ["t4", "t5"]
    # one's lease has ended: two takes those keys
    assert pg.lease(DUE, **lease, holder="two", now="10:04", until="10:06") == \
        ["t1", "t2", "t3"]
    assert pg.read(DUE, "t2") == {"n": 2, "lease_holder": "two", "lease_until": "10:06"}


def test_pg_two_commits_expecting_the_same_record_one_wins(pg: PostgresStore) -> None:
    for round_ in range(20):
        key = f"person{round_}"
        pg.write(NS, key, {"v": 0})
        start = threading.Barrier(2)
        results: dict[str, bool] = {}

        def save(writer: str, key: str = key, start: threading.Barrier = start,
                 results: dict[str, bool] = results) -> None:
            start.wait()
            results[writer] = pg.commit([Put(NS, f"{key}-{writer}-side", {"v": writer}),
                                         Put(NS, key, {"v": writer}, expected={"v": 0})])

        threads = [threading.Thread(target=save, args=(w,)) for w in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        [winner] = [writer for writer, won in results.items() if won]
        loser = "b" if winner == "a" else "a"
        assert pg.read(NS, key) == {"v": winner}
        assert pg.read(NS, f"{key}-{winner}-side") == {"v": winner}
        assert pg.read(NS, f"{key}-{loser}-side") is None


def _backend_waiting_on_a_lock(conn: psycopg.Connection[Any], *, other_than: int = 0) -> int:
    """The server process of the commit blocked on the held row (not ``other_than``: a
    killed one lingers in pg_stat_activity for a moment)."""
    for _ in range(500):
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database() AND pid <> %s",
                           (other_than,)).fetchone()
        if row:
            return int(row[0])
        time.sleep(0.01)
    raise AssertionError("the commit never reached the locked row")


@pytest.mark.parametrize("other_writer", ["rolls back", "commits a change"])
def test_pg_a_connection_killed_mid_commit_lands_whole_or_not_at_all(
        pg: PostgresStore, postgres_url: str, other_writer: str) -> None:
    """The commit blocks on a row another transaction holds; its backend is killed
    there. It is tried again on a fresh connection: when the other writer rolls back it
    lands whole, and when the other writer changed the row it is refused, with nothing
    of it applied."""
    pg.write(NS, "person", {"v": 0})
    ops = [Put(NS, "side", {"v": 1}), Put(NS, "person", {"v": 1}, expected={"v": 0}),
           Put(NS, "event", {"v": 1}, expected=None)]
    outcome: list[bool | BaseException] = []
    with psycopg.connect(postgres_url, autocommit=True) as watcher, \
            psycopg.connect(postgres_url) as other:
        other.execute("UPDATE notnow_records SET doc = '{\"v\": 9}' "
                      "WHERE namespace = %s AND key = 'person'", (NS,))

        def commit() -> None:
            try:
                outcome.append(pg.commit(ops))
            except BaseException as exc:  # reported by the assertion below
                outcome.append(exc)

        thread = threading.Thread(target=commit)
        thread.start()
        victim = _backend_waiting_on_a_lock(watcher)
        watcher.execute("SELECT pg_terminate_backend(%s)", (victim,))
        _backend_waiting_on_a_lock(watcher, other_than=victim)  # tried again, waits again
        if other_writer == "rolls back":
            other.rollback()
        else:
            other.commit()
        thread.join(30)
    if other_writer == "rolls back":
        assert outcome == [True]
        assert [pg.read(NS, k) for k in ("side", "person", "event")] == [{"v": 1}] * 3
    else:
        assert outcome == [False]
        assert [pg.read(NS, k) for k in ("side", "person", "event")] == [None, {"v": 9}, None]


class _CutAfterCommit:
    """A loopback TCP proxy to PostgreSQL that, once armed, drops the connection the
    moment the server's "COMMIT done" reply passes through, before the client sees it:
    the transaction is durable on the server, and the client only knows its connection
    died."""

    COMMIT_DONE = b"C\x00\x00\x00\x0bCOMMIT\x00"  # CommandComplete, tag "COMMIT"

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.armed = threading.Event()
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self._target))
            threading.Thread(target=self._pump, args=(client, server, False),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_server: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_server and self.armed.is_set() and self.COMMIT_DONE in data:
                    self.armed.clear()
                    self.cut.set()
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self._listener.close()


def test_pg_a_commit_that_landed_before_its_connection_died_reports_true(
        postgres_url: str) -> None:
    """Tried again blindly, the commit's ``expected`` would no longer hold and it would
    say "someone changed it" about its own write."""
    port = int(postgres_url.rsplit(":", 1)[1].split("/", 1)[0])
    proxy = _CutAfterCommit(port)
    url = postgres_url.replace(f":{port}/", f":{proxy.port}/")
    store = fresh_postgres_store(url)
    try:
        store.write(NS, "person", {"v": 0})
        store.write(NS, "stale", {"v": 0})
        ops: list[Op] = [Put(NS, "person", {"v": 1}, expected={"v": 0}),
                         Put(NS, "event", {"at": "x"}, expected=None), Delete(NS, "stale")]
        proxy.armed.set()
        assert store.commit(ops) is True
        assert proxy.cut.is_set()
        assert store.read(NS, "person") == {"v": 1} and store.read(NS, "stale") is None
    finally:
        store.close()
        proxy.close()
