"""Patterns across cases in ``status``: where rejections end, one suggestion after a
repeated stage, and encouragement that counts what the person did, never the "no"s."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.messages import UserRef
from bot.storage import MemoryStore
from tests.conversation import Conversation, log_rejection

FINALS_ADVICE = "what separated the last two candidates"


@pytest.fixture
def talk(content: Content, clock: ManualClock) -> Conversation:
    """One store is enough here: this is about what status says, not how it is stored."""
    return Conversation(Coach(store=MemoryStore(), content=content, clock=clock),
                        UserRef("test", "T1", "U1"))


def log_cases(conv: Conversation, stages: list[str]) -> None:
    """One rejection per stage label, each its own case, each left at step 2."""
    for index, stage in enumerate(stages):
        if index:
            conv.command("new")
        log_rejection(conv, company=f"Company {index + 1}", stage=stage)


def test_status_counts_where_rejections_ended_in_process_order(talk: Conversation) -> None:
    log_cases(talk, ["Final round", "Application only", "First interview", "Application only",
                     "Phone screen"])
    talk.command("status")
    assert ("Where it ended: application 2, screening calls 1, interviews 1, final round 1."
            in talk.text)
    assert "offer stage" not in talk.text  # only the stages that occurred


def test_one_suggestion_after_three_finals_and_none_after_two(talk: Conversation) -> None:
    log_cases(talk, ["Final round", "Final round"])
    talk.command("status")
    assert "Where it ended: final round 2." in talk.text
    assert FINALS_ADVICE not in talk.text and "pattern worth acting on" not in talk.text
    talk.command("new")
    log_rejection(talk, company="Company 3", stage="Final round")
    talk.command("status")
    assert "Where it ended: final round 3." in talk.text
    assert talk.text.count("A pattern worth acting on:") == 1
    assert FINALS_ADVICE in talk.text


def test_encouragement_counts_actions_never_rejections(talk: Conversation) -> None:
    log_cases(talk, ["Final round", "Final round", "Final round"])
    talk.command("status")
    # nobody is kept warm before a plan to keep in touch exists
    assert "What you've done so far" not in talk.text and "keep the tally" in talk.text
    talk.command("start")  # back to the third case's follow-up
    talk.pick("Email")
    talk.pick("sent")
    talk.pick("Yes")
    talk.send("Needed more depth")
    talk.send("Practise system design")
    talk.pick("That's the list")
    talk.pick("Regular")
    talk.command("status")
    line = next(ln for ln in talk.text.splitlines() if ln.startswith("What you've done"))
    assert "1 follow-up sent" in line and "feedback recorded for 1 case" in line
    assert "1 contact kept warm" in line
    assert "rejection" not in line.lower() and "3 no" not in line.lower()


def test_a_new_person_gets_no_pattern_lines(talk: Conversation) -> None:
    talk.command("status")
    assert "no cases yet" in talk.text
    assert "Where it ended" not in talk.text and "What you've done" not in talk.text
