"""The variables every template sees, built from a person and their current case.

One builder for every template (flows, drafts, nudges, status) keeps the names an admin
can use in content the same everywhere, and ``content check`` renders everything with
the same shape of sample data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from bot.records import CaseRecord, PersonRecord

__all__ = ["build_context", "format_day"]

DAY_LABELS = {
    ("mon", "tue", "wed", "thu", "fri"): "weekdays",
    ("mon", "tue", "wed", "thu", "fri", "sat", "sun"): "every day",
}

EMPTY_CASE: dict[str, Any] = {
    "id": "", "company": "", "role": "", "stage": "", "date": "", "contact": "",
    "contact_role": "", "reason": "", "channel": "email", "variant": "", "feedback": "",
    "improvements": [], "cadence": None, "mood": None, "sent_at": None,
}


def format_day(when: datetime, zone: str) -> str:
    """``Mon 14 Dec, 09:00`` in the person's own time zone."""
    local = when.astimezone(ZoneInfo(zone))
    return local.strftime("%a %d %b, %H:%M")


def build_context(
    person: PersonRecord, case: CaseRecord | None, *, now: datetime, upset_moods: list[str],
    **extra: Any,
) -> dict[str, Any]:
    settings = person["settings"]
    window = settings["window"]
    current: dict[str, Any] = {**EMPTY_CASE, **cast("dict[str, Any]", case or {})}
    contact = (current.get("contact") or "").strip()
    first = contact.split()[0] if contact else ""
    days = tuple(window["days"])
    context: dict[str, Any] = {
        "case": current,
        "contact_name": contact or "the hiring team",
        "contact_first_name": first or "there",
        "contact_full_name": contact or "Hiring team",
        "contact_formal_name": contact or "Hiring Manager",
        "person_name": (settings.get("name") or person.get("display_name")
                        or "[Your name]"),
        "today": now.astimezone(ZoneInfo(settings["timezone"])).strftime("%d %B %Y"),
        "upset": current.get("mood") in upset_moods,
        "improvements": list(current.get("improvements") or []),
        "settings": {
            "timezone": settings["timezone"],
            "window_start": window["start"],
            "window_end": window["end"],
            "window_days_label": DAY_LABELS.get(days, ", ".join(days)),
            "cadence": settings["cadence"],
            "name": settings.get("name") or person.get("display_name") or "",
        },
        "upcoming": [],
    }
    context.update(extra)
    return context
