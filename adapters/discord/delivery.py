"""Getting replies to a person: into their DMs, or as followups to an interaction.

Sending is where Discord says no: a member who turned off "Direct Messages" for a server
(or blocked the bot) makes every DM fail with HTTP 403 and error code 50007. That case
becomes :class:`DMClosedError`, so a caller can tell the person how to open their DMs,
and a nudge dispatcher can mark the nudge undeliverable instead of retrying it.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord.utils import MISSING

from adapters.discord.render import Outgoing, render_reply
from bot.messages import Reply

__all__ = [
    "DM_CLOSED_CODE",
    "NO_MENTIONS",
    "DMClosedError",
    "send_replies",
    "send_replies_to_user",
    "send_to_dm",
]

DM_CLOSED_CODE = 50007
NO_MENTIONS = discord.AllowedMentions.none()

Destination = discord.abc.Messageable | discord.Webhook


class DMClosedError(Exception):
    """Discord refused to deliver a DM to this user (error 50007)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"Discord user {user_id} does not accept direct messages from the bot")
        self.user_id = user_id


async def _send(destination: Destination, message: Outgoing) -> None:
    view = message.view if message.view is not None else MISSING
    file = message.discord_file() or MISSING
    if isinstance(destination, discord.Webhook):
        # Interaction followups: webhooks take no nonce, and wait=True keeps the order.
        await destination.send(
            message.content, allowed_mentions=NO_MENTIONS, view=view, file=file, wait=True
        )
    else:
        # ``nonce=None`` lets discord.py pick a random one, as for any other send.
        await destination.send(
            message.content,
            allowed_mentions=NO_MENTIONS,
            view=view,
            file=file,
            nonce=message.nonce,  # type: ignore[arg-type]
        )


async def send_replies(destination: Destination, replies: Sequence[Reply]) -> None:
    """Send every reply in order, each as one or more messages.

    :raises discord.HTTPException: Discord refused a message.
    """
    for reply in replies:
        for message in render_reply(reply):
            await _send(destination, message)


async def send_to_dm(
    channel: discord.abc.Messageable, replies: Sequence[Reply], user_id: str
) -> None:
    """Like :func:`send_replies`, for a DM channel.

    :raises DMClosedError: the person does not accept DMs from the bot.
    :raises discord.HTTPException: any other refusal.
    """
    try:
        await send_replies(channel, replies)
    except discord.Forbidden as exc:
        if exc.code == DM_CLOSED_CODE:
            raise DMClosedError(user_id) from exc
        raise


async def send_replies_to_user(
    client: discord.Client, user_id: str, replies: Sequence[Reply]
) -> None:
    """Open (or reuse) the DM with ``user_id`` and send the replies there.

    Meant for messages nobody asked for right now, such as nudges; ``Reply.nudge_id``
    becomes the message nonce so Discord drops a duplicate send.

    :raises DMClosedError: the person does not accept DMs from the bot.
    :raises discord.HTTPException: Discord refused the DM channel or a message.
    """
    channel = await client.create_dm(discord.Object(id=int(user_id)))
    await send_to_dm(channel, replies, user_id)
