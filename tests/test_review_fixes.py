"""Bugs a review of issues 11 and 12 found, each shown through the engine first."""

from __future__ import annotations

from datetime import date

from bot.conversation.rejection_email import read_rejection
from bot.messages import Paste
from bot.nudges.book import NUDGES
from bot.nudges.calendar import calendar_file
from tests.conversation import Conversation, log_rejection, skip_introduction
from tests.test_paste_email import EMAIL


def planned(conv: Conversation) -> list[dict]:  # type: ignore[type-arg]
    nudges = [conv.coach.store.read(NUDGES, n) for n in conv.person["nudge_ids"]]
    return [n for n in nudges if n and n["state"] == "planned"]


def test_crisis_words_in_a_paste_start_the_hold(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send(Paste("I don't see the point of anything any more.\nI want to end my life."))
    assert conv.person["safety"] is not None


def test_several_lines_typed_as_an_answer_are_the_answer(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Yes, let me record it")
    conv.send(Paste("They said my SQL was strong.\nAlso that I should practise\n"
                    "stakeholder stories.", deliberate=False))  # pasted at a terminal
    case = conv.person["cases"][0]
    assert case["feedback"].startswith("They said my SQL was strong.")
    assert len(conv.person["cases"]) == 1


def test_an_eml_with_an_unknown_charset_is_read(conv: Conversation) -> None:
    eml = ("From: A Person <a@northwind.example>\nSubject: Your application\n"
           "Content-Type: text/plain; charset=unknown-8bit\n\n"
           "Dear Sam,\nUnfortunately we have decided to move forward with another "
           "candidate for the Analyst role at Northwind.\nBest,\nA Person\n")
    assert read_rejection(eml, today=date(2026, 11, 27), filename="r.eml").is_email
    conv.command("start")
    skip_introduction(conv)
    conv.command("paste")
    conv.send(Paste(eml, filename="r.eml"))
    assert "went wrong" not in conv.text and "Thanks, I've read their email" in conv.text


def test_a_huge_paste_is_read_only_as_far_as_an_email_goes() -> None:
    """A 200 kB paste of mostly spaces took 75 s in a quadratic regex (measured by hand:
    0.0 s now); reading stops at MAX_READ_CHARS, so what lies beyond is never parsed."""
    from bot.conversation.rejection_email import MAX_READ_CHARS

    letter = ("Dear Sam,\nUnfortunately we have decided to move forward with another "
              "candidate.\nBest,\nAna")
    found = read_rejection(letter + " " * 190_000 + "Company: Somewhere Else",
                           today=date(2026, 11, 27))
    assert found.is_email and MAX_READ_CHARS < 190_000
    assert found.company != "Somewhere Else"


def _two_contacts_planned(conv: Conversation) -> None:
    log_rejection(conv)  # Dana Reyes, hiring manager
    conv.command("edit", "add_contact")
    conv.send("Sam Lee")
    conv.pick("Interviewer")
    conv.pick("that's everyone")
    conv.pick("Nothing, that's all")
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick("Light")


def test_stopping_the_primary_contact_keeps_the_others_check_ins(conv: Conversation) -> None:
    from bot.nudges.messages import nudge_reply

    _two_contacts_planned(conv)
    dana = next(n for n in planned(conv) if n["kind"] == "connect" and not n.get("contact"))
    dana["state"] = "sent"
    conv.coach.store.write(NUDGES, dana["id"], dana)
    conv.last = [nudge_reply(conv.person, dana, content=conv.coach.content,
                             clock=conv.coach.clock)]
    conv.pick("Stop for this contact")
    left = planned(conv)
    assert any(n.get("contact") == "k1" for n in left)
    assert not any(n["kind"] == "connect" and not n.get("contact") for n in left)
    assert not conv.person["cases"][0].get("nudges_stopped")


def test_correcting_the_contacts_name_plans_nothing_twice(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick("Light")
    before = sorted((n["kind"], n["due_at"]) for n in planned(conv))
    conv.command("edit", "contact")
    conv.send("Dana Reyes-Smith")
    conv.pick("Hiring manager")
    conv.pick("Nothing, that's all")
    conv.command("draft")
    conv.pick("sent it")
    conv.pick("Not yet")
    after = sorted((n["kind"], n["due_at"]) for n in planned(conv))
    assert len(after) == len(set(after))  # no check-in twice
    assert after == before  # the same plan, under the corrected name
    assert [k for k, _ in after].count("heard_back") == 1


def test_draft_from_the_draft_does_not_come_back_after_the_plan(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.command("draft")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick("Light")
    assert conv.person["flow"] is None and conv.draft is None


def test_back_during_a_correction_ends_it(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.command("edit")
    conv.pick("Role")
    conv.command("back")
    conv.pick("Nothing, that's all")
    assert "Saved." in conv.text


def test_a_paste_first_person_is_asked_about_consent(conv: Conversation) -> None:
    conv.command("paste")
    conv.send(Paste(EMAIL))
    conv.pick("that's right")
    assert "Yes, count my answers" in conv.options


def test_the_calendar_stays_quiet_during_a_safety_hold_and_a_pause(
        conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick("Light")

    def events() -> int:
        nudges = conv.coach.nudge_book.of_person(conv.person)
        file = calendar_file(conv.person, nudges, content=conv.coach.content,
                             clock=conv.coach.clock)
        return file.content.count("BEGIN:VEVENT")

    assert events() > 0
    conv.send("pause 2 weeks")
    paused = events()
    conv.send("resume")
    assert paused < events()
    conv.send("I want to end my life")
    assert events() == 0


def test_the_light_plan_checks_back_with_every_contact_as_step_3_says(
        conv: Conversation) -> None:
    _two_contacts_planned(conv)
    assert "check-back in about five weeks" in conv.coach.content.render(
        "network.plan", {"team": [{"name": "Dana", "role": ""}], "case": {"company": "Acme"},
                         "contact_name": "Dana"})
    backs = [n.get("contact") for n in planned(conv) if n["kind"] == "check_back"]
    assert sorted(backs, key=str) == sorted([None, "k1"], key=str)
