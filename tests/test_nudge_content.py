"""Issue 11, "a networking plan per contact": each check-in is a concrete suggestion
with a message the person could send as is.

Every networking and follow-up check-in is rendered for a matrix of cases (no contact,
long and titled names, long company and role names, vague and long improvements, a
highlight, an internal hire) through the same context builder the coach uses, and must
read without seams. What the person typed never lands in the middle of a draft's
sentence ("It also helped me with idk"), and the LinkedIn connection note fits
LinkedIn's 200 characters whatever the names.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from bot.content.loader import Content, ContentErrors, load_content
from bot.conversation.actions import ACTIONS
from bot.conversation.context import build_context
from bot.records import CaseRecord, PersonRecord
from bot.settings import DEFAULT_CONTENT_DIR

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
NETWORKING = ("connect", "check_back", "share", "congratulate", "openings", "introduction")
FOLLOW_UP = ("chase", "reapply")
LINKEDIN_NOTE_LIMIT = 200

LONG_COMPANY = "International Business Machines Deutschland Research & Development GmbH"
LONG_ROLE = "Senior Principal Machine Learning Infrastructure and Platform Reliability Engineer"
VAGUE = "idk"
SENTENCE = "Rewrite my stakeholder story with numbers (STAR)"

CASES: dict[str, dict[str, Any]] = {
    "ordinary": {"contact": "Dana Reyes", "contact_role": "recruiter"},
    "no contact": {"contact": "", "contact_role": ""},
    "titled name": {"contact": "Dr. Priya Raman", "contact_role": "hiring manager"},
    "lower case name": {"contact": "priya raman", "contact_role": "recruiter"},
    "long names": {"contact": "Maximiliane-Charlotte von Hohenzollern-Sigmaringen",
                   "company": LONG_COMPANY, "role": LONG_ROLE},
    "no role": {"role": ""},
    "vague improvement": {"improvements": [VAGUE]},
    "sentence improvement": {"improvements": [SENTENCE, "practise SQL joins"]},
    "no improvements": {"improvements": []},
    "highlight and internal hire": {"highlight": "the on-call rota redesign",
                                    "feedback_kinds": ["internal"]},
}


def person(*, name: str = "Sam") -> PersonRecord:
    return cast(PersonRecord, {
        "settings": {"timezone": "Europe/Berlin", "cadence": "regular", "name": name,
                     "window": {"start": "09:00", "end": "18:00",
                                "days": ["mon", "tue", "wed", "thu", "fri"]}},
        "display_name": name,
    })


def case(**overrides: Any) -> CaseRecord:
    record: dict[str, Any] = {
        "id": "c1", "company": "Northwind Health", "role": "Data Analyst",
        "stage": "final round", "date": "2026-11-26", "contact": "Dana Reyes",
        "contact_role": "recruiter", "reason": "more experience", "channel": "email",
        "variant": "", "mood": "okay", "feedback": "solid, but", "cadence": "regular",
        "improvements": ["practise SQL joins"], "sent_at": None,
    }
    record.update(overrides)
    return cast(CaseRecord, record)


def context_for(content: Content, overrides: dict[str, Any]) -> dict[str, Any]:
    return build_context(person(), case(**overrides), now=NOW,
                         upset_moods=content.coach.upset_moods)


def seams(text: str) -> list[str]:
    """What gives a template away: doubled spaces or punctuation, a space before
    punctuation, an empty placeholder, words glued across a line ("recruiterAcme")."""
    found = []
    for pattern in (r"[^\n ]  +\S", r" [,.;:!?]", r"[,;:]{2}|\.\.(?!\.)|,\.|\.,", r"\(\s*\)",
                    r"\bNone\b", r"\{\{|\}\}|\{%", r"\bthe\s+(role|process)\s+at\s*[.,]",
                    r"[a-z][A-Z][a-z]+ [A-Z]"):
        found += re.findall(pattern, text)
    return found


@pytest.mark.parametrize("label", list(CASES))
@pytest.mark.parametrize("kind", NETWORKING + FOLLOW_UP)
def test_every_networking_check_in_reads_without_seams(
        content: Content, kind: str, label: str) -> None:
    context = context_for(content, CASES[label])
    for part in ("title", "text", "draft"):
        rendered = content.render(f"nudge:{kind}:{part}", context)
        assert rendered.strip(), (kind, part)
        assert seams(rendered) == [], (kind, part, rendered)


@pytest.mark.parametrize("kind", NETWORKING + FOLLOW_UP)
def test_each_check_in_has_a_suggestion_and_a_message_to_send(
        content: Content, kind: str) -> None:
    spec = content.nudges.kinds[kind]
    assert spec.title and spec.text and spec.draft, kind


@pytest.mark.parametrize("improvement", [VAGUE, SENTENCE])
@pytest.mark.parametrize("kind", NETWORKING + FOLLOW_UP)
def test_what_the_person_typed_is_never_spliced_into_a_draft(
        content: Content, kind: str, improvement: str) -> None:
    context = context_for(content, {"improvements": [improvement]})
    draft = content.render(f"nudge:{kind}:draft", context)
    assert improvement not in draft
    assert "helped me with" not in draft


def test_the_share_text_lists_the_improvements_rather_than_splicing_them(
        content: Content) -> None:
    text = content.render("nudge:share:text", context_for(content, CASES["sentence improvement"]))
    assert f"- {SENTENCE}" in text.splitlines()


@pytest.mark.parametrize("contact", [
    "Maximiliane-Charlotte von Hohenzollern-Sigmaringen",
    "Dr. Anna-Katharina Schmidt-Rottluff",
    "Bartholomew Featherstonehaugh-Cholmondeley",
    "",
])
@pytest.mark.parametrize(("company", "role"), [
    (LONG_COMPANY, LONG_ROLE),
    ("Contoso Bank", LONG_ROLE),
    (LONG_COMPANY, "Data Analyst"),
    ("Fabrikam Healthcare Analytics Solutions", "Senior Backend Engineer (Payments)"),
])
def test_the_linkedin_connection_note_fits_200_characters(
        content: Content, contact: str, company: str, role: str) -> None:
    context = context_for(content, {"contact": contact, "company": company, "role": role})
    note = content.render("nudge:connect:draft", context)
    assert len(note) <= LINKEDIN_NOTE_LIMIT, (len(note), note)
    assert content.nudges.kinds["connect"].max_length == LINKEDIN_NOTE_LIMIT


def test_a_short_company_and_role_are_named_in_the_connection_note(content: Content) -> None:
    note = content.render("nudge:connect:draft", context_for(content, {}))
    assert "Data Analyst" in note and "Northwind Health" in note


def test_the_chase_says_most_requests_go_unanswered_and_to_let_it_go(
        content: Content) -> None:
    text = content.render("nudge:chase:text", context_for(content, {}))
    assert "never get an answer" in text
    assert "let it go" in text
    draft = content.render("nudge:chase:draft", context_for(content, {}))
    body = draft.split("\n\n")[0]
    assert "\n" not in body and "following up" in body


def test_reapply_suggests_the_openings_and_showing_what_changed(content: Content) -> None:
    text = content.render("nudge:reapply:text", context_for(content, {}))
    assert "careers page" in text and "what changed" in text


def test_the_cadences_carry_the_networking_plan(content: Content) -> None:
    regular = {item.kind: item.after_days for item in content.nudges.cadences["regular"].schedule}
    assert {"connect", "share", "check_back", "openings", "introduction",
            "congratulate"} <= set(regular)
    assert regular["connect"] == 3
    assert 28 <= regular["check_back"] <= 42  # some weeks on, within a new hire's probation
    light = content.nudges.cadences["light"].schedule
    assert "check_back" in {item.kind for item in light}
    assert len(light) < len(content.nudges.cadences["regular"].schedule)
    assert content.nudges.followup.chase_after_business_days == 8
    assert content.nudges.followup.reapply_after_days == 90


def copy_of_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target


def test_content_check_refuses_a_draft_longer_than_its_limit(tmp_path: Path) -> None:
    folder = copy_of_content(tmp_path)
    nudges = folder / "nudges.yaml"
    source = nudges.read_text(encoding="utf-8")
    assert source.count("max_length: 200") == 1
    nudges.write_text(source.replace("max_length: 200", "max_length: 40"), encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_content(folder, known_actions=ACTIONS)
    [error] = [e for e in caught.value.errors if e.key == "kinds.connect.draft"]
    assert "at most 40" in error.message
    assert error.line is not None


def test_content_check_refuses_a_length_limit_without_a_draft(tmp_path: Path) -> None:
    folder = copy_of_content(tmp_path)
    nudges = folder / "nudges.yaml"
    source = nudges.read_text(encoding="utf-8")
    marker = '    title: "Ready to write the follow-up?"\n'
    assert source.count(marker) == 1
    nudges.write_text(source.replace(marker, marker + "    max_length: 100\n"),
                      encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_content(folder, known_actions=ACTIONS)
    assert any(e.key == "kinds.cooldown.max_length" for e in caught.value.errors)
