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

Two more bare apps are the floors of a durable turn (issue 13): before posting, "append"
appends one small record per request to one log file opened ``O_APPEND`` and fdatasyncs
it, and "atomic" writes one file per person the safe way (temp file, fsync, rename,
folder fsync); both do it in a worker thread of the default executor, as notnow does, so
the event loop is not blocked. The records hold ids and a length, never the user's text.
"memory" is notnow on ``memory://``: the coach and the adapter without any disk.

The stand-in and the load run in this process; each app has its own. The apps take turns
within each row, in alternating order (forward, then backward), so all see the same
machine; every row has at least two rounds. The last table holds the issue's goals:
notnow on TinyDB against the append floor, median at 50 and at 1 person, p99 at 50.

    .venv/bin/python bench/slack_vs_bare_bolt.py [--users 1,10,50] [--requests 200]
        [--kinds dm,slash] [--apps bare,append,atomic,notnow,memory] [--dir /tmp] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
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


# -- the apps, each in a child process -------------------------------------------------

APPS = ("bare", "append", "atomic", "notnow", "memory")
LABELS = {
    "bare": "bare Bolt, acks and posts",
    "append": "bare Bolt + one fdatasync'd log append (the floor)",
    "atomic": "bare Bolt + one atomic file write",
    "notnow": "notnow on TinyDB",
    "memory": "notnow on memory://",
}
FLOOR = "append"


def settings_for(api_url: str, db: str) -> Settings:
    return Settings(_env_file=None, db=db, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                    slack_api_url=api_url, slack_app_token=None, slack_client_id=None,
                    slack_client_secret=None)


class AppendLog:
    """The physical floor of a durable turn: one small record appended to one file opened
    ``O_APPEND``, then fdatasync'd, before the reply goes out. Nothing batches the
    fdatasyncs: each request pays for its own, as a turn without group commit would."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(folder / "turns.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(self, key: str, record: bytes) -> None:
        os.write(self._fd, record + b"\n")
        os.fdatasync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


class AtomicFiles:
    """One file per person, replaced the crash-safe way: temp file, fsync, rename, folder
    fsync (what TinyDB's store does for each record it writes)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._folder = folder
        self._dir_fd = os.open(folder, os.O_RDONLY)

    def write(self, key: str, record: bytes) -> None:
        temp = self._folder / f".{key}.tmp"  # a person's requests come one at a time
        with open(temp, "wb") as handle:
            handle.write(record)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self._folder / f"{key}.json")
        os.fsync(self._dir_fd)

    def close(self) -> None:
        os.close(self._dir_fd)


def floor_writer(which: str, db: str) -> AppendLog | AtomicFiles | None:
    if which == "append":
        return AppendLog(Path(db))
    if which == "atomic":
        return AtomicFiles(Path(db))
    return None


def turn_record(body: dict[str, Any], user: str, chars: int) -> bytes:
    """About what a turn must keep to be dedupe-safe: ids and sizes, not the text."""
    return json.dumps({"event_id": body.get("event_id") or body.get("trigger_id"),
                       "team": TEAM, "user": user, "chars": chars,
                       "at": time.time()}).encode()


