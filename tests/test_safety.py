"""Crisis language pauses the coaching at any point, and only an explicit choice resumes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.content.loader import Content
from bot.conversation.safety import SafetyCheck, referral_count
from bot.messages import Command, Text
from tests.conversation import Conversation, log_rejection

EXPLICIT = [
    "I want to kill myself",
    "honestly I'm thinking about suicide",
    "I've been self-harming again",
    "I want to end my life",
    "i just want to die",
    "I'm going to hurt myself tonight",
    "I wish I was dead",
    "thinking of taking my own life",
    "KMS... no really, I want to kill my self",
]
INDIRECT = [
    "I don't see the point of anything any more",
    "I don't see the point in living",
    "everyone would be better off without me",
    "I can't go on like this",
    "I don't want to be here anymore",
    "there's no point in going on",
    "I can\u2019t do this anymore",
    "nobody would miss me",
    "what's the point, I have nothing left to live for",
    "I just want to disappear forever",
    "I don't want to wake up tomorrow",
    "life isn't worth living after this",
    "honestly I see no point in anything now",
    "some days I just want to give up on everything",
    "I've been thinking about taking an overdose",
    "I could od on the pills in the cupboard",
]
ORDINARY = [
    "this rejection is killing my motivation",
    "this is killing me, I was so sure about this one",
    "I could die of embarrassment after that interview",
    "stuck in a dead-end job",
    "the deadline for the application was yesterday",
    "there's no point in applying there again",
    "I killed it in the first round though",
    "the company's product died last year",
    "I don't see the point of the take-home test",
    "Acme Corp",
    "I'm fine",
    "final round",
]


@pytest.fixture
def check(content: Content) -> SafetyCheck:
    return SafetyCheck(content)


@pytest.mark.parametrize("phrase", EXPLICIT + INDIRECT)
def test_crisis_phrases_are_noticed(check: SafetyCheck, phrase: str) -> None:
    assert check.is_crisis(phrase)


def test_every_pattern_is_exercised_by_a_listed_phrase(content: Content) -> None:
    """A pattern that no phrase here triggers could be deleted or broken unseen: each must
    flag at least one listed phrase on its own, through the whole check (normalising and
    idiom removal included). A new pattern needs its phrase here."""
    unexercised = []
    for source, pattern in zip(content.safety.patterns, content.safety_patterns, strict=True):
        alone = SafetyCheck(dataclasses.replace(content, safety_patterns=[pattern]))
        if not any(alone.is_crisis(phrase) for phrase in EXPLICIT + INDIRECT):
            unexercised.append(source)
    assert not unexercised, f"no phrase in EXPLICIT or INDIRECT triggers {unexercised}"


@pytest.mark.parametrize("phrase", ORDINARY)
def test_ordinary_phrases_are_not(check: SafetyCheck, phrase: str) -> None:
    assert not check.is_crisis(phrase)


def test_an_idiom_does_not_hide_a_real_signal(check: SafetyCheck) -> None:
    assert check.is_crisis("this is killing my motivation and honestly I want to die")


def test_resources_follow_the_region(check: SafetyCheck) -> None:
    assert "988" in check.resources_for("America/Chicago")
    assert "116 123" in check.resources_for("Europe/London")
    assert "findahelpline.com" in check.resources_for("Asia/Tokyo")
    assert "findahelpline.com" in check.resources_for(None)


def test_mid_flow_crisis_pauses_and_an_im_fine_does_not_dismiss(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.send("I don't see the point of anything any more")
    assert "findahelpline.com" in conv.text
    assert "I'm still here" in conv.text
    assert conv.person["safety"] is not None
    assert conv.last[0].draft is None  # no draft, no flow content

    conv.send("I'm fine")
    assert "findahelpline.com" in conv.text
    assert conv.person["safety"] is not None
    conv.send("1")  # typed numbers or answers don't resume either
    conv.command("start")
    assert "are you feeling safe" in conv.text
    conv.pick("Not yet")
    assert conv.person["safety"] is not None
    conv.pick("continue with the job steps")
    conv.pick("Yes, I'm safe")
    assert conv.person["safety"] is None
    assert "continue gently" in conv.text
    assert "Here's your email" in conv.text  # back at the same step


def test_crisis_in_reply_to_anything_counts_once_and_stores_no_words(conv: Conversation) -> None:
    before = referral_count(conv.coach.store)
    conv.send(Text("nobody would miss me"))
    conv.send(Text("I want to die"))  # already on hold: not a new referral
    assert referral_count(conv.coach.store) == before + 1
    stored = json.dumps(conv.person)
    assert "miss me" not in stored and "want to die" not in stored


def test_on_hold_the_person_can_still_see_and_take_their_data(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send("I can't go on")
    conv.send(Command("status"))
    assert "Acme Corp" in conv.text
    conv.send(Command("export"))
    assert conv.last[0].file is not None
    conv.command("status")
    assert "(on hold)" in conv.text or "none" in conv.text


def test_us_person_gets_988(conv: Conversation) -> None:
    conv.coach.set_timezone(conv.user, "America/Los_Angeles")
    conv.send("I want to end it all")
    assert "988" in conv.text


def test_huge_message_with_crisis_words_is_still_noticed(conv: Conversation) -> None:
    conv.command("start")
    conv.send("blah " * 1000 + "I want to kill myself")
    assert conv.person["safety"] is not None
