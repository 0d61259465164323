"""Named side effects a flow step can run (``action: render_draft`` in content).

Content decides *when* these run; this module decides *what* they do. Keeping the list
closed (``ACTIONS``) lets ``content check`` reject a misspelt action name up front.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.content.loader import Content
from bot.conversation.choices import CONSENT_NO, CONSENT_YES
from bot.conversation.context import build_context, format_day
from bot.conversation.feedback_kinds import advice_for, classify, plans_for
from bot.conversation.people import contact_of_nudge
from bot.interfaces import Clock
from bot.messages import Option, Reply
from bot.nudges.plan import NudgePlanner, local_today
from bot.records import CaseRecord, ContactRecord, PersonRecord

__all__ = ["ACTIONS", "ActionScope"]

#: check-ins listed when a plan is made; ``status`` shows them all
UPCOMING_SHOWN = 6

DRAFT_TITLES = {"email": "Email draft", "letter": "Letter draft", "call": "Call script"}
VARIANT_NAMES = {"": "", "_short": " (shorter)", "_formal": " (more formal)",
                 "_reply": " (a reply in the same thread)"}


@dataclass
class ActionScope:
    """What an action may touch: the person, their current case, and planning."""

    person: PersonRecord
    case: CaseRecord
    content: Content
    clock: Clock
    planner: NudgePlanner
    reply_extras: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    #: messages shown after the step's own text (a menu beside the flow, like consent)
    after_replies: list[Reply] = field(default_factory=list)

    def context(self, *, contact: ContactRecord | None = None) -> dict[str, Any]:
        return build_context(self.person, self.case, now=self.clock.now(),
                             upset_moods=self.content.coach.upset_moods, contact=contact,
                             **self.variables)

    def now_iso(self) -> str:
        return self.clock.now().isoformat()


def schedule_cooldown(scope: ActionScope) -> None:
    scope.planner.plan_after(scope.person, scope.case, "cooldown",
                             days=scope.content.nudges.followup.cooldown_after_days)


def save_case(scope: ActionScope) -> None:
    """Fill in what was skipped, before the person reviews the case."""
    if not scope.case.get("date"):
        scope.case["date"] = local_today(scope.person, scope.clock).isoformat()


def review_case(scope: ActionScope) -> None:
    """The person sees the whole case: from here on, every question is theirs to answer
    again (a case filled from an email stops skipping what the email said)."""
    scope.case.pop("pasted", None)


def confirm_case(scope: ActionScope) -> None:
    """The person checked the case: it is logged (an open case, no longer being logged);
    someone who skipped the introduction is asked about consent now."""
    scope.case["status"] = "open"
    offer_consent_once(scope)


def add_contact(scope: ActionScope) -> None:
    """Move the contact being added (name, then role) into the case's contacts."""
    case = scope.case
    name = (case.pop("new_contact", "") or "").strip()
    role = (case.pop("new_contact_role", "") or "").strip()
    if not name:
        return
    others = case.setdefault("more_contacts", [])
    taken = {c["id"] for c in others}
    number = next(n for n in range(1, len(others) + 2) if f"k{n}" not in taken)
    others.append({"id": f"k{number}", "name": name, "role": role})


def offer_place(scope: ActionScope) -> None:
    """The person was asked where they are: skipping it keeps UTC, and the question is
    not asked again (network.place asks those whose first contact skipped it)."""
    scope.person["place_offered"] = True


def finish_introduction(scope: ActionScope) -> None:
    """The end of first contact. ``back`` from step 1 stays in step 1 (the name and
    place are changed in settings), and, unless already answered: may outcomes be
    counted? Shown as a menu beside step 1's first question, which does not wait for it
    (no answer counts as no)."""
    flow = scope.person.get("flow")
    if flow is not None:
        flow["history"] = []
    offer_consent_once(scope)


def offer_consent_once(scope: ActionScope) -> None:
    """May outcomes be counted? Asked once per person, unless answered: at the end of
    first contact, or, for someone whose first contact was a pasted email (which skips
    the introduction), when their case is confirmed."""
    person = scope.person
    if "consent" in person or person.get("consent_offered"):
        return
    person["consent_offered"] = True
    scope.after_replies.append(Reply(scope.content.text("consent_ask"), options=(
        Option(CONSENT_YES, scope.content.label("consent_yes"), "primary"),
        Option(CONSENT_NO, scope.content.label("consent_no")),
    )))


def render_draft(scope: ActionScope) -> None:
    case = scope.case
    if case.get("draft_shown_at") is None:
        case["draft_shown_at"] = scope.now_iso()
    scope.variables["reason_topic"] = reason_topic(case.get("reason") or "", scope.content)
    variant = case.get("variant") or ""
    if f"draft:{case['channel']}{variant}" not in scope.content.templates:
        variant = ""  # a reply in the same thread is an email's; a letter stays a letter
    scope.reply_extras["draft"] = scope.content.render(
        f"draft:{case['channel']}{variant}", scope.context()
    )
    scope.reply_extras["draft_title"] = DRAFT_TITLES[case["channel"]] + VARIANT_NAMES[variant]


