"""Issue 12: a pasted rejection email becomes a checked case and a draft in two turns.

The extraction itself is tested on its corpus (tests/test_rejection_email.py); these go
through the engine: where a paste is recognised, what is asked, what is never guessed."""

from __future__ import annotations

from bot.messages import Paste
from tests.conversation import Conversation, log_rejection, skip_introduction

EMAIL = """From: Priya Raman <priya.raman@northwind-health.example>
Subject: Your application for Senior Data Analyst
Date: Tue, 24 Nov 2026 16:05:00 +0100

Dear Sam,

Thank you for taking the time to meet the team during the final round for the Senior
Data Analyst role at Northwind Health. After a lot of thought, we have decided to move
forward with another candidate whose experience with stakeholder reporting was closer
to what we need right now.

We really enjoyed our conversations and hope you will apply again.

Kind regards,
Priya Raman
Talent Partner
Northwind Health
"""

NO_ROLE = """Hi Sam,

Thanks for your interest in Globex. We've decided not to move forward with your
application at this time. We wish you the best in your search.

Best,
The Globex Recruiting Team
"""


def test_paste_then_confirm_gives_a_checked_case_and_a_draft(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.command("paste")
    assert "Paste their whole email" in conv.text
    conv.send(Paste(EMAIL))  # turn 1: the email
    assert "Here's what I found in the email" in conv.text
    assert "- Company: Northwind Health" in conv.text
    assert "- Role: Senior Data Analyst" in conv.text
    assert "Priya Raman (recruiter)" in conv.text
    assert "Is that right?" in conv.text
    conv.pick("that's right")  # turn 2: confirmed
    case = conv.person["cases"][-1]
    assert case["status"] == "open" and case["source"] == "email" and "pasted" not in case
    assert case["date"] == "2026-11-24"
    draft = conv.draft
    assert draft is not None and "Subject:" not in draft  # a reply in their thread
    assert "Hi Priya," in draft


def test_an_email_pasted_at_which_company_is_read(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    conv.send(EMAIL)  # typed (pasted) into the company question
    assert "Here's what I found in the email" in conv.text
    assert conv.person["cases"][0]["company"] == "Northwind Health"


def test_what_the_email_does_not_say_is_asked(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.command("paste")
    conv.send(Paste(NO_ROLE))
    assert "What was the role at Globex?" in conv.text
    conv.send("Product Designer")
    assert "How far did you get" in conv.text


def test_something_that_is_not_an_email_is_not_used(conv: Conversation) -> None:
    log_rejection(conv)
    conv.command("paste")
    conv.send(Paste("I have been thinking a lot about what to do next and I am not sure.\n"
                    "Maybe I should take a break from applying for a while.\nWhat do you think?"))
    assert "doesn't read like a rejection email" in conv.text
    assert conv.person["cases"][0]["company"] == "Acme Corp"  # nothing changed


def test_a_long_ordinary_answer_at_which_company_is_still_an_answer(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("Initech")
    assert "What was the role at Initech?" in conv.text


def test_a_first_contact_by_paste_is_asked_its_place_before_check_ins(
        conv: Conversation) -> None:
    """Discord gives no time zone: someone who never saw the introduction is asked
    where they are once, right before check-ins are planned."""
    conv.command("paste")
    conv.send(Paste(EMAIL))
    conv.pick("that's right")
    conv.pick("sent it")
    conv.pick("Not yet")
    assert "Before I plan any check-ins: where are you based?" in conv.text
    conv.send("Munich")
    assert conv.person["settings"]["timezone"] == "Europe/Berlin"
    assert "How often should I nudge you?" in conv.text


def test_someone_who_skipped_the_place_at_first_contact_is_not_asked_again(
        conv: Conversation) -> None:
    log_rejection(conv)  # skips the introduction's place
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    assert "where are you based" not in conv.text and "How often" in conv.text


def test_a_sender_without_a_title_is_asked_their_role(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("Initech")
    conv.send("Analyst")
    conv.pick("Final round")
    conv.send("yesterday")
    conv.send("Bob Porter")
    conv.pick("Hiring manager")  # typed for Bob; the email is from someone else
    conv.command("paste")  # at "anyone else?", the case still being logged
    conv.send(Paste("Hi Sam,\n\nThank you for interviewing for the Analyst role at Initech. "
                    "Unfortunately we have decided to move forward with another "
                    "candidate.\n\nBest,\nJoanna Smith"))
    case = conv.person["cases"][-1]
    assert case["contact"] == "Joanna Smith" and case["contact_role"] != "hiring manager"
