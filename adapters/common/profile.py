"""Tell the engine what the platform knows about a person: time zone and display name.

Check-ins go out "during your usual hours", which only works if the engine knows where
the person is, and drafts read better signed with their name. Slack and Discord both know
(Slack: ``users.info``; Discord: the display name on every event), so an adapter passes
them on before a person's first turn in this process; a change is picked up at the next
restart, or, where the platform hands the profile over with every event, as soon as the
adapter sees a different one (its ``version``).

Best effort throughout: a platform that will not say is asked again only after a restart,
and a store that cannot save the profile (a full disk) must not cost the person the
answer to their turn, whose own save then fails politely; the next turn tries again.
The set of people already synced is bounded (:class:`RecentMap`), so it does not grow
with every person ever seen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from adapters.common.recent import DEFAULT_CAPACITY, RecentMap
from bot.interfaces import StoreError
from bot.messages import Profile, UserRef

__all__ = ["Profile", "ProfileSink", "ProfileSource", "ProfileSync"]

log = logging.getLogger(__name__)


ProfileSource = Callable[[], Awaitable[Profile | None]]
"""Asks the platform; returns ``None`` (having logged why) when it cannot tell."""


class ProfileSink(Protocol):
    def set_timezone(self, user: UserRef, tz: str) -> None:
        """:raises StoreError: the person could not be saved."""
        ...

    def set_display_name(self, user: UserRef, name: str) -> None:
        """:raises StoreError: the person could not be saved."""
        ...


class ProfileSync:
    """``await sync.ensure(who, source)`` before a turn; only the first call per person
    (per ``version``) asks the source and saves what it says."""

    def __init__(self, *, coach: ProfileSink, capacity: int = DEFAULT_CAPACITY) -> None:
        self._coach = coach
        self._seen: RecentMap[str, str] = RecentMap(capacity=capacity)

    def __len__(self) -> int:
        return len(self._seen)

    async def ensure(self, who: UserRef, source: ProfileSource, *, version: str = "") -> None:
        """Sync ``who`` unless already done with this ``version`` of their profile,
        saving it on its own (outside a turn)."""
        profile = await self.fetch(who, source, version=version)
        if profile is not None:
            await self._save(who, profile)

    async def fetch(self, who: UserRef, source: ProfileSource, *,
                    version: str = "") -> Profile | None:
        """What the platform says about ``who``, the first time per ``version`` of their
        profile; ``None`` after that, or when it will not say. A turn takes it into its
        one write (``Coach.handle(..., profile=)``); :meth:`retry_later` if that failed."""
        if self._seen.get(who.key) == version:
            return None
        # Marked before asking: a platform that refuses is not asked on every message.
        self._seen.put(who.key, version)
        return await source()

    def retry_later(self, who: UserRef) -> None:
        """The profile fetched for ``who`` was not saved: ask again next turn."""
        self._seen.discard(who.key)

    async def _save(self, who: UserRef, profile: Profile) -> None:
        try:
            if profile.timezone:
                await asyncio.to_thread(self._coach.set_timezone, who, profile.timezone)
            if profile.display_name:
                await asyncio.to_thread(self._coach.set_display_name, who, profile.display_name)
        except StoreError as exc:
            self.retry_later(who)  # saved nothing for sure: try again next turn
            log.warning("could not save the %s profile: %s (team=%s user=%s)",
                        who.platform, type(exc).__name__, who.workspace, who.user)
