"""Nudges per second: 10,000 due check-ins through the dispatcher into Slack's DMs.

The store holds 10,000 people who finished the three-step run (clones of one scripted
run: their record, six planned check-ins and the due-index entries), each with exactly
one check-in due now, inside their window, so the one-a-day rule holds none back. One
``NudgeDispatcher.send_due()`` pass with a ``SlackNudgeSender`` then claims, sends and
marks every one: per nudge two commits (the claim with the person's day, the mark) and
one ``chat.postMessage`` to the Slack stand-in, into the DM channel kept in each
person's record since their turns in Slack. ``--unknown-dms``: records without it (as
before it was kept, and nobody cached in this process), so each check-in first asks
``conversations.open``.

The stand-in (tests/standins/slack_api.py) runs in a child process, so the dispatcher
has this one to itself, as it would with the real Slack across the network. The
baseline, measured in the same run with the same client, is the raw cost of as many
``chat.postMessage`` calls one after another; it is taken before, between and after the
stores, and each store is compared with the mean of the two around it.

Issue 13's floors, taken at the same moments and at the dispatcher's concurrency (8
people at once; 16 for the two-dispatcher row, 8 each): (a) a bare ``chat.postMessage``
loop, and (b) the same loop where every post is followed by one small record appended to
one ``O_APPEND`` file and ``fdatasync``'d (in a worker thread, as the dispatcher's store
writes are), on the disk under ``--dir``. Goals: TinyDB within 1.3x of (b), and
PostgreSQL with TWO dispatchers (two coaches on the same database, ``send_due`` at the
same time) within 1.3x of (a). The stand-in counts posts per nudge id (the Slack
metadata every check-in carries), so the two-dispatcher row also shows that no check-in
went out twice.

    .venv/bin/python bench/nudge_dispatch.py [--nudges 10000] [--stores tinydb,postgres]
        [--dir /tmp] [--pg-url URL] [--pg-fast] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.common.turns import size_worker_pool
from adapters.slack import render
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
    dm_channel_id,
    fmt_ms,
    fmt_ratio,
    machine,
    new_coach,
    open_backend,
    play,
    print_table,
    tinydb_without_fsync,
    wait_process,
    write_rows,
)
from bot.clock import ManualClock
from bot.interfaces import Record, Store
from bot.messages import UserRef
from bot.nudges.dispatcher import NudgeDispatcher
from bot.nudges.messages import nudge_reply
from bot.records import NudgeRecord, PersonRecord
from bot.settings import Settings
from bot.storage import MemoryStore
from tests.conversation import Conversation
from tests.standins.slack_api import ApiCall

TEAM = "T0BENCH"
TOKEN = "xoxb-bench-nudges"
# The check-in made due; the others stay in the future. Not "heard_back": recording the
# feedback cancels it (and the chase), so it is no longer active in the finished run.
DUE_KIND = "connect"
DUE_AT = START - timedelta(hours=1)  # Friday 09:00 UTC: window opens, weekday, UTC zone
CHUNK = 2_000
CONCURRENCY = 8  # NudgeDispatcher's default: people served at once by one dispatcher
APPEND_RECORD = b'{"nudge": "0123456789abcdef01234567", "state": "sent"}\n'


# -- the stand-in, in its own process -------------------------------------------------


class NudgeCountingStandIn(BenchStandIn):
    """The bench's stand-in, also counting posts per nudge id (Slack message metadata,
    ``event_payload.nudge_id``, which every check-in carries): a check-in sent twice
    shows as a count of 2. The Web API method ``bench.nudges`` answers with the totals."""

    def __init__(self, *, team: str) -> None:
        super().__init__(team=team)
        self.nudge_posts: Counter[str] = Counter()

    def _answer(self, method: str, p: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "bench.nudges":
            twice = [count for count in self.nudge_posts.values() if count > 1]
            return {"ok": True, "posts": sum(self.nudge_posts.values()),
                    "distinct": len(self.nudge_posts), "sent_twice": len(twice),
                    "extra_posts": sum(twice) - len(twice)}
        return super()._answer(method, p, token)

    async def _record(self, call: ApiCall) -> None:
        await super()._record(call)
        if call.method == "chat.postMessage" and call.status == 200:
            metadata = call.params.get("metadata")
            payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
            if isinstance(payload, dict) and payload.get("nudge_id"):
                self.nudge_posts[str(payload["nudge_id"])] += 1


async def serve_standin() -> None:
    """Child process: print the stand-in's URL, serve until stdin closes."""
    standin = NudgeCountingStandIn(team=TEAM)
    await standin.start()
    print(f"URL {standin.api_url}", flush=True)
    try:
        await asyncio.to_thread(sys.stdin.buffer.read)  # EOF: the parent is done or gone
    finally:
        await standin.stop()


