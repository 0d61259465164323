"""Feedback turned into a plan: the kinds of feedback recognised from what people type.

Decisions the table pins down:
- Praise cancels a criticism in the same clause: "my communication was great but I
  lacked Kubernetes" is a skill gap only. "Not a good fit" is still fit (praise plus a
  criticism word in one clause).
- A named skill wins over years: "more Kubernetes experience" is a skill gap; "more
  experience with Kubernetes" is both a skill gap and experience (the person gets the
  first action of each).
- News is never cancelled by praise: "they liked me, internal candidate" is internal.
- ``generic`` only when nothing else matched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.feedback_file import FeedbackFile, load_feedback
from bot.content.patterns import PatternSet
from bot.conversation.feedback_kinds import advice_for, classify, plans_for, reaction_for
from bot.settings import DEFAULT_CONTENT_DIR

TABLE: list[tuple[str, set[str]]] = [
    # skill gaps, named or technical
    ("They wanted more Kubernetes experience", {"skill_gap"}),
    ("they said my communication was great but I lacked Kubernetes", {"skill_gap"}),
    ("my SQL wasnt strong enough for the role", {"skill_gap"}),
    ("failed the take home, they wanted cleaner python", {"skill_gap"}),
    ("Techincal skills not quite there yet", {"skill_gap"}),
    ("need to brush up on system design", {"skill_gap"}),
    ("The live coding round didn't go well", {"skill_gap"}),
    ("recruiter said my knowlege of AWS was a bit thin", {"skill_gap"}),
    ("They were looking for someone stronger in excel and forecasting", {"skill_gap"}),
    # experience
    ("they went with someone with more years of experience", {"experience"}),
    ("not enough experiance for this level", {"experience"}),
    ("Looking for someone more senior", {"experience"}),
    ("she said I'm a bit too junior for now", {"experience"}),
    ("lack of leadership experience", {"experience"}),
    ("apparently i was overqualified lol", {"experience"}),
    # communication
    ("I rambled and was nervous", {"communication"}),
    ("answers could have been more structured", {"communication"}),
    ("They said I didn't explain my thinking clearly", {"communication"}),
    ("came across as a little unsure of myself", {"communication"}),
    ("the panel felt my answers were too long winded", {"communication"}),
    ("use the STAR method and give concrete examples", {"communication"}),
    ("great technically but came across as nervous", {"communication"}),
    ("communcation needs work", {"communication"}),
    # fit
    ("not a good culture fit", {"fit"}),
    ("they didn't think I'd fit the team", {"fit"}),
    ("wasn't sure about my motivation for the role", {"fit"}),
    ("They felt my values weren't aligned with theirs", {"fit"}),
    ("lacked enthusiam for the product apparently", {"fit"}),
    # internal
    ("went with an internal candidate", {"internal"}),
    ("they hired someone from within", {"internal"}),
    ("They liked me but chose an interal applicant", {"internal"}),
    ("the role went to an existing contractor", {"internal"}),
    ("position was filled in-house", {"internal"}),
    # apply again
    ("She said to apply again!", {"apply_again"}),
    ("they'll keep my cv on file and I should reapply in 6 months", {"apply_again"}),
    ("told me to keep an eye out for future roles", {"apply_again"}),
    ("encouraged me to re-apply next year", {"apply_again"}),
    ("they added me to their talent pool", {"apply_again"}),
    # several kinds in one
    ("needed more experience with Kubernetes and to communicate more clearly",
     {"skill_gap", "experience", "communication"}),
    ("internal candidate got it, but they said apply again", {"internal", "apply_again"}),
    ("not enough years, also my answers were a bit vague", {"experience", "communication"}),
    ("good fit culturally, SQL was the gap, please reaply when you can",
     {"skill_gap", "apply_again"}),
    # nothing specific
    ("we went with someone stronger", {"generic"}),
    ("no specific feedback", {"generic"}),
    ("It was very close, they picked another candidate", {"generic"}),
    ("Just the standard email, nothing useful", {"generic"}),
    ("idk", {"generic"}),
    ("they loved my communication", {"generic"}),
]


@pytest.fixture(scope="module")
def spec() -> FeedbackFile:
    loaded, errors = load_feedback(DEFAULT_CONTENT_DIR)
    assert errors == [] and loaded is not None
    return loaded


def test_the_table_is_recognised(spec: FeedbackFile) -> None:
    assert len(TABLE) >= 40
    misses = [(text, want, classify(text, spec)) for text, want in TABLE
              if set(classify(text, spec)) != want]
    accuracy = 1 - len(misses) / len(TABLE)
    print(f"feedback kinds: {accuracy:.0%} of {len(TABLE)} sentences")
    assert accuracy >= 0.95, f"accuracy {accuracy:.0%}; misses: {misses}"


@pytest.mark.parametrize(("text", "kinds"), [
    ("they said my communication was great but I lacked Kubernetes", ["skill_gap"]),
    ("not a good culture fit", ["fit"]),
    ("we went with someone stronger", ["generic"]),
    ("", []),
])
def test_documented_decisions(spec: FeedbackFile, text: str, kinds: list[str]) -> None:
    assert classify(text, spec) == kinds


def test_kinds_come_in_content_order_and_at_most_three(spec: FeedbackFile) -> None:
    text = ("internal hire, my python was weak, not enough years, I rambled, "
            "and poor culture fit")
    assert classify(text, spec) == ["skill_gap", "experience", "communication"]


def test_advice_gives_each_kind_its_first_action_before_any_second(
        spec: FeedbackFile) -> None:
    advice = advice_for(["skill_gap", "communication"], spec)
    assert advice == [spec.kinds["skill_gap"].actions[0],
                      spec.kinds["communication"].actions[0],
                      spec.kinds["skill_gap"].actions[1]]
    assert "project" in advice[0]
    assert advice_for([], spec) == []


def test_apply_again_plans_a_reapply_and_reacts_with_the_company(spec: FeedbackFile) -> None:
    kinds = classify("She said to apply again", spec)
    assert plans_for(kinds, spec) == ["reapply"]
    context = {"case": {"company": "Northwind"}, "contact_name": "Priya Raman"}
    reaction = reaction_for(kinds, spec, context)
    assert "Northwind" in reaction and "check-in" in reaction
    assert plans_for(["skill_gap"], spec) == []


def test_unanswered_says_most_go_unanswered_and_one_chase(spec: FeedbackFile) -> None:
    text = spec.render("feedback:unanswered", {"contact_name": "Priya Raman"})
    assert "most feedback requests never get an answer" in text
    assert "week and a half of working days" in text and "one short, friendly chase" in text
    assert "let it go" in text


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    shutil.copy(DEFAULT_CONTENT_DIR / "feedback.yaml", tmp_path / "feedback.yaml")
    path = tmp_path / "feedback.yaml"
    source = path.read_text(encoding="utf-8")
    assert old in source
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def test_a_bad_pattern_is_named_with_file_line_and_key(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, r"'\b(nerv\w*", r"'\b((nerv\w*")
    loaded, errors = load_feedback(folder)
    assert loaded is None and len(errors) == 1
    assert errors[0].startswith("feedback.yaml:")
    assert ": kinds.communication.patterns.1: invalid regular expression" in errors[0]


def test_an_unknown_template_variable_is_named(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, "{{ case.company }}'s openings", "{{ case.compnay }}'s")
    loaded, errors = load_feedback(folder)
    assert loaded is None and len(errors) == 1
    assert "kinds.apply_again.reaction: cannot be rendered" in errors[0]
    assert "compnay" in errors[0]


def test_missing_fields_and_fallback_are_reported(tmp_path: Path) -> None:
    (tmp_path / "feedback.yaml").write_text(
        "unanswered: hi\nkinds:\n  fit:\n    label: fit\n    reaction: ok\n"
        "    actions: [one]\n", encoding="utf-8")
    loaded, errors = load_feedback(tmp_path)
    assert loaded is None
    assert any("kinds.fit.actions" in e for e in errors)
    _, missing = load_feedback(tmp_path / "nowhere")
    assert missing == ["feedback.yaml: file is missing"]


def test_patterns_too_large_together_are_a_content_error_not_a_crash(tmp_path: Path) -> None:
    # Each compiles alone; eighty of them outgrow RE2's memory for one set, which the
    # classifier matches in one pass. An admin's copy must get a message, not a crash.
    big = r"'(?:abc|def|ghi)x{500}[a-z]{300}'"
    source = (DEFAULT_CONTENT_DIR / "feedback.yaml").read_text(encoding="utf-8")
    assert "\npraise:\n" in source
    (tmp_path / "feedback.yaml").write_text(
        source.replace("\npraise:\n", "\npraise:\n" + f"  - {big}\n" * 80, 1),
        encoding="utf-8")
    loaded, errors = load_feedback(tmp_path)
    assert loaded is None
    assert errors and "too large for RE2" in errors[-1]


def test_one_pass_finds_every_group_with_a_match() -> None:
    found = PatternSet({"a": ["foo"], "b": ["bar", "ba+z"], "c": ["nope"]})
    assert found.groups_in("FOO and baaz") == {"a", "b"}  # case-insensitive, all groups
    assert found.groups_in("nothing here") == frozenset()
    assert PatternSet({}).groups_in("anything") == frozenset()
