"""What Slack knows about a person, for :class:`~adapters.common.profile.ProfileSync`.

``users.info`` gives the time zone (``user.tz``) and the name drafts are signed with
(``user.profile.real_name``, else ``user.real_name``). A refusal is logged with the team
and user and gives ``None``: the profile is best effort, the turn goes on.
"""

from __future__ import annotations

import dataclasses
import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common.profile import Profile, ProfileSource
from bot.messages import UserRef

__all__ = ["is_workspace_admin", "profile_from_user", "users_info"]

log = logging.getLogger(__name__)


def users_info(client: AsyncWebClient, who: UserRef, *,
               dm_channel: str | None = None) -> ProfileSource:
    """A source that asks ``users.info`` about ``who`` when the sync needs it, and adds
    ``dm_channel`` (their DM as ``conversations.open`` gave it), so the person's record
    keeps it for check-ins even when ``users.info`` says nothing."""

    async def fetch() -> Profile | None:
        found = await _users_info(client, who)
        if dm_channel:
            return dataclasses.replace(found or Profile(), dm_channel=dm_channel)
        return found

    return fetch


async def _users_info(client: AsyncWebClient, who: UserRef) -> Profile | None:
    try:
        response = await client.users_info(user=who.user)
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error")
        log.warning("slack users.info failed: %s (team=%s user=%s)",
                    error, who.workspace, who.user)
        return None
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("slack users.info failed: %r (team=%s user=%s)",
                    exc, who.workspace, who.user)
        return None
    user = response.get("user")
    return profile_from_user(user) if isinstance(user, dict) else None


async def is_workspace_admin(client: AsyncWebClient, who: UserRef) -> bool:
    """Whether Slack says ``who`` administers or owns their workspace (``users.info``:
    ``user.is_admin`` or ``user.is_owner``). Asked afresh each time, since roles change;
    any refusal, or a user of another team, counts as no."""
    try:
        response = await client.users_info(user=who.user)
    except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("slack users.info failed for an admin check: %s (team=%s user=%s)",
                    type(exc).__name__, who.workspace, who.user)
        return False
    user = response.get("user")
    if not isinstance(user, dict) or user.get("deleted"):
        return False
    team = user.get("team_id")
    if isinstance(team, str) and team and team != who.workspace:
        return False
    return user.get("is_admin") is True or user.get("is_owner") is True


def profile_from_user(user: dict[str, object]) -> Profile:
    """The time zone and name from a ``users.info`` ``user`` object, where present."""
    tz = user.get("tz")
    profile = user.get("profile")
    name = (profile.get("real_name") if isinstance(profile, dict) else None) or user.get(
        "real_name")
    return Profile(timezone=tz if isinstance(tz, str) and tz else None,
                   display_name=name if isinstance(name, str) and name else None)
