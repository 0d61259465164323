"""notnow's Slack app against a bare Bolt app: what the coach adds to each request.

Both apps run in child processes behind the same aiohttp server setup
(``adapters.slack.server.build_web_app``, an ``AppRunner`` on 127.0.0.1), with the same
Web API client (``make_web_client``) pointed at the same Slack stand-in, and receive the
same signed requests. notnow is ``start_slack`` in HTTP mode on a TinyDB store; the bare
app only acks and posts one fixed reply (a DM event: into the event's channel; a slash
command: to the user id, which Slack delivers to the DM).

Simulated users each go through a script, one request at a time: a DM user types the
whole three-step run (the answers of tests/conversation.py ``log_rejection`` and the
rest, buttons picked by number, 19 messages), a slash user runs ``/notnow start, help,
status, pause 3, resume, status, stop, start``. Every user is a new person. For each
request: the time to the HTTP response (Slack's 3-second ack), and the time until the
app's first ``chat.postMessage`` for that request reached the stand-in (what the person
waits for). A user sends the next request once every reply of the last one arrived (how
many notnow posts per step is worked out beforehand by running the script through the
engine and the Slack renderer, and checked at the end).

The stand-in and the load run in this process; each app has its own. The two apps take
turns within each row, in alternating order, so both see the same machine.

    .venv/bin/python bench/slack_vs_bare_bolt.py [--users 1,10,50] [--requests 200]
        [--kinds dm,slash] [--dir /tmp] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.slack import start_slack
from adapters.slack.client import make_web_client
from adapters.slack.inputs import command_input
from adapters.slack.listeners import DM_NOTICE
from adapters.slack.render import render_reply
from adapters.slack.server import EVENTS_PATH, build_web_app
from bench.common import (
    FULL_RUN,
    BenchStandIn,
    fmt_ms,
    fmt_ratio,
    machine,
    new_coach,
    percentile,
    print_table,
    wait_process,
)
from bot.app import build_coach
from bot.messages import Input, Reply, Text, UserRef
from bot.settings import Settings
from bot.storage import MemoryStore
from tests.conversation import Conversation
from tests.standins.slack_api import dm_channel_id, dm_message, event_callback, sign, slash_command

SECRET = "bench-signing-secret-0123456789ab"
TOKEN = "xoxb-bench-slack"
TEAM = "T0BENCH"
SLASH_SCRIPT = ("start", "help", "status", "pause 3", "resume", "status", "stop", "start")
QUICK_DM_STEPS = 10  # --quick: step 1 of the run only (company, role, stage, date, ...)
TIMEOUT = 30.0


# -- the two apps, each in a child process --------------------------------------------


def settings_for(api_url: str, db: str) -> Settings:
    return Settings(_env_file=None, db=db, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                    slack_api_url=api_url, slack_app_token=None, slack_client_id=None,
                    slack_client_secret=None)


async def serve(which: str, api_url: str, db: str) -> None:
    """Child process: start the app, print its port, serve until stdin closes."""
    settings = settings_for(api_url, db)
    stop: list[Any] = []
    if which == "notnow":
        coach = build_coach(settings)
        service = await start_slack(settings, coach, port=0, host="127.0.0.1")
        port = service.port
        stop = [service.stop(), asyncio.to_thread(coach.store.close)]
    else:
        session = aiohttp.ClientSession()
        app = AsyncApp(name="bare", client=make_web_client(settings, token=TOKEN,
                                                           session=session),
                       signing_secret=SECRET, process_before_response=False)

        @app.event("message")
        async def on_message(event: dict[str, Any], client: Any) -> None:
            await client.chat_postMessage(channel=event["channel"], text="Thanks!")

        @app.command("/notnow")
        async def on_command(ack: Any, body: dict[str, Any], client: Any) -> None:
            await ack(text=DM_NOTICE, response_type="ephemeral")
            await client.chat_postMessage(channel=body["user_id"], text="Thanks!")

        runner = web.AppRunner(build_web_app(app, signing_secret=SECRET), access_log=None,
                               handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        stop = [runner.cleanup(), session.close()]
    print(f"PORT {port}", flush=True)
    try:
        await asyncio.to_thread(sys.stdin.buffer.read)  # EOF: the parent is done or gone
    finally:
        for step in stop:
            await step


@contextlib.contextmanager
def app_process(which: str, api_url: str, db: str) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", which, "--api-url", api_url, "--db", db],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the {which} app did not start: {line!r}")
        yield f"http://127.0.0.1:{line.split()[1]}{EVENTS_PATH}"
    finally:
        wait_process(proc)


# -- the scripts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    """What a simulated user sends, and how many posts notnow answers each with."""

    kind: str
    texts: tuple[str, ...]
    notnow_posts: tuple[int, ...]


def posts_for(replies: Sequence[Reply]) -> int:
    """How many chat.postMessage calls ``Delivery.post`` makes for these replies."""
    return sum(len(render_reply(r)) for r in replies
               if r.text.strip() or r.draft or r.options)


def dm_script(steps: int) -> Script:
    """FULL_RUN as typed DMs: "hi" to start, buttons picked by their number."""
    conv = Conversation(new_coach(MemoryStore()), UserRef("slack", TEAM, "U0SCRIPT"))
    texts, posts = [], []
    for kind, arg in FULL_RUN[:steps]:
        if kind == "cmd":
            text = "hi"
        elif kind == "say":
            text = arg
        else:
            text = str(next(i for i, label in enumerate(conv.options, 1)
                            if arg.lower() in label.lower()))
        texts.append(text)
        posts.append(posts_for(conv.send(Text(text))))
    return Script("dm", tuple(texts), tuple(posts))


def slash_script() -> Script:
    conv = Conversation(new_coach(MemoryStore()), UserRef("slack", TEAM, "U0SCRIPT"))
    posts = []
    for text in SLASH_SCRIPT:
        event: Input = command_input(text)
        posts.append(posts_for(conv.send(event)))
    return Script("slash", SLASH_SCRIPT, tuple(posts))


# -- load -------------------------------------------------------------------------------


@dataclass
class Cell:
    """One app, one kind of request, one number of users: every sample."""

    acks: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)
    seconds: float = 0.0


class Load:
    def __init__(self, session: aiohttp.ClientSession, standin: BenchStandIn) -> None:
        self.session = session
        self.standin = standin
        self.ids = itertools.count(1)

    async def one_user(self, url: str, script: Script, expected: Sequence[int],
                       cell: Cell) -> tuple[str, int]:
        user = f"U{next(self.ids):07d}"
        channel = dm_channel_id(TEAM, user)
        seen = 0
        for text, count in zip(script.texts, expected, strict=True):
            if script.kind == "dm":
                body = json.dumps(event_callback(TEAM, dm_message(TEAM, user, text)))
                content_type = "application/json"
            else:
                body = urlencode(slash_command(TEAM, user, text,
                                               hooks_url=self.standin.hooks_url))
                content_type = "application/x-www-form-urlencoded"
            stamp = int(time.time())
            headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(stamp),
                       "X-Slack-Signature": sign(SECRET, stamp, body)}
            started = time.perf_counter()
            async with self.session.post(url, data=body.encode(), headers=headers) as resp:
                await resp.read()
                status = resp.status
            acked = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"{url} answered HTTP {status} to {text!r}")
            arrivals = await self.standin.wait_posts(channel, seen + count, timeout=TIMEOUT)
            cell.acks.append(acked)
            cell.replies.append(arrivals[seen] - started)
            seen += count
        return channel, seen

    async def run(self, url: str, script: Script, expected: Sequence[int], users: int,
                  cycles: int, cell: Cell) -> None:
        """``users`` at once, each replaced by a new person ``cycles`` times."""

        async def user_slot() -> list[tuple[str, int]]:
            return [await self.one_user(url, script, expected, cell) for _ in range(cycles)]

        started = time.perf_counter()
        done = await asyncio.gather(*(user_slot() for _ in range(users)))
        cell.seconds += time.perf_counter() - started
        await asyncio.sleep(0.3)  # anything late would show up now
        for channel, count in itertools.chain.from_iterable(done):
            got = len(self.standin.posts[channel])
            if got != count:
                raise RuntimeError(f"{channel}: {got} posts, expected {count}: the per-step "
                                   "counts no longer match the app, so latencies would be off")


# -- report -----------------------------------------------------------------------------


def stats(values: Sequence[float]) -> tuple[float, float]:
    import statistics

    return statistics.median(values), percentile(values, 0.99)


async def run(args: argparse.Namespace) -> None:
    concurrency = [int(c) for c in args.users.split(",")]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    scripts = {"dm": dm_script(QUICK_DM_STEPS if args.quick else len(FULL_RUN)),
               "slash": slash_script()}
    print(f"slack_vs_bare_bolt: {machine()}")
    for kind in kinds:
        script = scripts[kind]
        print(f"{kind} script: {len(script.texts)} requests per person, notnow posts "
              f"{sum(script.notnow_posts)} replies, bare {len(script.texts)}")
    total = time.perf_counter()
    cells: dict[tuple[str, int, str], Cell] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        standin = BenchStandIn(team=TEAM)
        await standin.start()
        try:
            with app_process("notnow", standin.api_url, str(Path(tmp) / "db")) as notnow_url, \
                    app_process("bare", standin.api_url, str(Path(tmp) / "unused")) as bare_url:
                urls = {"notnow": notnow_url, "bare": bare_url}
                async with aiohttp.ClientSession(
                        connector=aiohttp.TCPConnector(limit=0)) as session:
                    load = Load(session, standin)
                    for kind in kinds:  # warm up both apps: imports, auth.test, connections
                        for name in urls:
                            await load.run(urls[name], scripts[kind],
                                           expected_posts(name, scripts[kind]), 2, 1, Cell())
                    for kind, users in itertools.product(kinds, concurrency):
                        script = scripts[kind]
                        cycles = max(1, -(-args.requests // (users * len(script.texts))))
                        rounds = min(2, cycles)
                        for name in urls:
                            cells[kind, users, name] = Cell()
                        for index in range(rounds):
                            share = cycles // rounds + (1 if index < cycles % rounds else 0)
                            order = ["bare", "notnow"] if index % 2 == 0 else ["notnow", "bare"]
                            for name in order:
                                await load.run(urls[name], script, expected_posts(name, script),
                                               users, share, cells[kind, users, name])
                        n, b = cells[kind, users, "notnow"], cells[kind, users, "bare"]
                        print(f"  {kind:<5} {users:>3} users: first reply median "
                              f"{fmt_ms(stats(n.replies)[0])} ms notnow, "
                              f"{fmt_ms(stats(b.replies)[0])} ms bare", flush=True)
        finally:
            await standin.stop()
    report(cells, kinds, concurrency)
    print(f"\ntotal {time.perf_counter() - total:.1f}s")


def expected_posts(name: str, script: Script) -> tuple[int, ...]:
    return script.notnow_posts if name == "notnow" else (1,) * len(script.texts)


def report(cells: dict[tuple[str, int, str], Cell], kinds: Sequence[str],
           concurrency: Sequence[int]) -> None:
    for title, attr in (("signed request -> HTTP response", "acks"),
                        ("signed request -> first chat.postMessage at the stand-in", "replies")):
        rows = []
        for kind, users in itertools.product(kinds, concurrency):
            n, b = cells[kind, users, "notnow"], cells[kind, users, "bare"]
            n_med, n_p99 = stats(getattr(n, attr))
            b_med, b_p99 = stats(getattr(b, attr))
            rows.append([kind, users, len(getattr(n, attr)), fmt_ms(n_med), fmt_ms(n_p99),
                         fmt_ms(b_med), fmt_ms(b_p99), fmt_ratio(n_med / b_med),
                         fmt_ratio(n_p99 / b_p99),
                         f"{len(n.acks) / n.seconds:,.0f}", f"{len(b.acks) / b.seconds:,.0f}"])
        print_table(
            f"Slack, {title} (ms; ratio = notnow / bare Bolt; req/s = requests per second "
            "the users got through)",
            ["kind", "users", "requests", "notnow median", "notnow p99", "bare median",
             "bare p99", "ratio median", "ratio p99", "notnow req/s", "bare req/s"],
            rows,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,10,50", help="concurrent users per row")
    parser.add_argument("--requests", type=int, default=200,
                        help="at least this many requests per app and row (default 200)")
    parser.add_argument("--kinds", default="dm,slash")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                        help="where notnow's TinyDB folder goes")
    parser.add_argument("--quick", action="store_true",
                        help="60 requests per row; DM users stop after step 1 (10 messages)")
    parser.add_argument("--serve", choices=["notnow", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.api_url, args.db))
        return
    if args.quick:
        args.requests = 60
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
