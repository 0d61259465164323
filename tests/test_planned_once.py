"""Issue 10, "check-ins planned once": each misread or duplicate a person hit, replayed.

Every check-in has a key (case, contact, kind, occurrence); planning it again replaces
the pending one. Events cancel what they make moot, and coming back to a case that has
a plan (feedback recorded later, the draft shown again) neither asks for the cadence
again nor plans anything twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.conversation.engine import Coach
from bot.interfaces import DeliveryError
from bot.messages import Reply, UserRef
from bot.nudges.book import NUDGES
from bot.nudges.dispatcher import NudgeDispatcher
from tests.conversation import Conversation, log_rejection
from tests.nudge_checks import Inbox, check_store, dispatch_until, pending_keys, press

CADENCE_QUESTION = "How often should I nudge you about it?"


@pytest.fixture
def inbox(clock: ManualClock) -> Inbox:
    return Inbox(clock)


@pytest.fixture
def dispatcher(coach: Coach, inbox: Inbox) -> NudgeDispatcher:
    return NudgeDispatcher.using(coach, senders={"test": inbox})


def planned(conv: Conversation, *, sent: bool = True) -> None:
    """Steps 1 to 3 with the regular cadence, feedback not yet received."""
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it" if sent else "later")
    if sent:
        conv.pick("Not yet")
    conv.pick("Regular")


def record_feedback(conv: Conversation, *improvements: str) -> None:
    """The ``feedback`` command, answered as a person would; if the coach asks for the
    cadence again (the defect), they pick the same one."""
    conv.command("feedback")
    conv.send("Solid, but the system design round was shallow")
    for index, item in enumerate(improvements or ("Practise system design",)):
        if index:
            conv.pick("Add another")
        conv.send(item)
    if "That's the list" in conv.options:
        conv.pick("That's the list")
    if CADENCE_QUESTION in conv.text:
        conv.pick("Regular")


def test_feedback_after_the_plan_asks_no_cadence_and_plans_nothing_again(
        conv: Conversation) -> None:
    planned(conv)
    before = pending_keys(conv.coach.store)
    conv.command("feedback")
    conv.send("Solid, but the system design round was shallow")
    conv.send("Practise system design")
    conv.pick("That's the list")
    assert "Saved to your journal" in conv.text
    assert CADENCE_QUESTION not in conv.text
    assert "stays as it was" in conv.text
    assert conv.person["flow"] is None
    after = pending_keys(conv.coach.store)
    assert after == [key for key in before if key[1] not in ("heard_back", "chase")]


def test_status_and_the_nudge_list_show_each_check_in_once_after_three_feedbacks(
        conv: Conversation) -> None:
    planned(conv)
    for _ in range(3):
        record_feedback(conv)
    conv.command("status")
    assert conv.text.count("Connect with Dana Reyes") == 1
    keys = pending_keys(conv.coach.store)
    assert len(keys) == len(set(keys)) == 7  # the regular plan's seven, once each
    check_store(conv.coach.store)


def test_the_draft_shown_again_from_a_reminder_keeps_the_plan_and_one_reminder(
        conv: Conversation, dispatcher: NudgeDispatcher, inbox: Inbox,
        clock: ManualClock) -> None:
    planned(conv, sent=False)  # "I'll send it later": a reminder in two days
    dispatch_until(dispatcher, clock, datetime(2026, 11, 30, 10, tzinfo=UTC))
    reminder = inbox.last("not sent yet")
    press(conv, reminder, "Show me the draft")
    assert conv.draft is not None
    conv.pick("send it later")
    assert CADENCE_QUESTION not in conv.text
    kinds = [kind for _, kind, _ in pending_keys(conv.coach.store)]
    assert kinds.count("followup_reminder") == 1
    assert kinds.count("connect") == 1
    check_store(conv.coach.store)


def test_done_on_connect_never_brings_it_back(
        conv: Conversation, dispatcher: NudgeDispatcher, inbox: Inbox,
        clock: ManualClock) -> None:
    planned(conv)
    record_feedback(conv)
    dispatch_until(dispatcher, clock, datetime(2026, 11, 30, 10, tzinfo=UTC))
    connect = inbox.last("Connect with Dana Reyes")
    press(conv, connect, "Done")
    assert "Nice work" in conv.text
    dispatch_until(dispatcher, clock, datetime(2027, 2, 1, tzinfo=UTC))
    titles = inbox.titles()
    assert titles.count("Connect with Dana Reyes") == 1, titles


def test_a_cadence_planned_again_brings_back_no_check_in_already_done(
        conv: Conversation, dispatcher: NudgeDispatcher, inbox: Inbox,
        clock: ManualClock) -> None:
    planned(conv)
    dispatch_until(dispatcher, clock, datetime(2026, 11, 30, 10, tzinfo=UTC))
    press(conv, inbox.last("Connect with"), "Done")
    person = conv.person
    coach = conv.coach
    coach.planner.plan_cadence(person, person["cases"][0], "regular")
    coach.people.save(conv.user, person)
    kinds = [kind for _, kind, _ in pending_keys(coach.store)]
    assert "connect" not in kinds
    assert kinds.count("share") == 1 and kinds.count("openings") == 2
    assert kinds.count("check_back") == kinds.count("introduction") == 1
    check_store(coach.store)


def test_recorded_feedback_cancels_did_you_hear_back(
        conv: Conversation, dispatcher: NudgeDispatcher, inbox: Inbox,
        clock: ManualClock) -> None:
    planned(conv)
    record_feedback(conv)
    assert "heard_back" not in [kind for _, kind, _ in pending_keys(conv.coach.store)]
    dispatch_until(dispatcher, clock, datetime(2026, 12, 20, tzinfo=UTC))
    assert not any("Did you hear back" in title for title in inbox.titles())


def test_they_replied_on_a_check_in_cancels_the_chase(
        conv: Conversation, dispatcher: NudgeDispatcher, inbox: Inbox,
        clock: ManualClock) -> None:
    planned(conv)  # connect on Mon 30 Nov, "did you hear back?" on Fri 4 Dec
    dispatch_until(dispatcher, clock, datetime(2026, 11, 30, 10, tzinfo=UTC))
    press(conv, inbox.last("Connect with"), "Something happened")
    conv.pick("They replied")
    assert "keeps the door open" in conv.text
    dispatch_until(dispatcher, clock, datetime(2026, 12, 20, tzinfo=UTC))
    assert not any("Did you hear back" in title for title in inbox.titles()), inbox.titles()


def test_a_second_feedback_starts_its_own_list_of_at_most_three(conv: Conversation) -> None:
    planned(conv)
    record_feedback(conv, "Practise system design", "Read about operators", "Mock interviews")
    conv.command("feedback")
    conv.send("A second round of feedback")
    assert "Anything else worth working on?" not in conv.text
    conv.send("Write about a project I led")
    conv.pick("That's the list")
    journal = conv.person["journal"]
    assert [len(entry["improvements"]) for entry in journal] == [3, 1]
    assert journal[-1]["improvements"] == ["Write about a project I led"]
    assert len(conv.person["cases"][0]["improvements"]) <= 3


class PressedWhileSending(Inbox):
    """The platform took the message, the person pressed Done at once, and then the
    platform's answer was lost: the dispatcher sees an error it may retry."""

    def __init__(self, clock: ManualClock, conv: Conversation) -> None:
        super().__init__(clock)
        self.conv = conv

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        await super().deliver(user, replies, nudge_id=nudge_id)
        if "Connect with" in replies[0].text:
            press(self.conv, replies[0], "Done")
            raise DeliveryError("timed out", retryable=True)


def test_done_pressed_while_the_check_in_went_out_stays_done(
        conv: Conversation, coach: Coach, clock: ManualClock) -> None:
    planned(conv)
    inbox = PressedWhileSending(clock, conv)
    dispatcher = NudgeDispatcher.using(coach, senders={"test": inbox})
    dispatch_until(dispatcher, clock, datetime(2026, 12, 15, tzinfo=UTC))
    assert inbox.titles().count("Connect with Dana Reyes") == 1, inbox.titles()
    connect = [n for n in coach.store.read_many(NUDGES, list(coach.store.keys(NUDGES))).values()
               if n["kind"] == "connect"]
    assert [n["state"] for n in connect] == ["done"]
