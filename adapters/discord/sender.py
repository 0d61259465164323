"""Nudges into Discord DMs, for the dispatcher (``bot.nudges.dispatcher``).

Each nudge message carries the nudge id as its nonce with ``enforce_nonce``, so if a
crash makes the dispatcher send the same nudge again within Discord's nonce window,
Discord returns the first message instead of posting a second. Discord offers no way to
*ask* whether a message was sent, so ``was_delivered`` is ``None`` and the dispatcher
resends that one nudge, which the nonce then deduplicates.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import aiohttp
import discord

from adapters.discord.delivery import DMClosedError, send_replies_to_user
from adapters.discord.runner import apply_endpoints
from bot.interfaces import DeliveryError
from bot.messages import Reply, UserRef
from bot.ops.metrics import PLATFORM_API_ERRORS
from bot.settings import Settings

__all__ = ["DiscordNudgeSender", "rest_client"]


class DiscordNudgeSender:
    platform = "discord"

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        """``dm_channel`` is not needed: the Discord adapter stores none, and discord.py
        keeps the DM channel of every user it has opened one with."""
        try:
            await send_replies_to_user(self._client, user.user, replies)
        except DMClosedError:
            PLATFORM_API_ERRORS.labels("discord", "dm_closed").inc()
            raise DeliveryError("dm_closed", retryable=True) from None  # they may open DMs
        except discord.NotFound:
            PLATFORM_API_ERRORS.labels("discord", "not_found").inc()
            raise DeliveryError("user_not_found", retryable=False) from None
        except discord.HTTPException as exc:
            PLATFORM_API_ERRORS.labels("discord", str(exc.code or exc.status)).inc()
            raise DeliveryError(f"discord_{exc.status}_{exc.code}", retryable=True) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"network: {exc!r}", retryable=True) from None

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        return None


@contextlib.asynccontextmanager
async def rest_client(settings: Settings) -> AsyncIterator[discord.Client]:
    """A logged-in client that speaks REST only (no gateway), for ``nudges send-due``.

    :raises discord.LoginFailure: the token was refused (revoked or wrong).
    """
    if not settings.discord_token:
        raise ValueError("DISCORD_TOKEN is not set")
    apply_endpoints(settings)
    client = discord.Client(intents=discord.Intents.none(),
                            allowed_mentions=discord.AllowedMentions.none())
    async with client:
        await client.login(settings.discord_token)
        yield client
