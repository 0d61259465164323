"""Discord behind the adapter interface that ``notnow serve`` loops over."""

from __future__ import annotations

import asyncio
import contextlib

from adapters.discord.client import NotnowClient
from adapters.discord.runner import start_discord
from adapters.discord.sender import DiscordNudgeSender
from bot.conversation.engine import Coach
from bot.settings import Settings

__all__ = ["READY_TIMEOUT", "DiscordAdapter"]

READY_TIMEOUT = 60.0


class DiscordAdapter:
    """Discord as an :class:`~adapters.common.adapter.Adapter`: the client runs in a task
    of its own, and ``start`` returns once it is ready to send."""

    name = "discord"

    def __init__(self, settings: Settings, coach: Coach, *, sync: bool = False,
                 ready_timeout: float = READY_TIMEOUT) -> None:
        self._settings = settings
        self._ready_timeout = ready_timeout
        self.client = NotnowClient(coach, sync=sync)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """:raises ValueError: no ``DISCORD_TOKEN``. :raises discord.LoginFailure: the token
        was refused. :raises TimeoutError: not ready within ``ready_timeout``."""
        coach = self.client.coach
        self._task = asyncio.create_task(start_discord(self._settings, coach, client=self.client))
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait([ready, self._task], timeout=self._ready_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            ready.cancel()
            self._task.result()
            raise RuntimeError("the Discord client stopped before it was ready")
        if ready not in done:
            ready.cancel()
            raise TimeoutError("the Discord client was not ready in time")

    async def wait_closed(self) -> None:
        if self._task is None:
            raise RuntimeError("the Discord adapter is not started")
        await asyncio.shield(self._task)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    def nudge_sender(self) -> DiscordNudgeSender:
        return DiscordNudgeSender(self.client)
