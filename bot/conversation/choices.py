"""Reading a typed answer to any menu: one matcher for every question the coach asks.

A tired person on a phone types ``yes``, ``emial`` or ``calming`` rather than tapping a
button, and they do it at every menu: a flow's question, a check-in's buttons, forget's
confirmation, the safety screen, the case picker. Every one of those menus is a tuple of
:class:`~bot.messages.Option`, and this module decides which option a typed answer means:

1. its number in the list (``2``);
2. its label, its value or a synonym declared in content (``yes``, ``nope``), with case,
   punctuation and emoji ignored;
3. the same with small typos forgiven and a label's leading words standing for the whole
   label (``calmng exercise``, ``calming``), scored with rapidfuzz;
4. on menus that take no free text, a value or synonym said as words of a longer answer
   (``yes please``, ``call me``).

An answer that fits two options about equally well is *ambiguous*, and the caller asks
which one was meant; an answer that fits none is *unmatched*. On a question that also
takes free text (a mood in the person's own words) the bar is higher, so what someone
writes about themselves is not mistaken for a button.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from bot.messages import Option, Reply

__all__ = [
    "CASE_PREFIX", "CONSENT_NO", "CONSENT_YES", "FORGET_NO", "FORGET_YES", "MENU_PREFIX",
    "NUDGE_PREFIX", "SAFETY_CONFIRM", "SAFETY_NOT_YET", "SAFETY_RESUME", "SAFETY_SAFE_RESUME",
    "ChoiceMatcher",
    "Resolved", "bare_value", "case_value",
    "flow_value", "menu_options", "menu_record", "menu_value", "normalise", "nudge_of",
    "nudge_value", "typed_number",
]

_NOT_WORD = re.compile(r"[^\w\s]|_", re.UNICODE)
#: a list position as people type one: "2", "2.", "#2", "(2)", "2)"; not "+2" or "2.5"
_POSITION = re.compile(r"\s*[#(]?(\d{1,3})\s*[.)]?\s*")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)  # labels and synonyms recur on every turn
def normalise(text: str) -> str:
    """Lower case, compatibility-folded, punctuation and emoji dropped, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", folded)).strip()


def typed_number(text: str) -> int | None:
    """The list position ``text`` picks, if it is one (``"3"``, ``"#3"``, ``"3."``)."""
    found = _POSITION.fullmatch(text.replace("\ufe0f", "").replace("\u20e3", ""))  # 2️⃣
    return int(found.group(1)) if found else None


def bare_value(value: str) -> str:
    """The answer an option value stands for, without the question it belongs to:
    ``compose.feel=gutted`` → ``gutted``, ``nudge=n1:done`` → ``done``."""
    return value.rpartition("=")[2].rpartition(":")[2]


# -- option values ------------------------------------------------------------------
#
# Every option the coach shows carries a value that says which question it answers, so a
# click on an old button is recognised rather than misapplied. They are all made and
# read here: ``<flow>.<step>=<value>`` for a flow's question, and one prefix for each
# menu outside the flows.

NUDGE_PREFIX = "nudge="
CASE_PREFIX = "case="
MENU_PREFIX = "menu="
FORGET_YES = "forget=yes"
FORGET_NO = "forget=no"
SAFETY_RESUME = "safety=resume"
SAFETY_CONFIRM = "safety=confirm"
SAFETY_NOT_YET = "safety=not_yet"
#: "I'm safe, let's continue" in one answer; its bare value is no word a person says
#: inside a longer answer ("not safe"), so only the label or a click picks it
SAFETY_SAFE_RESUME = "safety=safe_resume"
CONSENT_YES = "consent=yes"
CONSENT_NO = "consent=no"


def flow_value(flow: str, step: str, value: str) -> str:
    return f"{flow}.{step}={value}"


def nudge_value(nudge_id: str, action: str) -> str:
    return f"{NUDGE_PREFIX}{nudge_id}:{action}"


def nudge_of(value: str) -> tuple[str, str]:
    """``nudge=<id>:<action>`` → ``(id, action)``."""
    nudge_id, _, action = value.removeprefix(NUDGE_PREFIX).partition(":")
    return nudge_id, action


def case_value(case_id: str) -> str:
    return f"{CASE_PREFIX}{case_id}"


