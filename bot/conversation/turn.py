"""A turn as a transaction: load the person, decide, commit; nothing else.

What the turn *says* is decided elsewhere (:class:`Decider`); this module only makes
the decision stick or leaves no trace. Everything a turn changes (the person, what a
platform said about them, the check-ins it plans or cancels, which travel in the
person's record as an outbox, and the platform event it acted on) is one
:meth:`~bot.interfaces.Store.commit`: one durable write, conditional on the person
being as the turn read them and the event not being recorded yet. If another process
saved the person since, the turn runs again on what is there now, so two processes
never overwrite each other; if the event was recorded meanwhile, the repeat says
nothing; if the save or the decision fails, nothing the turn decided was written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from bot.content.loader import Content
from bot.conversation.locks import PersonLocks
from bot.conversation.people import PersonRepo
from bot.interfaces import CorruptRecordError, StoreError
from bot.messages import Input, Reply, UserRef
from bot.ops.metrics import TURN_SECONDS, TURNS
from bot.records import PersonRecord
from bot.storage.event_ledger import EventLedger

#: changes a turn makes to the person before deciding (what the platform said of them)
Adoption = Callable[[PersonRecord], None]

__all__ = ["Decider", "TurnTransaction"]

log = logging.getLogger(__name__)

ATTEMPTS = 3


class Decider(Protocol):
    """The part of the coach that decides what a turn does, given the person's record."""

    def decide(self, user: UserRef, person: PersonRecord, event: Input,
               replies: list[Reply]) -> bool:
        """Change ``person`` and add to ``replies``; ``True`` if the person was deleted."""
        ...

    def despite_storage(self, event: Input, replies: list[Reply]) -> list[Reply]:
        """What to say when storage ended the turn (never less than the helpline)."""
        ...

    def apology(self, loaded: PersonRecord | None) -> list[Reply]:
        """What to say when deciding failed: sorry, and the question they were at."""
        ...

    def committed(self, replies: list[Reply]) -> None:
        """After the turn's commit, once: what may only happen if it stuck (counters)."""
        ...


class TurnTransaction:
    """Runs turns; thread-safe: one person's turns in order, different people in parallel."""

    def __init__(self, *, people: PersonRepo, content: Content, locks: PersonLocks,
                 decider: Decider, ledger: EventLedger) -> None:
        self._people = people
        self._content = content
        self._locks = locks
        self._decider = decider
        self._ledger = ledger

    def run(self, user: UserRef, event: Input, *, once: str | None = None,
            adopt: Adoption | None = None) -> list[Reply]:
        """One turn. Never raises for bad input; storage failures become a polite reply.

        ``once``: the platform event's ledger key; a repeat of a handled event gets no
        reply. ``adopt``: applied to the person first, saved with the turn."""
        started = time.perf_counter()
        try:
            with self._locks.of(user.key):
                return self._attempts(user, event, once, adopt)
        finally:
            TURNS.labels(user.platform).inc()
            TURN_SECONDS.labels(user.platform).observe(time.perf_counter() - started)

    def _attempts(self, user: UserRef, event: Input, once: str | None,
                  adopt: Adoption | None) -> list[Reply]:
        decider = self._decider
        replies: list[Reply] = []
        for _ in range(ATTEMPTS):
            replies = []
            try:
                if once is not None and self._ledger.seen(once):
                    log.info("platform event already handled; skipping the repeat")
                    return []
                loaded = self._people.load(user)
            except CorruptRecordError as exc:
                log.error("person record unreadable for %s, kept at %s", user.key, exc.kept_at)
                replies.append(Reply(self._content.text("corrupt_record")))
                loaded = None
            except StoreError:
                log.exception("could not read %s", user.key)
                return decider.despite_storage(event, replies)
            person = (self._people.begin(loaded) if loaded is not None
                      else self._people.fresh(user))
            try:
                if adopt is not None:
                    adopt(person)
                if decider.decide(user, person, event, replies):
                    decider.committed(replies)
                    return replies  # forgotten: nothing left to save
            except StoreError:
                log.exception("storage failed during a turn for %s", user.key)
                return decider.despite_storage(event, replies)
            except Exception:  # a bug must cost one answer, never the conversation
                log.exception("turn failed for %s; nothing was saved", user.key)
                return decider.apology(loaded)
            try:
                also = [self._ledger.entry(once)] if once is not None else []
                if self._people.save(user, person, expected=loaded, also=also):
                    decider.committed(replies)
                    return replies
            except StoreError:
                log.exception("could not save %s", user.key)
                return decider.despite_storage(event, replies)
            log.info("turn for %s raced another process; running it again", user.key)
        return decider.despite_storage(event, replies)