def reason_topic(reason: str, content: Content) -> str | None:
    """What the decision came down to, in the draft's words ("experience"), when the
    reason the person typed is of a kind feedback.yaml names a topic for. Their own
    words are never quoted back to the recruiter: "You mentioned 'they went with someone
    with more experience'" reads oddly in a note to the person who said it."""
    spec = content.feedback
    if spec is None or not reason.strip():
        return None
    topics = (spec.kinds[kind].topic for kind in classify(reason, spec))
    return next((topic for topic in topics if topic), None)


def _variant(name: str) -> Callable[[ActionScope], None]:
    def set_variant(scope: ActionScope) -> None:
        scope.case["variant"] = name

    return set_variant


def schedule_followup_reminder(scope: ActionScope) -> None:
    """One reminder per case: asking again moves the pending one."""
    scope.planner.plan_after(scope.person, scope.case, "followup_reminder",
                             days=scope.content.nudges.followup.reminder_after_days)


def mark_sent(scope: ActionScope) -> None:
    case = scope.case
    case["sent_at"] = scope.now_iso()
    case["touches"].append({"at": case["sent_at"], "what": f"follow-up sent ({case['channel']})"})
    scope.planner.cancel(scope.person, case=case, kind="followup_reminder")
    followup = scope.content.nudges.followup
    scope.planner.plan_after_business_days(scope.person, case, "heard_back",
                                           days=followup.heard_back_after_business_days)
    # most requests go unanswered: one polite chase, then let it go
    scope.planner.plan_after_business_days(scope.person, case, "chase",
                                           days=followup.chase_after_business_days)


def note_feedback(scope: ActionScope) -> None:
    """Feedback is in: "did you hear back?" and the chase have their answer, and this
    feedback gets its own list of up to three things to improve (the last list stays in
    the journal). What kind of feedback it is (content/feedback.yaml) gives the reaction,
    the next steps that fit, and, when they said to apply again, a check-in for that."""
    case = scope.case
    case["improvements"] = []
    scope.planner.cancel_moot(scope.person, case, after="feedback")
    spec = scope.content.feedback
    if spec is None:
        return
    kinds = classify(case.get("feedback") or "", spec)
    case["feedback_kinds"] = kinds
    context = scope.context()
    scope.variables["feedback_reactions"] = [
        spec.render(f"feedback:{kind}:reaction", context) for kind in kinds]
    scope.variables["feedback_actions"] = advice_for(kinds, spec)
    if "reapply" in plans_for(kinds, spec):
        scope.planner.plan_after(scope.person, case, "reapply",
                                 days=scope.content.nudges.followup.reapply_after_days)


def save_journal(scope: ActionScope) -> None:
    case = scope.case
    scope.person["journal"].append({
        "at": scope.now_iso(),
        "case": case["id"],
        "feedback": case.get("feedback", ""),
        "improvements": list(case.get("improvements", [])),
    })


def plan_nudges(scope: ActionScope) -> None:
    """Plan the cadence's check-ins, one set per contact where the cadence says so, and
    list the first few (the rest are in ``status``)."""
    case = scope.case
    cadence = case.get("cadence") or scope.person["settings"]["cadence"]
    planned = scope.planner.plan_cadence(scope.person, case, cadence)
    zone = scope.person["settings"]["timezone"]
    scope.variables["upcoming"] = [
        {
            "when": format_day(datetime.fromisoformat(n["due_at"]), zone),
            "title": scope.content.render(f"nudge:{n['kind']}:title",
                                          scope.context(contact=contact_of_nudge(case, n))),
        }
        for n in planned[:UPCOMING_SHOWN]
    ]
    scope.variables["upcoming_more"] = max(0, len(planned) - UPCOMING_SHOWN)
    case["status"] = "keeping in touch" if planned else "done"


ACTIONS: dict[str, Callable[[ActionScope], None]] = {
    "schedule_cooldown": schedule_cooldown,
    "save_case": save_case,
    "confirm_case": confirm_case,
    "review_case": review_case,
    "add_contact": add_contact,
    "finish_introduction": finish_introduction,
    "offer_place": offer_place,
    "render_draft": render_draft,
    "set_variant_short": _variant("_short"),
    "set_variant_formal": _variant("_formal"),
    "set_variant_standard": _variant(""),
    "set_variant_reply": _variant("_reply"),
    "schedule_followup_reminder": schedule_followup_reminder,
    "mark_sent": mark_sent,
    "note_feedback": note_feedback,
    "save_journal": save_journal,
    "plan_nudges": plan_nudges,
}
