"""Issue 10, "a turn that is all-or-nothing": check-in changes are committed with the
person's compare-and-set save, or not at all, whatever races or crashes in between.

A turn stages its nudge changes in the person's record (the outbox); the save is the
commit point and the nudges are written right after it. These tests race the save, fail
it, and stop the process at every single write of a planning turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.interfaces import UNCONDITIONAL, Op, Put, Record, Store, StoreError
from bot.messages import Choice, Profile, Text, UserRef
from bot.nudges.book import NUDGES
from bot.nudges.dispatcher import NudgeDispatcher
from bot.nudges.outbox import MARKERS, OUTBOX, stage
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

    def before_commit(self, ops: Sequence[Op]) -> None:
        self._write_point()
        if any(isinstance(op, Put) and op.namespace == self.fail_replace_of
               and op.expected is not UNCONDITIONAL for op in ops):
            raise StoreError("disk full")


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
    assert total == 1  # the turn is one commit: a crash lands before it or after it
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


def test_a_planning_turn_is_one_durable_write(
        store: Store, content: Content, clock: ManualClock) -> None:
    """The person, nine check-ins and their index entries: one commit, whatever the
    store (issue 13: a durable write is the whole cost of a turn)."""
    counting = StoppingStore(store)
    conv = Conversation(Coach(store=counting, content=content, clock=clock), SOMEONE)
    at_cadence_question(conv)
    counting.writes = 0
    conv.pick("Regular")
    assert kinds(store) == REGULAR_PLAN
    assert counting.writes == 1


def test_an_outbox_an_older_version_left_still_goes_out(
        store: Store, content: Content, clock: ManualClock) -> None:
    """Versions before one-commit turns wrote a turn's check-ins after the person, with
    a marker; a person saved by one of them, who never comes back, still gets the
    check-in that a crash kept from being written."""
    conv = Conversation(Coach(store=store, content=content, clock=clock), SOMEONE)
    at_cadence_question(conv)
    person = store.read(PEOPLE, SOMEONE.key)
    assert person is not None
    nudge = {"id": "legacy0connect", "user": SOMEONE.key, "case": person["cases"][0]["id"],
             "kind": "connect", "due_at": "2026-11-30T08:00:00+00:00", "state": "planned",
             "attempts": 0}
    stage(person, nudge, prior=None)  # type: ignore[arg-type]
    person[OUTBOX]["token"] = "t0"
    person["nudge_ids"].append(nudge["id"])
    store.write(PEOPLE, SOMEONE.key, person)
    store.write(MARKERS, f"{SOMEONE.key}|t0", {"at": clock.now().isoformat()})
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


def test_a_first_turn_with_its_profile_and_event_id_is_one_write_and_a_repeat_none(
        store: Store, content: Content, clock: ManualClock) -> None:
    """What the platform says about someone new and the event id a retry would repeat
    are saved with their first turn, not beside it: one durable write, then nothing."""
    counting = StoppingStore(store)
    coach = Coach(store=counting, content=content, clock=clock)
    profile = Profile(timezone="America/Chicago", display_name="Dana Whitfield",
                      dm_channel="D0123ABC")
    replies = coach.handle(SOMEONE, Text("hi"), once="slack:Ev1", profile=profile)
    assert replies and counting.writes == 1
    person = store.read(PEOPLE, SOMEONE.key)
    assert person is not None and person["display_name"] == "Dana Whitfield"
    assert person["settings"]["timezone"] == "America/Chicago"
    assert person["dm_channel"] == "D0123ABC"  # check-ins go there after a restart
    assert coach.handle(SOMEONE, Text("hi"), once="slack:Ev1", profile=profile) == []
    assert counting.writes == 1 and store.read(PEOPLE, SOMEONE.key) == person


@pytest.mark.parametrize("channel", ["<!channel>", "D1 D2", "", "D" * 65, "D\u200b1"])
def test_a_dm_channel_that_is_not_a_channel_id_is_not_kept(
        store: Store, content: Content, clock: ManualClock, channel: str) -> None:
    coach = Coach(store=store, content=content, clock=clock)
    coach.handle(SOMEONE, Text("hi"), profile=Profile(dm_channel="D0KEPT"))
    coach.handle(SOMEONE, Text("skip"), profile=Profile(dm_channel=channel))
    person = store.read(PEOPLE, SOMEONE.key)
    assert person is not None and person["dm_channel"] == "D0KEPT"


def test_a_repeat_racing_the_first_delivery_loses_the_commit_and_says_nothing(
        store: Store, content: Content, clock: ManualClock) -> None:
    """Both deliveries found the event new; the one that commits second finds it
    recorded when it runs again, and answers nothing."""
    shared = StoppingStore(store)
    coach = Coach(store=shared, content=content, clock=clock)
    other = Coach(store=store, content=content, clock=clock)
    raced: list[list[object]] = []

    def the_other_delivery(namespace: str, key: str) -> None:
        if namespace == PEOPLE and not raced:
            raced.append(list(other.handle(SOMEONE, Text("hi"), once="slack:Ev2")))

    shared.after_read = the_other_delivery
    assert coach.handle(SOMEONE, Text("hi"), once="slack:Ev2") == []
    assert raced and raced[0]  # the first delivery answered
