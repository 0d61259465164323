"""The variables every template sees, built from a person and their current case.

One builder for every template (flows, drafts, nudges, status) keeps the names an admin
can use in content the same everywhere, and ``content check`` renders everything with
the same shape of sample data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from bot.conversation.names import ContactName, clean_text, parse_contact, proper_name
from bot.conversation.stages import StageKind, stage_kind
from bot.records import CaseRecord, PersonRecord

__all__ = ["build_context", "draft_variables", "format_day", "stage_phrase"]

DAY_LABELS = {
    ("mon", "tue", "wed", "thu", "fri"): "weekdays",
    ("mon", "tue", "wed", "thu", "fri", "sat", "sun"): "every day",
}

EMPTY_CASE: dict[str, Any] = {
    "id": "", "company": "", "role": "", "stage": "", "date": "", "contact": "",
    "contact_role": "", "reason": "", "channel": "email", "variant": "", "feedback": "",
    "improvements": [], "cadence": None, "mood": None, "sent_at": None,
    "highlight": "", "draft_shown_at": None, "contacts": [], "feedback_kinds": [],
}


#: what a person typed that goes into drafts: emoji and stray spaces stay out of them
CLEANED_FIELDS = ("company", "role", "contact", "contact_role")

#: a reason or highlight longer than this is the person's notes, not a line for a draft
SHORT_TEXT = 80

#: what people type when the company gave no reason
NO_REASON = re.compile(r"^(none|no|nope|n/?a|-+|\?+|idk|unknown|nothing|not sure|generic|"
                       r"no reason|none given|not given|didn'?t say|did not say|they didn'?t say|"
                       r"no feedback|standard (email|rejection)|skip(ped)?)\W*$", re.IGNORECASE)

_ORDINALS = {"1st": "first", "first": "first", "2nd": "second", "second": "second",
             "3rd": "third", "third": "third", "4th": "fourth", "fourth": "fourth"}


def stage_phrase(stage: str | None) -> str:
    """How a draft thanks someone for the part of the process the person went through:
    ``"phone"`` → ``on our phone call``, ``"2nd interview"`` → ``through the second round
    of interviews``, ``"Application only"`` → ``for considering my application``. Each
    reads after "Thank you" or "thank you for your time"."""
    kind = stage_kind(stage)
    words = (stage or "").lower()
    if kind == "screen":
        medium = next((m for m in ("phone", "video") if m in words), "")
        return f"on our {medium} call".replace("  ", " ")
    if kind == "interview":
        ordinal = next((o for key, o in _ORDINALS.items() if re.search(rf"\b{key}\b", words)),
                       "")
        return f"through the {ordinal} round of interviews" if ordinal else \
            "through the interviews"
    return STAGE_PHRASES[kind]


STAGE_PHRASES: dict[StageKind, str] = {
    "application": "for considering my application",
    "screen": "on our call",
    "interview": "through the interviews",
    "final": "through the final round",
    "offer": "right through to the offer stage",
    "other": "throughout the process",
}


def draft_variables(case: Mapping[str, Any], name: ContactName) -> dict[str, Any]:
    """Everything a draft needs besides the raw case, worked out once here so that no
    template has to guess how a name, a stage or a reason reads in a sentence."""
    company = case.get("company") or ""
    team = f"Hiring Team at {company}" if company else "Hiring Team"
    role = case.get("contact_role") or ""
    return {
        "greeting": f"Hi {name.greeting}," if name.named else f"Dear {team},",
        "greeting_dear": f"Dear {name.greeting}," if name.named else f"Dear {team},",
        "greeting_formal": f"Dear {name.formal}," if name.named else f"Dear {team},",
        "address_block": address_block(name.titled, role, company),
        "stage_kind": stage_kind(case.get("stage")),
        "stage_phrase": stage_phrase(case.get("stage")),
        # call scripts speak to the caller: "for considering your application"
        "stage_phrase_script": re.sub(r"\b(my|our)\b", "your", stage_phrase(case.get("stage"))),
        "highlight": _sentence_part(case.get("highlight")),
        "reason_short": _short(case.get("reason")),
        "has_reason": bool(_meaningful(case.get("reason"))),
        "has_feedback": bool(_meaningful(case.get("feedback"))),
    }


def address_block(contact: str, role: str, company: str) -> str:
    """The lines above a letter's greeting: the contact and their role ("Priya Raman,
    Recruiter"; a long role on its own line), then the company; "Hiring Team" and the
    company when no one is named."""
    lines: list[str] = []
    if contact:
        role_text = role[:1].upper() + role[1:]
        if role_text and len(contact) + len(role_text) <= 40:
            lines.append(f"{contact}, {role_text}")
        else:
            lines += [contact, role_text]
    else:
        lines.append("Hiring Team")
    lines.append(company)
    return "\n".join(line for line in lines if line)


def _meaningful(text: str | None) -> str:
    cleaned = clean_text(text)
    return "" if NO_REASON.match(cleaned) else cleaned


def _short(text: str | None) -> str:
    """A reason short enough to name in a draft, without its final full stop; ``""``
    when it is long (a draft never quotes a paragraph back at a company)."""
    cleaned = _meaningful(text).rstrip(" .!")
    return cleaned if cleaned and len(cleaned) <= SHORT_TEXT and "\n" not in cleaned else ""


def _sentence_part(text: str | None) -> str:
    """The highlight as the end of a sentence: no final stop (the template adds it), and
    nothing when it is too long to sit in one sentence."""
    cleaned = clean_text(text).rstrip(" .!;,")
    return cleaned if len(cleaned) <= 2 * SHORT_TEXT else ""


def format_day(when: datetime, zone: str) -> str:
    """``Mon 14 Dec, 09:00`` in the person's own time zone."""
    local = when.astimezone(ZoneInfo(zone))
    return local.strftime("%a %d %b, %H:%M")


