"""Nudges per second: 10,000 due check-ins through the dispatcher into Slack's DMs.

The store holds 10,000 people who finished the three-step run (clones of one scripted
run: their record, six planned check-ins and the due-index entries), each with exactly
one check-in due now, inside their window, so the one-a-day rule holds none back. One
``NudgeDispatcher.send_due()`` pass with a ``SlackNudgeSender`` then claims, sends and
marks every one: per nudge three store writes and two Web API calls
(``conversations.open``, ``chat.postMessage``) to the Slack stand-in.

The stand-in (tests/standins/slack_api.py) runs in a child process, so the dispatcher
has this one to itself, as it would with the real Slack across the network. The
baseline, measured in the same run with the same client, is the raw cost of as many
``chat.postMessage`` calls one after another; it is taken before, between and after the
stores, and each store is compared with the mean of the two around it.

    .venv/bin/python bench/nudge_dispatch.py [--nudges 10000] [--stores tinydb,postgres]
        [--dir /tmp] [--pg-url URL] [--pg-fast] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.slack.client import make_web_client
from adapters.slack.nudges import SlackNudgeSender
from bench.common import (
    FULL_RUN,
    START,
    BenchPostgres,
    BenchStandIn,
    capture,
    check_finished,
    clone_rows,
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
from bot.settings import Settings
from bot.storage import MemoryStore
from tests.conversation import Conversation

TEAM = "T0BENCH"
TOKEN = "xoxb-bench-nudges"
DUE_KIND = "heard_back"  # the check-in made due; the other five stay in the future
DUE_AT = START - timedelta(hours=1)  # Friday 09:00 UTC: window opens, weekday, UTC zone
CHUNK = 2_000


# -- the stand-in, in its own process -------------------------------------------------


async def serve_standin() -> None:
    """Child process: print the stand-in's URL, serve until stdin closes."""
    standin = BenchStandIn(team=TEAM)
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


def populate(store: Store, count: int, pg_url: str | None) -> float:
    person, nudges = template()
    started = time.perf_counter()
    with tinydb_without_fsync():
        for first in range(0, count, CHUNK):
            rows = [row for i in range(first, min(count, first + CHUNK)) for row in
                    clone_rows(person, nudges, UserRef("slack", TEAM, f"U{i:07d}"),
                               change_nudge=make_due)]
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


async def stats(client: AsyncWebClient) -> dict[str, int]:
    response = await client.api_call("bench.stats")
    return dict(response["counts"])


async def dispatch(kind: str, store: Store, client: AsyncWebClient, count: int,
                   pg_url: str | None) -> dict[str, float | str]:
    filled = populate(store, count, pg_url)
    clock = ManualClock(START)
    coach = new_coach(store, clock)
    started = time.perf_counter()
    due = len(await asyncio.to_thread(coach.nudge_book.due, clock.now()))
    scan = time.perf_counter() - started
    if due != count:
        raise RuntimeError(f"{kind}: {due} nudges due, expected {count}")
    dispatcher = NudgeDispatcher.using(coach, senders={"slack": SlackNudgeSender(client)})
    before = await stats(client)
    started = time.perf_counter()
    report = await dispatcher.send_due()
    took = time.perf_counter() - started
    after = await stats(client)
    calls = {m: after.get(m, 0) - before.get(m, 0) for m in after}
    if report.sent != count or calls.get("chat.postMessage", 0) != count:
        raise RuntimeError(f"{kind}: {report.summary()}; stand-in saw {calls}")
    left = await asyncio.to_thread(coach.nudge_book.due, clock.now())
    if left:
        raise RuntimeError(f"{kind}: {len(left)} nudges still due after the pass")
    return {"fill": filled, "scan": scan, "seconds": took, "report": report.summary(),
            "calls": ", ".join(f"{m} {n}" for m, n in sorted(calls.items()) if n)}


async def run(args: argparse.Namespace) -> None:
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    print(f"nudge_dispatch: {machine()}")
    print(f"{args.nudges:,} due nudges per store, one per person; baseline {args.nudges:,} "
          "chat.postMessage calls, before, between and after the stores")
    total = time.perf_counter()
    results: dict[str, dict[str, float | str]] = {}
    baselines: list[float] = []
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        _, api_url = stack.enter_context(standin_process())
        pg = None
        if "postgres" in stores:
            pg = stack.enter_context(BenchPostgres(url=args.pg_url, fast=args.pg_fast))
            print(f"PostgreSQL: {pg.settings}")
        settings = Settings(_env_file=None, slack_api_url=api_url)
        async with aiohttp.ClientSession() as session:
            client = make_web_client(settings, token=TOKEN, session=session)
            await baseline(client, 200)  # warm up: connection, imports
            baselines.append(await baseline(client, args.nudges))
            for kind in stores:
                with open_backend(kind, tmp_root=Path(tmp), pg=pg,
                                  name=f"bench_nudges_{kind}") as store:
                    url = pg.url_for(f"bench_nudges_{kind}") if kind == "postgres" and pg else None
                    results[kind] = await dispatch(kind, store, client, args.nudges, url)
                baselines.append(await baseline(client, args.nudges))
                print(f"  {kind}: {args.nudges / float(results[kind]['seconds']):,.0f} nudges/s",
                      flush=True)
    n = args.nudges
    rows = []
    for index, baseline_seconds in enumerate(baselines):
        rows.append([f"baseline {index + 1}: chat.postMessage only", f"{n:,}",
                     f"{baseline_seconds:.1f}", f"{n / baseline_seconds:,.0f}",
                     fmt_ms(baseline_seconds / n), "", "", ""])
    for index, (kind, result) in enumerate(results.items()):
        seconds = float(result["seconds"])
        around = (baselines[index] + baselines[index + 1]) / 2
        rows.append([f"dispatch, {kind}", f"{n:,}", f"{seconds:.1f}", f"{n / seconds:,.0f}",
                     fmt_ms(seconds / n), fmt_ratio(seconds / around),
                     f"{float(result['scan']):.2f}", f"{float(result['fill']):.1f}"])
    print_table(
        "Due nudges dispatched to the Slack stand-in (ratio: time per nudge / time per "
        "chat.postMessage in the baselines before and after)",
        ["what", "count", "seconds", "per second", "ms each", "vs baseline",
         "due scan s", "fill s"],
        rows,
    )
    for kind, result in results.items():
        print(f"{kind}: {result['report']}; stand-in calls: {result['calls']}")
    print(f"\ntotal {time.perf_counter() - total:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nudges", type=int, default=10_000)
    parser.add_argument("--stores", default="tinydb,postgres")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                        help="where the TinyDB folder goes")
    parser.add_argument("--pg-url", help="use this PostgreSQL server instead of starting one")
    parser.add_argument("--pg-fast", action="store_true",
                        help="start PostgreSQL with fsync=off like the tests (default: durable)")
    parser.add_argument("--quick", action="store_true", help="1,000 nudges")
    parser.add_argument("--standin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.standin:
        asyncio.run(serve_standin())
        return
    if args.quick:
        args.nudges = 1_000
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
