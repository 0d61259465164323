"""What a nudge says and which buttons it carries, and what happens when one is pressed.

A nudge's buttons carry ``nudge=<id>:<action>``, so a press is tied to that one nudge:
pressing an old nudge's button after it was handled is recognised and left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.content.loader import Content
from bot.conversation.choices import nudge_of, nudge_value
from bot.conversation.context import build_context, format_day
from bot.conversation.people import (
    PRIMARY_CONTACT,
    case_by_id,
    contact_of_nudge,
    person_key,
)
from bot.interfaces import Clock
from bot.messages import Option, Reply
from bot.nudges.plan import (
    MILESTONES,
    NudgePlanner,
    local_today,
    shares_outcomes,
    window_start_utc,
)
from bot.records import CaseRecord, NudgeRecord, PersonRecord

__all__ = ["NudgeActions", "nudge_reply"]
ACTIONABLE_STATES = frozenset({"sent", "claimed"})
#: the answers a 90- or 180-day check-in offers, instead of the standard buttons
MILESTONE_ANSWERS = ("found_role", "still_looking", "rather_not_say")


def nudge_reply(
    person: PersonRecord, nudge: NudgeRecord, *, content: Content, clock: Clock
) -> Reply:
    """The message a person receives when a check-in is due."""
    spec = content.nudges.kinds[nudge["kind"]]
    case = case_by_id(person, nudge["case"])
    context = build_context(person, case, now=clock.now(), upset_moods=content.coach.upset_moods,
                            contact=contact_of_nudge(case, nudge))
    title = content.render(f"nudge:{nudge['kind']}:title", context)
    text = content.render(f"nudge:{nudge['kind']}:text", context)
    draft = (
        content.render(f"nudge:{nudge['kind']}:draft", context) if spec.draft is not None else None
    )
    if nudge["kind"] in MILESTONES:
        return Reply(text=f"{title}\n\n{text}", options=_milestone_options(nudge, content),
                     nudge_id=nudge["id"])
    buttons = [*spec.extra_buttons, *content.nudges.standard_buttons]
    options = tuple(
        Option(
            nudge_value(nudge["id"], name),
            content.nudges.buttons[name],
            "primary" if index == 0 else "default",
        )
        for index, name in enumerate(dict.fromkeys(buttons))
    )
    return Reply(
        text=f"{title}\n\n{text}",
        options=options,
        draft=draft,
        draft_title="A message you could send" if draft else None,
        nudge_id=nudge["id"],
    )


def _milestone_options(nudge: NudgeRecord, content: Content) -> tuple[Option, ...]:
    return tuple(Option(nudge_value(nudge["id"], f"milestone_{answer}"),
                        content.label(f"milestone_{answer}"),
                        "primary" if index == 0 else "default")
                 for index, answer in enumerate(MILESTONE_ANSWERS))


class NudgeActions:
    """The effect of each nudge button on the nudge, the case and the plan."""

    def __init__(self, *, content: Content, clock: Clock, planner: NudgePlanner) -> None:
        self._content = content
        self._clock = clock
        self._planner = planner

    @property
    def planner(self) -> NudgePlanner:
        """The planner the buttons plan with (the turn's own, so one commit covers it)."""
        return self._planner

    def answer(self, name: str, context: dict[str, Any]) -> str:
        return self._content.render(f"nudge_answer:{name}", context)

    def press(self, person: PersonRecord, value: str) -> tuple[list[Reply], str | None]:
        """Apply a button. Returns replies, and a follow-up the engine runs itself
        (``continue``, ``show_draft``, ``feedback``) with the case id after a colon."""
        nudge_id, action = nudge_of(value)
        nudge = self._planner.get(person, nudge_id)
        if nudge is None or nudge["user"] != person_key(person):
            return [Reply(self._content.text("stale_choice"))], None
        case = case_by_id(person, nudge["case"])
        context = build_context(
            person, case, now=self._clock.now(), upset_moods=self._content.coach.upset_moods,
            contact=contact_of_nudge(case, nudge),
        )
        if action.startswith("milestone_"):
            return [Reply(self._record_milestone(person, nudge, action, context))], None
        if action in ("continue", "show_draft", "feedback"):
            return [], f"{action}:{nudge['case']}"
        if action.startswith("outcome_") and case is not None:
            return [Reply(self._record_outcome(person, case, nudge, action, context))], None
        if action == "outcome":
            return [
                Reply(
                    self.answer("pick_outcome", context),
                    options=tuple(
                        Option(nudge_value(nudge_id, f"outcome_{key}"), label)
                        for key, label in self._content.nudges.outcomes.items()
                    ),
                )
            ], None
        if case is None:
            return [Reply(self.answer("already_handled", context))], None
        if action in ("stop_contact", "stop_all"):  # about the contact, whatever this nudge's state
            return [Reply(self._stop(person, case, nudge, action, context))], None
        if nudge["state"] not in ACTIONABLE_STATES:
            return [Reply(self.answer("already_handled", context))], None
        return [Reply(self._apply(person, case, nudge, action, context))], None

    def _stop(self, person: PersonRecord, case: CaseRecord, nudge: NudgeRecord, action: str,
              context: dict[str, Any]) -> str:
        if nudge["state"] in ACTIONABLE_STATES:
            nudge.update({"state": "stopped", "acted_at": self._clock.now().isoformat()})
            self._planner.save(person, nudge)
        if action == "stop_contact":
            # only this person's check-ins: the others at the company stay planned
            contact = nudge.get("contact") or ""
            stopped = case.setdefault("stopped_contacts", [])
            if (contact or PRIMARY_CONTACT) not in stopped:
                stopped.append(contact or PRIMARY_CONTACT)
            self._planner.cancel(person, case=case, contact=contact)
            return self.answer("stopped_contact", context)
        self._planner.cancel(person)
        return self.answer("stopped_all", context)

    def _apply(self, person: PersonRecord, case: CaseRecord, nudge: NudgeRecord, action: str,
               context: dict[str, Any]) -> str:
        now = self._clock.now()
        nudge["acted_at"] = now.isoformat()
        if action in ("snooze_tomorrow", "snooze_week"):
            days = 1 if action == "snooze_tomorrow" else 7
            due = window_start_utc(person, local_today(person, self._clock) + timedelta(days))
            nudge.update(
                {
                    "state": "planned",
                    "due_at": due.isoformat(),
                    "retry_at": None,
                    "claimed_by": None,
                    "snoozed": nudge.get("snoozed", 0) + 1,
                }
            )
            self._planner.save(person, nudge)
            return self.answer("snoozed", {**context, "next_when": self._when(person, due)})
        if action not in ("done", "skip"):
            return self._content.text("stale_choice")
        nudge["state"] = "done" if action == "done" else "skipped"
        self._planner.save(person, nudge)
        if action == "done":
            title = self._content.render(f"nudge:{nudge['kind']}:title", context)
            case.setdefault("touches", []).append({"at": now.isoformat(), "what": title})
        self._planner.plan_follow_on(person, case)
        upcoming = sorted(
            (
                n
                for n in self._planner.of_person(person)
                if n["case"] == case["id"] and n["state"] == "planned"
            ),
            key=lambda n: n["due_at"],
        )
        next_when = (
            self._when(person, datetime.fromisoformat(upcoming[0]["due_at"])) if upcoming else ""
        )
        return self.answer(
            "done" if action == "done" else "skipped", {**context, "next_when": next_when}
        )

    def _record_outcome(self, person: PersonRecord, case: CaseRecord, nudge: NudgeRecord,
                        action: str, context: dict[str, Any]) -> str:
        outcome = action.removeprefix("outcome_")
        if outcome not in self._content.nudges.outcomes:
            return self._content.text("stale_choice")
        now = self._clock.now().isoformat()
        case.setdefault("outcomes", []).append(
            {"at": now, "outcome": outcome, "nudge": nudge["id"]}
        )
        case.setdefault("touches", []).append(
            {"at": now, "what": self._content.nudges.outcomes[outcome]}
        )
        self._planner.cancel_moot(person, case, after="reply")  # every outcome is a reply
        return self.answer("outcome", {**context, "outcome": outcome})

    def _record_milestone(self, person: PersonRecord, nudge: NudgeRecord, action: str,
                          context: dict[str, Any]) -> str:
        """Once per milestone, from someone who still agrees to share outcomes."""
        answer = action.removeprefix("milestone_")
        days = MILESTONES.get(nudge["kind"])
        answered = {m.get("days") for m in person.get("milestones", [])}
        if days is None or answer not in MILESTONE_ANSWERS:
            return self._content.text("stale_choice")
        if (nudge["state"] not in ACTIONABLE_STATES or days in answered
                or not shares_outcomes(person)):
            return self.answer("already_handled", context)
        now = self._clock.now().isoformat()
        nudge.update({"state": "done", "acted_at": now})
        self._planner.save(person, nudge)
        person.setdefault("milestones", []).append({"at": now, "days": days, "answer": answer})
        return self._content.text(
            "milestone_found_role" if answer == "found_role" else "milestone_thanks")

    def _when(self, person: PersonRecord, when: datetime) -> str:
        return format_day(when, person["settings"]["timezone"])
