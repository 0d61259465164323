"""Run every configured adapter and the nudge scheduler in one process, on one loop.

This is the recommended single-machine deployment: one process owns the TinyDB files,
serves Slack and Discord, and dispatches nudges. ``send_due_once`` is the cron-style
alternative: one dispatch pass over REST, then exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from adapters.common.adapter import Adapter
from adapters.common.dispatch import nudge_dispatcher
from adapters.common.turns import size_worker_pool
from bot.conversation.engine import Coach
from bot.interfaces import NudgeSender
from bot.nudges.dispatcher import DispatchReport
from bot.nudges.scheduler import NudgeScheduler
from bot.settings import Settings

__all__ = ["build_adapters", "run_adapters", "send_due_once", "serve"]

log = logging.getLogger(__name__)


def build_adapters(settings: Settings, coach: Coach, *, slack: bool, discord: bool,
                   slack_port: int = 3000, discord_sync: bool = False) -> list[Adapter]:
    """The adapters asked for, not yet started. Each platform's library is imported
    only when that platform is used."""
    adapters: list[Adapter] = []
    if slack:
        from adapters.slack.service import SlackAdapter

        adapters.append(SlackAdapter(settings, coach, port=slack_port))
    if discord:
        from adapters.discord.adapter import DiscordAdapter

        adapters.append(DiscordAdapter(settings, coach, sync=discord_sync))
    return adapters


async def serve(settings: Settings, coach: Coach, *, slack: bool, discord: bool,
                slack_port: int = 3000, discord_sync: bool = False,
                stop: asyncio.Event | None = None) -> None:
    """Serve until SIGINT/SIGTERM (or ``stop`` is set); the caller closes the coach."""
    adapters = build_adapters(settings, coach, slack=slack, discord=discord,
                              slack_port=slack_port, discord_sync=discord_sync)
    await run_adapters(adapters, coach, stop=stop or _stop_on_signals())


async def run_adapters(adapters: list[Adapter], coach: Coach, *, stop: asyncio.Event) -> None:
    """Start each adapter, dispatch nudges through their senders until ``stop`` is set or
    an adapter stops by itself (whose error is raised), then stop them all, also when a
    start fails halfway."""
    size_worker_pool(coach.store.workers)
    started: list[Adapter] = []
    scheduler: NudgeScheduler | None = None
    try:
        for adapter in adapters:
            started.append(adapter)
            await adapter.start()
        senders: dict[str, NudgeSender] = {a.name: a.nudge_sender() for a in started}
        scheduler = NudgeScheduler(nudge_dispatcher(coach, senders))
        scheduler.start()
        log.info("notnow serving %s with the nudge scheduler", ", ".join(senders) or "nothing")
        await _until_stopped(started, stop)
    finally:
        if scheduler is not None:
            await scheduler.stop()
        for adapter in reversed(started):
            await adapter.stop()


async def _until_stopped(adapters: list[Adapter], stop: asyncio.Event) -> None:
    stopped = asyncio.create_task(stop.wait())
    closed = [asyncio.create_task(a.wait_closed()) for a in adapters]
    try:
        done, _ = await asyncio.wait([stopped, *closed], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopped:
                task.result()  # raises what stopped the adapter
    finally:
        for task in (stopped, *closed):
            task.cancel()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


@contextlib.asynccontextmanager
async def _rest_senders(settings: Settings) -> AsyncIterator[dict[str, NudgeSender]]:
    """Senders that need no running bot: Slack's Web API and Discord's REST API."""
    senders: dict[str, NudgeSender] = {}
    async with contextlib.AsyncExitStack() as stack:
        from adapters.slack.oauth import uses_oauth

        if settings.slack_bot_token or uses_oauth(settings):
            from adapters.slack.nudges import rest_sender

            senders["slack"] = await stack.enter_async_context(rest_sender(settings))
        if settings.discord_token:
            from adapters.discord.sender import DiscordNudgeSender, rest_client

            senders["discord"] = DiscordNudgeSender(
                await stack.enter_async_context(rest_client(settings)))
        yield senders


async def send_due_once(settings: Settings, coach: Coach) -> DispatchReport:
    size_worker_pool(coach.store.workers)
    async with _rest_senders(settings) as senders:
        return await nudge_dispatcher(coach, senders).send_due()
