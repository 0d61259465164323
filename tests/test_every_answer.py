"""Every menu reads typed answers the same way, and a typed answer never lands elsewhere.

Each test is one misread a person hit: a word typed at a menu built outside the flows
(forget's confirmation, a check-in's buttons, the case picker, the safety screen) used to
fall through to the home menu or into another question's slot; small typos at flow
questions were not understood. Runs on every store (the ``conv`` fixture).
"""

from __future__ import annotations

import asyncio

import pytest

from bot.clock import ManualClock
from bot.conversation.people import PEOPLE
from bot.nudges.book import NUDGES
from bot.nudges.dispatcher import NudgeDispatcher
from tests.conversation import Conversation, log_rejection, skip_introduction
from tests.test_dispatcher import RecordingSender


def _deliver_reminder(conv: Conversation, clock: ManualClock) -> RecordingSender:
    """A person who said they'd send the email later gets the reminder check-in."""
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("later")
    conv.pick("No reminders")
    sender = RecordingSender()
    sender.clock = clock
    clock.advance(days=4)  # Tuesday 10:00, inside the window, past the reminder's day
    report = asyncio.run(NudgeDispatcher.using(conv.coach, senders={"test": sender})
                         .send_due())
    assert report.sent == 1, report
    return sender


def test_typed_yes_confirms_forget(conv: Conversation) -> None:
    log_rejection(conv)
    conv.command("forget")
    conv.send("yes")
    assert "deleted all your data" in conv.text
    assert conv.coach.store.read(PEOPLE, conv.user.key) is None


def test_the_exact_label_typed_confirms_forget(conv: Conversation) -> None:
    log_rejection(conv)
    conv.command("forget")
    conv.send("Yes, delete everything")
    assert "deleted all your data" in conv.text


def test_yes_typed_after_forget_is_never_taken_as_a_mood(conv: Conversation) -> None:
    conv.command("start")  # asks how they feel (a question that takes free text)
    skip_introduction(conv)
    conv.command("forget")
    conv.send("no")
    assert "kept everything" in conv.text
    assert conv.person["cases"][-1].get("mood") in (None, "")


def test_a_check_in_answered_in_words_shows_the_draft(conv: Conversation,
                                                      clock: ManualClock) -> None:
    sender = _deliver_reminder(conv, clock)
    nudge_id = sender.sent[0][2]
    conv.send("show me the draft")
    assert conv.draft is not None and "Hi Dana," in conv.draft
    assert "Log a new rejection" not in conv.options  # not the home menu
    nudge = conv.coach.store.read(NUDGES, nudge_id)
    assert nudge is not None and nudge["state"] == "sent"


def test_done_typed_on_a_check_in_marks_it_done(conv: Conversation,
                                                clock: ManualClock) -> None:
    sender = _deliver_reminder(conv, clock)
    conv.send("done")
    nudge = conv.coach.store.read(NUDGES, sender.sent[0][2])
    assert nudge is not None and nudge["state"] == "done"


def test_they_replied_is_recorded_from_the_outcome_menu(conv: Conversation,
                                                        clock: ManualClock) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick("Light")
    sender = RecordingSender()
    sender.clock = clock
    dispatcher = NudgeDispatcher.using(conv.coach, senders={"test": sender})
    for _ in range(30):  # until the first check-in that offers "Something happened!"
        clock.advance(days=1)
        asyncio.run(dispatcher.send_due())
        offered = [o.label for r in sender.sent[-1][3] for o in r.options] if sender.sent else []
        if "Something happened!" in offered:
            break
    else:
        raise AssertionError("no check-in offered 'Something happened!'")
    conv.send("something happened")
    assert "What happened?" in conv.text
    conv.send("they replied")
    assert "keeps the door open" in conv.text
    [case] = [c for c in conv.person["cases"] if c.get("company")]
    assert [o["outcome"] for o in case["outcomes"]] == ["replied"]


def test_the_case_picker_takes_a_company_name(conv: Conversation) -> None:
    log_rejection(conv, company="Contoso Bank")
    conv.command("stop")
    conv.command("new")
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("Northwind Health")
    conv.command("feedback")
    assert conv.options == ["Contoso Bank, Backend Engineer", "Northwind Health"]
    conv.send("contoso")
    assert conv.person["flow"]["step"] == "feedback_text"
    case_id = conv.person["flow"]["case"]
    [contoso] = [c for c in conv.person["cases"] if c["company"] == "Contoso Bank"]
    assert case_id == contoso["id"]


