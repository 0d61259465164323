"""What the person can see of their own data: the status overview and the export."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.content.loader import Content
from bot.conversation.context import build_context, format_day
from bot.conversation.names import clean_text, parse_contact
from bot.conversation.people import contact_of_nudge, contacts_of
from bot.conversation.stages import STAGE_KINDS, StageKind, stage_kind
from bot.interfaces import Clock
from bot.messages import ExportFile
from bot.records import CaseRecord, NudgeRecord, PersonRecord

__all__ = ["ADVICE_AFTER", "actions_taken", "ended_at", "export_file", "is_held",
           "overview_text", "stage_tip"]

#: rejections at the same stage before ``status`` offers that stage's suggestion
ADVICE_AFTER = 3

PROGRESS = {
    "logging": "being logged",
    "open": "logged, follow-up next",
    "keeping in touch": "keeping in touch",
    "done": "done",
}


def is_held(person: PersonRecord, now: datetime) -> bool:
    paused = person.get("paused_until")
    return bool(person.get("safety")) or bool(paused and paused > now.isoformat())


def _progress(case: CaseRecord) -> str:
    if case["status"] == "open" and case.get("sent_at"):
        return "follow-up sent"
    if case["status"] == "open" and case.get("draft_shown_at"):
        return "follow-up drafted, not sent yet"
    status = str(case["status"])
    return PROGRESS.get(status, status)


def ended_at(cases: list[CaseRecord]) -> list[dict[str, Any]]:
    """How many logged rejections ended at each kind of stage, in process order, only
    the kinds that occur: where in the process things tend to stop."""
    kinds = [stage_kind(c.get("stage")) for c in cases if c.get("stage")]
    return [{"kind": kind, "count": kinds.count(kind)} for kind in STAGE_KINDS
            if kind in kinds]


def stage_tip(counts: list[dict[str, Any]], advice: Mapping[StageKind, str]) -> str:
    """One suggestion, for the stage where most rejections ended, once it has happened
    :data:`ADVICE_AFTER` times: a pattern worth acting on, not a single bad day."""
    repeated = [c for c in counts if c["count"] >= ADVICE_AFTER and c["kind"] in advice]
    if not repeated:
        return ""
    most = max(repeated, key=lambda c: c["count"])  # the earliest stage wins a tie
    return advice[most["kind"]]


def actions_taken(cases: list[CaseRecord], nudges: list[NudgeRecord]) -> dict[str, int]:
    """What the person has done, for encouragement: it counts their actions, never the
    rejections, which they did not choose."""
    contacts = {(c["company"], who["name"].casefold())
                for c in cases if c.get("status") == "keeping in touch"
                for who in contacts_of(c)}
    return {
        "followups": sum(1 for c in cases if c.get("sent_at")),
        "feedback": sum(1 for c in cases if (c.get("feedback") or "").strip()),
        "contacts": len(contacts),
        "checkins": sum(1 for n in nudges if n["state"] == "done"),
    }


def overview_text(person: PersonRecord, nudges: list[NudgeRecord], *, content: Content,
                  clock: Clock, limit: int = 10) -> str:
    now = clock.now()
    zone = person["settings"]["timezone"]
    cases = [c for c in person["cases"] if c.get("company")]
    by_id = {c["id"]: c for c in person["cases"]}
    upcoming = sorted((n for n in nudges if n["state"] == "planned"), key=lambda n: n["due_at"])
    items: list[dict[str, Any]] = []
    for nudge in upcoming[:limit]:
        case = by_id.get(nudge["case"])
        context = build_context(person, case, now=now, upset_moods=content.coach.upset_moods,
                                contact=contact_of_nudge(case, nudge))
        items.append({"when": format_day(datetime.fromisoformat(nudge["due_at"]), zone),
                      "title": content.render(f"nudge:{nudge['kind']}:title", context)})
    contacts = []
    for case in cases:
        touches = case.get("touches") or []
        last = format_day(datetime.fromisoformat(touches[-1]["at"]), zone) if touches else None
        for who in contacts_of(case):
            contacts.append({"name": parse_contact(who["name"]).full or clean_text(who["name"]),
                             "role": clean_text(who["role"]), "company": case["company"],
                             "last_touch": last})
    journal = []
    for entry in person["journal"][-limit:]:
        logged = by_id.get(entry["case"])
        company = logged["company"] if logged else ""
        text = "; ".join(entry.get("improvements") or []) or entry.get("feedback", "")
        journal.append({"date": entry["at"][:10], "company": company, "text": text})
    counts = ended_at(cases)
    context = build_context(
        person, None, now=now, upset_moods=content.coach.upset_moods,
        cases=[{**c, "progress": _progress(c)} for c in cases], contacts=contacts,
        upcoming=items, journal=journal, held=is_held(person, now),
        ended_at=counts, stage_tip=stage_tip(counts, content.coach.stage_advice),
        actions=actions_taken(cases, nudges),
    )
    return content.render("status", context)


def export_file(person: PersonRecord, nudges: list[NudgeRecord], *, clock: Clock,
                unreadable: list[str] | None = None) -> ExportFile:
    """The person's data as JSON; ``unreadable`` holds the text of damaged copies of
    their records that the store kept aside (they still name the person)."""
    payload = {"exported_at": clock.now().isoformat(), "person": person, "nudges": nudges,
               "unreadable_copies": unreadable or []}
    return ExportFile(filename="notnow-export.json",
                      content=json.dumps(payload, ensure_ascii=False, indent=2))
