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
from bot.conversation.context import build_context, format_day
from bot.interfaces import Clock
from bot.nudges.plan import NudgePlanner, local_today
from bot.records import CaseRecord, PersonRecord

__all__ = ["ACTIONS", "ActionScope"]

DRAFT_TITLES = {"email": "Email draft", "letter": "Letter draft", "call": "Call script"}
VARIANT_NAMES = {"": "", "_short": " (shorter)", "_formal": " (more formal)"}


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

    def context(self) -> dict[str, Any]:
        return build_context(self.person, self.case, now=self.clock.now(),
                             upset_moods=self.content.coach.upset_moods, **self.variables)

    def now_iso(self) -> str:
        return self.clock.now().isoformat()


def schedule_cooldown(scope: ActionScope) -> None:
    scope.planner.plan_after(scope.person, scope.case, "cooldown",
                             days=scope.content.nudges.followup.cooldown_after_days)


def save_case(scope: ActionScope) -> None:
    scope.case["status"] = "open"
    if not scope.case.get("date"):
        scope.case["date"] = local_today(scope.person, scope.clock).isoformat()


def render_draft(scope: ActionScope) -> None:
    case = scope.case
    if case.get("draft_shown_at") is None:
        case["draft_shown_at"] = scope.now_iso()
    variant = case.get("variant") or ""
    scope.reply_extras["draft"] = scope.content.render(
        f"draft:{case['channel']}{variant}", scope.context()
    )
    scope.reply_extras["draft_title"] = DRAFT_TITLES[case["channel"]] + VARIANT_NAMES[variant]


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
    scope.planner.plan_after_business_days(
        scope.person, case, "heard_back",
        days=scope.content.nudges.followup.heard_back_after_business_days,
    )


def note_feedback(scope: ActionScope) -> None:
    """Feedback is in: "did you hear back?" has its answer, and this feedback gets its
    own list of up to three things to improve (the last list stays in the journal)."""
    scope.case["improvements"] = []
    scope.planner.cancel_moot(scope.person, scope.case, after="feedback")


def save_journal(scope: ActionScope) -> None:
    case = scope.case
    scope.person["journal"].append({
        "at": scope.now_iso(),
        "case": case["id"],
        "feedback": case.get("feedback", ""),
        "improvements": list(case.get("improvements", [])),
    })


def plan_nudges(scope: ActionScope) -> None:
    case = scope.case
    cadence = case.get("cadence") or scope.person["settings"]["cadence"]
    planned = scope.planner.plan_cadence(scope.person, case, cadence)
    context = scope.context()
    zone = scope.person["settings"]["timezone"]
    scope.variables["upcoming"] = [
        {
            "when": format_day(datetime.fromisoformat(n["due_at"]), zone),
            "title": scope.content.render(f"nudge:{n['kind']}:title", context),
        }
        for n in planned
    ]
    case["status"] = "keeping in touch" if planned else "done"


ACTIONS: dict[str, Callable[[ActionScope], None]] = {
    "schedule_cooldown": schedule_cooldown,
    "save_case": save_case,
    "render_draft": render_draft,
    "set_variant_short": _variant("_short"),
    "set_variant_formal": _variant("_formal"),
    "set_variant_standard": _variant(""),
    "schedule_followup_reminder": schedule_followup_reminder,
    "mark_sent": mark_sent,
    "note_feedback": note_feedback,
    "save_journal": save_journal,
    "plan_nudges": plan_nudges,
}
