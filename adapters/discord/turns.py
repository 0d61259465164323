"""Who a Discord user is to the coach, and what Discord says about them.

A Discord user id is global, and a conversation that starts with a slash command in a
server continues in DMs, where there is no server. So every Discord user maps to one
:class:`UserRef` with workspace ``"discord"``, whichever server they came from.

Turns themselves (one at a time per person, the engine off the event loop, failures
logged) are :class:`~adapters.common.turns.TurnRunner`'s, shared with Slack.
"""

from __future__ import annotations

import discord

from adapters.common.profile import Profile, ProfileSource
from bot.messages import UserRef

__all__ = ["PLATFORM", "display_name", "profile_of", "user_ref"]

PLATFORM = "discord"
WORKSPACE = "discord"


def user_ref(user: discord.abc.Snowflake) -> UserRef:
    return UserRef(platform=PLATFORM, workspace=WORKSPACE, user=str(user.id))


def display_name(user: discord.abc.Snowflake) -> str:
    """The name Discord shows for ``user`` (drafts are signed with it); ``""`` if none."""
    name = getattr(user, "display_name", None)
    return name if isinstance(name, str) else ""


def profile_of(user: discord.abc.Snowflake) -> ProfileSource:
    """Discord hands the display name over with every event: no API call needed. Use
    :func:`display_name` as the sync's ``version``, so a new name is passed on."""
    profile = Profile(display_name=display_name(user) or None)

    async def known() -> Profile:
        return profile

    return known
