"""One person's turn with the coach, from Discord: who they are, and one turn at a time.

A Discord user id is global, and a conversation that starts with a slash command in a
server continues in DMs, where there is no server. So every Discord user maps to one
:class:`UserRef` with workspace ``"discord"``, whichever server they came from.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord

from bot.engine import Coach
from bot.interfaces import StoreError
from bot.messages import Input, Reply, UserRef

__all__ = ["PLATFORM", "TurnLocks", "take_turn", "user_ref"]

log = logging.getLogger(__name__)

PLATFORM = "discord"
WORKSPACE = "discord"


def user_ref(user: discord.abc.Snowflake) -> UserRef:
    return UserRef(platform=PLATFORM, workspace=WORKSPACE, user=str(user.id))


_known_names: dict[int, str] = {}


async def take_turn(coach: Coach, user: discord.abc.Snowflake, event: Input) -> list[Reply]:
    """Run the (blocking, disk-touching) engine off the event loop. The person's Discord
    display name is passed on when it is new to this process (drafts are signed with it).

    The name is best effort: a store that cannot save it (a full disk) must not cost the
    person their answer; the turn's own save then fails politely, and the name is tried
    again next turn."""
    who = user_ref(user)
    name = getattr(user, "display_name", None)
    if isinstance(name, str) and name and _known_names.get(user.id) != name:
        try:
            await asyncio.to_thread(coach.set_display_name, who, name)
        except StoreError as exc:
            log.warning("could not save the Discord profile: %s", type(exc).__name__)
        else:
            _known_names[user.id] = name
    return await asyncio.to_thread(coach.handle, who, event)


class TurnLocks:
    """Per-person locks held from the engine call until the replies are sent.

    The engine already serialises turns per person, but two quick messages could still
    have their replies sent in the wrong order; holding the lock across the send keeps a
    conversation in order. Locks nobody holds are dropped (a weak dictionary).
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, user: discord.abc.Snowflake) -> AsyncIterator[None]:
        lock = self._locks.get(user.id)
        if lock is None:
            lock = self._locks[user.id] = asyncio.Lock()
        async with lock:
            yield
