"""A contact's name as a draft needs it, from whatever the person typed.

People type names the way they come to mind: "Dr. Priya Raman", "Ms Raman",
"priya raman", "RAMAN, PRIYA", "the recruiter". A draft that says "Hi Dr.," or
"Hi priya," is one a person has to fix before sending, so the parsing is left to
nameparser (titles, "Surname, First", particles such as "van der") and this module only
decides which form each kind of draft uses. Text that names no one ("the recruiter",
"n/a") gives no name at all, so a draft can address the hiring team instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from nameparser import HumanName

__all__ = ["ContactName", "clean_text", "parse_contact", "proper_name"]

#: how a draft writes a title: British style, no full stop ("Dr Raman")
TITLES = {"dr": "Dr", "mr": "Mr", "mrs": "Mrs", "ms": "Ms", "miss": "Miss", "mx": "Mx",
          "prof": "Prof", "professor": "Professor", "sir": "Sir", "dame": "Dame"}

#: words that describe a person's job or say "no one", never a name
NOT_A_NAME = frozenset({
    "the", "a", "an", "my", "our", "their", "from", "at", "of", "in", "and", "or",
    "recruiter", "recruiters", "recruiting", "recruitment", "hiring", "manager", "managers",
    "team", "hr", "talent", "acquisition", "partner", "people", "interviewer",
    "interviewers", "panel", "coordinator", "sourcer", "head", "lead", "director",
    "ceo", "cto", "founder", "company", "someone", "somebody", "nobody", "noone", "none",
    "no", "one", "unknown", "idk", "na", "n/a", "skip", "dunno", "not", "sure", "email",
    "department", "office", "staff",
})

_DROPPED_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn", "Cc", "Cf"})
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)  # every context cleans the same few fields again
def clean_text(value: str | None) -> str:
    """``"Senior Analyst 😩 "`` → ``"Senior Analyst"``: emoji, pictographs, control
    characters and runs of white space never belong in a message sent to a company.
    Letters, digits and punctuation ("AT&T", "Müller GmbH") stay as typed."""
    text = unicodedata.normalize("NFC", value or "")
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or (unicodedata.category(char) not in _DROPPED_CATEGORIES
        and char not in "\ufe0e\ufe0f")
    )
    return _SPACES.sub(" ", kept).strip(" ,;-")


@dataclass(frozen=True)
class ContactName:
    """The forms of one contact's name; every field is ``""`` when no one was named."""

    #: for informal drafts: "Priya", or "Ms Raman" when only a title and surname are known
    greeting: str
    #: for formal drafts: "Dr Raman", or the full name when no title was given
    formal: str
    #: "Priya Raman", in proper case, without a title
    full: str
    #: "Dr Priya Raman", for an address block
    titled: str

    @property
    def named(self) -> bool:
        return bool(self.full or self.titled)


NOBODY = ContactName(greeting="", formal="", full="", titled="")


@lru_cache(maxsize=4096)  # nameparser takes about 0.4 ms; contexts are built often per turn
def parse_contact(typed: str | None) -> ContactName:
    """``"Dr. Priya Raman"`` → greeting ``Priya``, formal ``Dr Raman``, full
    ``Priya Raman``; ``"the recruiter"`` or ``""`` → :data:`NOBODY`."""
    text = clean_text(typed)
    if not text or _names_no_one(text):
        return NOBODY
    name = HumanName(text)
    proper = HumanName(text)
    proper.capitalize(force=True)
    title = _title(name.title)
    first = _in_case(name.first, proper.first)
    middle = _in_case(name.middle, proper.middle)
    surname = _in_case(name.last, proper.last)
    if (not surname and not first) or (first and _is_initial(first) and not surname):
        return NOBODY
    full = " ".join(p for p in (first, middle, surname, name.suffix) if p)
    if title and not first:
        greeting = f"{title} {surname}"
    elif first and not _is_initial(first):
        greeting = first
    else:
        greeting = f"{title} {surname}" if title and surname else full
    formal = f"{title} {surname}" if title and surname else full
    titled = f"{title} {full}" if title else full
    return ContactName(greeting=greeting, formal=formal, full=full, titled=titled)


def _names_no_one(text: str) -> bool:
    words = re.findall(r"[\w/']+", text.lower())
    return not words or all(word in NOT_A_NAME for word in words)


def _title(raw: str) -> str:
    words = [w.strip(".").lower() for w in raw.split()]
    return " ".join(TITLES.get(w, w.capitalize()) for w in words if w)


@lru_cache(maxsize=4096)
def proper_name(typed: str | None) -> str:
    """A person's own name as they would sign it: ``"sam"`` → ``"Sam"``, ``"ANA DE
    SOUZA"`` → ``"Ana de Souza"``; mixed case ("DeShawn") stays as typed."""
    text = clean_text(typed)
    if not text:
        return ""
    human = HumanName(text)
    human.capitalize(force=True)
    return _in_case(text, str(human)) or text


def _is_initial(word: str) -> bool:
    return len(word.strip(".")) <= 1


def _in_case(typed: str, proper: str) -> str:
    """A part typed all in lower or upper case gets nameparser's proper case ("mcdonald"
    → "McDonald", "van der berg" keeps its particles lower case); mixed case is kept as
    the person typed it, since "DeShawn" or "diCaprio" may well be right."""
    if typed.lower() == typed or typed.upper() == typed:
        return proper
    return typed
