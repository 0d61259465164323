"""The Discord adapter: translate Discord events to engine inputs and replies back.

Entry points: :class:`DiscordAdapter`, the bot behind the adapter interface that
``notnow serve`` and ``notnow discord`` loop over; :func:`start_discord` to run the bot on
an existing event loop; and :func:`send_replies_to_user` for messages nobody asked for
right now, such as nudges.
"""

from __future__ import annotations

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.client import NotnowClient
from adapters.discord.delivery import DMClosedError, send_replies_to_user
from adapters.discord.runner import start_discord

__all__ = [
    "DMClosedError",
    "DiscordAdapter",
    "NotnowClient",
    "send_replies_to_user",
    "start_discord",
]
