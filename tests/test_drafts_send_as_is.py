"""Drafts a person would send as is: names, greetings, stages and the seam check.

A follow-up is only worth something if it can be sent without an edit, so these tests
render every draft (each channel and variant) for many people and cases and ask the
seam checker whether anything gives the template away.
"""

from __future__ import annotations

import itertools
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from bot.content.loader import Content, ContentErrors, load_content
from bot.content.schema import DRAFT_CHANNELS, draft_variants
from bot.content.seams import find_seams
from bot.conversation.actions import ACTIONS, reason_topic
from bot.conversation.context import build_context, stage_phrase
from bot.conversation.names import ContactName, parse_contact
from bot.records import CaseRecord, PersonRecord
from bot.settings import DEFAULT_CONTENT_DIR

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
WINDOW = {"start": "09:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
ALL_DRAFTS = [f"{channel}{variant}" for channel in DRAFT_CHANNELS
              for variant in draft_variants(channel)]


def person(name: str = "Sam", display_name: str | None = None) -> PersonRecord:
    settings: dict[str, Any] = {"timezone": "Europe/Berlin", "window": WINDOW,
                                "cadence": "regular"}
    if name:
        settings["name"] = name
    record: dict[str, Any] = {"settings": settings}
    if display_name is not None:
        record["display_name"] = display_name
    return cast(PersonRecord, record)


def case(**changes: Any) -> CaseRecord:
    base: dict[str, Any] = {
        "id": "c1", "company": "Northwind Health", "role": "Data Analyst",
        "stage": "final round", "date": "2026-11-20", "contact": "Priya Raman",
        "contact_role": "recruiter", "reason": "", "highlight": "", "feedback": "",
        "channel": "email", "variant": "", "mood": "okay", "improvements": [],
        "cadence": "regular", "sent_at": None,
    }
    return cast(CaseRecord, {**base, **changes})


def context(who: PersonRecord | None = None, **changes: Any) -> dict[str, Any]:
    return build_context(who or person(), case(**changes), now=NOW, upset_moods=[])


def render(content: Content, draft: str, who: PersonRecord | None = None,
           **changes: Any) -> str:
    """As the draft action renders it: with what the reason came down to."""
    topic = reason_topic(str(changes.get("reason") or ""), content)
    return content.render(f"draft:{draft}", {**context(who, **changes), "reason_topic": topic})


# ---- names --------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "greeting", "formal", "full"), [
    ("Dr. Priya Raman", "Priya", "Dr Raman", "Priya Raman"),
    ("Ms Raman", "Ms Raman", "Ms Raman", "Raman"),
    ("priya raman", "Priya", "Priya Raman", "Priya Raman"),
    ("PRIYA RAMAN", "Priya", "Priya Raman", "Priya Raman"),
    ("Raman, Priya", "Priya", "Priya Raman", "Priya Raman"),
    ("Priya", "Priya", "Priya", "Priya"),
    ("Priya 🙂 Raman", "Priya", "Priya Raman", "Priya Raman"),
    ("Ms. priya RAMAN", "Priya", "Ms Raman", "Priya Raman"),
    ("angus mcdonald", "Angus", "Angus McDonald", "Angus McDonald"),
    ("Angus McDonald", "Angus", "Angus McDonald", "Angus McDonald"),
    ("jan van der berg", "Jan", "Jan van der Berg", "Jan van der Berg"),
    ("DeShawn Jones", "DeShawn", "DeShawn Jones", "DeShawn Jones"),
])
def test_a_typed_name_gives_the_forms_a_draft_needs(
        typed: str, greeting: str, formal: str, full: str) -> None:
    name = parse_contact(typed)
    assert (name.greeting, name.formal, name.full) == (greeting, formal, full)
    assert name.named


@pytest.mark.parametrize("typed", ["", "   ", "the recruiter", "Hiring team", "recruiter",
                                   "n/a", "HR", "my hiring manager", "🙂", "Dr."])
def test_text_that_names_no_one_gives_no_name(typed: str) -> None:
    assert parse_contact(typed) == ContactName(greeting="", formal="", full="", titled="")
    assert not parse_contact(typed).named