@contextlib.contextmanager
def standin_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen([sys.executable, __file__, "--standin"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("URL "):
            raise RuntimeError(f"the Slack stand-in did not start: {line!r}")
        yield proc, line.split()[1]
    finally:
        wait_process(proc)


# -- populating -------------------------------------------------------------------------


def template() -> tuple[Record, list[Record]]:
    store = MemoryStore()
    user = UserRef("slack", TEAM, "U0TEMPLATE")
    conv = Conversation(new_coach(store), user)
    for step in FULL_RUN:
        play(conv, step)
    check_finished(store, user, nudges=9)  # heard back, the chase, the cadence's seven
    return capture(store, user)


def make_due(nudge: Record) -> None:
    if nudge["kind"] == DUE_KIND:
        nudge["due_at"] = DUE_AT.isoformat()


#: people's records hold their DM channel, as they do once they have had a turn in Slack
#: (``--unknown-dms``: as records from before it was kept, every check-in opens its DM)
KNOWN_DMS = True


def keep_dm(person: Record) -> None:
    if KNOWN_DMS:
        user = person["user"]
        person["dm_channel"] = dm_channel_id(user["workspace"], user["id"])


def populate(store: Store, count: int, pg_url: str | None) -> float:
    person, nudges = template()
    started = time.perf_counter()
    with tinydb_without_fsync():
        for first in range(0, count, CHUNK):
            rows = [row for i in range(first, min(count, first + CHUNK)) for row in
                    clone_rows(person, nudges, UserRef("slack", TEAM, f"U{i:07d}"),
                               change_nudge=make_due, change_person=keep_dm)]
            write_rows(store, rows, pg_url=pg_url)
    if pg_url is not None:
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ANALYZE notnow_records")
    return time.perf_counter() - started


# -- measuring --------------------------------------------------------------------------


async def baseline(client: AsyncWebClient, count: int) -> float:
    """Seconds for ``count`` chat.postMessage calls in a row: the floor for a nudge."""
    started = time.perf_counter()
    for i in range(count):
        await client.chat_postMessage(channel="D0BASELINE", text=f"baseline {i}",
                                      unfurl_links=False, unfurl_media=False)
    return time.perf_counter() - started


async def concurrently(count: int, workers: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Seconds for ``count`` calls of ``one``, ``workers`` of them in flight at a time, as
    the dispatcher's semaphore lets ``concurrency`` people through."""
    numbers = iter(range(count))

    async def worker() -> None:
        for i in numbers:  # shared: each number is taken by exactly one worker
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - started


async def floor_posts(client: AsyncWebClient, count: int, workers: int) -> float:
    """Floor (a): a bare chat.postMessage loop, ``workers`` at once."""

    async def post(i: int) -> None:
        await client.chat_postMessage(channel="D0FLOOR", text=f"floor {i}",
                                      unfurl_links=False, unfurl_media=False)

    return await concurrently(count, workers, post)


def append_durably(fd: int) -> None:
    """One small record on the end of the log, on disk when this returns."""
    os.write(fd, APPEND_RECORD)
    os.fdatasync(fd)


async def floor_posts_and_append(client: AsyncWebClient, count: int, workers: int,
                                 log_path: Path) -> float:
    """Floor (b): post, then append one record to one O_APPEND file and fdatasync it (in a
    worker thread, as the dispatcher writes its store): the least a durable mark costs."""
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    async def post_and_append(i: int) -> None:
        await client.chat_postMessage(channel="D0FLOOR", text=f"floor {i}",
                                      unfurl_links=False, unfurl_media=False)
        await asyncio.to_thread(append_durably, fd)

    try:
        return await concurrently(count, workers, post_and_append)
    finally:
        os.close(fd)
        log_path.unlink(missing_ok=True)


def checkin_message() -> render.SlackMessage:
    """The Slack message one due check-in of the template person is posted as (its
    blocks, buttons, fallback text and metadata), with the metadata's nudge id renamed
    so the stand-in does not count these posts as check-ins sent twice."""
    person, nudges = template()
    nudge = next(n for n in nudges if n["kind"] == DUE_KIND)
    coach = new_coach(MemoryStore())
    reply = nudge_reply(cast(PersonRecord, person), cast(NudgeRecord, nudge),
                        content=coach.content, clock=coach.clock)
    message = render.render_reply(dataclasses.replace(reply, nudge_id=nudge["id"]))[0]
    assert message.metadata is not None
    payload = message.metadata["event_payload"]
    metadata = {**message.metadata, "event_payload": {"floor_id": payload["nudge_id"]}}
    return dataclasses.replace(message, metadata=metadata)


async def floor_checkin_posts(client: AsyncWebClient, count: int, workers: int,
                              message: render.SlackMessage) -> float:
    """Floor (c): floor (a) with a check-in's own message instead of one line of text:
    what posting a check-in costs here, before anything of the dispatcher's own."""

    async def post(i: int) -> None:
        await client.chat_postMessage(channel="D0FLOOR", text=message.text,
                                      blocks=message.blocks, metadata=message.metadata,
                                      unfurl_links=False, unfurl_media=False)

    return await concurrently(count, workers, post)


Floors = dict[str, float]


async def floors(client: AsyncWebClient, count: int, tmp: Path,
                 message: render.SlackMessage) -> Floors:
    """Every floor once, the same number of posts each (``message``: floor (c)'s)."""
    return {
        "one at a time": await baseline(client, count),
        "a": await floor_posts(client, count, CONCURRENCY),
        "a16": await floor_posts(client, count, 2 * CONCURRENCY),
        "b": await floor_posts_and_append(client, count, CONCURRENCY, tmp / "floor.log"),
        "c": await floor_checkin_posts(client, count, CONCURRENCY, message),
    }


async def stats(client: AsyncWebClient) -> dict[str, int]:
    response = await client.api_call("bench.stats")
    return dict(response["counts"])


async def nudge_posts(client: AsyncWebClient) -> dict[str, int]:
    """The stand-in's per-nudge-id post totals (see :class:`NudgeCountingStandIn`)."""
    response = await client.api_call("bench.nudges")
    return {k: int(response[k]) for k in ("posts", "distinct", "sent_twice", "extra_posts")}


def count_due(coach: Any, now: Any) -> int:
    """How many check-ins one pass would find due (whatever ``due`` returns, consumed)."""
    return sum(1 for _ in coach.nudge_book.due(now))


async def dispatch(label: str, stores: list[Store], client: AsyncWebClient, count: int,
                   pg_url: str | None) -> dict[str, float | str]:
    """Fill the first store with ``count`` due check-ins, then one ``send_due`` pass on
    each store at the same time (one dispatcher per store, each on its own coach: two
    stores on one database are two processes sharing it)."""
    filled = populate(stores[0], count, pg_url)
    clock = ManualClock(START)
    coaches = [new_coach(store, clock) for store in stores]
    started = time.perf_counter()
    due = await asyncio.to_thread(count_due, coaches[0], clock.now())
    scan = time.perf_counter() - started
    if due != count:
        raise RuntimeError(f"{label}: {due} nudges due, expected {count}")
    size_worker_pool(stores[0].workers)  # as notnow serve and send-due do
    dispatchers = [NudgeDispatcher.using(coach, senders={"slack": SlackNudgeSender(client)})
                   for coach in coaches]
    before, posts_before = await stats(client), await nudge_posts(client)
    started = time.perf_counter()
    reports = await asyncio.gather(*(d.send_due() for d in dispatchers))
    took = time.perf_counter() - started
    summaries = [(report.sent, report.summary()) for report in reports]
    result = await checked_pass(label, client, count, before, posts_before, summaries,
                                coaches[0], clock)
    return {**result, "fill": filled, "scan": scan, "seconds": took}


async def checked_pass(label: str, client: AsyncWebClient, count: int,
                       before: dict[str, int], posts_before: dict[str, int],
                       summaries: list[tuple[int, str]], coach: Any,
                       clock: ManualClock) -> dict[str, float | str]:
    """After a pass: every check-in sent once (by the dispatchers' reports and by the
    stand-in's counts), none left due; what the stand-in saw, for the tables.
    ``summaries``: each dispatcher's (sent, summary)."""
    after, posts_after = await stats(client), await nudge_posts(client)
    calls = {m: after.get(m, 0) - before.get(m, 0) for m in after}
    posts = {k: posts_after[k] - posts_before[k] for k in posts_after}
    sent = sum(count_sent for count_sent, _ in summaries)
    if sent != count or calls.get("chat.postMessage", 0) != count or posts["sent_twice"]:
        raise RuntimeError(f"{label}: {[text for _, text in summaries]}; stand-in saw "
                           f"{calls}, per nudge id {posts}")
    left = await asyncio.to_thread(count_due, coach, clock.now())
    if left:
        raise RuntimeError(f"{label}: {left} nudges still due after the pass")
    return {"report": " + ".join(text for _, text in summaries),
            "twice": f"{posts['sent_twice']} of {posts['distinct']:,} nudge ids",
            "calls": ", ".join(f"{m} {n}" for m, n in sorted(calls.items())
                               if n and not m.startswith("bench."))}


async def dispatch_in_processes(label: str, store: Store, pg_url: str,
                                client: AsyncWebClient, count: int, api_url: str,
                                processes: int) -> dict[str, float | str]:
    """Fill the database through ``store``, then one ``send_due`` pass in each of
    ``processes`` child processes at once (each its own interpreter, GIL, coach, store
    and Web API client, as several ``notnow serve`` on one database would be). Timed in
    this process from the signal to go until the last child reported."""
    filled = populate(store, count, pg_url)
    clock = ManualClock(START)
    due = await asyncio.to_thread(count_due, new_coach(store, clock), clock.now())
    if due != count:
        raise RuntimeError(f"{label}: {due} nudges due, expected {count}")
    with contextlib.ExitStack() as children:
        procs = [children.enter_context(dispatcher_process(pg_url, api_url))
                 for _ in range(processes)]
        before, posts_before = await stats(client), await nudge_posts(client)  # warmed up
        started = time.perf_counter()
        for proc in procs:  # all are ready (connected, warmed up): go
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        lines = await asyncio.gather(*(asyncio.to_thread(_read_line, proc) for proc in procs))
        took = time.perf_counter() - started
    reports = [json.loads(line) for line in lines]
    summaries = [(int(report["sent"]), str(report["summary"])) for report in reports]
    result = await checked_pass(label, client, count, before, posts_before, summaries,
                                new_coach(store, clock), clock)
    return {**result, "fill": filled, "scan": 0.0, "seconds": took}


def _read_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip():
        raise RuntimeError(f"a dispatcher process ended without a report (exit {proc.wait()})")
    return line


@contextlib.contextmanager
def dispatcher_process(pg_url: str, api_url: str) -> Iterator[subprocess.Popen[str]]:
    """A child that connects, warms up, says READY, and on "go" runs one pass."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--dispatcher", pg_url, "--api-url", api_url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != "READY":
            raise RuntimeError(f"a dispatcher process did not start: {line!r}")
        yield proc
    finally:
        wait_process(proc)


async def serve_dispatcher(pg_url: str, api_url: str) -> None:
    """Child process: one dispatcher on the shared database, one pass when told."""
    from bot.storage.postgres import PostgresStore

    store = PostgresStore(pg_url)
    try:
        coach = new_coach(store, ManualClock(START))
        async with aiohttp.ClientSession() as session:
            client = make_web_client(Settings(_env_file=None, slack_api_url=api_url),
                                     token=TOKEN, session=session)
            await baseline(client, 50)  # warm up: the connection, imports
            size_worker_pool(store.workers)
            dispatcher = NudgeDispatcher.using(
                coach, senders={"slack": SlackNudgeSender(client)})
            print("READY", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            started = time.perf_counter()
            report = await dispatcher.send_due()
            print(json.dumps({"sent": report.sent, "summary": report.summary(),
                              "seconds": time.perf_counter() - started}), flush=True)
            await asyncio.to_thread(sys.stdin.read)  # until the parent is done
    finally:
        store.close()


@dataclass(frozen=True)
class Case:
    """One dispatch row: a store kind and how many dispatchers share it."""

    kind: str
    dispatchers: int
    processes: bool = False  # each dispatcher in a process of its own

    @property
    def label(self) -> str:
        plural = "s" if self.dispatchers > 1 else ""
        where = f" in {self.dispatchers} processes" if self.processes else ""
        return f"{self.kind}, {self.dispatchers} dispatcher{plural}{where}"


def cases(stores: list[str]) -> list[Case]:
    """TinyDB with its one dispatcher (one process owns the folder); PostgreSQL with one,
    then with two sharing the database."""
    found = []
    for kind in stores:
        found.append(Case(kind, 1))
        if kind == "postgres":
            found += [Case(kind, 2), Case(kind, 2, processes=True)]
    return found


async def run_case(case: Case, client: AsyncWebClient, count: int, tmp: Path,
                   pg: BenchPostgres | None, api_url: str) -> dict[str, float | str]:
    name = f"bench_nudges_{case.kind}_{case.dispatchers}{'p' if case.processes else ''}"
    if case.processes:
        if pg is None:
            raise ValueError("only PostgreSQL is shared by dispatcher processes")
        with open_backend(case.kind, tmp_root=tmp, pg=pg, name=name) as store:
            return await dispatch_in_processes(case.label, store, pg.url_for(name), client,
                                               count, api_url, case.dispatchers)
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(open_backend(case.kind, tmp_root=tmp, pg=pg, name=name))
        stores = [first]
        url = pg.url_for(name) if case.kind == "postgres" and pg else None
        for _ in range(1, case.dispatchers):
            from bot.storage.postgres import PostgresStore

            if url is None:
                raise ValueError("only PostgreSQL is shared by several dispatchers")
            stores.append(stack.enter_context(PostgresStore(url)))
        return await dispatch(case.label, stores, client, count, url)


async def run(args: argparse.Namespace) -> None:
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    print(f"nudge_dispatch: {machine()}")
    print(f"{args.nudges:,} due nudges per store, one per person; floors of {args.nudges:,} "
          "chat.postMessage calls each, before, between and after the stores")
    total = time.perf_counter()
    results: dict[Case, dict[str, float | str]] = {}
    measured: list[Floors] = []
    message = checkin_message()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp, contextlib.ExitStack() as stack:
        _, api_url = stack.enter_context(standin_process())
        pg = None
        if "postgres" in stores:
            pg = stack.enter_context(BenchPostgres(url=args.pg_url, fast=args.pg_fast))
            print(f"PostgreSQL: {pg.settings}")
        settings = Settings(_env_file=None, slack_api_url=api_url)
        async with aiohttp.ClientSession() as session:
            client = make_web_client(settings, token=TOKEN, session=session)
            await baseline(client, 200)  # warm up: connection, imports
            measured.append(await floors(client, args.nudges, Path(tmp), message))
            for case in cases(stores):
                results[case] = await run_case(case, client, args.nudges, Path(tmp), pg,
                                               api_url)
                measured.append(await floors(client, args.nudges, Path(tmp), message))
                print(f"  {case.label}: "
                      f"{args.nudges / float(results[case]['seconds']):,.0f} nudges/s",
                      flush=True)
    print_tables(args.nudges, measured, results)
    print(f"\ntotal {time.perf_counter() - total:.1f}s")


FLOOR_NAMES = {
    "one at a time": "bare chat.postMessage, one at a time",
    "a": f"floor (a): bare chat.postMessage, {CONCURRENCY} at once",
    "a16": f"floor (a): bare chat.postMessage, {2 * CONCURRENCY} at once",
    "b": f"floor (b): post + fdatasync'd append, {CONCURRENCY} at once",
    "c": f"floor (c): a check-in's own message, {CONCURRENCY} at once",
}


def print_tables(n: int, measured: list[Floors],
                 results: dict[Case, dict[str, float | str]]) -> None:
    rows: list[list[object]] = []
    for index, taken in enumerate(measured):
        for key, seconds in taken.items():
            rows.append([f"{FLOOR_NAMES[key]} ({index + 1})", f"{n:,}", f"{seconds:.1f}",
                         f"{n / seconds:,.0f}", fmt_ms(seconds / n)])
    for case, result in results.items():
        seconds = float(result["seconds"])
        rows.append([f"dispatch, {case.label}", f"{n:,}", f"{seconds:.1f}",
                     f"{n / seconds:,.0f}", fmt_ms(seconds / n)])
    print_table("Check-ins and floors to the Slack stand-in (each floor taken before, between "
                "and after the stores, numbered in order)",
                ["what", "count", "seconds", "per second", "ms each"], rows)

    ratios: list[list[object]] = []
    for index, (case, result) in enumerate(results.items()):
        seconds = float(result["seconds"])
        around = measured[index:index + 2]

        def mean(key: str, around: list[Floors] = around) -> float:
            return sum(f[key] for f in around) / len(around)

        goal = ("vs (b) <= 1.3x" if case.kind == "tinydb" and case.dispatchers == 1 else
                "vs (a) at 16 <= 1.3x" if case.kind == "postgres" and case.processes
                else "")
        ratios.append([f"dispatch, {case.label}", f"{n / seconds:,.0f}",
                       fmt_ratio(seconds / mean("one at a time")),
                       fmt_ratio(seconds / mean("a")), fmt_ratio(seconds / mean("a16")),
                       fmt_ratio(seconds / mean("b")), fmt_ratio(seconds / mean("c")),
                       goal, str(result["twice"]),
                       f"{float(result['scan']):.2f}", f"{float(result['fill']):.1f}"])
    print_table("Time per check-in against the floors (mean of the floors taken just before "
                "and just after each row); 'sent twice': nudge ids the stand-in got more "
                "than one post for",
                ["what", "per second", "vs one at a time", f"vs (a) at {CONCURRENCY}",
                 f"vs (a) at {2 * CONCURRENCY}", f"vs (b) at {CONCURRENCY}",
                 f"vs (c) at {CONCURRENCY}", "goal",
                 "sent twice", "due scan s", "fill s"], ratios)
    for case, result in results.items():
        print(f"{case.label}: {result['report']}; stand-in calls: {result['calls']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nudges", type=int, default=10_000)
    parser.add_argument("--stores", default="tinydb,postgres")
    add_store_options(parser, dir_help="where the TinyDB folder goes")
    parser.add_argument("--quick", action="store_true", help="500 nudges")
    parser.add_argument("--standin", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dispatcher", metavar="PG_URL", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--unknown-dms", action="store_true",
                        help="people's records without their DM channel (before it was "
                             "kept): every check-in opens its DM first")
    args = parser.parse_args()
    global KNOWN_DMS
    KNOWN_DMS = not args.unknown_dms
    if args.standin:
        asyncio.run(serve_standin())
        return
    if args.dispatcher:
        asyncio.run(serve_dispatcher(args.dispatcher, args.api_url))
        return
    if args.quick:
        args.nudges = 500
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
