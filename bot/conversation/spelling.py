"""A likely typo in a job title, pointed out before it reaches a draft's subject line.

Tired people on phones type "Senoir Data Analyst" and "Product Manger", and the draft
would carry the slip to the recruiter. Job titles use a small vocabulary, so a word of
five letters or more that is not in it but is one or two keystrokes from a word that
is, with the same first letter, is most likely that word. The coach only suggests: the
person decides (the review step offers "Fix the role").
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

__all__ = ["TITLE_WORDS", "suggest_title"]

#: words that make up most job titles, lower case
_VOCABULARY = """
account accountant administrator advisor analyst architect assistant associate assurance
backend biomedical brand business buyer chemical chief civil clinical cloud
communications community compliance consultant content controller coordinator counsel
creative customer dental designer developer development director editor electrical
embedded engineer engineering executive finance financial firmware frontend fullstack
graduate graphic growth hardware healthcare human infrastructure intelligence intern
junior learning legal logistics machine manager manufacturing marketing mechanical
medical mobile network nurse officer operations paralegal partner partnerships payroll
people pharmacist physician platform principal procurement product program programme
project quality recruiter recruitment relations reliability representative research
researcher resources sales scientist security senior service services software solutions
specialist staff strategist strategy success supply support systems talent teacher
technical technician tester therapist trainee visual warehouse writer
"""
TITLE_WORDS = frozenset(_VOCABULARY.split())

_WORD = re.compile(r"[A-Za-z]{5,}")
#: how alike (0-100) a typed word and a title word must be to suggest the latter
SIMILARITY = 80


def suggest_title(title: str | None) -> str | None:
    """``"Senoir Data Analyst"`` → ``"Senior Data Analyst"``; ``None`` when no word
    looks mistyped (a word it does not know, like "Kotlin", is left alone)."""
    text = title or ""
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        lower = word.lower()
        if lower in TITLE_WORDS:
            return word
        near = [w for w in TITLE_WORDS if w[0] == lower[0] and abs(len(w) - len(lower)) <= 1]
        best = process.extractOne(lower, near, scorer=fuzz.ratio, score_cutoff=SIMILARITY)
        if best is None:
            return word
        changed = True
        guess = str(best[0])
        if word.isupper():
            return guess.upper()
        return guess.capitalize() if word[0].isupper() else guess

    fixed = _WORD.sub(fix, text)
    return fixed if changed else None