def test_an_answer_that_fits_two_cases_asks_which(conv: Conversation) -> None:
    log_rejection(conv, company="Contoso Bank", role="Analyst")
    conv.command("stop")
    conv.command("new")
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("Contoso Bank")
    conv.send("Engineer")
    conv.command("feedback")
    assert conv.options == ["Contoso Bank, Analyst", "Contoso Bank, Engineer"]
    conv.send("contoso bank")
    assert "more than one" in conv.text and len(conv.options) == 2
    assert conv.person["flow"]["step"] != "feedback_text"


def test_yes_on_the_safety_screen_resumes_after_the_two_steps(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send("I want to end my life")
    assert conv.person["safety"]
    conv.send("I'd like to continue")
    assert "Yes, I'm safe, let's continue" in conv.options
    conv.send("yes")
    assert not conv.person["safety"]


def test_typed_words_on_the_safety_screen_never_leave_the_hold(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send("I want to end my life")
    conv.send("yes")  # nothing asked yet: stays with the person, resources again
    assert conv.person["safety"]
    assert "safety" in {tag for r in conv.last for tag in r.tags}


def test_small_typos_at_flow_questions_are_understood(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send("Gutted, honesty")  # the button, misspelt: the advice for upset people
    assert "Of course you are" in conv.text
    assert conv.person["cases"][-1]["mood"] == "gutted"
    conv.send("calmng exercise")
    assert "slow things down" in conv.text


def _at_anyone_else(conv: Conversation) -> None:
    """Step 1 up to "Was there anyone else there worth keeping in touch with?"."""
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    for said in ("Globex", "Data Analyst", "Final round", "last friday", "Priya Nair"):
        conv.send(said)
    conv.pick("Recruiter")
    assert conv.options == ["Add someone", "No, that's everyone"]


@pytest.mark.parametrize("typed", ["thats all", "That's it", "no", "nope", "nobody else",
                                   "no one", "thats everyone"])
def test_no_one_else_in_words_goes_on_to_the_reason(conv: Conversation, typed: str) -> None:
    """Seen in a console try: "thats all" got "I didn't quite catch that", and the reason
    typed next was taken as a feeling instead."""
    _at_anyone_else(conv)
    conv.send(typed)
    assert "didn't quite catch" not in conv.text
    conv.send("they went with someone with more SQL")
    assert "SQL" in conv.person["cases"][-1]["reason"]


@pytest.mark.parametrize("typed", ["yes", "one more", "someone else"])
def test_yes_in_words_adds_someone(conv: Conversation, typed: str) -> None:
    _at_anyone_else(conv)
    conv.send(typed)
    assert "What's their name?" in conv.text


def test_calming_alone_picks_the_calming_exercise(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Gutted")
    conv.send("calming")
    assert "slow things down" in conv.text


def test_a_misspelt_channel_is_understood(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send("emial")
    assert conv.draft is not None and "Hi Dana," in conv.draft


def test_an_answer_that_fits_no_button_repeats_them(conv: Conversation) -> None:
    log_rejection(conv)
    conv.command("forget")
    conv.send("what?")
    assert "didn't quite catch" in conv.text
    assert conv.options == ["Yes, delete everything", "No, keep my data"]
    assert conv.coach.store.read(PEOPLE, conv.user.key) is not None


def test_the_menu_is_forgotten_once_the_conversation_moves_on(conv: Conversation) -> None:
    log_rejection(conv)
    conv.command("forget")
    conv.command("status")  # ends without options: the confirmation is no longer on screen
    conv.send("yes")
    assert conv.coach.store.read(PEOPLE, conv.user.key) is not None


def test_yes_typed_at_first_contact_answers_consent_not_the_mood(conv: Conversation) -> None:
    """First contact shows the consent question and then 'how are you feeling?': a typed
    'yes' is the consent (it used to be saved as the person's mood), and the mood
    question is asked again."""
    conv.command("start")
    skip_introduction(conv)
    conv.send("yes")
    assert conv.person["consent"]["outcomes"] is True
    assert conv.person["cases"][-1].get("mood") in (None, "")
    assert "Gutted, honestly" in conv.options


def test_a_mood_typed_at_first_contact_goes_to_the_mood_question(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send("Gutted, honesty")
    assert "Of course you are" in conv.text
    assert conv.person["cases"][-1]["mood"] == "gutted"
    assert "consent" not in conv.person
