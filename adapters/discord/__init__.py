"""The Discord adapter: translate Discord events to engine inputs and replies back.

Entry points: :func:`run` for ``notnow discord``, :func:`start_discord` to run on an
existing event loop (``notnow serve``), and :func:`send_replies_to_user` for messages
nobody asked for right now, such as nudges.
"""

from __future__ import annotations

from adapters.discord.client import NotnowClient
from adapters.discord.delivery import DMClosedError, send_replies_to_user
from adapters.discord.runner import run, start_discord

__all__ = ["DMClosedError", "NotnowClient", "run", "send_replies_to_user", "start_discord"]
