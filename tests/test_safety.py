"""Crisis language pauses the coaching at any point, and only an explicit choice resumes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.content.loader import Content
from bot.conversation.safety import SafetyCheck, referral_count
from bot.messages import Command, Text
from tests.conversation import Conversation, log_rejection, skip_introduction

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
    "I can't keep going",
    "I cannot keep going like this",
    "what's the point of anything",
    "I want to disappear",
    "I can't keep going with my life",
    "I'm thinking of ending it",
    "I just want it all to end",
    "I want to go to sleep and never wake up",
    "I'm just a burden to everyone",
    # a job-search figure of speech does not hide a real signal after it
    "I can't keep going with these applications, I want to die",
    "I can't go on applying, I can't go on",
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
#: Everyday job-search talk that must never pause the coaching. Borderline choices, made
#: with care winning when in doubt:
#: - "I could just die, the interview was so awkward": embarrassment, and said about the
#:   interview; no pattern names "could just die", as none names "could die of shame".
#: - "kill me now, another form letter": the set phrase of exasperation, about a form
#:   letter. "please kill me" is not listed here, and a sentence with any crisis phrase
#:   in it still triggers.
#: - "I'm done with LinkedIn", "I give up on this company": giving up on a thing of the
#:   search; giving up on life, everything or living still triggers.
JOB_SEARCH = [
    "Honestly I can't keep going with these applications, third no this month",
    "I can't keep going with these applications",
    "I can't keep going with the job hunt like this",
    "I can't go on applying to jobs that ghost me",
    "I can't keep going to interviews for nothing",
    "I cannot do this job search any more",
    "I can't go on LinkedIn without seeing layoffs",
    "this job hunt is killing me",
    "I'm dying to hear back",
    "I could just die, the interview was so awkward",
    "I'm dead tired of cover letters",
    "kill me now, another form letter",
    "I give up on this company",
    "I'm done with LinkedIn",
    "no point applying there again",
    "shoot me an email",
    "this cover letter is the death of me",
    "I'm so done with this job search",
    "I can't take another rejection email",
    "recruiters are killing my motivation",
    "the hiring process is a dead end",
    "I missed the deadline, ugh",
    "the take-home test was murder",
    "I'd kill for a callback",
    "there's no point in following up again",
    "what's the point of a cover letter nobody reads",
    "I'm killing it at networking events",
    "they shot down my application",
    "I'm dying of boredom filling in these forms",
    "I'm done applying for today",
    "I want to quit applying to big companies",
    "end of the line for this application, they said no",
    "take my name off the list",
    "my hopes for this role are dead",
    "I want to give up on tech jobs",
    "I'm about to lose my mind with these assessments",
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


@pytest.mark.parametrize("phrase", ORDINARY + JOB_SEARCH)
def test_ordinary_phrases_are_not(check: SafetyCheck, phrase: str) -> None:
    assert not check.is_crisis(phrase)


def test_an_idiom_does_not_hide_a_real_signal(check: SafetyCheck) -> None:
    assert check.is_crisis("this is killing my motivation and honestly I want to die")


def test_resources_follow_the_region(check: SafetyCheck) -> None:
    assert "988" in check.resources_for(timezone="America/Chicago")
    assert "116 123" in check.resources_for(timezone="Europe/London")
    assert "findahelpline.com" in check.resources_for(timezone="Asia/Tokyo")
    assert "findahelpline.com" in check.resources_for()
    assert "local emergency number" not in check.resources_for()  # said by every text


#: a number each country's helpline text must show (checked 2026-11-28, see safety.yaml)
HELPLINES = {
    "US": "988", "CA": "988", "GB": "116 123", "IE": "116 123", "DE": "0800 111 0 111",
    "AT": "142", "CH": "143", "FR": "3114", "ES": "024", "IT": "02 2327 2327",
    "NL": "0800-0113", "BE": "0800 32 123", "AU": "13 11 14", "NZ": "1737",
    "IN": "14416", "ZA": "0800 567 567", "BR": "188", "SG": "1767", "SE": "90101",
    "PL": "116 123",
}


@pytest.mark.parametrize(("country", "number"), sorted(HELPLINES.items()))
def test_each_country_gets_its_own_helpline(check: SafetyCheck, country: str,
                                            number: str) -> None:
    assert number in check.resources_for(country=country)
    assert "findahelpline.com" not in check.resources_for(country=country)


def test_the_country_comes_from_the_setting_then_the_time_zone(check: SafetyCheck) -> None:
    """Berlin used to get only a directory link; a named country wins over the zone; zone
    aliases that name no country still match their region's glob."""
    assert "0800 111 0 111" in check.resources_for(timezone="Europe/Berlin")
    assert "116 123" in check.resources_for(timezone="Europe/Dublin")
    assert "143" in check.resources_for(country="ch", timezone="Europe/Berlin")
    assert "988" in check.resources_for(timezone="US/Eastern")
    assert "findahelpline.com" in check.resources_for(country="JP", timezone="Asia/Tokyo")


