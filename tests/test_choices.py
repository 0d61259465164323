"""One matcher reads every typed answer: numbers, labels, synonyms, typos, ambiguity."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.conversation.choices import ChoiceMatcher, bare_value, normalise, typed_number
from bot.messages import Option

SYNONYMS = {"yes": ["y", "yep", "yeah", "sure", "delete"], "no": ["n", "nope", "nah", "keep"],
            "okay": ["ok", "fine"]}
FORGET = (Option("forget=yes", "Yes, delete everything"), Option("forget=no", "No, keep my data"))
MOODS = (Option("compose.feel=gutted", "Gutted, honestly"),
         Option("compose.feel=angry", "Frustrated or angry"),
         Option("compose.feel=numb", "Numb, I expected it"),
         Option("compose.feel=okay", "Okay, ready to move on"))
HELP = (Option("compose.help=log", "Let's write down what happened"),
        Option("compose.help=calm", "A two-minute calming exercise"),
        Option("compose.help=tomorrow", "Check in with me tomorrow"))
CHANNEL = (Option("followup.how=email", "Email"), Option("followup.how=letter", "Letter"),
           Option("followup.how=call", "Call"))
CASES = (Option("case=c1", "Contoso Bank, Data Analyst"),
         Option("case=c2", "Northwind Health, Analyst"),
         Option("case=c3", "Contoso Bank, Engineer"))

matcher = ChoiceMatcher(SYNONYMS)


@pytest.mark.parametrize(("typed", "menu", "free_text", "meant"), [
    ("yes", FORGET, False, "Yes, delete everything"),
    ("YES!", FORGET, False, "Yes, delete everything"),
    ("Yes, delete everything", FORGET, False, "Yes, delete everything"),
    ("yes please", FORGET, False, "Yes, delete everything"),
    ("nope", FORGET, False, "No, keep my data"),
    ("2", FORGET, False, "No, keep my data"),
    ("#2", FORGET, False, "No, keep my data"),
    ("2.", FORGET, False, "No, keep my data"),
    ("2\ufe0f\u20e3", FORGET, False, "No, keep my data"),  # the keycap emoji a phone offers
    ("Gutted, honesty", MOODS, True, "Gutted, honestly"),
    ("ok", MOODS, True, "Okay, ready to move on"),
    ("numb 😩", MOODS, True, "Numb, I expected it"),
    ("calmng exercise", HELP, False, "A two-minute calming exercise"),
    ("calming", HELP, False, "A two-minute calming exercise"),
    ("tommorow", HELP, False, "Check in with me tomorrow"),
    ("write it down", HELP, False, "Let's write down what happened"),
    ("emial", CHANNEL, False, "Email"),
    ("leter", CHANNEL, False, "Letter"),
    ("call me", CHANNEL, False, "Call"),
    ("northwind", CASES, False, "Northwind Health, Analyst"),
    ("contoso engineer", CASES, False, "Contoso Bank, Engineer"),
])
def test_typed_answers_find_the_option_meant(typed: str, menu: tuple[Option, ...],
                                             free_text: bool, meant: str) -> None:
    resolved = matcher.match(typed, menu, free_text=free_text)
    assert resolved.option is not None and resolved.option.label == meant


@pytest.mark.parametrize(("typed", "menu"), [("Contoso", CASES), ("no, yes", FORGET)])
def test_an_answer_that_fits_two_options_asks_which(typed: str,
                                                    menu: tuple[Option, ...]) -> None:
    resolved = matcher.match(typed, menu)
    assert resolved.ambiguous and len(resolved.candidates) == 2


@pytest.mark.parametrize(("typed", "menu", "free_text"), [
    ("I'm not okay", MOODS, True),  # the person's own words, not the "Okay" button
    ("I feel like a failure", MOODS, True),
    ("maybe", FORGET, False),
    ("3", FORGET, False),
    ("", FORGET, False),
    ("!!!", FORGET, False),
])
def test_an_answer_that_fits_nothing_is_unmatched(typed: str, menu: tuple[Option, ...],
                                                  free_text: bool) -> None:
    assert matcher.match(typed, menu, free_text=free_text).unmatched


@pytest.mark.parametrize(("typed", "position"), [
    ("3", 3), (" 3 ", 3), ("3.", 3), ("3)", 3), ("(3)", 3), ("#3", 3), ("12", 12),
    ("\uff13", 3), ("3\ufe0f\u20e3", 3),
    ("+3", None), ("-3", None), ("3.5", None), ("3 days", None), ("three", None),
    ("1000", None), ("", None),
])
def test_a_typed_list_position_is_a_bare_number(typed: str, position: int | None) -> None:
    """A sign or a decimal makes it something else (a UTC offset, an amount), which the
    question's own words may still take; "+5" used to pick the fifth time zone."""
    assert typed_number(typed) == position


def test_values_lose_the_question_they_belong_to() -> None:
    assert bare_value("compose.feel=gutted") == "gutted"
    assert bare_value("nudge=n-1:done") == "done"
    assert normalise("  Gutted,   HONESTLY 😩 ") == "gutted honestly"


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10)
LABELS = st.lists(st.lists(WORDS, min_size=1, max_size=4).map(" ".join),
                  min_size=2, max_size=8, unique=True)


def _menu(labels: list[str]) -> tuple[Option, ...]:
    return tuple(Option(f"q.s=v{i}", label.capitalize()) for i, label in enumerate(labels))


@settings(max_examples=400, deadline=None)
@given(LABELS, st.data())
def test_a_label_or_its_number_always_finds_its_own_option(labels: list[str],
                                                            data: st.DataObject) -> None:
    menu = _menu(labels)
    index = data.draw(st.integers(0, len(menu) - 1))
    assert matcher.match(menu[index].label, menu).option == menu[index]
    assert matcher.match(str(index + 1), menu).option == menu[index]


@settings(max_examples=400, deadline=None)
@given(LABELS, st.data())
def test_a_typo_never_picks_a_different_option(labels: list[str], data: st.DataObject) -> None:
    """One letter dropped or two swapped: the option meant, or a question, never another
    option (on menus whose labels are not near-copies of each other)."""
    assume(all(fuzz.ratio(a, b) < 60 for a in labels for b in labels if a != b))
    menu = _menu(labels)
    index = data.draw(st.integers(0, len(menu) - 1))
    label = labels[index]
    assume(len(label) >= 6)
    at = data.draw(st.integers(0, len(label) - 2))
    typo = data.draw(st.sampled_from([
        label[:at] + label[at + 1:],
        label[:at] + label[at + 1] + label[at] + label[at + 2:],
    ]))
    resolved = matcher.match(typo, menu)
    assert resolved.option in (menu[index], None)
    assert resolved.option == menu[index] or menu[index] in resolved.candidates \
        or resolved.unmatched