def menu_value(command: str) -> str:
    return f"{MENU_PREFIX}{command}"


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a typed answer means: one option, several it could mean, or none."""

    option: Option | None = None
    candidates: tuple[Option, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.option is None and len(self.candidates) > 1

    @property
    def unmatched(self) -> bool:
        return self.option is None and not self.candidates


class ChoiceMatcher:
    """Matches typed text to one of the options on screen.

    ``synonyms`` maps a bare option value (``yes``, ``done``, ``email``) to other ways of
    saying it; it comes from content, so an admin can add their community's words.
    """

    #: the score (0-100) a fuzzy match needs on a menu that takes no free text
    THRESHOLD = 80
    #: the score needed where the question also takes the person's own words
    FREE_TEXT_THRESHOLD = 90
    #: two options closer than this are both plausible: ask which
    MARGIN = 6

    def __init__(self, synonyms: Mapping[str, Sequence[str]] | None = None) -> None:
        self._synonyms = {normalise(k): tuple(normalise(s) for s in v)
                          for k, v in (synonyms or {}).items()}

    def match(self, text: str, options: Sequence[Option], *,
              free_text: bool = False) -> Resolved:
        typed = normalise(text)
        if not typed or not options:
            return Resolved()
        index = typed_number(text)
        if index is not None:
            return Resolved(options[index - 1]) if 1 <= index <= len(options) else Resolved()

        phrases = [self._phrases(option) for option in options]
        exact = [o for o, ps in zip(options, phrases, strict=True) if typed in ps]
        if exact:
            return _one_or_ask(_distinct(exact))

        if _negates(typed):
            # "I'm not safe" must never pass for "I'm safe", however close the letters:
            # a typed negation only matches options that say one too ("not yet")
            phrases = [tuple(p if _negates(p) else "" for p in ps) for ps in phrases]
        scores = [max(_score(typed, p) for p in ps) for ps in phrases]
        threshold = self.FREE_TEXT_THRESHOLD if free_text else self.THRESHOLD
        best = max(scores)
        if best >= threshold:
            close = [o for o, s in zip(options, scores, strict=True)
                     if s >= threshold and best - s < self.MARGIN]
            return _one_or_ask(_distinct(close))
        if free_text:
            return Resolved()
        said = [o for o, ps in zip(options, phrases, strict=True)
                if any(_says_word(typed, p) for p in ps[1:])  # value or synonym
                or _label_has_words(typed, ps[0])]
        return _one_or_ask(_distinct(said))

    def _phrases(self, option: Option) -> tuple[str, ...]:
        """Label, value, then synonyms: the order :meth:`match` relies on."""
        value = normalise(bare_value(option.value))
        return (normalise(option.label), value, *self._synonyms.get(value, ()))


def _score(typed: str, phrase: str) -> float:
    """How well ``typed`` fits ``phrase``: whole-phrase similarity (typos), or the typed
    words standing for the phrase's words from a word boundary on (``calming`` for "A
    two-minute calming exercise"), never a fragment inside a word."""
    if not phrase:
        return 0.0
    whole = fuzz.ratio(typed, phrase)
    if len(typed) < 4 or len(typed) >= len(phrase):
        return whole
    # what the typed words stand for starts at a word and is about as long as they are,
    # give or take the letters a slip or two drops or adds; scored in one C call
    starts = [0, *(i + 1 for i, ch in enumerate(phrase) if ch == " ")]
    windows = [phrase[s:s + n] for s in starts for n in range(len(typed) - 1, len(typed) + 3)]
    best = process.extractOne(typed, windows, scorer=Indel.normalized_similarity)
    return max(whole, 95 * best[1]) if best else whole


#: words that turn what follows around, as :func:`normalise` leaves them ("don't" →
#: "don t"); a bare "no" is an answer of its own, matched like any other ("no, yes" asks)
_NEGATIONS = frozenset({"not", "never", "t", "dont", "cant", "isnt", "arent", "wont",
                        "didnt", "doesnt", "cannot"})


def _negates(phrase: str) -> bool:
    return any(word in _NEGATIONS for word in phrase.split())


def _label_has_words(typed: str, label: str) -> bool:
    """The typed words of three letters or more, two at least, are all words of
    ``label``: "write it down" for "Let's write down what happened", which scores too
    low letter by letter once the person's own filler words ("it") are in between."""
    words = [word for word in typed.split() if len(word) >= 3]
    return len(words) >= 2 and set(words) <= set(label.split())


def _says_word(typed: str, phrase: str) -> bool:
    """``phrase`` appears in ``typed`` as whole words (``yes`` in ``yes please``)."""
    return bool(phrase) and f" {phrase} " in f" {typed} "


def _distinct(options: list[Option]) -> tuple[Option, ...]:
    return tuple(dict.fromkeys(options))


def _one_or_ask(options: tuple[Option, ...]) -> Resolved:
    if len(options) == 1:
        return Resolved(options[0])
    return Resolved(None, options)


def menu_record(replies: Sequence[Reply], *,
                flow_prefixes: tuple[str, ...]) -> tuple[list[list[str]] | None, bool]:
    """The menu a turn ended on, as stored on the person (``[[value, label], ...]``), and
    whether a flow's question is on screen after it.

    The last reply with options is what the person is looking at. A flow's own question
    is not stored (the flow knows its options and reads the answer itself), and a turn
    that ends without options leaves no menu, so an old one can never catch an answer.
    When a turn shows a menu outside the flows and then a flow's question (the consent
    question before step 1's "how are you feeling?"), both are on screen: the menu is
    kept, marked as sitting beside the flow, so what fits none of its options goes on
    to the flow's question.
    """
    menus = [reply.options for reply in replies if reply.options]
    if not menus:
        return None, False

    def of_flow(options: Sequence[Option]) -> bool:
        return any(o.value.startswith(flow_prefixes) for o in options)

    if not of_flow(menus[-1]):
        return [[o.value, o.label] for o in menus[-1]], False
    outside = [options for options in menus[:-1] if not of_flow(options)]
    if outside:
        return [[o.value, o.label] for o in outside[-1]], True
    return None, False


def menu_options(record: object) -> tuple[Option, ...]:
    """The stored menu back as options; anything malformed reads as no menu."""
    if not isinstance(record, list):
        return ()
    return tuple(Option(str(item[0]), str(item[1])) for item in record
                 if isinstance(item, list) and len(item) == 2)
