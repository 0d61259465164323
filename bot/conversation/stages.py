"""How far a person got in a hiring process, read from whatever they typed.

People answer "how far did you get?" with a button or in their own words ("phone",
"2nd interview", "onsite", "just applied"). Drafts, advice and the status overview need
one of a few kinds of stage, so they can say "through the final round" or skip the
thank-you note after an application-only rejection. A typed stage that fits none is
``other``, and the wording that depends on it stays general.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.conversation.choices import normalise

__all__ = ["STAGE_KINDS", "StageKind", "stage_kind"]

StageKind = Literal["application", "screen", "interview", "final", "offer", "other"]

#: in the order a hiring process runs through them
STAGE_KINDS: tuple[StageKind, ...] = ("application", "screen", "interview", "final", "offer",
                                      "other")

# Checked in this order: the later a stage, the earlier it is tested, so "final
# interview" is final, "phone interview" is a screen and "interview" alone an interview.
_WORDS: tuple[tuple[StageKind, re.Pattern[str]], ...] = (
    ("offer", re.compile(r"\b(offer|offers|reference|references|background check|negotiat\w*)\b")),
    ("final", re.compile(r"\b(final|finals|last round|onsite|on site|panel|superday|"
                         r"assessment cent(re|er)|last interview)\b")),
    ("screen", re.compile(r"\b(screen\w*|phone|call|hr|recruiter|intro\w*|first chat|chat)\b")),
    ("interview", re.compile(r"\b(interview\w*|round|rounds|technical|take home|takehome|"
                             r"case study|assignment|task|test|tests|assessment|"
                             r"2nd|second|third|3rd|1st|first|meeting|presentation)\b")),
    ("application", re.compile(r"\b(appl\w*|cv|resume|résumé|submitted|portfolio|"
                               r"nothing|no interview|never heard|cover letter)\b")),
)


def stage_kind(stage: str | None) -> StageKind:
    """``"Application only"`` → ``application``; ``"phone"`` → ``screen``;
    ``"2nd interview"`` → ``interview``; ``"onsite"`` → ``final``; ``""`` → ``other``."""
    text = normalise(stage or "")
    if not text:
        return "other"
    for kind, pattern in _WORDS:
        if pattern.search(text):
            return kind
    return "other"
