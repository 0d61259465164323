"""Sample data with every variable a template may use, for ``content check``.

One sample is enough to find a misspelt variable; seams ("Dear there,", "Ltd..",
"recruiterNorthwind") show only for some people and cases, so ``content check`` also
renders everything against :data:`SAMPLE_MATRIX`: no contact, titled and oddly typed
names, every kind of stage, odd company names, long and missing reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from bot.conversation.context import build_context
from bot.conversation.names import clean_text, parse_contact
from bot.records import CaseRecord, PersonRecord

__all__ = ["SAMPLE_MATRIX", "SampleCase", "sample_cases", "sample_context"]

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
        upcoming=[item], cases=[case], upcoming_more=2, zone_known=False, reason_topic="experience",
        role_suggestion="Senior Analyst", place_offered=False,
        missing=True,
        country="the United States",
        team=[{"name": "Dana Reyes", "role": "recruiter"}],
        more_contacts=[{"id": "k1", "name": "Lee Park", "role": "hiring manager"}],
        feedback_reactions=["That's useful to know."], feedback_actions=["Practise SQL."],
        contacts=[{"name": "Dana Reyes", "role": "recruiter", "company": "Acme",
                   "last_touch": "Mon 30 Nov, 09:00"}],
        journal=[{"date": "2026-11-27", "company": "Acme", "text": "practise SQL"}],
        held=False, ended_at=[{"kind": "final", "count": 3}], stage_tip="Ask what separated",
        actions={"followups": 1, "feedback": 1, "contacts": 2, "checkins": 0}, name="dance",
        length=5000, limit=2000, value="soon", number=6, count=4, free_text=True,
        until="2026-12-11", resources="- a helpline", next_when="Mon 30 Nov, 09:00",
        outcome="offer",
        commands=[{"name": "start", "usage": "start", "summary": "Begin"}],
    )


LONG_REASON = (
    "They said the team had decided to go with someone who had more hands-on experience "
    "running data pipelines in production, and that my answers in the technical round were "
    "good but not quite as deep as they hoped, especially on streaming."
)

BASE_CASE: dict[str, Any] = {
    "id": "m1", "company": "Northwind Health", "role": "Data Analyst", "stage": "final round",
    "date": "2026-11-20", "contact": "Priya Raman", "contact_role": "recruiter",
    "reason": "", "highlight": "", "feedback": "", "channel": "email", "variant": "",
    "mood": "okay", "improvements": [], "cadence": "regular", "sent_at": None,
    "progress": "logged",
}

#: (sample name, what differs from :data:`BASE_CASE`, the name drafts are signed with)
SAMPLE_MATRIX: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("plain", {}, "Sam Sample"),
    ("no contact", {"contact": "", "contact_role": ""}, "Sam Sample"),
    ("a role, no name", {"contact": "the recruiter", "contact_role": ""}, "Sam Sample"),
    ("titled name", {"contact": "Dr. Priya Raman", "contact_role": "hiring manager"}, "Sam"),
    ("title and surname", {"contact": "Ms Raman"}, "Sam Sample"),
    ("lower case name", {"contact": "priya raman"}, "Sam Sample"),
    ("upper case name", {"contact": "PRIYA RAMAN"}, "Sam Sample"),
    ("surname first", {"contact": "Raman, Priya"}, "Sam Sample"),
    ("first name only", {"contact": "Priya", "contact_role": ""}, "Sam Sample"),
    ("name with emoji", {"contact": "Priya 🙂 Raman"}, "Sam Sample"),
    ("name with particles", {"contact": "jan van der berg"}, "Sam Sample"),
    ("long contact role", {"contact": "Angus McDonald",
                           "contact_role": "Head of Talent Acquisition, EMEA and APAC"}, "Sam"),
    ("application only", {"stage": "Application only"}, "Sam Sample"),
    ("application button", {"stage": "application", "contact": ""}, "Sam Sample"),
    ("phone", {"stage": "phone"}, "Sam Sample"),
    ("phone screen", {"stage": "phone screen"}, "Sam Sample"),
    ("2nd interview", {"stage": "2nd interview"}, "Sam Sample"),
    ("first interview", {"stage": "first interview"}, "Sam Sample"),
    ("onsite", {"stage": "onsite"}, "Sam Sample"),
    ("offer stage", {"stage": "offer stage"}, "Sam Sample"),
    ("untyped stage", {"stage": "it was complicated"}, "Sam Sample"),
    ("no stage", {"stage": ""}, "Sam Sample"),
    ("AT&T", {"company": "AT&T"}, "Sam Sample"),
    ("Ben & Jerry's", {"company": "Ben & Jerry's", "contact": ""}, "Sam Sample"),
    ("Müller GmbH", {"company": "Müller GmbH"}, "Sam Sample"),
    ("company ending in a full stop", {"company": "ACME (Europe) Ltd.", "contact": ""}, "Sam"),
    ("long company name", {"company": "International Federation of Red Cross and Red "
                                      "Crescent Societies"}, "Sam Sample"),
    ("emoji and typo", {"company": "Contoso Bank 🏦 ", "role": "Senoir Data Analyst 😩"},
     "Sam Sample"),
    ("short reason", {"reason": "more experience"}, "Sam Sample"),
    ("short reason with a full stop", {"reason": "They wanted more Kubernetes experience."},
     "Sam Sample"),
    ("no reason given", {"reason": "none given"}, "Sam Sample"),
    ("long reason", {"reason": LONG_REASON}, "Sam Sample"),
    ("highlight", {"highlight": "the demo of the new patient portal"}, "Sam Sample"),
    ("highlight as a sentence", {"highlight": "We talked about moving the team to dbt."},
     "Sam Sample"),
    ("feedback given", {"feedback": "solid, but more SQL depth", "improvements": ["SQL"]},
     "Sam Sample"),
    ("everything at once", {"contact": "Dr. Priya Raman", "reason": "more experience",
                            "highlight": "the data quality project", "feedback": "good",
                            "stage": "2nd interview", "company": "ACME (Europe) Ltd."}, "Sam"),
    ("no name known", {}, ""),
    ("no name, no contact, application", {"contact": "", "stage": "Application only"}, ""),
    ("signed with a chosen name", {}, "Ada L."),
)


@dataclass(frozen=True)
class SampleCase:
    """One row of the matrix, rendered: its context and what a seam check needs."""

    name: str
    context: dict[str, Any]
    #: what was filled in, to catch one glued to its neighbour
    values: tuple[str, ...]
    name_known: bool
    contact_named: bool


def sample_cases(*, window: dict[str, Any], upset_moods: Sequence[str]) -> list[SampleCase]:
    """Every row of :data:`SAMPLE_MATRIX` as the context a template would see."""
    base = sample_context(window=window, upset_moods=upset_moods)
    rows: list[SampleCase] = []
    for name, changes, signed in SAMPLE_MATRIX:
        case = {**BASE_CASE, **changes}
        person = {"settings": {"timezone": "Europe/Berlin", "window": window,
                               "cadence": "regular", "name": signed}}
        # The one-sample context brings every other variable a template may use; the
        # row's own person and case replace everything built from them.
        context = {**base, **build_context(cast(PersonRecord, person), cast(CaseRecord, case),
                                           now=NOW, upset_moods=list(upset_moods))}
        contact = parse_contact(case["contact"])
        values = (clean_text(case["company"]), clean_text(case["role"]), contact.full,
                  signed)
        rows.append(SampleCase(name=name, context=context,
                               values=tuple(v for v in values if v),
                               name_known=bool(signed), contact_named=contact.named))
    return rows