def test_every_region_says_where_its_numbers_come_from_and_when(content: Content) -> None:
    for name, region in content.safety.regions.items():
        assert region.source.strip(), name
        assert region.checked.isoformat() == "2026-11-28", name
    countries = {c for r in content.safety.regions.values() for c in r.countries}
    assert len(countries) >= 15


@pytest.mark.parametrize("part", ["reply", "still_here", "confirm_resume", "resumed"])
def test_safety_texts_read_right_without_buttons(content: Content, part: str) -> None:
    """The console shows no buttons: no text may send the person to one that is not
    there, and the way out is something they can type."""
    text = " ".join(getattr(content.safety, part).lower().split())
    assert "button below" not in text and "press the button" not in text
    if part in ("reply", "still_here"):
        assert "i'm safe, let's continue" in text


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
    conv.send("yes")  # typed answers that don't say "safe" don't resume
    assert conv.person["safety"] is not None
    conv.command("start")
    skip_introduction(conv)
    assert "are you feeling safe" in conv.text
    conv.pick("Not yet")
    assert conv.person["safety"] is not None
    conv.send("I'd like to continue")
    conv.pick("Yes, I'm safe")
    assert conv.person["safety"] is None
    assert "continue gently" in conv.text
    assert "Here's your email" in conv.text  # back at the same step


def test_the_reported_false_alarm_does_not_pause_coaching(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send("Honestly I can't keep going with these applications, third no this month")
    assert conv.person["safety"] is None
    assert not any("safety" in r.tags for r in conv.last)


def test_one_answer_ends_the_hold_and_brings_the_question_back(conv: Conversation) -> None:
    """Saying "I'm safe, let's continue" is the whole way out, typed or clicked, and the
    question the person was at is in the same turn."""
    log_rejection(conv)
    conv.send("I can't keep going")
    assert conv.person["safety"] is not None
    assert conv.options == ["I'm safe, let's continue"]
    conv.send("I'm safe, let's continue")
    assert conv.person["safety"] is None
    assert "continue gently" in conv.text
    assert "Email" in conv.options  # the channel question, asked again


def test_the_one_button_ends_the_hold(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send("what's the point of anything")
    conv.pick("I'm safe, let's continue")
    assert conv.person["safety"] is None
    assert "Email" in conv.options


def test_asking_to_continue_then_confirming_is_two_steps(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send("I want to disappear")
    conv.send("I'd like to continue with the job steps")
    assert conv.person["safety"] is not None
    assert "are you feeling safe" in conv.text
    conv.send("yes, I'm safe")
    assert conv.person["safety"] is None
    assert "Email" in conv.options


def test_a_hold_outside_a_flow_ends_where_start_would_take_the_person(
        conv: Conversation) -> None:
    """After "stop" there is no question on screen: ending the hold used to say "let's
    continue" and then nothing, so the person had to type start a third time."""
    log_rejection(conv)
    conv.command("stop")
    conv.send("I want to end my life")
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Yes, I'm safe")
    assert conv.person["safety"] is None
    assert "Email" in conv.options


def test_one_answer_ends_a_hold_outside_a_flow_too(conv: Conversation) -> None:
    log_rejection(conv)
    conv.command("stop")
    conv.send("I just want it all to end")
    conv.send("I'm safe, let's continue")
    assert conv.person["safety"] is None
    assert "Email" in conv.options


#: ("1" is the button's number in the console's list: picking it is choosing it)
@pytest.mark.parametrize("answer", ["I'm not safe", "not safe", "yes", "I'm ok", "I'm fine"])
def test_only_saying_safe_ends_the_hold(conv: Conversation, answer: str) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send("I want to end my life")
    conv.send(answer)
    assert conv.person["safety"] is not None


def test_a_berlin_person_gets_the_telefonseelsorge(conv: Conversation) -> None:
    conv.coach.set_timezone(conv.user, "Europe/Berlin")
    conv.send("I want to end it all")
    assert "0800 111 0 111" in conv.text


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
    skip_introduction(conv)
    conv.send("blah " * 1000 + "I want to kill myself")
    assert conv.person["safety"] is not None
