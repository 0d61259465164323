"""What the benchmarks share: the scripted conversation, stores, statistics and tables.

Every bench reports each figure next to a baseline measured in the same run, because the
machines they run on are small and noisy: a ratio survives a busy neighbour far better
than an absolute number does. Nothing here dials out beyond 127.0.0.1.

Imported as ``bench.common`` by scripts that put the repository root on ``sys.path``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import math
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.clock import ManualClock  # noqa: E402
from bot.content.loader import Content, load_content  # noqa: E402
from bot.conversation.actions import ACTIONS  # noqa: E402
from bot.conversation.engine import Coach  # noqa: E402
from bot.conversation.people import PEOPLE  # noqa: E402
from bot.interfaces import Put, Record, Store  # noqa: E402
from bot.messages import UserRef  # noqa: E402
from bot.nudges.book import DUE, NUDGES, due_key  # noqa: E402
from bot.settings import DEFAULT_CONTENT_DIR  # noqa: E402
from bot.storage import MemoryStore, TinyDBStore  # noqa: E402
from tests.conversation import Conversation  # noqa: E402
from tests.pg_server import PostgresServer, find_pg_bin  # noqa: E402
from tests.standins.slack_api import ApiCall, SlackStandIn, dm_channel_id  # noqa: E402

__all__ = [
    "FULL_RUN",
    "START",
    "BenchPostgres",
    "BenchStandIn",
    "Step",
    "Summary",
    "clone_rows",
    "content",
    "fmt_ms",
    "fmt_ratio",
    "machine",
    "new_coach",
    "open_backend",
    "play",
    "print_table",
    "summarise",
    "tinydb_without_fsync",
    "write_rows",
]

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday, as in tests/conftest.py

# (kind, argument): "cmd" sends a command, "pick" presses the button whose label contains
# the argument, "say" types text. The answers of tests/conversation.py ``log_rejection``,
# then the rest of tests/test_conversation.py::test_full_three_step_run...: Email, marked
# sent, feedback, two improvements, the regular cadence (which plans seven check-ins;
# "sent it" plans two: did you hear back, and the chase). First contact's name and place
# are skipped, as tests/conversation.py does.
Step = tuple[str, str]
FULL_RUN: tuple[Step, ...] = (
    ("cmd", "start"),
    ("cmd", "skip"),
    ("cmd", "skip"),
    ("pick", "Okay"),
    ("pick", "write down"),
    ("say", "Acme Corp"),
    ("say", "Backend Engineer"),
    ("pick", "Final round"),
    ("say", "yesterday"),
    ("say", "Dana Reyes"),
    ("pick", "Hiring manager"),
    ("pick", "that's everyone"),
    ("say", "They wanted more Kubernetes experience"),
    ("pick", "that's right"),
    ("pick", "Email"),
    ("pick", "sent it"),
    ("pick", "Yes, let me record it"),
    ("say", "Strong coding, but the system design round was shallow"),
    ("say", "Practise system design out loud"),
    ("pick", "Add another"),
    ("say", "Read up on Kubernetes operators"),
    ("pick", "That's the list"),
    ("pick", "Regular"),
)
PLAN_STEP = len(FULL_RUN) - 1  # the turn that plans the cadence's check-ins


def play(conv: Conversation, step: Step) -> None:
    kind, arg = step
    if kind == "cmd":
        conv.command(arg)
    elif kind == "pick":
        conv.pick(arg)
    else:
        conv.send(arg)


def check_finished(store: Store, user: UserRef, *, nudges: int) -> None:
    """A scripted run really reached its end: no open flow, the check-ins planned."""
    person = store.read(PEOPLE, user.key)
    if person is None or person["flow"] is not None or len(person["nudge_ids"]) != nudges:
        state = None if person is None else (person["flow"], len(person["nudge_ids"]))
        raise RuntimeError(f"scripted run for {user.key} did not finish as expected: {state}")


_CONTENT: Content | None = None


def content() -> Content:
    global _CONTENT
    if _CONTENT is None:
        _CONTENT = load_content(DEFAULT_CONTENT_DIR, known_actions=ACTIONS)
    return _CONTENT


def new_coach(store: Store, clock: ManualClock | None = None) -> Coach:
    return Coach(store=store, content=content(), clock=clock or ManualClock(START))


# -- statistics and tables ------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    median: float
    p99: float
    max: float


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: with 200 samples, p99 is the second largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarise(seconds: Sequence[float]) -> Summary:
    if not seconds:
        raise ValueError("no samples")
    return Summary(len(seconds), statistics.fmean(seconds), statistics.median(seconds),
                   percentile(seconds, 0.99), max(seconds))


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}x"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, so the output pastes into bench/README.md as it is."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "| " + " | ".join([first, *rest]) + " |"

    print(f"\n{title}\n")
    print(line(cells[0]))
    print("|" + "|".join(["-" * (widths[0] + 2)]
                         + ["-" * (w + 1) + ":" for w in widths[1:]]) + "|")
    for row in cells[1:]:
        print(line(row))
    sys.stdout.flush()


def machine() -> str:
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()}, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


# -- stores ---------------------------------------------------------------------------


class BenchPostgres:
    """A throwaway PostgreSQL server on loopback, or an existing one (``url``).

    Durable by default (``fsync``, ``synchronous_commit`` on, as in production), unlike
    the tests' server, so that PostgreSQL and TinyDB (which fsyncs every write) are
    compared on equal terms; ``fast=True`` uses the tests' settings instead.
    """

    def __init__(self, *, url: str | None = None, fast: bool = False) -> None:
        self._given = url
        self._fast = fast
        self._server: PostgresServer | None = None
        self.url = url or ""
        self._databases: list[str] = []

    def __enter__(self) -> BenchPostgres:
        if self._given:
            return self
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise SystemExit("PostgreSQL is not installed (looked in /usr/lib/postgresql/*/bin "
                             "and $PG_BIN); pass --stores without postgres, or --pg-url")
        server = PostgresServer(bin_dir, durable=not self._fast)
        self._server = server.start()
        self.url = self._server.url
        return self

    def database(self, name: str) -> str:
        """A fresh database on the server (dropped first if a previous run left it)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return self.url_for(name)

    def url_for(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.stop()
            return
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            for name in self._databases:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @property
    def settings(self) -> str:
        if self._given:
            return "given server"
        return "fsync=off, synchronous_commit=off" if self._fast else "fsync=on (defaults)"


@contextlib.contextmanager
def open_backend(kind: str, *, tmp_root: Path, pg: BenchPostgres | None,
                 name: str) -> Iterator[Store]:
    """A fresh, empty store of ``kind`` (memory, tinydb, postgres), closed afterwards."""
    store: Store
    if kind == "memory":
        store = MemoryStore()
    elif kind == "tinydb":
        store = TinyDBStore(tempfile.mkdtemp(prefix=f"{name}-", dir=tmp_root))
    elif kind == "postgres":
        if pg is None:
            raise ValueError("postgres needs a server")
        from bot.storage.postgres import PostgresStore

        store = PostgresStore(pg.database(name))
    else:
        raise ValueError(f"unknown store {kind!r}")
    try:
        yield store
    finally:
        store.close()


# -- filling a store quickly ----------------------------------------------------------

Row = tuple[str, str, Record]


def capture(store: Store, user: UserRef) -> tuple[Record, list[Record]]:
    """A person's record and their nudges, to be cloned."""
    person = store.read(PEOPLE, user.key)
    if person is None:
        raise RuntimeError(f"no person {user.key}")
    nudges = [store.read(NUDGES, nudge_id) for nudge_id in person["nudge_ids"]]
    return person, [n for n in nudges if n is not None]


def clone_rows(person: Record, nudges: Sequence[Record], user: UserRef,
               *, change_nudge: Callable[[Record], None] | None = None,
               change_person: Callable[[Record], None] | None = None) -> list[Row]:
    """The records of ``person`` as if ``user`` had had the same conversation: the person,
    each nudge under a new id, and each active nudge's due-index entry (the same records
    the engine writes, see bot/nudges/book.py)."""
    clone = copy.deepcopy(person)
    clone["user"] = {"platform": user.platform, "workspace": user.workspace, "id": user.user}
    rows: list[Row] = []
    ids: list[str] = []
    for original in nudges:
        nudge = copy.deepcopy(original)
        nudge["id"] = f"{time.time_ns():016x}{secrets.token_hex(4)}"
        nudge["user"] = user.key
        if change_nudge is not None:
            change_nudge(nudge)
        nudge["due_key"] = due_key(nudge) if nudge["state"] in ("planned", "claimed") else None
        if nudge["due_key"] is not None:
            rows.append((DUE, nudge["due_key"], {}))
        rows.append((NUDGES, nudge["id"], nudge))
        ids.append(nudge["id"])
    clone["nudge_ids"] = ids
    if change_person is not None:
        change_person(clone)
    rows.append((PEOPLE, user.key, clone))
    return rows


@contextlib.contextmanager
def tinydb_without_fsync() -> Iterator[None]:
    """Fill a TinyDB store without an fsync per file, then sync once.

    Only for populating before a measurement: every write still goes through
    ``TinyDBStore.write`` (same files, same layout), it just does not wait for the disk
    one file at a time. The measured turns afterwards fsync as always.
    """
    real, real_data = os.fsync, os.fdatasync
    os.fsync = os.fdatasync = lambda fd: None
    try:
        yield
    finally:
        os.fsync, os.fdatasync = real, real_data
        os.sync()


def add_store_options(parser: argparse.ArgumentParser, *, dir_help: str) -> None:
    """``--dir``, ``--pg-url`` and ``--pg-fast``, as every bench that opens stores takes."""
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()), help=dir_help)
    parser.add_argument("--pg-url", help="use this PostgreSQL server instead of starting one")
    parser.add_argument("--pg-fast", action="store_true",
                        help="start PostgreSQL with fsync=off like the tests (default: durable)")


