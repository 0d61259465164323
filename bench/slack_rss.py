"""Memory of `notnow slack` as people come and go: RSS after 1,000 and after 100,000.

Issue 13 asks that per-person state be pruned, so that the process's memory stays flat as
new people arrive: the RSS after 100,000 distinct people have had a turn within 1.2x of
the RSS after 1,000. This starts the real CLI, ``notnow slack`` in HTTP mode (a child
process, TinyDB store in a temporary folder, ``SLACK_API_URL`` at the Slack stand-in of
``bench/common.py`` in this process), and sends each new person's first DM, signed as
Slack signs it, with a bounded number in flight. A person counts once the coach's first
reply reached the stand-in. At each checkpoint the child's ``VmRSS`` (and its peak,
``VmHWM``) is read from ``/proc/<pid>/status``, after a short pause so that the
executor's threads are idle.

    .venv/bin/python bench/slack_rss.py [--people 1000,100000] [--concurrency 50]
        [--every 10000] [--max-seconds 0] [--dir /tmp] [--quick]

``--quick`` stops at 10,000. ``--max-seconds`` stops early (reporting the last
checkpoint reached) when the run takes longer. The load generator and the stand-in share
the machine with the child, so time per person is indicative only; RSS is the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, BenchStandIn, fmt_ratio, machine, print_table
from tests.standins.slack_api import dm_channel_id, dm_message, event_callback, sign

SECRET = "bench-signing-secret-0123456789ab"
TOKEN = "xoxb-bench-slack"
TEAM = "T0BENCH"
TIMEOUT = 60.0
SETTLE = 1.0  # seconds of quiet before reading RSS


@dataclass(frozen=True)
class Checkpoint:
    people: int
    rss_kib: int
    hwm_kib: int
    seconds: float  # since the first person was sent


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB, from /proc (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.split()[0] if value.split() else "0"
    return int(fields["VmRSS"]), int(fields["VmHWM"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(api_url: str, db: Path) -> dict[str, str]:
    """HTTP mode on TinyDB, every other platform off; this checkout's code imported."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "DISCORD_", "NOTNOW_"))}
    env.update(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url,
               NOTNOW_DB=str(db), PYTHONPATH=str(REPO))
    return env


@contextlib.contextmanager
def notnow_slack(api_url: str, folder: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``notnow slack --port PORT``, the console script next to this Python, stopped with
    SIGTERM (then SIGKILL) at the end; its output goes to a file, shown if it fails."""
    script = Path(sys.executable).parent / "notnow"
    log_path = folder / "notnow.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, str(script), "slack", "--port", str(port)],
                                env=child_env(api_url, folder / "db"), cwd=folder,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        except BaseException:
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def wait_healthy(session: aiohttp.ClientSession, base: str,
                       proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"notnow slack exited with {proc.returncode}")
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(f"{base}/healthz") as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise RuntimeError("notnow slack did not answer /healthz within 60 s")


class People:
    """New people, each sending one signed DM and waiting for the coach's first reply."""

    def __init__(self, session: aiohttp.ClientSession, url: str,
                 standin: BenchStandIn) -> None:
        self.session = session
        self.url = url
        self.standin = standin
        self.ids = itertools.count(1)

    async def first_turn(self) -> None:
        user = f"U{next(self.ids):09d}"
        body = json.dumps(event_callback(TEAM, dm_message(TEAM, user, "hi")))
        stamp = int(time.time())
        headers = {"Content-Type": "application/json",
                   "X-Slack-Request-Timestamp": str(stamp),
                   "X-Slack-Signature": sign(SECRET, stamp, body)}
        async with self.session.post(self.url, data=body.encode(), headers=headers) as resp:
            await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"notnow answered HTTP {resp.status}")
        channel = dm_channel_id(TEAM, user)
        await self.standin.wait_posts(channel, 1, timeout=TIMEOUT)
        self.standin.posts.pop(channel, None)  # the stand-in's memory is not measured

    async def send(self, count: int, concurrency: int) -> None:
        """``count`` new people, at most ``concurrency`` in flight."""
        left = iter(range(count))

        async def worker() -> None:
            for _ in left:
                await self.first_turn()

        await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))


