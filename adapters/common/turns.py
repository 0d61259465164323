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
import functools
import logging
import traceback
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, TypeVar

from adapters.common.profile import ProfileSink, ProfileSource, ProfileSync
from bot.messages import Input, Profile, Reply, UserRef

__all__ = ["CoachPort", "PersonLocks", "TurnRunner", "log_engine_failure", "size_worker_pool"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class CoachPort(ProfileSink, Protocol):
    """What an adapter asks of the engine (``bot.conversation.engine.Coach`` provides it)."""

    def handle(self, user: UserRef, event: Input, *, once: str | None = None,
               profile: Profile | None = None) -> list[Reply]:
        """The replies to one input; a store failure is answered politely, not raised.
        ``once``: the event's ledger key (a repeat gets no reply); ``profile``: saved
        with the turn, in its one write."""
        ...

    def overview(self, user: UserRef) -> list[Reply]:
        """A read-only summary of the person's cases (Slack's App Home)."""
        ...


_SIZED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor] = (
    weakref.WeakKeyDictionary())


def size_worker_pool(workers: int) -> None:
    """Give the running loop a worker pool ``workers`` wide (``Store.workers``), once.

    Every engine call runs in the loop's default pool, which Python sizes by the CPU
    count (6 threads on 2 cores). A turn spends most of its time waiting for its commit
    to reach the disk or the database, so with a store that group-commits, 50 people at
    once need 50 threads waiting together, not 6 taking turns."""
    loop = asyncio.get_running_loop()
    if loop in _SIZED:
        return
    pool = _SIZED[loop] = ThreadPoolExecutor(max_workers=workers,
                                             thread_name_prefix="notnow-worker")
    loop.set_default_executor(pool)


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
                        profile_version: str = "", once: str | None = None,
                        ) -> list[Reply] | None:
        """Ask the engine, with what the platform says about the person the first time
        (:meth:`ProfileSync.fetch`) saved in the same turn; ``None`` if the engine
        failed. ``once``: the event's ledger key, so a repeat is not a second turn."""
        found = (await self.profiles.fetch(who, profile, version=profile_version)
                 if profile is not None else None)
        replies = await self.call(who, functools.partial(
            self._coach.handle, once=once, profile=found), who, event)
        if found is not None and replies is None:
            self.profiles.retry_later(who)
        return replies

    async def call(self, who: UserRef, engine_call: Callable[..., T], *args: object) -> T | None:
        """Any engine call off the event loop; a failure is logged and gives ``None``."""
        try:
            return await asyncio.to_thread(engine_call, *args)
        except Exception as exc:
            log_engine_failure(who, exc)
            return None