def test_a_title_is_kept_for_the_address_block() -> None:
    assert parse_contact("Dr. Priya Raman").titled == "Dr Priya Raman"


# ---- stages --------------------------------------------------------------------------

@pytest.mark.parametrize(("stage", "phrase"), [
    ("phone", "on our phone call"),
    ("phone screen", "on our phone call"),
    ("recruiter chat", "on our call"),
    ("video call", "on our video call"),
    ("first interview", "through the first round of interviews"),
    ("2nd interview", "through the second round of interviews"),
    ("technical interview", "through the interviews"),
    ("final round", "through the final round"),
    ("onsite", "through the final round"),
    ("offer stage", "right through to the offer stage"),
    ("Application only", "for considering my application"),
    ("application", "for considering my application"),
    ("it was complicated", "throughout the process"),
    ("", "throughout the process"),
])
def test_every_stage_reads_naturally(stage: str, phrase: str) -> None:
    assert stage_phrase(stage) == phrase
    assert context(stage=stage)["stage_phrase"] == phrase


def test_call_scripts_speak_to_the_caller(content: Content) -> None:
    script = render(content, "call", stage="Application only")
    assert "for considering your application" in script
    assert "my application" not in script.split("Thanks", 1)[1].split("\n")[1]


# ---- greeting, address block, variants -----------------------------------------------

def test_with_no_one_named_the_draft_greets_the_hiring_team(content: Content) -> None:
    ctx = context(contact="", contact_role="", company="Contoso Bank")
    assert ctx["greeting"] == "Dear Hiring Team at Contoso Bank,"
    assert ctx["greeting_formal"] == "Dear Hiring Team at Contoso Bank,"
    for draft in ("email", "email_short", "email_formal", "email_reply", "letter",
                  "letter_short", "letter_formal"):
        text = render(content, draft, contact="the recruiter", company="Contoso Bank")
        assert "Dear Hiring Team at Contoso Bank," in text, draft
        assert "Dear there" not in text and "Hi there" not in text


@pytest.mark.parametrize(("typed", "informal", "formal"), [
    ("Dr. Priya Raman", "Hi Priya,", "Dear Dr Raman,"),
    ("Ms Raman", "Hi Ms Raman,", "Dear Ms Raman,"),
    ("priya raman", "Hi Priya,", "Dear Priya Raman,"),
])
def test_greetings_use_the_right_form_of_the_name(content: Content, typed: str, informal: str,
                                                   formal: str) -> None:
    assert informal in render(content, "email", contact=typed)
    assert formal in render(content, "email_formal", contact=typed)
    assert formal in render(content, "letter_formal", contact=typed)


def test_the_letter_address_block_puts_each_part_on_its_own_line(content: Content) -> None:
    lines = render(content, "letter", contact="Dr. Priya Raman").splitlines()
    assert lines[2:4] == ["Dr Priya Raman, Recruiter", "Northwind Health"]
    lines = render(content, "letter", contact="", contact_role="",
                   company="Contoso Bank").splitlines()
    assert lines[2:4] == ["Hiring Team", "Contoso Bank"]
    long_role = "Head of Talent Acquisition, EMEA and APAC"
    lines = render(content, "letter_formal", contact="Angus McDonald",
                   contact_role=long_role).splitlines()
    assert lines[2:5] == ["Angus McDonald", long_role, "Northwind Health"]


def test_the_reply_in_the_same_thread_has_no_subject_line(content: Content) -> None:
    reply = render(content, "email_reply")
    assert "Subject:" not in reply
    assert reply.startswith("Hi Priya,")
    assert "Subject:" in render(content, "email")


def test_an_application_only_rejection_gets_a_light_note(content: Content) -> None:
    for draft in ("email", "email_short", "email_formal", "email_reply", "letter",
                  "letter_short", "letter_formal"):
        text = render(content, draft, stage="Application only", reason="more experience")
        greeting = next(line for line in text.splitlines()
                        if line.startswith(("Hi ", "Dear ")))
        body = text.split(greeting, 1)[1].strip()
        paragraphs = [p for p in body.split("\n\n")  # without the sign-off and the name
                      if p.strip() and not p.split("\n")[0].endswith(",")
                      and p.strip() != "Sam"]
        body = "\n\n".join(paragraphs)
        assert len(paragraphs) == 1, (draft, paragraphs)
        assert body.count(".") <= 3, draft
        for asked in ("feedback", "interview", "stronger candidate", "?"):
            assert asked not in body, (draft, asked)


