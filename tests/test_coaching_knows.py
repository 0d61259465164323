"""Issue 11: coaching that uses what it knows. First contact, review and edit, the draft
again, contacts and their plan, feedback kinds, negations, pause durations. Every test
talks to the real engine (see tests/conversation.py)."""

from __future__ import annotations

import pytest

from bot.conversation.choices import SAFETY_CONFIRM, ChoiceMatcher
from bot.messages import Option
from bot.nudges.book import NUDGES
from tests.conversation import Conversation, log_rejection, skip_introduction


@pytest.mark.parametrize("answer", ["I'm not safe", "im not safe", "I don't feel safe",
                                    "not really safe"])
def test_a_negated_answer_never_passes_for_the_option_it_negates(answer: str) -> None:
    matcher = ChoiceMatcher({"confirm": ["yes", "i'm safe", "safe"],
                             "not_yet": ["no", "not yet"]})
    options = (Option(SAFETY_CONFIRM, "Yes, I'm safe"), Option("safety=not_yet", "Not yet"))
    resolved = matcher.match(answer, options)
    assert resolved.option is None or resolved.option.value == "safety=not_yet"


def test_not_safe_at_the_are_you_safe_question_keeps_the_hold(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send("I want to end my life")
    conv.send("continue")  # asks whether they are safe
    conv.send("I'm not safe")
    assert conv.person["safety"] is not None


def planned(conv: Conversation) -> list[dict]:  # type: ignore[type-arg]
    person = conv.person
    nudges = [conv.coach.store.read(NUDGES, n) for n in person["nudge_ids"]]
    return [n for n in nudges if n and n["state"] == "planned"]


# -- first contact ---------------------------------------------------------------------

def test_first_contact_asks_a_name_and_a_place_then_says_how_check_ins_work(
        conv: Conversation) -> None:
    conv.command("start")
    assert "first name" in conv.text and not conv.options  # no consent beside a name yet
    conv.send("Priya")
    assert "Thanks, Priya. Where are you based?" in conv.text
    conv.send("the US")
    assert "more than one time zone in the US. Which city" in conv.text
    conv.send("Berlin")
    settings = conv.person["settings"]
    assert settings["timezone"] == "Europe/Berlin" and settings["country"] == "DE"
    assert settings["timezone_source"] == "user" and settings["name"] == "Priya"
    assert "Europe/Berlin time" in conv.text and "public holidays" in conv.text
    assert "sign your drafts as Priya" in conv.text
    assert conv.options[:2] == ["Yes, count my answers", "No thanks"]
    assert "Gutted, honestly" in conv.options
    conv.command("back")  # step 1's first question: the introduction is not gone back to
    assert "first question" in conv.text


def test_a_platform_profile_answers_the_introduction(conv: Conversation) -> None:
    conv.coach.set_display_name(conv.user, "Ana Souza")
    conv.coach.set_timezone(conv.user, "America/Sao_Paulo")
    conv.command("start")
    assert "first name" not in conv.text and "Where are you based" not in conv.text
    assert "America/Sao_Paulo time" in conv.text and "Gutted, honestly" in conv.options


# -- review, edit, draft -----------------------------------------------------------------

def answer_step_one(conv: Conversation, *, role: str = "Data Analyst",
                    stage: str = "Final round") -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("Northwind Health")
    conv.send(role)
    conv.pick(stage)
    conv.send("yesterday")
    conv.send("dr. priya raman")
    conv.pick("Recruiter")


def test_the_case_is_shown_and_one_answer_corrected_before_it_is_logged(
        conv: Conversation) -> None:
    answer_step_one(conv, role="Senoir Data Analyst 😩")
    conv.pick("that's everyone")
    conv.send("skip")
    assert "- Role: Senoir Data Analyst" in conv.text and "Is that right?" in conv.text
    conv.pick("Fix the role")
    assert "What was the role at Northwind Health?" in conv.text
    conv.send("Senior Data Analyst")
    assert "- Role: Senior Data Analyst" in conv.text  # straight back to the summary
    assert "- stage reached: final round" in conv.text.lower()  # nothing asked again
    conv.pick("that's right")
    assert "step 1 done" in conv.text and conv.person["cases"][0]["status"] == "open"
    conv.pick("Email")
    assert conv.draft is not None and "Senior Data Analyst" in conv.draft
    assert "Hi Priya," in conv.draft and "Dr." not in conv.draft.split("\n")[2]


def test_edit_changes_a_field_later_and_the_draft_follows(conv: Conversation) -> None:
    log_rejection(conv, role="Analyst")
    conv.pick("Email")
    conv.command("edit", "role")
    assert "What was the role at Acme Corp?" in conv.text
    assert "Here's the case" not in conv.text
    conv.send("Senior Analyst")
    assert "- Role: Senior Analyst" in conv.text and "What would you like to change?" in conv.text
    conv.pick("Nothing, that's all")
    assert 'Say "draft"' in conv.text
    assert "Here's your email" in conv.text  # back at the draft they were at
    assert conv.draft is not None and "Senior Analyst" in conv.draft
    conv.command("draft")
    assert conv.draft is not None and "Senior Analyst" in conv.draft


def test_edit_and_draft_while_still_logging_say_what_to_do(conv: Conversation) -> None:
    answer_step_one(conv)
    conv.command("draft")
    assert "no draft for this case yet" in conv.text
    conv.command("edit")
    assert "at the end of this step" in conv.text
    assert "Add someone" in conv.options  # still at the question they were at


def test_edit_typed_in_a_dm_with_its_field(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send("edit company")
    assert "Which company was it?" in conv.text


def test_a_reply_in_the_same_thread_has_no_subject_line(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    assert conv.draft is not None and conv.draft.startswith("Subject:")
    conv.pick("reply in their email thread")
    assert conv.draft is not None and "Subject:" not in conv.draft


def test_a_detail_from_the_interview_goes_into_the_draft(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("Add a detail")
    conv.send("the data platform migration")
    assert conv.draft is not None and "data platform migration" in conv.draft


def test_after_an_application_only_rejection_the_note_is_optional(
        conv: Conversation) -> None:
    log_rejection(conv, stage="Application only")
    assert "rarely needs an answer" in conv.text
    conv.pick("Skip the note")
    assert "Step 3" in conv.text and conv.draft is None


# -- contacts and their plan -----------------------------------------------------------

def test_two_contacts_each_get_their_own_check_ins(conv: Conversation) -> None:
    conv.coach.set_timezone(conv.user, "Europe/Berlin")  # 1 Jan is a holiday there
    answer_step_one(conv)
    conv.pick("Add someone")
    conv.send("lee park")
    conv.pick("Hiring manager")
    assert "Anyone else?" in conv.text
    conv.pick("that's everyone")
    conv.send("skip")
    assert "- Contact: Priya Raman (recruiter); Lee Park (hiring manager)" in conv.text
    conv.pick("that's right")
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    assert "- Priya Raman (recruiter): a LinkedIn connection" in conv.text
    assert "- Lee Park (hiring manager): a LinkedIn connection" in conv.text
    conv.pick("Regular")
    assert "Connect with Priya" in conv.text and "Connect with Lee" in conv.text
    connects = sorted((n for n in planned(conv) if n["kind"] == "connect"),
                      key=lambda n: n["due_at"])
    assert [n.get("contact") for n in connects] == [None, "k1"]
    assert connects[0]["due_at"] < connects[1]["due_at"]  # not both on one morning
    for kind in ("connect", "check_back", "congratulate"):  # even after a weekend moved one
        days = [n["due_at"][:10] for n in planned(conv) if n["kind"] == kind]
        assert len(days) == 2 and len(set(days)) == 2, kind


def test_stop_for_one_contact_keeps_the_others_plan(conv: Conversation) -> None:
    from bot.nudges.messages import nudge_reply

    test_two_contacts_each_get_their_own_check_ins(conv)
    lee = next(n for n in planned(conv) if n.get("contact") == "k1")
    reply = nudge_reply(conv.person, lee, content=conv.coach.content, clock=conv.coach.clock)
    assert "Lee" in reply.text and (reply.draft is None or "Hi Lee" in reply.draft)
    lee.update({"state": "sent"})
    conv.coach.store.write(NUDGES, lee["id"], lee)
    conv.last = [reply]
    conv.pick("Stop for this contact")
    left = planned(conv)
    assert not any(n.get("contact") == "k1" for n in left)
    assert any(n["kind"] == "connect" and not n.get("contact") for n in left)


# -- feedback, chase, pause --------------------------------------------------------------

def test_apply_again_gets_a_reaction_next_steps_and_a_reapply_check_in(
        conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it")
    assert "most feedback requests never get an answer" in conv.text
    kinds = {n["kind"] for n in planned(conv)}
    assert {"heard_back", "chase"} <= kinds
    conv.pick("Yes, let me record it")
    conv.send("She said to apply again in spring, but I need more SQL")
    case = conv.person["cases"][0]
    assert "apply_again" in case["feedback_kinds"] and "skill_gap" in case["feedback_kinds"]
    assert "Next steps that fit what they said:" in conv.text
    kinds = {n["kind"] for n in planned(conv)}
    assert "reapply" in kinds and not {"heard_back", "chase"} & kinds


def test_pause_takes_weeks(conv: Conversation) -> None:
    conv.command("start")
    conv.send("pause 2 weeks")
    assert conv.person["paused_until"].startswith("2026-12-11")
    conv.send("pause for a month")
    assert conv.person["paused_until"].startswith("2026-12-27")
    conv.send("pause forever and ever")
    assert "how long" in conv.text


def test_a_weekday_means_the_last_one(conv: Conversation) -> None:
    answer_step_one(conv)  # said "yesterday" on Friday 27 Nov
    conv.command("edit")  # still logging: explained, nothing changed
    conv.pick("that's everyone")
    conv.send("skip")
    conv.pick("Fix the date")
    conv.send("Wednesday")
    assert "- Heard back: 2026-11-25" in conv.text
    conv.pick("Fix the date")
    conv.send("last tuesday")
    assert "- Heard back: 2026-11-24" in conv.text


# -- found by trying the console as a person ---------------------------------------------

@pytest.mark.parametrize(("typed", "suggested"), [
    ("Senoir Data Analyst", "Senior Data Analyst"), ("Product Manger", "Product Manager"),
    ("Backend Enginer", "Backend Engineer"), ("UX Desginer", "UX Designer"),
    ("Kotlin Developer", None), ("Head of Growth", None), ("Barista", None),
])
def test_a_likely_typo_in_the_role_is_pointed_out(typed: str, suggested: str | None) -> None:
    from bot.conversation.spelling import suggest_title

    assert suggest_title(typed) == suggested


def test_the_review_points_out_a_typo_in_the_role(conv: Conversation) -> None:
    answer_step_one(conv, role="Product Manger")
    conv.pick("that's everyone")
    conv.send("skip")
    assert '- Role: Product Manger (did you mean "Product Manager"?' in conv.text


def test_a_lower_case_name_is_signed_properly(conv: Conversation) -> None:
    conv.command("start")
    conv.send("sam")
    assert "Thanks, Sam." in conv.text
    conv.send("skip")
    assert "sign your drafts as Sam." in conv.text


def test_a_sentence_where_a_button_was_expected_is_heard(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.send("I can't keep going with these applications, third no this month")
    assert conv.person["safety"] is None  # a figure of speech, not a crisis
    assert "I hear you" in conv.text and "I've sent it" in conv.options
    conv.send("emial")  # a short miss is still just a miss
    assert "didn't quite catch that" in conv.text


def test_feedback_that_starts_with_check_is_an_answer_not_a_command(
        conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Yes, let me record it")
    conv.send("Check your SQL window functions before the next round")
    assert conv.person["cases"][0]["feedback"].startswith("Check your SQL")


def test_crisis_words_after_a_bare_check_cancel_the_check(conv: Conversation) -> None:
    log_rejection(conv)
    conv.command("check")
    conv.send("I want to end my life")
    assert conv.person["safety"] is not None and conv.person["pending"] is None
