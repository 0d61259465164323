"""What every store must look like between turns, and a platform that keeps what it got.

Shared by the tests of issue 10's check-in items (planned once, all-or-nothing turns, the
property test): the invariants are stated once, here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.clock import ManualClock
from bot.conversation.people import PEOPLE
from bot.interfaces import Record, Store
from bot.messages import Choice, Reply, UserRef
from bot.nudges.book import ACTIVE_STATES, DUE, NUDGES, OWNERS
from bot.nudges.dispatcher import NudgeDispatcher
from bot.storage import MemoryStore
from tests.conversation import Conversation

__all__ = ["Inbox", "check_store", "copy_store", "dispatch_until", "pending_keys", "press"]

MARKERS = "nudge_outbox"


class Inbox:
    """A platform that records each check-in it delivers, so a test can press its
    buttons later the way the person would."""

    platform = "test"

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.received: list[tuple[datetime, str, Reply]] = []

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        self.received.extend((self.clock.now(), nudge_id, reply) for reply in replies)

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        return any(sent == nudge_id for _, sent, _ in self.received)

    def titles(self) -> list[str]:
        return [reply.text.split("\n", 1)[0] for _, _, reply in self.received]

    def last(self, title_part: str) -> Reply:
        return next(reply for _, _, reply in reversed(self.received)
                    if title_part in reply.text.split("\n", 1)[0])


def dispatch_until(dispatcher: NudgeDispatcher, clock: ManualClock, until: datetime,
                   step: timedelta = timedelta(hours=6)) -> None:
    """Move the clock in steps, dispatching at each, as the scheduler would."""
    while clock.now() <= until:
        asyncio.run(dispatcher.send_due())
        clock.advance(step)


def press(conv: Conversation, reply: Reply, label_part: str) -> list[Reply]:
    """Press a button on a delivered check-in."""
    option = next(o for o in reply.options if label_part.lower() in o.label.lower())
    return conv.send(Choice(option.value))


def pending_keys(store: Store) -> list[tuple[str, str, object]]:
    """(case, kind, sequence) of every planned or claimed check-in, one per nudge."""
    nudges = store.read_many(NUDGES, list(store.keys(NUDGES))).values()
    return sorted((n["case"], n["kind"], n.get("sequence") if n.get("sequence") is not None
                   else -1) for n in nudges if n["state"] in ACTIVE_STATES)


def check_store(store: Store, *, settled: bool = True) -> None:
    """The invariants of issue 10, for every person in ``store``:

    - no two pending check-ins share a key;
    - every pending check-in has exactly one due entry, the one its record names;
    - every nudge is listed by its person's record and every listed one exists (no
      orphan, nothing lost), with its owner entry, and no owner entry without a nudge;
    - with ``settled``, no outbox marker is left (every committed change is written).
    """
    nudges = store.read_many(NUDGES, list(store.keys(NUDGES)))
    people = store.read_many(PEOPLE, list(store.keys(PEOPLE)))
    due_entries: dict[str, list[str]] = {}
    for key in store.keys(DUE):
        due_entries.setdefault(key.split("|", 1)[1], []).append(key)
    pending = [n for n in nudges.values() if n["state"] in ACTIVE_STATES]
    keys = [(n["user"], n.get("key") or (n["case"], n["kind"], n.get("sequence")))
            for n in pending]
    assert len(keys) == len(set(map(str, keys))), f"two pending check-ins share a key: {keys}"
    for nudge in pending:
        assert due_entries.get(nudge["id"]) == [nudge["due_key"]], (
            f"{nudge['kind']} {nudge['id']} has due entries {due_entries.get(nudge['id'])}, "
            f"not exactly {nudge['due_key']}")
    listed = {nudge_id: key for key, person in people.items()
              for nudge_id in person.get("nudge_ids", [])}
    for nudge_id, nudge in nudges.items():
        assert listed.get(nudge_id) == nudge["user"], f"orphan nudge {nudge['kind']} {nudge_id}"
    lost = set(listed) - set(nudges)
    assert not lost, f"listed but never written: {lost}"
    owners = {key.rsplit("|", 1)[1]: key.rsplit("|", 1)[0] for key in store.keys(OWNERS)}
    stray = {nudge_id for nudge_id in owners if nudge_id not in nudges}
    assert not stray, f"owner entries of nudges that were never written: {stray}"
    assert owners == {nudge_id: nudge["user"] for nudge_id, nudge in nudges.items()}
    if settled:
        assert list(store.keys(MARKERS)) == [], "a committed change was never written"


def copy_store(source: Store, target: Store) -> None:
    """Make ``target`` hold exactly what ``source`` holds (a snapshot, or a restore)."""
    for namespace in target.namespaces():
        for key in list(target.keys(namespace)):
            target.delete(namespace, key)
    for namespace in source.namespaces():
        for key, record in source.read_many(namespace, list(source.keys(namespace))).items():
            target.write(namespace, key, record)


def snapshot(store: Store) -> MemoryStore:
    copy = MemoryStore()
    copy_store(store, copy)
    return copy


def record_of(store: Store, user: UserRef) -> Record:
    person = store.read(PEOPLE, user.key)
    assert person is not None
    return person
