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
from typing import TYPE_CHECKING

from bot.dispatcher import DispatchReport, NudgeDispatcher
from bot.engine import Coach
from bot.interfaces import NudgeSender
from bot.scheduler import NudgeScheduler
from bot.settings import Settings

if TYPE_CHECKING:
    from adapters.discord.client import NotnowClient

__all__ = ["send_due_once", "serve"]

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0


async def serve(settings: Settings, coach: Coach, *, slack: bool, discord: bool,
                slack_port: int = 3000, discord_sync: bool = False,
                stop: asyncio.Event | None = None) -> None:
    """Serve until SIGINT/SIGTERM (or ``stop`` is set); the caller closes the coach."""
    stop = stop or _stop_on_signals()
    senders: dict[str, NudgeSender] = {}
    background: list[asyncio.Task[None]] = []
    cleanups = []
    if slack:
        from adapters.slack import start_slack
        from adapters.slack.nudges import SlackNudgeSender

        service = await start_slack(settings, coach, port=slack_port)
        senders["slack"] = SlackNudgeSender.for_app(service.app)
        cleanups.append(service.stop)
    if discord:
        from adapters.discord.client import NotnowClient
        from adapters.discord.runner import start_discord
        from adapters.discord.sender import DiscordNudgeSender

        client = NotnowClient(coach, sync=discord_sync)
        background.append(asyncio.create_task(start_discord(settings, coach, client=client)))
        await _wait_ready(client, background[-1])
        senders["discord"] = DiscordNudgeSender(client)
    scheduler = NudgeScheduler(NudgeDispatcher(coach=coach, senders=senders))
    scheduler.start()
    log.info("notnow serving %s with the nudge scheduler", ", ".join(senders) or "nothing")
    try:
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopped, *background], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopped and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        await scheduler.stop()
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for cleanup in cleanups:
            await cleanup()


async def _wait_ready(client: NotnowClient, task: asyncio.Task[None]) -> None:
    """Nudges go out only once the client can send; a failed login surfaces here."""
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait([ready, task], timeout=READY_TIMEOUT,
                                 return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()
        raise RuntimeError("the Discord client stopped before it was ready")
    if ready not in done:
        ready.cancel()
        raise TimeoutError("the Discord client was not ready within a minute")


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
    async with _rest_senders(settings) as senders:
        return await NudgeDispatcher(coach=coach, senders=senders).send_due()