def bare_app(settings: Settings, session: aiohttp.ClientSession,
             writer: AppendLog | AtomicFiles | None) -> AsyncApp:
    """Acks and posts one fixed reply; with a ``writer``, makes the request durable first,
    in a worker thread."""
    app = AsyncApp(name="bare", client=make_web_client(settings, token=TOKEN,
                                                       session=session),
                   signing_secret=SECRET, process_before_response=False)

    async def durable(body: dict[str, Any], user: str, chars: int) -> None:
        if writer is not None:
            await asyncio.to_thread(writer.write, user, turn_record(body, user, chars))

    @app.event("message")
    async def on_message(body: dict[str, Any], event: dict[str, Any], client: Any) -> None:
        await durable(body, event["user"], len(event.get("text") or ""))
        await client.chat_postMessage(channel=event["channel"], text="Thanks!")

    @app.command("/notnow")
    async def on_command(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack(text=DM_NOTICE, response_type="ephemeral")
        await durable(body, body["user_id"], len(body.get("text") or ""))
        await client.chat_postMessage(channel=body["user_id"], text="Thanks!")

    return app


async def serve(which: str, api_url: str, db: str) -> None:
    """Child process: start the app, print its port, serve until stdin closes."""
    settings = settings_for(api_url, "memory://" if which == "memory" else db)
    stop: list[Any] = []
    if which in ("notnow", "memory"):
        coach = build_coach(settings)
        service = await start_slack(settings, coach, port=0, host="127.0.0.1")
        port = service.port
        stop = [service.stop(), asyncio.to_thread(coach.store.close)]
    else:
        session = aiohttp.ClientSession()
        writer = floor_writer(which, db)
        app = bare_app(settings, session, writer)
        runner = web.AppRunner(build_web_app(app, signing_secret=SECRET), access_log=None,
                               handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        stop = [runner.cleanup(), session.close()]
        if writer is not None:
            stop.append(asyncio.to_thread(writer.close))
    print(f"PORT {port}", flush=True)
    try:
        await asyncio.to_thread(sys.stdin.buffer.read)  # EOF: the parent is done or gone
    finally:
        for step in stop:
            await step


@dataclass(frozen=True)
class AppProcess:
    """A running app: where to send requests, and its pid to read its CPU time."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User plus system CPU time the app's process has used so far (Linux)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def app_process(which: str, api_url: str, db: str) -> Iterator[AppProcess]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", which, "--api-url", api_url, "--db", db],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the {which} app did not start: {line!r}")
        yield AppProcess(f"http://127.0.0.1:{line.split()[1]}{EVENTS_PATH}", proc.pid)
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
        if kind == "cmd":  # "start" as a greeting; "skip" and the like typed as they are
            text = "hi" if arg == "start" else arg
        elif kind == "say":
            text = arg
        else:  # the number in the list it is on, as the person sees it (the last menu
            # of the turn: the question asked after consent's menu at first contact)
            menu = next(r.options for r in reversed(conv.last) if r.options)
            text = str(next(i for i, option in enumerate(menu, 1)
                            if arg.lower() in option.label.lower()))
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
    cpu: float = 0.0  # CPU seconds the app's process used for these requests


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

    async def run(self, app: AppProcess, script: Script, expected: Sequence[int],
                  users: int, cycles: int, cell: Cell) -> None:
        """``users`` at once, each replaced by a new person ``cycles`` times."""

        async def user_slot() -> list[tuple[str, int]]:
            return [await self.one_user(app.url, script, expected, cell)
                    for _ in range(cycles)]

        started, cpu = time.perf_counter(), app.cpu_seconds()
        done = await asyncio.gather(*(user_slot() for _ in range(users)))
        cell.seconds += time.perf_counter() - started
        cell.cpu += app.cpu_seconds() - cpu
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
    apps = [a.strip() for a in args.apps.split(",") if a.strip()]
    unknown = sorted(set(apps) - set(APPS))
    if unknown:
        raise SystemExit(f"unknown apps {unknown}; choose from {', '.join(APPS)}")
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
            with contextlib.ExitStack() as children:
                urls = {name: children.enter_context(
                    app_process(name, standin.api_url, str(Path(tmp) / name)))
                    for name in apps}
                async with aiohttp.ClientSession(
                        connector=aiohttp.TCPConnector(limit=0)) as session:
                    load = Load(session, standin)
                    for kind in kinds:  # warm up every app: imports, auth.test, connections
                        for name in apps:
                            await load.run(urls[name], scripts[kind],
                                           expected_posts(name, scripts[kind]), 2, 1, Cell())
                    for kind, users in itertools.product(kinds, concurrency):
                        await run_row(load, urls, scripts[kind], users, args.requests,
                                      cells, kind)
        finally:
            await standin.stop()
    report(cells, kinds, concurrency, apps)
    print(f"\ntotal {time.perf_counter() - total:.1f}s")


async def run_row(load: Load, urls: dict[str, AppProcess], script: Script, users: int,
                  requests: int, cells: dict[tuple[str, int, str], Cell], kind: str) -> None:
    """Every app through the same row, in rounds that alternate the apps' order, so a
    busy moment of the machine lands on all of them alike."""
    names = list(urls)
    cycles = max(2, -(-requests // (users * len(script.texts))))
    rounds = min(4, cycles)
    for name in names:
        cells[kind, users, name] = Cell()
    for index in range(rounds):
        share = cycles // rounds + (1 if index < cycles % rounds else 0)
        for name in names if index % 2 == 0 else names[::-1]:
            await load.run(urls[name], script, expected_posts(name, script), users, share,
                           cells[kind, users, name])
    medians = ", ".join(f"{name} {fmt_ms(stats(cells[kind, users, name].replies)[0])}"
                        for name in names)
    print(f"  {kind:<5} {users:>3} users: first reply median (ms) {medians}", flush=True)


def expected_posts(name: str, script: Script) -> tuple[int, ...]:
    return script.notnow_posts if name in ("notnow", "memory") else (1,) * len(script.texts)


def ratio(cells: dict[tuple[str, int, str], Cell], key: tuple[str, int], app: str,
          base: str, *, attr: str = "replies", p99: bool = False) -> str:
    """``app`` over ``base`` in the same row, or n/a when either was not run."""
    if (*key, app) not in cells or (*key, base) not in cells:
        return "n/a"
    pick = 1 if p99 else 0
    return fmt_ratio(stats(getattr(cells[(*key, app)], attr))[pick]
                     / stats(getattr(cells[(*key, base)], attr))[pick])


def report(cells: dict[tuple[str, int, str], Cell], kinds: Sequence[str],
           concurrency: Sequence[int], apps: Sequence[str]) -> None:
    acks = []
    replies = []
    for kind, users, app in itertools.product(kinds, concurrency, apps):
        cell, key = cells[kind, users, app], (kind, users)
        a_med, a_p99 = stats(cell.acks)
        r_med, r_p99 = stats(cell.replies)
        acks.append([kind, users, LABELS[app], len(cell.acks), fmt_ms(a_med), fmt_ms(a_p99),
                     ratio(cells, key, app, "bare", attr="acks")])
        replies.append([kind, users, LABELS[app], len(cell.replies), fmt_ms(r_med),
                        fmt_ms(r_p99), f"{len(cell.acks) / cell.seconds:,.0f}",
                        fmt_ms(cell.cpu / len(cell.acks)),
                        ratio(cells, key, app, "bare"), ratio(cells, key, app, FLOOR),
                        ratio(cells, key, app, FLOOR, p99=True),
                        ratio(cells, key, app, "atomic")])
    print_table("Slack, signed request -> HTTP response (ms; ratio against bare Bolt in the "
                "same row)", ["kind", "users", "app", "requests", "median", "p99", "/ bare"],
                acks)
    print_table("Slack, signed request -> first chat.postMessage of that request at the "
                "stand-in (ms; turns/s = requests the users got through per second; "
                "CPU ms/turn = the app process's CPU time over its requests; "
                "ratios of medians, and of p99s, against other apps in the same row; "
                "floor = bare Bolt + one fdatasync'd append)",
                ["kind", "users", "app", "requests", "median", "p99", "turns/s",
                 "CPU ms/turn", "/ bare",
                 "/ floor", "p99 / floor p99", "/ atomic"], replies)
    report_goals(cells, kinds, concurrency)


GOALS = (  # (app, users, p99?, goal, what)
    ("notnow", 50, False, "<= 1.5x (aim 1.2x)", "notnow on TinyDB / floor, median"),
    ("notnow", 1, False, "<= 2x", "notnow on TinyDB / floor, median"),
    ("notnow", 50, True, "<= 1.5x", "notnow on TinyDB / floor, p99"),
    ("memory", 50, False, "(engine's own cost; aim well under 1.2x)",
     "notnow on memory:// / floor, median"),
    ("memory", 1, False, "", "notnow on memory:// / floor, median"),
)


def report_goals(cells: dict[tuple[str, int, str], Cell], kinds: Sequence[str],
                 concurrency: Sequence[int]) -> None:
    """Issue 13's goals for the Slack turn, each a ratio against the floor's same row."""
    rows = []
    for kind in kinds:
        for app, users, p99, goal, what in GOALS:
            if users in concurrency:
                rows.append([kind, f"{what} at {users}", goal,
                             ratio(cells, (kind, users), app, FLOOR, p99=p99)])
    print_table("Issue 13 goals (signed request -> first reply, ratios against the floor "
                "measured in the same rows)", ["kind", "ratio", "goal", "measured"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,10,50", help="concurrent users per row")
    parser.add_argument("--requests", type=int, default=200,
                        help="at least this many requests per app and row (default 200)")
    parser.add_argument("--kinds", default="dm,slash")
    parser.add_argument("--apps", default=",".join(APPS),
                        help="which apps, in the order of the first round (default: all)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                        help="where notnow's TinyDB folder goes")
    parser.add_argument("--quick", action="store_true",
                        help="60 requests per row; DM users stop after step 1 (10 messages)")
    parser.add_argument("--serve", choices=APPS, help=argparse.SUPPRESS)
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
