"""Which kinds of feedback a person's words describe, and what to do about each.

People paraphrase what a recruiter said, with typos, several points in one message and
praise mixed in ("communication was great but I lacked Kubernetes"). The patterns live in
``content/feedback.yaml``; this module applies them clause by clause, so a clause that
only praises does not count as a criticism of that kind, and turns the kinds found into
one to three next actions.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.content.feedback_file import FALLBACK_KIND, FeedbackFile

__all__ = ["MAX_ACTIONS", "MAX_KINDS", "advice_for", "classify", "plans_for", "reaction_for"]

MAX_KINDS = 3
MAX_ACTIONS = 3

# Where one point of feedback ends and the next begins. Fixed code, not content, and
# without nested repetition, so Python's re is safe here.
_CLAUSE_BREAK = re.compile(
    r"[.;!?\n]+|,|\s(?:but|however|although|though|while|whereas|yet)\s", re.IGNORECASE)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def classify(text: str, spec: FeedbackFile) -> list[str]:
    """The kinds ``text`` describes, in content order, at most :data:`MAX_KINDS`;
    ``generic`` only when nothing else matched, ``[]`` for empty text."""
    clauses = [spec.groups_in(clause) for clause in _clauses(text)]
    if not clauses:
        return []
    found = [name for name in spec.kinds
             if name != FALLBACK_KIND and _describes(name, clauses, spec)]
    if not found and FALLBACK_KIND in spec.kinds:
        return [FALLBACK_KIND]
    return found[:MAX_KINDS]


def advice_for(kinds: list[str], spec: FeedbackFile) -> list[str]:
    """Up to :data:`MAX_ACTIONS` next actions: the first of each kind, then the second
    of each, so several kinds each get their most useful step before any gets two."""
    lists = [spec.kinds[name].actions for name in kinds if name in spec.kinds]
    advice: list[str] = []
    for rank in range(max((len(a) for a in lists), default=0)):
        for actions in lists:
            if rank < len(actions) and actions[rank] not in advice:
                advice.append(actions[rank])
    return advice[:MAX_ACTIONS]


def reaction_for(kinds: list[str], spec: FeedbackFile, context: dict[str, Any]) -> str:
    """The reactions to ``kinds``, one paragraph each, rendered with ``context``."""
    return "\n\n".join(spec.render(f"feedback:{name}:reaction", context)
                       for name in kinds if name in spec.kinds)


def plans_for(kinds: list[str], spec: FeedbackFile) -> list[str]:
    """What to plan because of this feedback (``reapply``), without repeats."""
    plans = [spec.kinds[name].plan for name in kinds if name in spec.kinds]
    return list(dict.fromkeys(p for p in plans if p))


def _clauses(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return [part.strip() for part in _CLAUSE_BREAK.split(folded) if part.strip()]


def _describes(name: str, clauses: list[frozenset[str]], spec: FeedbackFile) -> bool:
    """Whether a clause (given as the groups found in it) is of kind ``name``, not
    counting a clause that only praises when praise cancels the kind."""
    cancels = spec.kinds[name].praise_cancels
    return any(name in found and not (cancels and _only_praise(found)) for found in clauses)


def _only_praise(found: frozenset[str]) -> bool:
    """``"my communication was great"``: praise and no criticism in the same clause."""
    return "praise" in found and "criticism" not in found