def build_context(
    person: PersonRecord, case: CaseRecord | None, *, now: datetime, upset_moods: list[str],
    contact: Mapping[str, Any] | None = None, **extra: Any,
) -> dict[str, Any]:
    """``contact`` (a name and a role) stands in for the case's primary contact, so a
    check-in about another person at the company is rendered for them."""
    settings = person["settings"]
    window = settings["window"]
    current: dict[str, Any] = {**EMPTY_CASE, **cast("dict[str, Any]", case or {})}
    if contact is not None:
        current["contact"] = contact.get("name") or ""
        current["contact_role"] = contact.get("role") or ""
    for key in CLEANED_FIELDS:
        current[key] = clean_text(current.get(key))
    # "ACME Ltd." at the end of a sentence would read "ACME Ltd.."; "Ltd" is as correct
    for key in ("company", "role"):
        current[key] = current[key].rstrip(".")
    name = parse_contact(current["contact"])
    signature = proper_name(settings.get("name") or person.get("display_name"))
    days = tuple(window["days"])
    context: dict[str, Any] = {
        "case": current,
        "contact_name": name.full or "the hiring team",
        "contact_first_name": name.greeting or "there",
        "contact_full_name": name.full or "Hiring Team",
        "contact_formal_name": name.formal or "Hiring Manager",
        "contact_named": name.named,
        "person_name": signature,
        "person_first_name": signature.split()[0] if signature else "",
        **draft_variables(current, name),
        "today": now.astimezone(ZoneInfo(settings["timezone"])).strftime("%d %B %Y"),
        "upset": current.get("mood") in upset_moods,
        "improvements": list(current.get("improvements") or []),
        "settings": {
            "timezone": settings["timezone"],
            "window_start": window["start"],
            "window_end": window["end"],
            "window_days_label": DAY_LABELS.get(days, ", ".join(days)),
            "cadence": settings["cadence"],
            "name": signature,
        },
        "upcoming": [],
        #: what the rejection came down to, when its reason is of a known kind (set by
        #: the draft action from content/feedback.yaml; none here)
        "reason_topic": None,
    }
    context.update(extra)
    return context
