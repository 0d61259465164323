"""Starting the Discord bot on a running event loop (``notnow serve`` and ``notnow discord``).

``DISCORD_API_URL`` and ``DISCORD_GATEWAY_URL`` point discord.py somewhere else than
discord.com, for the local stand-in in tests and benchmarks. discord.py keeps both as
class attributes, so they apply to the whole process.
"""

from __future__ import annotations

import logging

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.common.turns import size_worker_pool
from adapters.discord.client import NotnowClient
from bot.conversation.engine import Coach
from bot.settings import Settings

__all__ = ["apply_endpoints", "start_discord"]

log = logging.getLogger(__name__)


def apply_endpoints(settings: Settings) -> None:
    """Point REST and gateway at the configured URLs, if any.

    The sharded client asks ``GET /gateway/bot`` for its gateway URL; the default gateway
    still matters after Discord invalidates a session, when discord.py falls back to it.
    """
    if settings.discord_api_url:
        Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def start_discord(settings: Settings, coach: Coach, *, sync: bool = False,
                        client: NotnowClient | None = None) -> None:
    """Run the bot until it is closed or this task is cancelled; the coach stays open.

    Pass ``client`` to keep a handle on it, e.g. for the nudge dispatcher's sender.

    :raises ValueError: ``DISCORD_TOKEN`` is not set.
    :raises discord.LoginFailure: Discord rejected the token.
    """
    if not settings.discord_token:
        raise ValueError("DISCORD_TOKEN is not set")
    apply_endpoints(settings)
    size_worker_pool(coach.store.workers)
    client = client or NotnowClient(coach, sync=sync)
    async with client:
        await client.start(settings.discord_token)