def test_the_formal_email_invites_an_answer_without_inviting_defence(
        content: Content) -> None:
    text = render(content, "email_formal")
    assert "fell short" not in text
    assert "?" in text


def test_the_reason_is_asked_about_by_its_kind_and_never_quoted(content: Content) -> None:
    text = render(content, "email", reason="They went with someone with more experience")
    assert "the decision came down to experience." in text
    assert "someone with more" not in text  # the person's words are not quoted back
    text = render(content, "email", reason="my communication wasn't structured enough")
    assert "came down to how I came across." in text
    long_reason = "They went with someone internal who " + "knew the stack well and " * 8
    text = render(content, "email", reason=long_reason)
    assert "someone internal" not in text and "came down to" not in text
    assert "What would have made my application stronger" in text
    assert "came down to" not in render(content, "email", reason="none given")


def test_the_highlight_is_used_only_when_given(content: Content) -> None:
    text = render(content, "email", highlight="We talked about moving the team to dbt.")
    assert "stayed with me: We talked about moving the team to dbt." in text
    assert "stayed with me" not in render(content, "email")


def test_feedback_already_given_is_thanked_for_not_asked_again(content: Content) -> None:
    text = render(content, "email", feedback="More SQL depth, please.")
    assert "feedback you shared" in text
    assert "two things" not in text


def test_emoji_and_stray_spaces_stay_out_of_drafts_but_stay_stored(content: Content) -> None:
    record = case(company="  Contoso Bank 🏦 ", role="Senoir Data Analyst 😩",
                  contact="Priya  🙂 Raman")
    text = content.render("draft:email", build_context(person(), record, now=NOW,
                                                       upset_moods=[]))
    assert "Subject: Thank you, and a question about the Senoir Data Analyst role" in text
    assert "how Contoso Bank works" in text and "Hi Priya," in text
    assert "🏦" not in text and "😩" not in text
    assert record["company"] == "  Contoso Bank 🏦 "


def test_a_check_in_can_be_rendered_for_another_contact() -> None:
    record = case()
    ctx = build_context(person(), record, now=NOW, upset_moods=[],
                        contact={"name": "lee park", "role": "hiring manager"})
    assert ctx["contact_first_name"] == "Lee"
    assert ctx["case"]["contact_role"] == "hiring manager"
    assert record["contact"] == "Priya Raman"


def test_the_person_signs_with_their_name_and_a_draft_without_one_still_reads_whole(
        content: Content) -> None:
    signed = render(content, "email", person(name="", display_name="Ada Lovelace"))
    assert signed.endswith("Best regards,\nAda Lovelace")
    assert context(person(name="", display_name="Ada Lovelace"))["person_first_name"] == "Ada"
    for draft in ALL_DRAFTS:
        text = render(content, draft, person(name=""))
        assert "[Your name]" not in text and "None" not in text, draft
        assert not find_seams(text, name_known=False), draft


# ---- the table: every draft, many people and cases, no seams ------------------------

NAMES = ["Priya Raman", "Dr. Priya Raman", "Ms Raman", "priya raman", "PRIYA RAMAN",
         "Raman, Priya", "", "the recruiter"]
STAGES = ["phone", "Application only", "2nd interview", "final round", "onsite",
          "offer stage", "something else"]
SITUATIONS: list[dict[str, Any]] = [
    {},
    {"company": "AT&T", "reason": "more experience"},
    {"company": "Ben & Jerry's", "highlight": "the tour of the plant"},
    {"company": "Müller GmbH", "reason": "They wanted more Kubernetes experience.",
     "feedback": "solid, but more depth"},
    {"company": "ACME (Europe) Ltd.", "highlight": "We talked about dbt.",
     "reason": "none given"},
    {"company": "Contoso Bank 🏦", "role": "Senoir Data Analyst 😩",
     "reason": "x" * 200},
    {"contact_role": "Head of Talent Acquisition, EMEA and APAC", "feedback": "good"},
]
SIGNERS = ["Sam", "Ada Lovelace", ""]
TABLE = [
    (name, stage, SITUATIONS[index % len(SITUATIONS)], SIGNERS[index % len(SIGNERS)])
    for index, (name, stage) in enumerate(itertools.product(NAMES, STAGES))
]


