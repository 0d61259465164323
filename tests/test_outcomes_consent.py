"""Outcomes, asked for with consent: the question at first contact, changing one's mind,
the 90- and 180-day check-ins (once each, never during a safety hold), and forget taking
a person's contribution out of the programme's report."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from bot.clock import ManualClock
from bot.conversation.engine import Coach
from bot.messages import Choice, Reply, UserRef
from bot.nudges.dispatcher import NudgeDispatcher
from bot.report.build import build_report
from tests.conftest import START
from tests.conversation import Conversation, log_rejection, skip_introduction

CONSENT_YES, CONSENT_NO = "consent=yes", "consent=no"  # the consent buttons' values
DAY_90 = datetime(2027, 2, 25, 9, 30, tzinfo=UTC)  # 27 Nov 2026 + 90 days, a Thursday
DAY_180 = datetime(2027, 5, 26, 9, 30, tzinfo=UTC)  # + 180 days, a Wednesday


class Recorder:
    """The platform boundary: what the dispatcher delivered, in order."""

    platform = "test"

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Reply]]] = []

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        self.sent.append((nudge_id, list(replies)))

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        return any(sent == nudge_id for sent, _ in self.sent)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def dispatcher(coach: Coach, recorder: Recorder) -> NudgeDispatcher:
    return NudgeDispatcher.using(coach, senders={"test": recorder})


def milestones(conv: Conversation) -> list[tuple[str, str, str]]:
    """The person's 90/180-day check-ins: (kind, state, due_at)."""
    person = conv.person
    return sorted((n["kind"], n["state"], n["due_at"])
                  for n in conv.coach.planner.of_person(person)  # type: ignore[arg-type]
                  if n["kind"].startswith("milestone_"))


def dispatch_at(conv: Conversation, dispatcher: NudgeDispatcher, clock: ManualClock,
                when: datetime) -> None:
    clock.set(when)
    asyncio.run(dispatcher.send_due())


def test_first_contact_asks_once_between_welcome_and_step_1(conv: Conversation,
                                                            clock: ManualClock) -> None:
    conv.command("start")
    skip_introduction(conv)
    texts = [r.text for r in conv.last]
    assert "three steps" in texts[0]
    assert "never your name or anything you type" in texts[1]
    assert [o.value for o in conv.last[1].options] == [CONSENT_YES, CONSENT_NO]
    assert conv.last[-1].options[0].label == "Gutted, honestly"  # step 1 did not wait

    conv.pick("Yes, count my answers")
    assert conv.person["consent"] == {"outcomes": True, "at": START.isoformat()}
    assert "counted anonymously" in conv.text
    assert milestones(conv) == [
        ("milestone_180", "planned", "2027-05-26T09:00:00+00:00"),
        ("milestone_90", "planned", "2027-02-25T09:00:00+00:00"),
    ]

    conv.send(Choice(CONSENT_YES))  # an old button pressed again plans nothing twice
    conv.command("new")  # nor does a second case
    assert len(milestones(conv)) == 2
    conv.command("start")
    skip_introduction(conv)
    assert not any(o.value == CONSENT_YES for r in conv.last for o in r.options)  # asked once


def test_no_answer_is_no_and_no_questions(conv: Conversation) -> None:
    log_rejection(conv)
    assert "consent" not in conv.person
    assert milestones(conv) == []


def test_declining_then_changing_ones_mind_both_ways(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Yes, count my answers")
    conv.command("outcomes")
    assert "is\ncounted" in conv.text or "is counted" in conv.text
    conv.pick("No thanks")
    assert conv.person["consent"]["outcomes"] is False
    assert [state for _, state, _ in milestones(conv)] == ["cancelled", "cancelled"]

    conv.command("outcomes")
    assert "not counted" in conv.text
    conv.send("yes")  # a typed answer to the menu on screen
    assert conv.person["consent"]["outcomes"] is True
    assert [state for _, state, _ in milestones(conv)].count("planned") == 2


def test_milestone_check_in_has_its_three_answers_and_records_once(
        conv: Conversation, dispatcher: NudgeDispatcher, recorder: Recorder,
        clock: ManualClock) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Yes, count my answers")
    dispatch_at(conv, dispatcher, clock, DAY_90)
    ((_, replies),) = recorder.sent
    assert "Three months on" in replies[0].text
    assert [o.label for o in replies[0].options] == [
        "I found a role", "Still looking", "Rather not say"]

    conv.last = replies
    conv.pick("Still looking")
    assert conv.person["milestones"] == [
        {"at": DAY_90.isoformat(), "days": 90, "answer": "still_looking"}]
    conv.last = replies
    conv.pick("I found a role")
    assert "already handled" in conv.text
    assert len(conv.person["milestones"]) == 1

    dispatch_at(conv, dispatcher, clock, DAY_180)
    conv.last = recorder.sent[-1][1]
    conv.send("found a job")  # typed, against the check-in on screen
    assert [m["answer"] for m in conv.person["milestones"]] == ["still_looking", "found_role"]


def test_no_milestone_check_in_during_a_safety_hold(
        conv: Conversation, dispatcher: NudgeDispatcher, recorder: Recorder,
        clock: ManualClock) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Yes, count my answers")
    conv.send("I want to kill myself")
    assert conv.person["safety"]
    dispatch_at(conv, dispatcher, clock, DAY_90)
    assert recorder.sent == []


def test_a_reply_reported_on_did_you_hear_back_is_an_outcome(
        conv: Conversation, dispatcher: NudgeDispatcher, recorder: Recorder,
        clock: ManualClock) -> None:
    log_rejection(conv)  # step 1, then agreeing on the way, then on with step 2
    conv.command("outcomes")
    conv.pick("Yes, count my answers")
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Email")
    conv.pick("sent it")
    dispatch_at(conv, dispatcher, clock, datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
    ((nudge_id, replies),) = recorder.sent
    assert "Did you hear back" in replies[0].text
    conv.last = replies
    conv.pick("Something happened")
    conv.pick("They replied")
    (outcome,) = conv.person["cases"][0]["outcomes"]
    assert (outcome["outcome"], outcome["nudge"]) == ("replied", nudge_id)


def test_forget_takes_the_persons_contribution_out_of_the_report(
        coach: Coach, clock: ManualClock) -> None:
    people = [Conversation(coach, UserRef("test", "T1", f"U{i}")) for i in range(5)]
    for conv in people:
        conv.command("start")
        skip_introduction(conv)
        conv.pick("Yes, count my answers")
        log_rejection(conv, company="Acme Corp")

    def people_figure() -> str:
        report = build_report(coach.store, clock=clock, workspace="test:T1", since=None,
                              until=None)
        return next(f.display for f in report.figures if f.key == "people")

    assert people_figure() == "5"
    people[0].command("forget")
    people[0].pick("Yes, delete everything")
    assert people_figure() == "fewer than 5"
