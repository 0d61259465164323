"""A dispatcher pass against a large due index: nothing due, then everything due.

The scheduler wakes the dispatcher every minute, so what a pass costs when nothing is due
is paid all day long; and on a busy morning what matters is how soon the first check-in
goes out, not only how fast the rest follow. Issue 13's goals: a pass over 100,000
due-index entries with nothing due under 10 ms, and sending that starts before the whole
due set is read (before the change: 12 s before the first send with 100,000 due).

1. Nothing due: 100,000 due-index entries (``nudge_due``, keyed ``<when>|<nudge id>``,
   written straight into the store as the nudge book writes them), all of them later
   than now. Timed: the nudge book's ``due`` (what the dispatcher reads), consumed whole,
   and a whole ``NudgeDispatcher.send_due()`` pass; several passes each, median and max.
2. All due: people who finished the scripted run, every active check-in of theirs due
   now (100,000 check-ins; 14,286 people with seven each), the real ``SlackNudgeSender``
   posting to the Slack stand-in in this process. Timed: from calling ``send_due()`` to
   the first check-in accepted by the stand-in; then the pass is cancelled.

TinyDB and PostgreSQL (durable by default), each store filled fresh.

    .venv/bin/python bench/due_pass.py [--entries 100000] [--passes 5]
        [--stores tinydb,postgres] [--dir /tmp] [--pg-url URL] [--pg-fast] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.slack.client import make_web_client
from adapters.slack.nudges import SlackNudgeSender
from bench.common import (
    FULL_RUN,
    START,
    BenchPostgres,
    BenchStandIn,
    add_store_options,
    capture,
    check_finished,
    clone_rows,
    fmt_ms,
    machine,
    new_coach,
    open_backend,
    play,
    print_table,
    summarise,
    tinydb_without_fsync,
    write_rows,
)
from bot.clock import ManualClock
from bot.interfaces import Record, Store
from bot.messages import Reply, UserRef
from bot.nudges.book import ACTIVE_STATES, DUE
from bot.nudges.dispatcher import NudgeDispatcher
from bot.settings import Settings
from bot.storage import MemoryStore
from tests.conversation import Conversation

TEAM = "T0DUEPASS"
TOKEN = "xoxb-bench-due-pass"
DUE_AT = START - timedelta(hours=1)  # Friday 09:00 UTC: inside the default window
CHUNK = 5_000  # records written per batch while filling
GOAL_MS = 10.0


# -- filling ------------------------------------------------------------------------------


def future_entries(count: int) -> list[tuple[str, str, Record]]:
    """``count`` due-index entries spread over the coming year, none due at ``START``."""
    first = START + timedelta(hours=1)
    step = timedelta(days=365) / count
    return [(DUE, f"{(first + i * step).isoformat()}|{time.time_ns():016x}"
             f"{secrets.token_hex(4)}", {}) for i in range(count)]


def write_fast(store: Store, rows: Sequence[tuple[str, str, Record]], pg_url: str | None) -> float:
    """Write ``rows`` in batches (TinyDB without an fsync per file, then one sync;
    PostgreSQL in pipelined transactions); returns seconds taken."""
    started = time.perf_counter()
    with tinydb_without_fsync():
        for first in range(0, len(rows), CHUNK):
            write_rows(store, rows[first:first + CHUNK], pg_url=pg_url)
    analyse(pg_url)
    return time.perf_counter() - started


def analyse(pg_url: str | None) -> None:
    """What autovacuum would soon do after a bulk load: fresh planner statistics."""
    if pg_url is None:
        return
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ANALYZE notnow_records")


def finished_person() -> tuple[Record, list[Record]]:
    """One person at the end of the scripted run, and their check-ins."""
    store = MemoryStore()
    user = UserRef("slack", TEAM, "U0TEMPLATE")
    conv = Conversation(new_coach(store), user)
    for step in FULL_RUN:
        play(conv, step)
    check_finished(store, user, nudges=9)
    return capture(store, user)


def all_due_rows(count: int) -> list[tuple[str, str, Record]]:
    """Enough finished people that ``count`` check-ins are due now (every active one)."""
    person, nudges = finished_person()
    active = sum(1 for nudge in nudges if nudge["state"] in ACTIVE_STATES)

    def make_due(nudge: Record) -> None:
        if nudge["state"] in ACTIVE_STATES:
            nudge["due_at"] = DUE_AT.isoformat()

    people = -(-count // active)
    return [row for i in range(people) for row in
            clone_rows(person, nudges, UserRef("slack", TEAM, f"U{i:07d}"),
                       change_nudge=make_due)]


# -- measuring ----------------------------------------------------------------------------


def due_now(store: Store) -> int:
    """What the dispatcher reads to find due check-ins, consumed whole."""
    coach = new_coach(store, ManualClock(START))
    return sum(1 for _ in coach.nudge_book.due(START))


class FirstSend:
    """The real Slack sender, noting when its first check-in was accepted by Slack."""

    platform = "slack"

    def __init__(self, inner: SlackNudgeSender) -> None:
        self._inner = inner
        self.first = asyncio.Event()
        self.at: float | None = None

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        await self._inner.deliver(user, replies, nudge_id=nudge_id)
        if self.at is None:
            self.at = time.perf_counter()
            self.first.set()

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        return await self._inner.was_delivered(user, nudge_id)


async def passes_with_nothing_due(store: Store, count: int) -> dict[str, list[float]]:
    """``count`` timed ``due`` reads and ``count`` timed ``send_due`` passes."""
    clock = ManualClock(START)
    coach = new_coach(store, clock)
    dispatcher = NudgeDispatcher.using(coach, senders={})
    timings: dict[str, list[float]] = {"due": [], "send_due": []}
    for _ in range(count):
        started = time.perf_counter()
        found = sum(1 for _ in coach.nudge_book.due(clock.now()))
        timings["due"].append(time.perf_counter() - started)
        if found:
            raise RuntimeError(f"{found} check-ins due; none should be")
        started = time.perf_counter()
        report = await dispatcher.send_due()
        timings["send_due"].append(time.perf_counter() - started)
        if report.summary() != "nothing due":
            raise RuntimeError(f"a pass with nothing due did: {report.summary()}")
    return timings


async def time_to_first_send(store: Store, timeout: float) -> float:
    """Seconds from calling ``send_due()`` to the first check-in accepted by the
    stand-in; the rest of the pass is cancelled."""
    async with BenchStandIn(team=TEAM) as standin, aiohttp.ClientSession() as session:
        settings = Settings(_env_file=None, slack_api_url=standin.api_url)  # type: ignore[call-arg]
        client = make_web_client(settings, token=TOKEN, session=session)
        sender = FirstSend(SlackNudgeSender(client))
        dispatcher = NudgeDispatcher.using(new_coach(store, ManualClock(START)),
                                           senders={"slack": sender})
        started = time.perf_counter()
        task = asyncio.create_task(dispatcher.send_due())
        await asyncio.wait([task, asyncio.create_task(sender.first.wait())], timeout=timeout,
                           return_when=asyncio.FIRST_COMPLETED)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if sender.at is None:
            raise RuntimeError(f"no check-in went out within {timeout:.0f}s")
        return sender.at - started


def run_store(kind: str, args: argparse.Namespace, tmp: Path,
              pg: BenchPostgres | None) -> list[list[object]]:
    rows: list[list[object]] = []
    name = f"bench_due_pass_{kind}_idle"
    with open_backend(kind, tmp_root=tmp, pg=pg, name=name) as store:
        url = pg.url_for(name) if kind == "postgres" and pg else None
        filled = write_fast(store, future_entries(args.entries), url)
        timings = asyncio.run(passes_with_nothing_due(store, args.passes))
        for what, seconds in timings.items():
            summary = summarise(seconds)
            verdict = "HOLDS" if summary.median * 1000 < GOAL_MS else "DOES NOT HOLD"
            rows.append([kind, f"{args.entries:,} entries, none due",
                         "nudge book's due()" if what == "due" else "whole send_due() pass",
                         summary.n, fmt_ms(summary.median), fmt_ms(summary.max),
                         f"< {GOAL_MS:.0f} ms: {verdict}", f"{filled:.1f}"])
        print(f"  {kind}: nothing due, due() median "
              f"{fmt_ms(summarise(timings['due']).median)} ms", flush=True)
    name = f"bench_due_pass_{kind}_due"
    with open_backend(kind, tmp_root=tmp, pg=pg, name=name) as store:
        url = pg.url_for(name) if kind == "postgres" and pg else None
        filled = write_fast(store, all_due_rows(args.entries), url)
        due = due_now(store)
        if due < args.entries:
            raise RuntimeError(f"{kind}: {due} check-ins due, expected {args.entries:,}")
        first = asyncio.run(time_to_first_send(store, args.timeout))
        rows.append([kind, f"{due:,} due", "send_due() until the first check-in is posted",
                     1, fmt_ms(first), fmt_ms(first), "starts before the due set is read",
                     f"{filled:.1f}"])
        print(f"  {kind}: {due:,} due, first send after {first:.2f}s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000,
                        help="due-index entries (nothing due), and check-ins due (all due)")
    parser.add_argument("--passes", type=int, default=5, help="timed passes with nothing due")
    parser.add_argument("--timeout", type=float, default=300,
                        help="give up waiting for the first send after this many seconds")
    parser.add_argument("--stores", default="tinydb,postgres")
    add_store_options(parser, dir_help="where the TinyDB folders go")
    parser.add_argument("--quick", action="store_true", help="5,000 entries, 3 passes")
    args = parser.parse_args()
    if args.quick:
        args.entries, args.passes = 5_000, 3
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]

    print(f"due_pass: {machine()}")
    started = time.perf_counter()
    table: list[list[object]] = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp, contextlib.ExitStack() as stack:
        pg = None
        if "postgres" in stores:
            pg = stack.enter_context(BenchPostgres(url=args.pg_url, fast=args.pg_fast))
            print(f"PostgreSQL: {pg.settings}")
        for kind in stores:
            table.extend(run_store(kind, args, Path(tmp), pg))
    print_table("A dispatcher pass against the due index (ms; 'fill s' is filling the store, "
                "not measured)",
                ["store", "index", "timed", "passes", "median ms", "max ms", "goal", "fill s"],
                table)
    print(f"\ntotal {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
