"""The three steps, and every command, as conversations with the real engine."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from bot.clock import ManualClock
from bot.messages import Choice, Text, UserRef
from bot.nudges.book import NUDGES
from tests.conversation import Conversation, log_rejection, skip_introduction


def test_full_three_step_run_ends_with_draft_journal_and_nudges(conv: Conversation) -> None:
    conv.command("start")
    assert "three steps" in conv.text and "first name" in conv.text
    conv.send("Sam")
    assert "Thanks, Sam. Where are you based?" in conv.text
    conv.send("skip")
    assert "check in now and then" in conv.text and "UTC" in conv.text
    assert conv.options[:2] == ["Yes, count my answers", "No thanks"]  # consent, then step 1
    assert conv.options[2:4] == ["Gutted, honestly", "Frustrated or angry"]

    conv.pick("Gutted")
    assert "disappointment" in conv.text
    assert "don't write to the company while it still burns" in conv.text

    conv.pick("write down")
    conv.send("Acme Corp")
    assert "role at Acme Corp" in conv.text
    conv.send("Backend Engineer")
    conv.pick("Final round")
    conv.send("2026-11-25")
    conv.send("Dana Reyes")
    conv.pick("Hiring manager")
    conv.pick("that's everyone")
    conv.send("They wanted more Kubernetes experience")
    assert "- Company: Acme Corp" in conv.text
    assert "- Contact: Dana Reyes (hiring manager)" in conv.text
    conv.pick("that's right")
    assert "step 1 done" in conv.text
    assert conv.options == ["Email", "Letter", "Call"]

    conv.pick("Email")
    draft = conv.draft
    assert draft is not None
    assert "Hi Dana," in draft
    assert "Backend Engineer" in draft and "Acme Corp" in draft and "final round" in draft
    assert draft.count("?") >= 2  # precise feedback questions

    conv.pick("shorter")
    assert conv.draft is not None and len(conv.draft) < len(draft)
    conv.pick("formal")
    assert conv.draft is not None and "Dear Dana Reyes" in conv.draft
    conv.pick("sent it")
    assert "Sent." in conv.text
    conv.pick("Yes, let me record it")
    conv.send("Strong coding, but the system design round was shallow")
    conv.send("Practise system design out loud")
    conv.pick("Add another")
    conv.send("Read up on Kubernetes operators")
    conv.pick("That's the list")
    assert "Saved to your journal" in conv.text
    assert "- Practise system design out loud" in conv.text
    assert "Step 3" in conv.text

    conv.pick("Regular")
    assert "Connect with Dana" in conv.text
    assert "all three steps for Acme Corp" in conv.text

    person = conv.person
    assert person["flow"] is None
    case = person["cases"][0]
    assert case["sent_at"] is not None and case["cadence"] == "regular"
    assert person["journal"][0]["improvements"] == [
        "Practise system design out loud", "Read up on Kubernetes operators"]
    kinds = [conv.coach.store.read(NUDGES, n)["kind"] for n in person["nudge_ids"]]
    regular = [item.kind for item in conv.coach.content.nudges.cadences["regular"].schedule]
    assert kinds == ["heard_back", "chase", *regular]  # one contact: one of each


def test_nudges_are_due_at_the_start_of_the_local_window(conv: Conversation) -> None:
    conv.command("settings")
    conv.pick("Time zone")
    conv.send("america/new_york")
    assert "America/New_York" in conv.text
    conv.pick("Nothing")
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("later")
    conv.pick("Light")
    nudges = [conv.coach.store.read(NUDGES, n) for n in conv.person["nudge_ids"]]
    reminder = next(n for n in nudges if n["kind"] == "followup_reminder")
    # Friday 27 Nov 05:00 in New York; two days on is a Sunday, so Monday 09:00 EST.
    assert reminder["due_at"] == "2026-11-30T14:00:00+00:00"


def test_cooldown_tomorrow_pauses_and_resumes_at_the_same_question(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Frustrated")
    conv.pick("tomorrow")
    assert "check in tomorrow" in conv.text
    assert conv.options == []
    nudge = conv.coach.store.read(NUDGES, conv.person["nudge_ids"][0])
    assert nudge["kind"] == "cooldown" and nudge["state"] == "planned"
    conv.send("hi again")
    assert "Which company was it?" in conv.text


def test_calming_exercise_on_request(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Numb")
    conv.pick("calming")
    assert "count of four" in conv.text
    conv.pick("ready")
    assert "Which company" in conv.text


def test_unexpected_text_where_a_choice_is_expected_reasks(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.send("banana")
    assert "pick one of these" in conv.text
    assert "Let's write down what happened" in conv.options
    conv.send("1")  # a number picks the option
    assert "Which company" in conv.text


def test_free_text_mood_is_accepted(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send("Mostly tired, this was my fifth one this month")
    assert "your own words" in conv.text
    assert conv.person["cases"][0]["mood"] == "Mostly tired, this was my fifth one this month"


def test_stale_button_is_recognised_not_applied(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    old = conv.last[-1].options[0].value
    conv.pick("Okay")
    conv.send(Choice(old))
    assert "earlier question" in conv.text
    assert conv.person["cases"][0]["mood"] == "okay"


def test_bad_and_future_dates_are_explained_and_nothing_is_lost(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("Acme")
    conv.send("Analyst")
    conv.pick("Phone screen")
    conv.send("the thirty-second of Smarch")
    assert "couldn't read" in conv.text
    conv.send("2027-05-01")
    assert "in the future" in conv.text
    case = conv.person["cases"][0]
    assert (case["company"], case["role"], case["stage"]) == ("Acme", "Analyst", "phone screen")
    conv.command("skip")
    assert case["date"] == "" and conv.person["cases"][0]["date"] == "2026-11-27"


def test_huge_message_is_capped_and_state_kept(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("x" * 50_000)
    assert "50000 characters" in conv.text and "2000" in conv.text
    conv.send("y" * 500)
    assert "under 120 characters" in conv.text
    conv.send("Acme")
    assert "role at Acme" in conv.text


def test_empty_message_reasks(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send("   ")
    assert "didn't get any text" in conv.text


def test_user_text_is_data_not_template_code(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("{{ 7*7 }} {% for x in range(3) %}Corp{% endfor %}")
    assert "role at {{ 7*7 }} {% for x in range(3) %}Corp{% endfor %}" in conv.text
    conv.send("Dev\x1b[31m\u202eop\x00s")
    assert conv.person["cases"][0]["role"] == "Dev[31mops"


def test_back_skip_restart_stop(conv: Conversation) -> None:
    conv.command("back")
    assert "no conversation in progress" in conv.text
    conv.command("start")
    skip_introduction(conv)
    conv.command("back")
    assert "first question" in conv.text
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("Acme")
    conv.command("back")
    assert "Which company" in conv.text
    conv.send("Globex")
    conv.command("skip")
    assert "needs an answer" in conv.text
    conv.send("Designer")
    conv.pick("First interview")
    conv.command("skip")  # date: today
    conv.command("skip")  # no contact: role question is skipped too
    assert "give a reason" in conv.text
    conv.command("stop")
    assert "Everything you told me is saved" in conv.text
    conv.command("start")
    skip_introduction(conv)
    assert "Welcome back" in conv.text and "give a reason" in conv.text
    conv.command("restart")
    assert "again from the top" in conv.text and "how are you feeling" in conv.text
    assert [c["company"] for c in conv.person["cases"]] == [""]


def test_hi_between_answers_asks_again_and_welcome_back_waits_for_a_real_return(
        conv: Conversation, clock: ManualClock) -> None:
    """A "hi" typed seconds into the first conversation used to answer "Welcome back.
    Here's where we left off." It gets the question again; the welcome is for someone
    whose last turn was half an hour or more ago."""
    conv.send("hi")
    assert "first name" in conv.text
    conv.send("hi")
    assert "Welcome back" not in conv.text and "first name" in conv.text
    conv.send("Sam")
    assert "Where are you based" in conv.text
    clock.advance(timedelta(minutes=29))
    conv.send("hello")
    assert "Welcome back" not in conv.text and "Where are you based" in conv.text
    clock.advance(timedelta(minutes=30))
    conv.send("hi")
    assert "Welcome back" in conv.text and "Where are you based" in conv.text
    assert conv.person["settings"].get("name") == "Sam"


def test_a_number_not_in_the_list_is_asked_again_not_taken_as_words(
        conv: Conversation) -> None:
    """"6" on the four moods was thanked as "putting it in your own words"."""
    conv.command("start")
    skip_introduction(conv)
    assert "how are you feeling" in conv.text
    conv.send("6")
    assert "There's no 6 in this list" in conv.text and "1 to 4" in conv.text
    assert "own words" in conv.text  # this question takes words too
    assert len(conv.options) == 4
    assert conv.person["flow"]["step"] == "feeling" and conv.person["cases"][0]["mood"] is None
    conv.send("#3")
    assert conv.person["cases"][0]["mood"] == "numb"
    assert "What would help now?" in conv.text
    conv.send("7")
    assert "There's no 7 in this list. Type a number from 1 to 3:" in conv.text
    assert len(conv.options) == 3
    conv.send("1")
    assert "Which company" in conv.text


def test_several_rejections_are_separate_cases(conv: Conversation) -> None:
    log_rejection(conv, company="Acme", contact="Dana Reyes")
    conv.command("new")
    assert "its own case" in conv.text
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("Initech")
    conv.command("stop")
    cases = conv.person["cases"]
    assert [c["company"] for c in cases] == ["Acme", "Initech"]
    conv.command("start")
    skip_introduction(conv)
    assert "role at Initech" in conv.text  # the unfinished case is resumed, not a new one
    conv.command("status")
    assert "- Acme, Backend Engineer (heard back 2026-11-26)" in conv.text
    assert "- Initech: being logged" in conv.text


def test_status_shows_cases_contacts_nudges_and_journal(conv: Conversation) -> None:
    conv.command("status")
    assert "no cases yet" in conv.text
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent")
    conv.pick("Yes")
    conv.send("Needed more depth")
    conv.send("Practise system design")
    conv.pick("That's the list")
    conv.pick("Light")
    conv.command("status")
    text = conv.text
    assert "Acme Corp, Backend Engineer" in text
    assert "Dana Reyes, hiring manager at Acme Corp, last touch" in text
    assert "Connect with Dana Reyes" in text
    assert "Did you hear back" not in text  # their feedback is the answer (issue 10)
    assert "Practise system design" in text


def test_home_menu_for_a_returning_person(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("later")
    conv.pick("No reminders")
    conv.command("start")
    skip_introduction(conv)
    assert conv.options == ["Log a new rejection", "See my cases and journal",
                            "Record feedback I received"]
    conv.pick("Record feedback")
    assert "What did they say?" in conv.text


def test_feedback_command_picks_the_case(conv: Conversation) -> None:
    log_rejection(conv, company="Acme")
    conv.command("new")
    conv.pick("Okay")
    conv.pick("write down")
    conv.send("Initech")
    conv.send("PM")
    conv.pick("Application")
    conv.send("today")
    conv.send("skip")
    conv.send("skip")
    conv.command("feedback")
    assert "Which case" in conv.text
    conv.pick("Initech")
    conv.send("Too little product experience")
    conv.send("Ship a side project")
    conv.pick("That's the list")
    initech = next(c for c in conv.person["cases"] if c["company"] == "Initech")
    assert initech["improvements"] == ["Ship a side project"]


def test_settings_hours_cadence_and_return(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    conv.command("settings")
    conv.pick("Check-in hours")
    conv.send("whenever")
    assert "couldn't read" in conv.text
    conv.send("10-16 every day")
    assert "10:00 to 16:00, every day" in conv.text
    conv.pick("Reminder cadence")
    conv.pick("Light")
    conv.pick("Time zone")
    conv.send("Mars/Olympus_Mons")
    assert "couldn't place" in conv.text
    conv.send("Europe/Berlin")
    conv.pick("Nothing")
    assert "Which company" in conv.text  # back where we were
    settings = conv.person["settings"]
    assert settings["window"] == {"start": "10:00", "end": "16:00",
                                  "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    assert (settings["cadence"], settings["timezone"]) == ("light", "Europe/Berlin")


def test_pause_and_resume(conv: Conversation, clock: ManualClock) -> None:
    conv.command("pause", "14")
    assert "until 2026-12-11" in conv.text
    assert conv.person["paused_until"] == (clock.now() + timedelta(days=14)).isoformat()
    conv.command("pause", "forever")
    assert "how long" in conv.text
    conv.command("resume")
    assert conv.person["paused_until"] is None


def test_export_is_complete_json(conv: Conversation) -> None:
    log_rejection(conv)
    conv.command("export")
    file = conv.last[0].file
    assert file is not None and file.filename.endswith(".json")
    data = json.loads(file.content)
    assert data["person"]["cases"][0]["company"] == "Acme Corp"
    assert isinstance(data["nudges"], list)
    datetime.fromisoformat(data["exported_at"])


def test_forget_needs_confirmation_then_deletes_everything(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("later")
    nudge_ids = conv.person["nudge_ids"]
    conv.command("forget")
    assert conv.options == ["Yes, delete everything", "No, keep my data"]
    conv.pick("No, keep")
    assert "kept everything" in conv.text
    conv.command("forget")
    conv.send("maybe")  # fits neither button: asked again, nothing deleted
    assert "didn't quite catch" in conv.text
    assert conv.options == ["Yes, delete everything", "No, keep my data"]
    assert conv.coach.store.read("people", conv.user.key) is not None
    conv.send("nope")
    assert "kept everything" in conv.text
    conv.command("forget")
    conv.pick("Yes, delete")
    assert "deleted all your data" in conv.text
    assert conv.coach.store.read("people", conv.user.key) is None
    assert all(conv.coach.store.read(NUDGES, n) is None for n in nudge_ids)
    assert list(conv.coach.store.keys("nudge_due")) == []  # nothing left to dispatch


def test_unknown_command_gets_help(conv: Conversation) -> None:
    conv.command("dance")
    assert "don't know the command" in conv.text and "- status:" in conv.text


def test_typed_commands_work_mid_flow(conv: Conversation) -> None:
    conv.command("start")
    skip_introduction(conv)
    conv.send("help")
    assert "- back:" in conv.text
    conv.send("/notnow status")
    assert "no cases yet" in conv.text


def test_people_are_isolated_by_platform_workspace_and_user(coach) -> None:  # type: ignore[no-untyped-def]
    a = Conversation(coach, UserRef("slack", "T1", "U1"))
    b = Conversation(coach, UserRef("slack", "T2", "U1"))
    log_rejection(a, company="Acme")
    b.command("status")
    assert "no cases yet" in b.text


def test_timezone_from_platform_never_overrides_the_persons_choice(conv: Conversation) -> None:
    conv.coach.set_timezone(conv.user, "Asia/Tokyo")
    conv.command("status")
    assert conv.person["settings"]["timezone"] == "Asia/Tokyo"
    conv.command("settings")
    conv.pick("Time zone")
    conv.send("Europe/Paris")
    conv.coach.set_timezone(conv.user, "Asia/Tokyo")
    conv.coach.set_timezone(conv.user, "not/a zone")
    assert conv.person["settings"]["timezone"] == "Europe/Paris"


def test_text_is_answered_without_a_slash_command(conv: Conversation) -> None:
    conv.send(Text("hello there, I just got rejected"))
    assert "three steps" in conv.text


def test_time_zone_from_a_list_or_typed(conv: Conversation) -> None:
    conv.command("settings")
    conv.pick("Time zone")
    assert "India (Kolkata)" in conv.options and len(conv.options) > 10  # a menu
    conv.pick("India")
    assert conv.person["settings"]["timezone"] == "Asia/Kolkata"
    conv.pick("Time zone")
    conv.send("pacific/auckland")
    assert conv.person["settings"]["timezone"] == "Pacific/Auckland"
    conv.pick("Time zone")
    conv.send("Atlantis/Capital")
    assert "couldn't place" in conv.text
    assert conv.person["settings"]["timezone"] == "Pacific/Auckland"


def test_drafts_are_signed_with_the_platform_name_unless_one_is_chosen(
        conv: Conversation) -> None:
    conv.coach.set_display_name(conv.user, "Ada\x1b[31m Lovelace")
    log_rejection(conv)
    conv.pick("Email")
    assert conv.draft is not None and conv.draft.endswith("Ada[31m Lovelace")
    conv.command("settings")
    conv.pick("Name on drafts")
    conv.send("Ada L.")
    conv.pick("Nothing")
    conv.coach.set_display_name(conv.user, "Someone Else")  # the person's choice wins
    conv.command("new")
    for answer in ("Okay", "write down"):
        conv.pick(answer)
    for answer in ("Globex", "PM"):
        conv.send(answer)
    conv.pick("Application")
    for answer in ("today", "skip", "skip"):
        conv.send(answer)
    conv.pick("that's right")
    assert "rarely needs an answer" in conv.text  # after an application-only rejection
    conv.pick("short note")
    conv.pick("Letter")
    assert conv.draft is not None and conv.draft.rstrip().endswith("Ada L.")
