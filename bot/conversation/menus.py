"""The menus the coach shows outside its flows, and how answers to them are read.

The home menu, forget's confirmation, the case picker and a check-in's buttons are built
here, not in content flows, because what they offer depends on the person's data. Their
answers arrive as a button's value, or as typed text read against the menu the person is
looking at (:meth:`Menus.read_typed`), with the same matcher a flow question uses.
"""

from __future__ import annotations

from bot.content.loader import Content
from bot.conversation.choices import (
    CASE_PREFIX,
    CONSENT_NO,
    CONSENT_YES,
    FORGET_NO,
    FORGET_YES,
    NUDGE_PREFIX,
    ChoiceMatcher,
    case_value,
    menu_options,
    menu_value,
)
from bot.conversation.flow_runner import FlowRunner
from bot.conversation.people import active_case, case_by_id, new_case
from bot.conversation.personal_data import PersonalData
from bot.interfaces import Clock
from bot.messages import Choice, Input, Option, Reply, Text, UserRef
from bot.nudges.messages import NudgeActions
from bot.records import CaseRecord, PersonRecord

__all__ = ["Menus"]


class Menus:
    def __init__(self, *, content: Content, clock: Clock, flows: FlowRunner,
                 nudge_actions: NudgeActions, matcher: ChoiceMatcher,
                 data: PersonalData) -> None:
        self._content = content
        self._clock = clock
        self._flows = flows
        self._nudge_actions = nudge_actions
        self._matcher = matcher
        self._data = data

    # -- typed answers ----------------------------------------------------------------

    def read_typed(self, person: PersonRecord, event: Text, replies: list[Reply]) -> Input | None:
        """A typed answer to the menu the person is looking at, as the option it means.

        ``None`` when this turn already answered (a question back when the answer fits two
        options, or the options again when it fits none). On the safety screen an answer
        that fits nothing goes on to the safety turn, which stays with the person; after
        a check-in, or a menu shown just before a flow's question (consent at first
        contact), it goes on to the question the flow is at.
        """
        options = menu_options(person.get("menu"))
        if not options:
            return event
        resolved = self._matcher.match(event.text, options)
        if resolved.option is not None:
            return Choice(resolved.option.value)
        if resolved.ambiguous:
            replies.append(Reply(self._content.text("which_one"), options=resolved.candidates))
            return None
        check_in = all(o.value.startswith(NUDGE_PREFIX) for o in options)
        flow = person.get("flow")
        flow_asks = flow is not None and bool(flow.get("asked"))
        if person.get("safety") or (flow_asks and (check_in or person.get("menu_beside_flow"))):
            return event
        replies.append(Reply(self._content.text("not_an_option"), options=options))
        return None

    # -- where a conversation starts --------------------------------------------------

    def start(self, person: PersonRecord, replies: list[Reply], *, greet: bool = True) -> None:
        """Back to an unfinished case, the home menu for someone with cases, or step 1."""
        unfinished = next((c for c in reversed(person["cases"]) if c.get("resume_at")), None)
        if unfinished is not None:
            person["flow"], unfinished["resume_at"] = unfinished["resume_at"], None
            replies.append(Reply(self._content.text("welcome_back")))
            self._flows.resume(person, replies)
            return
        if greet and any(c.get("company") for c in person["cases"]):
            label = self._content.label
            replies.append(Reply(self._content.text("home"), options=(
                Option(menu_value("new"), label("menu_new"), "primary"),
                Option(menu_value("status"), label("menu_status")),
                Option(menu_value("feedback"), label("menu_feedback")),
            )))
            return
        if greet:
            replies.append(Reply(self._content.text("welcome")))
        self.new_case(person, replies)

    def new_case(self, person: PersonRecord, replies: list[Reply]) -> None:
        """A new case at step 1; at first contact, after the introduction (a name, a
        place, how check-ins work and the consent question: ``content/flows/intro``)."""
        first_contact = not person.get("introduced") and not any(
            c.get("company") for c in person["cases"])
        case = new_case(person, now_iso=self._clock.now().isoformat())
        self._nudge_actions.planner.plan_milestones(person)  # once, from the first case
        if first_contact:
            person["introduced"] = True
            self._flows.start_flow(person, "intro", None, case["id"], replies)
        else:
            self._flows.start(person, case, replies)

    def park_current(self, person: PersonRecord) -> None:
        """Remember where an unfinished case stood, so ``start`` can come back to it."""
        flow = person.get("flow")
        case = active_case(person)
        if flow is not None and case is not None and flow["flow"] != "settings":
            case["resume_at"] = flow

    # -- consent to outcome counts ----------------------------------------------------

    def ask_consent(self, replies: list[Reply], *, question: str | None = None) -> None:
        """Whether anonymous outcome counts may go in the programme's report. Asked at
        first contact, between the welcome and step 1, which does not wait for it: no
        answer counts as no."""
        replies.append(Reply(question or self._content.text("consent_ask"), options=(
            Option(CONSENT_YES, self._content.label("consent_yes"), "primary"),
            Option(CONSENT_NO, self._content.label("consent_no")),
        )))

    def record_consent(self, person: PersonRecord, agreed: bool, replies: list[Reply]) -> None:
        """Keep the answer; yes plans the 90- and 180-day check-ins (once), no cancels
        any pending ones. Both through the turn's planner, so one commit covers them."""
        person["consent"] = {"outcomes": agreed, "at": self._clock.now().isoformat()}
        planner = self._nudge_actions.planner
        if agreed:
            planner.plan_milestones(person)
        else:
            planner.cancel_milestones(person)
        # then the question they were at, with its buttons, so the conversation goes on
        self._flows.keep_place(person, replies,
                               self._content.text("consent_yes" if agreed else "consent_no"))

    # -- forget, feedback -------------------------------------------------------------

    def confirm_forget(self, person: PersonRecord, replies: list[Reply]) -> None:
        person["pending"] = {"kind": "forget"}
        replies.append(Reply(self._content.text("forget_confirm"), options=(
            Option(FORGET_YES, self._content.label("forget_yes"), "danger"),
            Option(FORGET_NO, self._content.label("forget_no")),
        )))

    def feedback(self, person: PersonRecord, replies: list[Reply]) -> None:
        """Feedback for the one case, or a picker when there are several."""
        cases = [c for c in person["cases"] if c.get("company")]
        if not cases:
            replies.append(Reply(self._content.text("no_cases")))
        elif len(cases) == 1:
            self._open_feedback(person, cases[0], replies)
        else:
            person["pending"] = {"kind": "pick_case"}
            replies.append(Reply(self._content.text("pick_case"), options=tuple(
                Option(case_value(c["id"]),
                       ", ".join(part for part in (c["company"], c.get("role")) if part)[:75])
                for c in cases[-25:]
            )))

    def _open_feedback(self, person: PersonRecord, case: CaseRecord, replies: list[Reply]) -> None:
        self.park_current(person)
        self._flows.start_flow(person, "followup", "feedback_text", case["id"], replies)

    # -- a button outside the flows ---------------------------------------------------

    def choose(self, user: UserRef, person: PersonRecord, event: Choice,
               replies: list[Reply]) -> bool:
        """Forget's confirmation, a check-in's buttons, a picked case; ``True`` when the
        person's data was deleted. (The home menu's buttons are commands.)"""
        pending = person.get("pending") or {}
        person["pending"] = None
        if event.value == FORGET_YES and pending.get("kind") == "forget":
            self._data.forget(user, person)
            replies.append(Reply(self._content.text("forget_done")))
            return True
        if event.value in (CONSENT_YES, CONSENT_NO):
            self.record_consent(person, event.value == CONSENT_YES, replies)
            return False
        if event.value == FORGET_NO:
            replies.append(Reply(self._content.text("forget_kept")))
            return False
        if event.value.startswith(NUDGE_PREFIX):
            pressed, follow_up = self._nudge_actions.press(person, event.value)
            replies.extend(pressed)
            if follow_up is not None:
                self._check_in_follow_up(person, follow_up, replies)
            return False
        if event.value.startswith(CASE_PREFIX) and pending.get("kind") == "pick_case":
            case = case_by_id(person, event.value.removeprefix(CASE_PREFIX))
            if case is not None:
                self._open_feedback(person, case, replies)
                return False
        replies.append(Reply(self._content.text("stale_choice")))
        if person.get("flow") is not None:
            self._flows.resume(person, replies)
        return False

    def _check_in_follow_up(self, person: PersonRecord, follow_up: str,
                            replies: list[Reply]) -> None:
        """Buttons on a check-in that lead back into a conversation about its case."""
        action, _, case_id = follow_up.partition(":")
        case = case_by_id(person, case_id)
        if case is None:
            replies.append(Reply(self._content.text("stale_choice")))
        elif action == "feedback":
            self._open_feedback(person, case, replies)
        elif action == "show_draft":
            self.park_current(person)
            self._flows.start_flow(person, "followup", "draft", case["id"], replies)
        elif person.get("flow") is not None:
            self._flows.resume(person, replies)
        else:
            self.start(person, replies)
