"""Issue 12: the tone check on a draft the person wrote themselves.

The labelled set (tests/corpus/tone/drafts.yaml) measures every fault; the conversations
check ``check <text>``, ``check`` and then the text, and "Check my own version" after a
draft, and that the draft is nowhere in the store afterwards.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.loader import Content
from bot.content.tone_file import load_tone
from bot.conversation.commands import parse_command
from bot.conversation.tone import FAULTS, Finding, check_draft
from bot.messages import Command
from tests.conversation import Conversation, log_rejection

CORPUS = Path(__file__).parent / "corpus" / "tone" / "drafts.yaml"
#: floors per fault on the labelled set; a good draft must pass clean (precision 1.0
#: on "no finding"), and each fault is found at least this often when it is there
#: (recall) and is right at least this often when reported (precision)
PRECISION_FLOOR = 0.9
RECALL_FLOOR = 0.85

HEATED = ("Hi Dnaa, honestly this whole process was a waste of my time. "
          "I actually do have the experience you asked for. Any thoughts?")


def _drafts() -> list[dict[str, Any]]:
    drafts: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["drafts"]
    return drafts


def _faults_found(content: Content, draft: dict[str, Any]) -> set[str]:
    assert content.tone is not None
    found = check_draft(draft["text"], company=draft["company"], contact=draft["contact"],
                        spec=content.tone)
    return {f.fault for f in found}


# -- the labelled set ------------------------------------------------------------------

def test_the_labelled_set_is_large_and_covers_every_fault() -> None:
    drafts = _drafts()
    assert len(drafts) >= 60
    assert len({d["id"] for d in drafts}) == len(drafts)
    assert sum(1 for d in drafts if not d["faults"]) >= 15
    assert sum(1 for d in drafts if len(d["faults"]) >= 2) >= 8
    for fault in FAULTS:
        assert sum(1 for d in drafts if fault in d["faults"]) >= 4, fault


def test_every_good_draft_passes_clean(content: Content) -> None:
    flagged = {d["id"]: _faults_found(content, d) for d in _drafts() if not d["faults"]}
    assert {key: found for key, found in flagged.items() if found} == {}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_found_above_the_floors(content: Content, fault: str) -> None:
    hits = misses = false_alarms = 0
    for draft in _drafts():
        expected, found = fault in draft["faults"], fault in _faults_found(content, draft)
        hits += expected and found
        misses += expected and not found
        false_alarms += found and not expected
    precision = hits / (hits + false_alarms) if hits + false_alarms else 1.0
    recall = hits / (hits + misses)
    assert precision >= PRECISION_FLOOR and recall >= RECALL_FLOOR, (precision, recall)


# -- the blind set ----------------------------------------------------------------------

BLIND = CORPUS.parent / "held_out.yaml"
#: floors on the set written without sight of the patterns (see its header): lower than
#: on the set the patterns were written from, and what it reached after general fixes
BLIND_PRECISION_FLOOR = 0.7
BLIND_RECALL_FLOOR = 0.6


def test_the_blind_set_keeps_good_drafts_clean_and_finds_most_faults(
        content: Content) -> None:
    drafts: list[dict[str, Any]] = yaml.safe_load(BLIND.read_text(encoding="utf-8"))
    assert len(drafts) >= 40
    found = {d["id"]: _faults_found(content, d) for d in drafts}
    assert {d["id"]: found[d["id"]] for d in drafts if not d["faults"] and found[d["id"]]} == {}
    for fault in FAULTS:
        hits = sum(1 for d in drafts if fault in d["faults"] and fault in found[d["id"]])
        expected = sum(1 for d in drafts if fault in d["faults"])
        alarms = sum(1 for d in drafts if fault in found[d["id"]] and fault not in d["faults"])
        precision = hits / (hits + alarms) if hits + alarms else 1.0
        assert precision >= BLIND_PRECISION_FLOOR and hits / expected >= BLIND_RECALL_FLOOR, (
            fault, precision, hits / expected)


# -- what a finding says ---------------------------------------------------------------

def test_a_finding_quotes_the_sentence_as_written_with_a_suggestion(content: Content) -> None:
    assert content.tone is not None
    found = check_draft(HEATED, company="Acme Corp", contact="Dana Reyes", spec=content.tone)
    by_fault = {f.fault: f for f in found}
    assert set(by_fault) == {"heat", "defensive", "no_thanks", "no_ask", "wrong_name"}
    assert by_fault["heat"].sentence == (
        "Hi Dnaa, honestly this whole process was a waste of my time.")
    assert by_fault["defensive"].sentence == (
        "I actually do have the experience you asked for.")
    assert by_fault["no_ask"].sentence == "Any thoughts?"  # vague: quoted
    assert by_fault["no_thanks"].sentence == ""  # missing from the whole message
    assert '"Dana"' in by_fault["wrong_name"].suggestion
    assert all(f.suggestion and f.suggestion not in HEATED for f in found)
    assert isinstance(found[0], Finding)


def test_only_near_misses_of_the_case_names_are_questioned(content: Content) -> None:
    assert content.tone is not None
    text = ("Hi Dana, thank you. Please pass my thanks to Dan and Darius. "
            "Could you share feedback?")
    assert check_draft(text, company="Acme Corp", contact="Dana Reyes", spec=content.tone) == []
    text = "Hi Dan, thank you. Could you share feedback?"  # the right spelling is absent
    found = check_draft(text, company="Acme Corp", contact="Dana Reyes", spec=content.tone)
    assert [f.fault for f in found] == ["wrong_name"]


def test_the_word_limit_is_stated_with_its_reason(content: Content) -> None:
    assert content.tone is not None
    text = "Thank you, Dana. " + "I enjoyed the interviews a lot. " * 40 + "Could we talk?"
    found = check_draft(text, company="Acme Corp", contact="Dana Reyes", spec=content.tone)
    (too_long,) = [f for f in found if f.fault == "too_long"]
    assert "about 200" in too_long.suggestion and "skim" in too_long.suggestion


def test_check_takes_the_rest_of_the_message_as_its_text() -> None:
    assert parse_command("check Hi Dana, thank you. Could we talk next week?") == Command(
        "check", "Hi Dana, thank you. Could we talk next week?")
    assert parse_command("/notnow check Thanks!") == Command("check", "Thanks!")
    assert parse_command("check") == Command("check")


def test_a_pattern_re2_refuses_is_reported_with_file_line_and_key(tmp_path: Path) -> None:
    shutil.copy(Path("content") / "tone.yaml", tmp_path / "tone.yaml")
    source = (tmp_path / "tone.yaml").read_text(encoding="utf-8")
    broken = source.replace("'\\byou people\\b'", "'(?=you) people'")
    assert broken != source
    (tmp_path / "tone.yaml").write_text(broken, encoding="utf-8")
    spec, errors = load_tone(tmp_path)
    assert spec is None and len(errors) == 1
    line = 1 + broken.splitlines().index("      - '(?=you) people'")
    assert errors[0].startswith(f"tone.yaml:{line}: faults.heat.patterns.")
    assert "invalid regular expression" in errors[0]


# -- through the coach -----------------------------------------------------------------

def _everything_stored(conv: Conversation) -> str:
    store = conv.coach.store
    return json.dumps({ns: {key: store.read(ns, key) for key in store.keys(ns)}
                       for ns in store.namespaces()}, default=str)


def test_check_with_the_text_in_one_message(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send(f"check {HEATED}")
    assert "waste of my time" in conv.text and "Check the spelling" in conv.text
    assert HEATED not in conv.text  # never the whole draft echoed
    assert "waste of my time" not in _everything_stored(conv)
    assert conv.person["pending"] is None


def test_check_then_the_text_in_the_next_message(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send("check")
    assert "I don't keep it" in conv.text
    assert conv.person["pending"] == {"kind": "check"}
    good = ("Hi Dana, thank you for letting me know. Could you share one thing I could "
            "improve before I apply to Acme again?")
    conv.send(good)
    assert "reads well" in conv.text
    assert "Email" in conv.options  # the question they were at is still there
    stored = _everything_stored(conv)
    assert "apply to Acme again" not in stored and conv.person["pending"] is None
    conv.send("Email")  # and it goes on as before
    assert conv.draft


def test_another_command_cancels_a_waiting_check(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send("check")
    conv.send("status")
    assert conv.person["pending"] is None


def test_check_my_own_version_after_a_draft(conv: Conversation) -> None:
    log_rejection(conv)
    conv.pick("Email")
    assert "Check my own version" in conv.options and len(conv.options) <= 8
    conv.pick("Check my own version")
    assert "don't keep it" in conv.text
    conv.send(HEATED)
    assert "Sounds angry" in conv.text and "Check the spelling" in conv.text
    assert "Check another version" in conv.options
    stored = _everything_stored(conv)
    assert "waste of my time" not in stored and "Dnaa" not in stored
    conv.pick("Show my draft again")
    assert conv.draft


def test_a_draft_past_the_message_limit_gets_the_too_long_message(conv: Conversation) -> None:
    log_rejection(conv)
    conv.send("check " + "Thank you for everything. " * 100)
    assert "2000" in conv.text.replace(",", "") and "Sounds angry" not in conv.text
