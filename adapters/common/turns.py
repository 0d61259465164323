"""One person's turn with the coach, the same way on every platform.

Three things every adapter needs around an engine call:

- **One turn at a time per person.** The engine serialises turns itself, but two quick
  messages could still have their replies sent in the wrong order; a lock held from the
  engine call until the replies are sent keeps a conversation in order. Locks live in a
  weak dictionary, so a lock exists only while someone holds or waits for it and memory
  does not grow with every person ever seen.
- **The engine off the event loop.** It touches the disk (or a database), so it runs in a
  worker thread (``asyncio.to_thread``) and the loop keeps serving everyone else.
- **An engine failure costs one answer, never the adapter.** The exception is logged with
  its type and where it happened, but not its message, which may quote what the person
  typed; the caller gets ``None`` and the next turn works as usual.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, TypeVar

from adapters.common.profile import ProfileSink, ProfileSource, ProfileSync
from bot.messages import Input, Reply, UserRef

__all__ = ["CoachPort", "PersonLocks", "TurnRunner", "log_engine_failure"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class CoachPort(ProfileSink, Protocol):
    """What an adapter asks of the engine (``bot.conversation.engine.Coach`` provides it)."""

    def handle(self, user: UserRef, event: Input) -> list[Reply]:
        """The replies to one input; a store failure is answered politely, not raised."""
        ...

    def overview(self, user: UserRef) -> list[Reply]:
        """A read-only summary of the person's cases (Slack's App Home)."""
        ...


class PersonLocks:
    """An :class:`asyncio.Lock` per person key, kept only while it is held or awaited."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def __len__(self) -> int:
        """How many people hold or wait for a lock right now."""
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:  # this frame's reference keeps the lock alive until released
            yield


def log_engine_failure(who: UserRef, exc: BaseException) -> None:
    """Log an engine exception by type and frames only: its message may hold user text."""
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    log.error("engine failed: %s (platform=%s team=%s user=%s)\n%s",
              type(exc).__name__, who.platform, who.workspace, who.user, frames.rstrip())


class TurnRunner:
    """Runs turns for one adapter: ``async with runner.hold(who)``, then ``take_turn``.

    ``profiles`` syncs what the platform knows about a person before their turn (see
    :class:`ProfileSync`); an adapter passes a ``profile`` source to ``take_turn``.
    """

    def __init__(self, *, coach: CoachPort, profiles: ProfileSync | None = None) -> None:
        self._coach = coach
        self.locks = PersonLocks()
        self.profiles = profiles or ProfileSync(coach=coach)

    def hold(self, who: UserRef) -> AbstractAsyncContextManager[None]:
        """``who``'s turn lock, to hold from the engine call until the replies are sent."""
        return self.locks.hold(who.key)

    async def take_turn(self, who: UserRef, event: Input, *,
                        profile: ProfileSource | None = None,
                        profile_version: str = "") -> list[Reply] | None:
        """Sync the profile (best effort, see :meth:`ProfileSync.ensure`), then ask the
        engine; ``None`` if the engine failed."""
        if profile is not None:
            await self.profiles.ensure(who, profile, version=profile_version)
        return await self.call(who, self._coach.handle, who, event)

    async def call(self, who: UserRef, engine_call: Callable[..., T], *args: object) -> T | None:
        """Any engine call off the event loop; a failure is logged and gives ``None``."""
        try:
            return await asyncio.to_thread(engine_call, *args)
        except Exception as exc:
            log_engine_failure(who, exc)
            return None
