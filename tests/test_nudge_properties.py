"""Issue 10's property test: whatever a person does, in whatever order, check-ins stay
planned once and the store stays whole.

Hypothesis picks a starting point (a case at its draft, at its cadence question, with a
plan, two cases with plans) and a list of steps: answering the question on screen,
recording feedback, changing the default cadence in settings, time passing with the
dispatcher sending what is due, pressing any button of any check-in received (done,
snooze, skip, stop for the contact, stop all, an outcome, show the draft), and forget.
After every step (:func:`tests.nudge_checks.check_store`): no two pending check-ins
share a key, each pending one has exactly one due entry, nothing is orphaned or lost;
after ``forget``, nothing naming the person is left in any namespace.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.interfaces import Store
from bot.messages import Choice, UserRef
from bot.nudges.dispatcher import NudgeDispatcher
from bot.storage import MemoryStore
from tests.conftest import START
from tests.conversation import Conversation, log_rejection
from tests.nudge_checks import Inbox, check_store, copy_store

SOMEONE = UserRef("test", "T1", "U1")
EXAMPLES = {"MemoryStore": 2000, "TinyDBStore": 300, "PostgresStore": 300}
BUTTONS = ("Done", "Tomorrow", "Next week", "Skip", "Stop for this contact",
           "Stop all", "Something happened", "Show me the draft", "Record their feedback",
           "continue")
OUTCOMES = ("They replied", "A referral", "A new interview", "An offer")
TEXTS = ("They liked my code but not my design", "Practise system design", "yesterday")


# -- where an example starts ------------------------------------------------------------


def at_draft(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")


def at_cadence(conv: Conversation) -> None:
    at_draft(conv)
    conv.pick("sent it")
    conv.pick("Not yet")


def with_plan(conv: Conversation) -> None:
    at_draft(conv)
    conv.pick("later")
    conv.pick("Regular")


def two_plans(conv: Conversation) -> None:
    at_cadence(conv)
    conv.pick("Light")
    conv.command("new")
    conv.pick("Okay")
    conv.pick("write down")
    for answer in ("Contoso", "Data Engineer"):
        conv.send(answer)
    conv.pick("Final round")
    conv.send("yesterday")
    conv.send("Priya Raman")
    conv.pick("Hiring manager")
    conv.pick("that's everyone")
    conv.send("Another candidate had more experience")
    conv.pick("that's right")
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick("Regular")


STARTS: dict[str, Callable[[Conversation], None]] = {
    "at the draft": at_draft,
    "at the cadence question": at_cadence,
    "with a plan": with_plan,
    "with two plans": two_plans,
}
_starting_points: dict[str, MemoryStore] = {}


def starting_point(name: str, content: Content) -> MemoryStore:
    """Each start is played once, on a memory store, and copied into the store under test
    for every example (far cheaper than playing it again)."""
    if name not in _starting_points:
        store = MemoryStore()
        STARTS[name](Conversation(Coach(store=store, content=content,
                                        clock=ManualClock(START)), SOMEONE))
        _starting_points[name] = store
    return _starting_points[name]


# -- the steps ------------------------------------------------------------------------------


class Person:
    """One example's person, their inbox and the dispatcher, driven step by step."""

    def __init__(self, store: Store, content: Content, clock: ManualClock) -> None:
        self.store = store
        self.clock = clock
        self.coach = Coach(store=store, content=content, clock=clock)
        self.conv = Conversation(self.coach, SOMEONE)
        self.inbox = Inbox(clock)
        self.dispatcher = NudgeDispatcher.using(self.coach, senders={"test": self.inbox})
        self.forgotten = False

    def answer(self, index: int) -> None:
        """Press one of the buttons on screen, or say ``start`` when there are none."""
        options = [o for reply in self.conv.last for o in reply.options]
        if options:
            self.conv.send(Choice(options[index % len(options)].value))
        else:
            self.conv.command("start")

    def say(self, index: int) -> None:
        self.conv.send(TEXTS[index % len(TEXTS)])

    def feedback(self, index: int) -> None:
        self.conv.command("feedback")
        if any(o.label for reply in self.conv.last for o in reply.options) and index % 2:
            self.answer(index)  # the case picker, with two cases
        self.conv.send(TEXTS[0])
        self.conv.send(TEXTS[1])
        if "That's the list" in self.conv.options:
            self.conv.pick("That's the list")

    def settings_cadence(self, index: int) -> None:
        self.conv.command("settings")
        self.conv.pick("Reminder cadence")
        self.conv.pick(("Light", "Regular", "No reminders")[index % 3])
        self.conv.pick("Nothing")

    def wait(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        asyncio.run(self.dispatcher.send_due())

    def press(self, index: int) -> None:
        """Press a button on a check-in received earlier (old ones included)."""
        if not self.inbox.received:
            return
        _, _, reply = self.inbox.received[index % len(self.inbox.received)]
        label = BUTTONS[index % len(BUTTONS)]
        option = next((o for o in reply.options if label.lower() in o.label.lower()), None)
        if option is None:
            return
        self.conv.send(Choice(option.value))
        if label == "Something happened" and self.conv.options:
            self.conv.pick(OUTCOMES[index % len(OUTCOMES)])

    def forget(self, _: int) -> None:
        self.conv.command("forget")
        self.conv.pick("delete everything")
        self.forgotten = True
        assert_nothing_names(self.store, SOMEONE)


def assert_nothing_names(store: Store, user: UserRef) -> None:
    """``forget`` leaves no record that names the person, in any namespace: not by
    key, not in a record (a due entry names only a time and a nudge id, and goes too)."""
    left: list[tuple[str, str]] = []
    for namespace in store.namespaces():
        keys = list(store.keys(namespace))
        for key, record in store.read_many(namespace, keys).items():
            if user.key in key or user.key in json.dumps(record) or namespace.startswith("nudge"):
                left.append((namespace, key))
    assert left == [], f"forget left {left}"


STEPS = ("answer", "say", "feedback", "settings_cadence", "wait", "press", "forget")
steps = st.lists(
    st.tuples(st.sampled_from(STEPS), st.integers(min_value=0, max_value=200)),
    min_size=1, max_size=6,
)


def test_check_ins_stay_planned_once_whatever_the_person_does(
        store: Store, content: Content, clock: ManualClock) -> None:
    examples = EXAMPLES[type(store).__name__]

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(start=st.sampled_from(sorted(STARTS)), plan=steps)
    def run(start: str, plan: list[tuple[str, int]]) -> None:
        copy_store(starting_point(start, content), store)
        clock.set(START)
        person = Person(store, content, clock)
        check_store(store)
        for name, number in plan:
            step: Any = getattr(person, name)
            step(number * 3 if name == "wait" else number)
            check_store(store)

    run()