def test_the_table_is_big_enough() -> None:
    assert len(TABLE) >= 40


@pytest.mark.parametrize(("name", "stage", "situation", "signer"), TABLE)
def test_every_draft_is_free_of_seams(content: Content, name: str, stage: str,
                                      situation: dict[str, Any], signer: str) -> None:
    changes = {"contact": name, "stage": stage, **situation}
    contact = parse_contact(name)
    values = [v for v in (contact.full, signer) if v]
    for draft in ALL_DRAFTS:
        text = render(content, draft, person(name=signer), **changes)
        seams = find_seams(text, values=values, name_known=bool(signer),
                           contact_named=contact.named)
        assert not seams, f"{draft}: {[str(s) for s in seams]}\n{text}"
        assert "🏦" not in text and "😩" not in text


# ---- the seam checker and content check ----------------------------------------------

@pytest.mark.parametrize(("text", "what"), [
    ("Priya Raman, recruiterNorthwind Health", "glued"),
    ("Hiring teamContoso Bank", "glued"),
    ("Dear there,\n\nThanks", "Dear there"),
    ("Hi ,\n\nThanks", "space before"),
    ("Thanks for the  role.", "doubled space"),
    ("I like ACME Ltd.. Thanks", "doubled punctuation"),
    ("Thanks , Sam", "space before"),
    ("Thanks,, Sam", "doubled punctuation"),
    ("Thanks for the {{ case.role }} role", "template syntax"),
    ("Thanks for the None role", "None"),
    ("Thanks for the () role", "empty brackets"),
    ("Best,\n[Your name]", "[Your name]"),
    ("Hi Priya,\n\nthanks for the call.", "lower case"),
])
def test_the_seam_checker_finds_each_kind_of_seam(text: str, what: str) -> None:
    found = [str(seam) for seam in find_seams(text)]
    assert any(what in seam for seam in found), found


def test_the_seam_checker_leaves_good_text_alone() -> None:
    text = ("Hi Priya,\n\nThanks for the JavaScript role at AT&T... I'm on LinkedIn.\n\n"
            "Best,\nSam")
    assert find_seams(text, values=["AT&T", "Sam"]) == []
    assert find_seams("Hi there,\n\nThanks", contact_named=False) == []
    assert find_seams("Best,\n[Your name]", name_known=False) == []


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target, ignore=shutil.ignore_patterns("__*"))
    return target


def content_errors(directory: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_content(directory, known_actions=ACTIONS)
    return [str(e) for e in caught.value.errors]


def test_content_check_fails_on_a_seamed_draft_naming_file_sample_and_seam(
        copy: Path) -> None:
    letter = copy / "drafts" / "letter.j2"
    text = letter.read_text()
    assert "{{ address_block }}" in text
    letter.write_text(text.replace(
        "{{ address_block }}",
        "{{ contact_full_name }}{% if case.contact_role %}, {{ case.contact_role }}{% endif %}\n"
        "{{ case.company }}", 1).replace("{{ greeting_dear }}", "Dear {{ contact_first_name }},"))
    errors = [e for e in content_errors(copy) if e.startswith("drafts/letter.j2")]
    assert any("sample 'plain'" in e and "glued" in e and "recruiterNorthwind" in e
               for e in errors), errors
    assert any("sample 'no contact'" in e and "Dear there" in e for e in errors), errors


def test_only_email_has_a_reply_variant(copy: Path) -> None:
    (copy / "drafts" / "email_reply.j2").unlink()
    (copy / "drafts" / "letter_reply.j2").write_text("{{ greeting }}\n")
    errors = content_errors(copy)
    assert "drafts/email_reply.j2: draft template is missing" in errors
    assert not any("letter_reply" in e for e in errors)
    (copy / "drafts" / "call_short.j2").unlink()
    assert "drafts/call_short.j2: draft template is missing" in content_errors(copy)
