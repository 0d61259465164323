"""Find the places where a rendered message shows how it was made.

A draft is only worth something if a person can send it as is. Jinja renders a
template whatever it says, so a missing space at a line join ("recruiterNorthwind"),
an empty variable ("Dear there,", "the  role"), a doubled full stop after a company
that ends in one ("Ltd..") or leftover template syntax all reach the person unless
someone looks. ``content check`` renders every template against many sample cases and
asks this module to look.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Seam", "find_seams"]

#: words with a capital inside that are spelt that way on purpose
CAMEL_CASE_WORDS = frozenset({
    "LinkedIn", "PowerPoint", "JavaScript", "TypeScript", "GitHub", "GitLab", "YouTube",
    "PayPal", "WordPress", "DevOps", "PostgreSQL", "MySQL", "HubSpot", "SharePoint",
    "FedEx", "WhatsApp", "iPhone", "McDonald", "MacDonald",
})

_GREETING = re.compile(r"^(Dear|Hi|Hello|Hey)\b.*,$")

# (what a person would call it, pattern)
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("leftover template syntax", re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")),
    ("an empty value printed as None", re.compile(r"\bNone\b")),
    ("empty brackets", re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}")),
    ("empty quotes", re.compile(r"(?<!\w)(\"\"|''|“”)(?!\w)")),
    ("a doubled space", re.compile(r"\S {2,}\S")),
    ("doubled punctuation", re.compile(
        r"(?<!\.)\.\.(?!\.)|,\s*,|[,;:][.,;:!?]|[!?][.,;:]|;;")),
    ("a space before punctuation", re.compile(r"(?<=\w) +[,.;:!?](?!\.\.)")),
    ("a greeting with no name", re.compile(r"\bDear\s*,|^(Hi|Hello|Hey)\s*,\s*$",
                                           re.MULTILINE)),
    ("\"Dear there\"", re.compile(r"\bDear there\b", re.IGNORECASE)),
    ("words glued together", re.compile(r"\b[A-Za-z]?[a-z]{3,}[A-Z][a-z]{2,}")),
    ("a missing space after punctuation", re.compile(r"\b[a-z]{2,}[,;:!?][A-Za-z]")),
)


@dataclass(frozen=True)
class Seam:
    """One place in a text that gives the template away."""

    what: str
    #: the text around it, so an admin can find it in the template
    near: str

    def __str__(self) -> str:
        return f"{self.what} near {self.near!r}"


def find_seams(
    text: str, *, values: Iterable[str] = (), name_known: bool = True,
    contact_named: bool = True,
) -> list[Seam]:
    """Every seam in ``text``. ``values`` are what was filled in (company, role, names), to
    catch one glued to its neighbour; ``name_known`` means an unfilled "[Your name]" is a
    seam; ``contact_named`` means "Hi there" is one too (with no one named it is fine)."""
    seams = list(_pattern_seams(text))
    for value in values:
        seams += _glued_value(text, value)
    if name_known and "[Your name]" in text:
        seams.append(Seam("an unfilled [Your name]", "[Your name]"))
    if contact_named:
        seams += [Seam("\"Hi there\" though someone is named", _near(text, m.start(), m.end()))
                  for m in re.finditer(r"\b(Hi|Hello|Hey) there\b", text)]
    seams += _lowercase_after_greeting(text)
    return seams


@lru_cache(maxsize=1024)
def _pattern_seams(text: str) -> tuple[Seam, ...]:
    """The seams that depend on the text alone; ``content check`` meets the same text
    for many samples, so they are worked out once per text."""
    seams: list[Seam] = []
    for what, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if what == "words glued together" and _camel_case_on_purpose(text, match):
                continue
            seams.append(Seam(what, _near(text, match.start(), match.end())))
    return tuple(seams)


def _camel_case_on_purpose(text: str, match: re.Match[str]) -> bool:
    word = re.match(r"\w+", text[match.start():])
    token = word.group(0) if word else match.group(0)
    return any(known in token for known in CAMEL_CASE_WORDS)


def _glued_value(text: str, value: str) -> list[Seam]:
    """A filled-in value with a letter stuck to it: "recruiterNorthwind", "HealthDear"."""
    value = value.strip()
    if not value:
        return []
    patterns: list[str] = []
    if value[0].isupper():
        patterns.append(r"[a-z]" + re.escape(value))
    if value[-1].islower():
        patterns.append(re.escape(value) + r"[A-Z]")
    return [Seam(f"{value!r} glued to the next word", _near(text, m.start(), m.end()))
            for pattern in patterns for m in re.finditer(pattern, text)]


def _lowercase_after_greeting(text: str) -> list[Seam]:
    lines = [line.strip() for line in text.splitlines()]
    seams: list[Seam] = []
    for index, line in enumerate(lines):
        if not _GREETING.match(line):
            continue
        following = next((other for other in lines[index + 1:] if other), "")
        if following[:1].islower():
            seams.append(Seam("a line starting in lower case after the greeting",
                              following[:40]))
    return seams


def _near(text: str, start: int, end: int) -> str:
    return text[max(0, start - 20):end + 20].replace("\n", "⏎")
