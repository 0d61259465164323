"""Tell the engine each person's time zone and name, once per process.

Nudges go out "during your usual hours", which only works if the engine knows where the
person is, and drafts read better signed with the person's name. Slack already knows
both (``users.info`` → ``user.tz``, ``user.profile.real_name``), so the adapter asks on
a person's first interaction after a start and passes them on; a change is picked up at
the next restart, which is soon enough.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.interfaces import StoreError
from bot.messages import UserRef

if TYPE_CHECKING:
    from bot.engine import Coach

__all__ = ["TimezoneSync"]

log = logging.getLogger(__name__)


class TimezoneSync:
    """``await ensure(client, who)`` before a turn; only the first call per person asks."""

    def __init__(self, *, coach: Coach) -> None:
        self._coach = coach
        self._seen: set[str] = set()

    async def ensure(self, client: AsyncWebClient, who: UserRef) -> None:
        if who.key in self._seen:
            return
        # Marked before asking: a failing users.info is not retried on every message.
        self._seen.add(who.key)
        try:
            response = await client.users_info(user=who.user)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error")
            log.warning(
                "slack users.info failed: %s (team=%s user=%s)", error, who.workspace, who.user
            )
            return
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning(
                "slack users.info failed: %r (team=%s user=%s)", exc, who.workspace, who.user
            )
            return
        user = response.get("user") or {}
        if isinstance(user, dict):
            await self._adopt(who, user)

    async def _adopt(self, who: UserRef, user: dict[str, object]) -> None:
        """Hand the time zone and name to the engine. Best effort: a store that cannot
        save them (a full disk) must not cost the person the answer to their turn, whose
        own save then fails politely; the next turn tries the profile again."""
        tz = user.get("tz")
        profile = user.get("profile")
        name = (profile.get("real_name") if isinstance(profile, dict) else None) or user.get(
            "real_name")
        try:
            if isinstance(tz, str) and tz:
                await asyncio.to_thread(self._coach.set_timezone, who, tz)
            if isinstance(name, str) and name:
                await asyncio.to_thread(self._coach.set_display_name, who, name)
        except StoreError as exc:
            self._seen.discard(who.key)
            log.warning(
                "could not save the Slack profile: %s (team=%s user=%s)",
                type(exc).__name__,
                who.workspace,
                who.user,
            )
