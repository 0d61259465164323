"""How fast the Discord adapter acknowledges: gateway dispatch to interaction callback.

Discord gives a bot 3 seconds to acknowledge an interaction. This runs the real bot
(real coach on a temporary database, real discord.py client) against the local Discord
stand-in and measures, for ``/notnow start`` and for a button click, the time from the
stand-in sending ``INTERACTION_CREATE`` to it receiving the interaction callback:
first one at a time, then all at once as a burst.

    python bench/discord_latency.py [--count 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.discord import start_discord
from bot.app import build_coach
from bot.settings import Settings
from tests.standins.discord_api import DiscordStandIn

Json = dict[str, Any]


async def _latency(standin: DiscordStandIn, payload: Json) -> float:
    path = f"/interactions/{payload['id']}/{payload['token']}/callback"
    mark = len(standin.calls)
    sent_at = await standin.dispatch("INTERACTION_CREATE", payload)
    callback = await standin.wait_for_call(lambda c: c.path == path, after=mark, timeout=30)
    return callback.at - sent_at


async def _sequential(standin: DiscordStandIn, payloads: list[Json]) -> list[float]:
    return [await _latency(standin, payload) for payload in payloads]


async def _burst(standin: DiscordStandIn, payloads: list[Json]) -> list[float]:
    return list(await asyncio.gather(*(_latency(standin, p) for p in payloads)))


async def _until_quiet(standin: DiscordStandIn, quiet: float = 0.5) -> None:
    while True:
        count = len(standin.calls)
        await asyncio.sleep(quiet)
        if len(standin.calls) == count:
            return


def _first_button(standin: DiscordStandIn, user: Json) -> tuple[Json, str]:
    channel = standin.dm_channels[user["id"]]
    message = next(m for m in reversed(standin.messages_in(channel)) if m["components"])
    return message, message["components"][0]["components"][0]["custom_id"]


async def _round(
    standin: DiscordStandIn, count: int, prefix: str, burst: bool
) -> dict[str, list[float]]:
    run = _burst if burst else _sequential
    users = [standin.add_user(f"{prefix}{i}") for i in range(count)]
    slash = await run(standin, [standin.slash_command(u, "start") for u in users])
    await _until_quiet(standin)
    clicks = []
    for user in users:
        message, custom_id = _first_button(standin, user)
        clicks.append(standin.component_click(user, message, custom_id))
    click = await run(standin, clicks)
    await _until_quiet(standin)
    return {"/notnow start": slash, "button click": click}


def _row(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = statistics.quantiles(ms, n=100, method="inclusive")[98]
    median = statistics.median(ms)
    return f"| {name:<30} | {len(ms):>5} | {median:>9.2f} | {p99:>9.2f} | {ms[-1]:>9.2f} |"


async def main(count: int) -> None:
    logging.getLogger("discord").setLevel(logging.ERROR)
    standin = DiscordStandIn()
    await standin.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            db=str(Path(tmp) / "db"),
            discord_token=standin.token,
            discord_api_url=standin.base_url,
            discord_gateway_url=standin.gateway_url,
        )
        coach = build_coach(settings)
        bot = asyncio.create_task(start_discord(settings, coach))
        try:
            await standin.wait_until_connected()
            started = time.perf_counter()
            results = {
                "one at a time": await _round(standin, count, "seq", burst=False),
                f"burst of {count}": await _round(standin, count, "burst", burst=True),
            }
            elapsed = time.perf_counter() - started
        finally:
            bot.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await bot
            coach.store.close()
            await standin.close()
    print("Dispatch -> interaction callback, ms (local stand-in, real discord.py and coach)")
    print(f"| {'interaction':<30} | {'n':>5} | {'median':>9} | {'p99':>9} | {'max':>9} |")
    print(f"|{'-' * 32}|{'-' * 7}|{'-' * 11}|{'-' * 11}|{'-' * 11}|")
    for mode, series in results.items():
        for name, samples in series.items():
            print(_row(f"{name} ({mode})", samples))
    print(f"total {elapsed:.1f}s, {len(results) * 2 * count} interactions")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    asyncio.run(main(parser.parse_args().count))