async def run(args: argparse.Namespace) -> None:
    marks = sorted({int(p) for p in args.people.split(",")})
    every = args.every or marks[-1]
    stops = sorted(set(marks) | set(range(every, marks[-1], every)))
    print(f"slack_rss: {machine()}")
    print(f"{marks[-1]:,} new people, one DM each, {args.concurrency} in flight; "
          f"checkpoints {', '.join(f'{s:,}' for s in stops)}", flush=True)
    checkpoints: list[Checkpoint] = []
    with tempfile.TemporaryDirectory(prefix="slack-rss-", dir=args.dir) as tmp:
        standin = BenchStandIn(team=TEAM)
        await standin.start()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        try:
            with notnow_slack(standin.api_url, Path(tmp), port) as proc:
                async with aiohttp.ClientSession(
                        connector=aiohttp.TCPConnector(limit=0)) as session:
                    await wait_healthy(session, base, proc)
                    people = People(session, f"{base}/slack/events", standin)
                    rss, hwm = memory_kib(proc.pid)
                    print(f"  started: VmRSS {rss:,} KiB", flush=True)
                    started, done = time.perf_counter(), 0
                    for stop in stops:
                        await people.send(stop - done, args.concurrency)
                        done = stop
                        await asyncio.sleep(SETTLE)
                        rss, hwm = memory_kib(proc.pid)
                        point = Checkpoint(done, rss, hwm, time.perf_counter() - started)
                        checkpoints.append(point)
                        print(f"  {done:>8,} people: VmRSS {rss:,} KiB, VmHWM {hwm:,} KiB, "
                              f"{point.seconds:.0f} s", flush=True)
                        if args.max_seconds and point.seconds > args.max_seconds:
                            print(f"  stopping: over --max-seconds {args.max_seconds}")
                            break
        finally:
            await standin.stop()
    report(checkpoints, marks)


def report(checkpoints: list[Checkpoint], marks: list[int]) -> None:
    first = next((c for c in checkpoints if c.people == marks[0]), checkpoints[0])
    rows = []
    for point in checkpoints:
        if point.people not in marks and point is not checkpoints[-1]:
            continue
        rows.append([f"{point.people:,}", f"{point.rss_kib / 1024:.1f}",
                     f"{point.hwm_kib / 1024:.1f}", fmt_ratio(point.rss_kib / first.rss_kib),
                     f"{point.seconds:.0f}"])
    print_table(f"notnow slack (TinyDB), RSS after N distinct people had a turn (MiB; ratio "
                f"against N = {first.people:,}; goal: within 1.2x)",
                ["people", "VmRSS", "VmHWM", "RSS ratio", "seconds so far"], rows)
    last = checkpoints[-1]
    if last.people > first.people:
        per_person = (last.rss_kib - first.rss_kib) * 1024 / (last.people - first.people)
        print(f"\ngrowth {per_person:,.0f} bytes per person between {first.people:,} and "
              f"{last.people:,}; {last.people:,} people took {last.seconds:.0f} s "
              f"({last.people / last.seconds:,.0f} people/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="1000,100000",
                        help="report RSS after these many people (default 1000,100000)")
    parser.add_argument("--concurrency", type=int, default=50, help="DMs in flight")
    parser.add_argument("--every", type=int, default=10000,
                        help="also read RSS every this many people (progress)")
    parser.add_argument("--max-seconds", type=float, default=0,
                        help="stop after the checkpoint that passes this many seconds")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                        help="where the TinyDB folder goes")
    parser.add_argument("--quick", action="store_true", help="--people 1000,10000")
    args = parser.parse_args()
    if args.quick:
        args.people = "1000,10000"
        args.every = min(args.every, 5000)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
