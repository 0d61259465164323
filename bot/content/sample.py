"""Sample data with every variable a template may use, for ``content check``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from bot.conversation.context import build_context
from bot.records import CaseRecord, PersonRecord

__all__ = ["sample_context"]

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def sample_context(*, window: dict[str, Any], upset_moods: Sequence[str]) -> dict[str, Any]:
    """Takes the two settings it needs, not the whole content, so the loader can use it
    without the two modules importing each other."""
    person = {"settings": {"timezone": "UTC", "window": window, "cadence": "regular"},
              "display_name": "Sam Sample"}
    case = {
        "id": "c1", "company": "Acme", "role": "Analyst", "stage": "final round",
        "date": "2026-11-26", "contact": "Dana Reyes", "contact_role": "recruiter",
        "reason": "more experience", "channel": "email", "variant": "", "mood": "gutted",
        "feedback": "solid, but", "improvements": ["practise SQL"], "cadence": "regular",
        "sent_at": None, "progress": "logged",
    }
    item = {"when": "Mon 30 Nov, 09:00", "title": "Connect"}
    return build_context(
        cast(PersonRecord, person), cast(CaseRecord, case), now=NOW, upset_moods=list(upset_moods),
        upcoming=[item], cases=[case],
        contacts=[{"name": "Dana Reyes", "role": "recruiter", "company": "Acme",
                   "last_touch": "Mon 30 Nov, 09:00"}],
        journal=[{"date": "2026-11-27", "company": "Acme", "text": "practise SQL"}],
        held=False, name="dance", length=5000, limit=2000, value="soon",
        until="2026-12-11", resources="- a helpline", next_when="Mon 30 Nov, 09:00",
        outcome="offer",
        commands=[{"name": "start", "usage": "start", "summary": "Begin"}],
    )
