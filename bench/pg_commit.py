"""A turn's writes on a durable PostgreSQL: one ``commit`` against one statement each.

The ops are those of the turn that plans a cadence: the person (expected to be as it was
read), nine new check-ins, their nine due-index entries, and the event id the turn acted
on (for dedupe): twenty writes. Three ways of writing them, taken in turn within each
round so a slow disk moment hits all three:

- ``commit``: ``PostgresStore.commit``, one transaction whose statements are pipelined
  (two round trips, one WAL flush);
- ``tx, a round trip each``: the same transaction, each statement waiting for its answer
  (what the commit would cost without the pipeline);
- ``autocommit each``: the writes as the store made them before ``commit`` existed
  (``replace``, ``add``, ``write``), each its own transaction and its own WAL flush.

    .venv/bin/python bench/pg_commit.py [--rounds 200] [--pg-url URL]

The server is started with PostgreSQL's durable defaults (fsync and synchronous_commit
on), as bench/common.py's ``BenchPostgres`` does.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BenchPostgres, fmt_ms, fmt_ratio, machine, print_table, summarise
from bot.interfaces import UNCONDITIONAL, Delete, Op, Put, Record
from bot.storage.postgres import PostgresStore, _statement

CHECK_INS = 9
PERSON_PADDING = "x" * 3000  # a person record of a few kB, as after a full run
NUDGE_PADDING = "y" * 400


def turn_ops(round_: int, way: str, person: Record) -> tuple[list[Op], Record]:
    """The ops of one plan turn for ``way``'s person, and the person as written."""
    written = {**person, "turn": round_, "pad": PERSON_PADDING}
    ops: list[Op] = [Put("people", f"{way}:person", written, expected=person)]
    for n in range(CHECK_INS):
        nudge_id = f"{way}-{round_}-{n}"
        ops.append(Put("nudges", nudge_id, {"id": nudge_id, "state": "planned",
                                             "pad": NUDGE_PADDING}, expected=None))
        ops.append(Put("nudge_due", f"2027-01-{n + 1:02d}T09:00:00+00:00|{nudge_id}", {}))
    ops.append(Put("events", f"{way}:Ev{round_}", {"at": round_}, expected=None))
    return ops, written


def one_commit(store: PostgresStore, ops: Sequence[Op]) -> None:
    if not store.commit(ops):
        raise SystemExit("a commit was refused: the bench's expectations are wrong")


def round_trip_each(store: PostgresStore, ops: Sequence[Op]) -> None:
    """The same transaction as ``commit``, without the pipeline."""
    def run(conn: object) -> None:
        import psycopg

        assert isinstance(conn, psycopg.Connection)
        with conn.transaction():
            for sql, params, must_touch in map(_statement, ops):
                if conn.execute(sql, params).fetchone() is None and must_touch:
                    raise SystemExit("a write was refused: the bench's expectations are wrong")

    store._run(run)  # the store's own pool and retry


def autocommit_each(store: PostgresStore, ops: Sequence[Op]) -> None:
    """Each op as its own statement, as the callers wrote before ``commit``."""
    for op in ops:
        if isinstance(op, Delete):
            store.delete(op.namespace, op.key)
        elif op.expected is UNCONDITIONAL:
            store.write(op.namespace, op.key, op.record)
        else:
            expected = op.expected if isinstance(op.expected, dict) else None
            if not store.replace(op.namespace, op.key, op.record, expected=expected):
                raise SystemExit("a write was refused: the bench's expectations are wrong")


WAYS: dict[str, Callable[[PostgresStore, Sequence[Op]], None]] = {
    "commit (pipelined transaction)": one_commit,
    "transaction, a round trip each": round_trip_each,
    "autocommit each (before commit)": autocommit_each,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args(argv)

    with BenchPostgres(url=args.pg_url) as pg:
        store = PostgresStore(pg.database("notnow_bench_commit"))
        names = list(WAYS)
        people: dict[str, Record] = {}
        for way in names:
            people[way] = {"name": way}
            store.write("people", f"way{names.index(way)}:person", people[way])
        samples: dict[str, list[float]] = {way: [] for way in names}
        for round_ in range(args.rounds + 10):  # the first ten warm the pool and caches
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for way in order:
                ops, written = turn_ops(round_, f"way{names.index(way)}", people[way])
                started = time.perf_counter()
                WAYS[way](store, ops)
                if round_ >= 10:
                    samples[way].append(time.perf_counter() - started)
                people[way] = written
        store.close()
        settings = pg.settings

    baseline = summarise(samples[names[-1]]).median
    rows = []
    for way in names:
        summary = summarise(samples[way])
        rows.append([way, fmt_ms(summary.median), fmt_ms(summary.p99),
                     fmt_ratio(summary.median / baseline)])
    print_table(f"A plan turn's {2 * CHECK_INS + 2} writes on PostgreSQL ({settings}), "
                f"{args.rounds} rounds, {machine()}",
                ["way", "median ms", "p99 ms", "vs autocommit each"], rows)


if __name__ == "__main__":
    main()