FILL_COMMIT = 500  # records per commit when filling a store


def write_rows(store: Store, rows: Sequence[Row], *, pg_url: str | None = None) -> None:
    """Write records fast. PostgreSQL (``pg_url``): the statement ``PostgresStore.write``
    runs, pipelined in one transaction into the store's own table. Any other store: its
    own ``commit``, in chunks; wrap the call in :func:`tinydb_without_fsync` to fill
    TinyDB quickly."""
    if pg_url is not None:
        import psycopg
        from psycopg.types.json import Jsonb

        with psycopg.connect(pg_url) as conn, conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO notnow_records (namespace, key, doc) VALUES (%s, %s, %s)
                   ON CONFLICT (namespace, key) DO UPDATE SET doc = EXCLUDED.doc""",
                [(ns, key, Jsonb(doc)) for ns, key, doc in rows],
            )
        return
    for first in range(0, len(rows), FILL_COMMIT):  # a commit per chunk, as a log likes
        store.commit([Put(ns, key, doc) for ns, key, doc in rows[first:first + FILL_COMMIT]])
    sync_files = getattr(store, "sync_files", None)
    if sync_files is not None:  # TinyDB: measure nothing while its files are being written
        sync_files()


def wait_process(proc: subprocess.Popen[Any], timeout: float = 10) -> None:
    """Stop a child this bench started: close its stdin (it exits on EOF), then
    terminate, then kill, each after a bounded wait."""
    with contextlib.suppress(Exception):
        if proc.stdin is not None:
            proc.stdin.close()
    try:
        proc.wait(timeout=timeout)
        return
    except subprocess.TimeoutExpired:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


# -- the Slack stand-in, trimmed for load ---------------------------------------------


class BenchStandIn(SlackStandIn):
    """tests/standins/slack_api.py's Slack, answering exactly as it does, but keeping
    counts and post arrival times instead of every call: its ``wait_for`` rescans all
    calls on every call, which under load would measure the stand-in, not the app.

    ``chat.postMessage`` to a user id lands in that user's DM, as on Slack. The Web API
    method ``bench.stats`` answers with the counts (for a stand-in in another process).
    """

    def __init__(self, *, team: str) -> None:
        super().__init__(default_team=team)
        self.team = team
        self.counts: Counter[str] = Counter()
        self.posts: defaultdict[str, list[float]] = defaultdict(list)  # channel -> arrivals
        self._waiters: defaultdict[str, list[tuple[int, asyncio.Future[None]]]] = (
            defaultdict(list))

    def _answer(self, method: str, p: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "bench.stats":
            return {"ok": True, "counts": dict(self.counts)}
        return super()._answer(method, p, token)

    async def _record(self, call: ApiCall) -> None:
        self.counts[call.method] += 1
        if call.method != "chat.postMessage" or call.status != 200:
            return
        channel = str(call.params.get("channel", ""))
        if channel.startswith("U"):
            channel = dm_channel_id(self.team, channel)
        arrivals = self.posts[channel]
        arrivals.append(call.at)
        waiting = self._waiters.get(channel)
        if waiting:
            for entry in list(waiting):
                count, future = entry
                if len(arrivals) >= count:
                    waiting.remove(entry)
                    if not future.done():
                        future.set_result(None)

    async def wait_posts(self, channel: str, count: int, *, timeout: float) -> list[float]:
        """Arrival times (``time.perf_counter``) of the channel's posts, once there are
        at least ``count``."""
        arrivals = self.posts[channel]
        if len(arrivals) < count:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters[channel].append((count, future))
            await asyncio.wait_for(future, timeout)
        return arrivals
