"""Issue 10, "a turn that is all-or-nothing": check-in changes are committed with the
person's compare-and-set save, or not at all, whatever races or crashes in between.

A turn stages its nudge changes in the person's record (the outbox); the save is the
commit point and the nudges are written right after it. These tests race the save, fail
it, and stop the process at every single write of a planning turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.interfaces import Record, Store, StoreError
from bot.messages import Choice, UserRef
from bot.nudges.book import NUDGES
from bot.nudges.dispatcher import NudgeDispatcher
from tests.conversation import Conversation, log_rejection
from tests.nudge_checks import Inbox, check_store, copy_store, pending_keys, snapshot
from tests.store_wrappers import DelegatingStore

SOMEONE = UserRef("test", "T1", "U1")
REGULAR_PLAN = ["chase", "check_back", "congratulate", "connect", "heard_back", "introduction",
                "openings", "openings", "share"]


class Crash(BaseException):
    """The process stopped: nothing in the code under test may catch this."""


class StoppingStore(DelegatingStore):
    """The store as a process sees it that stops (SIGKILL, power cut) after ``allowed``
    more writes: the next write, and everything after it, never happens."""

    def __init__(self, inner: Store, *, allowed: int | None = None) -> None:
        super().__init__(inner)
        self.allowed = allowed
        self.writes = 0
        self.after_read: Callable[[str, str], None] | None = None
        self.fail_replace_of: str | None = None

    def _write_point(self) -> None:
        if self.allowed is not None and self.writes >= self.allowed:
            raise Crash(f"stopped before write {self.writes + 1}")
        self.writes += 1

    def read(self, namespace: str, key: str) -> Record | None:
        record = self.inner.read(namespace, key)
        if self.after_read is not None:
            self.after_read(namespace, key)
        return record

    def write(self, namespace: str, key: str, record: Record) -> None:
        self._write_point()
        self.inner.write(namespace, key, record)

    def replace(self, namespace: str, key: str, record: Record, *,
                expected: Record | None) -> bool:
        self._write_point()
        if namespace == self.fail_replace_of:
            raise StoreError("disk full")
        return self.inner.replace(namespace, key, record, expected=expected)

    def delete(self, namespace: str, key: str) -> None:
        self._write_point()
        self.inner.delete(namespace, key)


def at_cadence_question(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")


def kinds(store: Store) -> list[str]:
    return sorted(kind for _, kind, _ in pending_keys(store))


def recover(store: Store, content: Content, clock: ManualClock) -> Coach:
    """A fresh process: the dispatcher's pass, once right away, once past the grace a
    marker of a turn that may still be running gets."""
    coach = Coach(store=store, content=content, clock=clock)
    dispatcher = NudgeDispatcher.using(coach, senders={"test": Inbox(clock)})
    asyncio.run(dispatcher.send_due())
    clock.advance(minutes=11)
    asyncio.run(dispatcher.send_due())
    return coach


# -- a turn that loses the race, or fails to save, leaves nothing -----------------------


def test_a_turn_that_loses_the_race_plans_its_check_ins_once(
        store: Store, content: Content, clock: ManualClock) -> None:
    shared = StoppingStore(store)
    racing = Conversation(Coach(store=shared, content=content, clock=clock), SOMEONE)
    other = Coach(store=store, content=content, clock=clock)
    at_cadence_question(racing)

    def other_process_changes_the_person(namespace: str, key: str) -> None:
        if namespace == PEOPLE:
            shared.after_read = None
            other.set_display_name(SOMEONE, "Sam")

    shared.after_read = other_process_changes_the_person
    racing.pick("Regular")  # the first attempt loses its save, the second commits
    assert "Here's what's coming up" in racing.text
    assert kinds(store) == REGULAR_PLAN
    check_store(store)


def test_a_turn_that_always_loses_the_race_writes_no_check_in(
        store: Store, content: Content, clock: ManualClock) -> None:
    shared = StoppingStore(store)
    racing = Conversation(Coach(store=shared, content=content, clock=clock), SOMEONE)
    other = Coach(store=store, content=content, clock=clock)
    at_cadence_question(racing)
    names = iter(range(100))

    def someone_else_always_wins(namespace: str, key: str) -> None:
        if namespace == PEOPLE:
            shared.after_read = None
            other.set_display_name(SOMEONE, f"Sam {next(names)}")
            shared.after_read = someone_else_always_wins

    shared.after_read = someone_else_always_wins
    racing.pick("Regular")
    shared.after_read = None
    assert "Something went wrong saving" in racing.text
    assert kinds(store) == ["chase", "heard_back"]  # from the earlier "sent it" turn, nothing new
    check_store(store)


def test_a_turn_whose_save_fails_writes_no_check_in(
        store: Store, content: Content, clock: ManualClock) -> None:
    failing = StoppingStore(store)
    conv = Conversation(Coach(store=failing, content=content, clock=clock), SOMEONE)
    at_cadence_question(conv)
    failing.fail_replace_of = PEOPLE
    conv.pick("Regular")
    assert "Something went wrong saving" in conv.text
    assert kinds(store) == ["chase", "heard_back"]
    # a failed write may have landed after all: its marker stays until a dispatcher pass
    # finds the save did not happen (once the grace for a running turn is over)
    check_store(store, settled=False)
    failing.fail_replace_of = None
    recover(store, content, clock)
    assert kinds(store) == ["chase", "heard_back"]
    check_store(store)


# -- a crash at every write point of a planning turn ------------------------------------


def connect_sent(conv: Conversation) -> None:
    """The plan made, and its first check-in delivered on Monday morning."""
    at_cadence_question(conv)
    conv.pick("Regular")
    clock = conv.coach.clock
    assert isinstance(clock, ManualClock)
    clock.set(datetime(2026, 11, 30, 9, 5, tzinfo=UTC))
    asyncio.run(NudgeDispatcher.using(conv.coach, senders={"test": Inbox(clock)}).send_due())


def pick_regular(conv: Conversation) -> None:
    conv.send("regular")  # typed: this conversation object has not seen the buttons


def snooze_connect(conv: Conversation) -> None:
    nudges = conv.coach.store.read_many(NUDGES, conv.person["nudge_ids"]).values()
    [connect] = [n for n in nudges if n["kind"] == "connect"]
    conv.send(Choice(f"nudge={connect['id']}:snooze_week"))


WITHOUT_CONNECT = [kind for kind in REGULAR_PLAN if kind != "connect"]
TURNS: dict[str, tuple[Callable[[Conversation], None], Callable[[Conversation], None],
                       list[str], list[str]]] = {
    # the turn that plans the most: the five check-ins of the regular cadence
    "plan a cadence": (at_cadence_question, pick_regular, ["chase", "heard_back"], REGULAR_PLAN),
    # a turn that moves a check-in: its due entry changes
    "snooze a check-in": (connect_sent, snooze_connect, WITHOUT_CONNECT, REGULAR_PLAN),
}


@pytest.mark.parametrize("turn_name", sorted(TURNS))
def test_a_crash_at_any_write_of_a_planning_turn_leaves_all_or_nothing(
        store: Store, content: Content, clock: ManualClock, turn_name: str) -> None:
    setup, turn, before_kinds, after_kinds = TURNS[turn_name]
    counting = StoppingStore(store)
    setup(Conversation(Coach(store=counting, content=content, clock=clock), SOMEONE))
    assert kinds(store) == before_kinds
    before = snapshot(store)
    counting.writes = 0
    turn(Conversation(Coach(store=counting, content=content, clock=clock), SOMEONE))
    total = counting.writes
    assert kinds(store) == after_kinds
    for allowed in range(total):
        copy_store(before, store)
        stopping = StoppingStore(store, allowed=allowed)
        with pytest.raises(Crash):
            turn(Conversation(Coach(store=stopping, content=content, clock=clock), SOMEONE))
        # that process is gone; another one starts on what the store holds
        coach = recover(store, content, clock)
        check_store(store)
        assert kinds(store) in (before_kinds, after_kinds), (
            f"stopped after write {allowed} of {total}: half a turn, {kinds(store)}")
        if kinds(store) == before_kinds:  # not committed: the person does it again
            turn(Conversation(coach, SOMEONE))
        assert kinds(store) == after_kinds, f"stopped after write {allowed} of {total}"
        check_store(store)


def test_a_person_who_never_comes_back_still_gets_the_check_ins_a_crash_held_up(
        store: Store, content: Content, clock: ManualClock) -> None:
    counting = StoppingStore(store)
    conv = Conversation(Coach(store=counting, content=content, clock=clock), SOMEONE)
    at_cadence_question(conv)
    counting.allowed = counting.writes + 2  # the marker, then the person's save: committed
    with pytest.raises(Crash):
        conv.pick("Regular")
    assert "connect" not in kinds(store)  # committed, not yet written
    coach = Coach(store=store, content=content, clock=clock)
    inbox = Inbox(clock)
    dispatcher = NudgeDispatcher.using(coach, senders={"test": inbox})
    clock.set(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))  # the connect check-in's morning
    for _ in range(4):
        asyncio.run(dispatcher.send_due())
        clock.advance(hours=1)
    assert inbox.titles() == ["Connect with Dana Reyes"]
    check_store(store)
