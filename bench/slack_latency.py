"""How fast the Slack adapter answers: the HTTP ack, and the first reply in the DM.

Slack shows the person an error when an app takes more than three seconds to ack, and
the person waits for the first DM reply either way, so both are measured. The bench
starts the Slack stand-in (tests/standins/slack_api.py), a real coach on a temporary
TinyDB, and the adapter in HTTP mode, all on loopback; then it sends signed requests
the way Slack does.

    python bench/slack_latency.py [--requests 200] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from adapters.slack import start_slack  # noqa: E402
from bot.app import build_coach  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.standins.slack_api import SentRequest, SlackSide, SlackStandIn, dm_channel_id  # noqa: E402

SECRET = "bench-signing-secret"
TEAM = "T0BENCH"
Send = Callable[[str], Awaitable[SentRequest]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def measure(
    api: SlackStandIn, send: Send, users: list[str], concurrency: int
) -> tuple[list[float], list[float]]:
    """Per request: seconds until the HTTP answer, and until the first chat.postMessage
    into that user's DM reached the stand-in."""
    acks: list[float] = []
    firsts: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(user: str) -> None:
        channel = dm_channel_id(TEAM, user)
        async with gate:
            started = time.perf_counter()
            sent = await send(user)
            if sent.status != 200:
                raise RuntimeError(f"{user}: HTTP {sent.status} {sent.text}")
            acks.append(sent.seconds)
            [first, *_] = await api.wait_for(
                "chat.postMessage",
                where=lambda c: c.params.get("channel") == channel and c.at >= started,
                timeout=10,
            )
            firsts.append(first.at - started)

    await asyncio.gather(*(one(user) for user in users))
    return acks, firsts


def row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    median, p99 = statistics.median(ms), percentile(ms, 0.99)
    return f"{name:<22}{len(ms):>6}{median:>12.1f}{p99:>10.1f}{max(ms):>10.1f}"


async def main(requests: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with SlackStandIn() as api:
            settings = Settings(
                _env_file=None,
                db=str(Path(tmp) / "db"),
                slack_bot_token="xoxb-bench",
                slack_signing_secret=SECRET,
                slack_api_url=api.api_url,
                slack_app_token=None,
                slack_client_id=None,
                slack_client_secret=None,
            )
            coach = build_coach(settings)
            service = await start_slack(settings, coach, port=0, host="127.0.0.1")
            try:
                async with aiohttp.ClientSession() as session:
                    url = f"http://127.0.0.1:{service.port}/slack/events"
                    slack = SlackSide(session, url=url, signing_secret=SECRET)
                    warmup = [f"UWARM{i:03d}" for i in range(5)]
                    await measure(api, lambda u: slack.slash(TEAM, u), warmup, 1)
                    users = [f"UBENCH{i:05d}" for i in range(requests)]
                    slash = await measure(api, lambda u: slack.slash(TEAM, u), users, concurrency)
                    dms = await measure(
                        api, lambda u: slack.dm(TEAM, u, "hello"), users, concurrency
                    )
                    await api.settle(quiet=0.3, timeout=30)
            finally:
                await service.stop()
                coach.store.close()
    print(f"Slack adapter latency, {requests} requests each, concurrency {concurrency} (ms)")
    print(f"{'':<22}{'n':>6}{'median':>12}{'p99':>10}{'max':>10}")
    print(row("/notnow ack", slash[0]))
    print(row("/notnow first reply", slash[1]))
    print(row("DM event ack", dms[0]))
    print(row("DM event first reply", dms[1]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
