"""Run the flows written in ``content/flows``: a small interpreter for named steps.

A flow is a set of named steps (see STYLE.md, "Conversations as explicit states"). The
person's position is ``person["flow"]``: which flow, which step, which case, whether the
step's question has been asked, and the questions answered so far (for ``back``). It is
persisted after every turn by the engine, so a restart resumes at the same question.
"""

from __future__ import annotations

from typing import Any, cast

from bot.content.loader import Content
from bot.content.schema import OptionSpec, StepSpec
from bot.conversation.actions import ACTIONS, ActionScope
from bot.conversation.choices import ChoiceMatcher, bare_value, flow_value, typed_number
from bot.conversation.context import build_context
from bot.conversation.names import clean_text, parse_contact
from bot.conversation.parsers import parse_date, parse_timezone, parse_window
from bot.conversation.people import active_case, contacts_of
from bot.conversation.places import Place, read_place
from bot.conversation.spelling import suggest_title
from bot.conversation.stages import stage_kind
from bot.conversation.tone import check_for_case
from bot.interfaces import Clock
from bot.messages import Choice, Option, Reply, Text
from bot.nudges.plan import NudgePlanner, local_today
from bot.records import CaseRecord, FlowState, PersonRecord

__all__ = ["FlowRunner"]

MAX_AUTO_STEPS = 50
#: an unmatched answer this many words long is read as the person talking, not a typo
HEARD_YOU_WORDS = 6


class FlowRunner:
    def __init__(self, *, content: Content, clock: Clock, planner: NudgePlanner) -> None:
        self._content = content
        self._clock = clock
        self._planner = planner
        self._matcher = ChoiceMatcher(content.coach.synonyms)

    # -- moving between steps -------------------------------------------------------

    def start(self, person: PersonRecord, case: CaseRecord, replies: list[Reply]) -> None:
        """A new case starts at step 1."""
        self.start_flow(person, "compose", None, case["id"], replies)

    def start_flow(self, person: PersonRecord, flow_name: str, step: str | None,
                   case_id: str | None, replies: list[Reply]) -> None:
        flow = self._content.flows[flow_name]
        target = step or flow.start
        person["flow"] = {"flow": flow_name, "step": target, "case": case_id,
                          "asked": False, "history": []}
        self.enter(person, flow_name, target, replies)

    def enter(self, person: PersonRecord, flow: str, step: str, replies: list[Reply]) -> None:
        """Run steps from ``flow.step`` until one asks a question, pauses, or the flow ends."""
        state = _state(person)
        for _ in range(MAX_AUTO_STEPS):
            spec = self._content.step(flow, step)
            state.update({"flow": flow, "step": step, "asked": False})
            case = active_case(person)
            condition = self._content.conditions.get(f"{flow}.{step}")
            if condition is not None and condition(**self._context(person, case)):
                target = self._returning(state) or spec.skip_to or spec.next
            else:
                scope = self._run_action(person, case, spec)
                if spec.say is not None:
                    said = self._say(person, case, flow, step, spec, scope)
                    if said.text.strip() or said.options or said.draft:
                        replies.append(said)
                if scope is not None:
                    replies.extend(scope.after_replies)
                if spec.ask is not None:
                    state["asked"] = True
                    return
                target = spec.next
                if spec.pause:
                    flow, step = self._resolve(flow, target)
                    state.update({"flow": flow, "step": step, "asked": False})
                    return
            if target is None or target == "end":
                person["flow"] = None
                return
            flow, step = self._resolve(flow, target)
        raise RuntimeError(f"flow loops without asking anything near {flow}.{step}")

    def reask(self, person: PersonRecord, replies: list[Reply], intro: str) -> None:
        """Show the current question's options again under a short explanation."""
        state = _state(person)
        replies.append(Reply(text=intro, options=self._options(state["flow"], state["step"])))

    def keep_place(self, person: PersonRecord, replies: list[Reply], message: str) -> None:
        """Say why nothing moved, with the current question's buttons still at hand."""
        flow = person.get("flow")
        if flow is not None and flow.get("asked"):
            self.reask(person, replies, message)
        else:
            replies.append(Reply(message))

    def after_side_trip(self, person: PersonRecord, replies: list[Reply]) -> None:
        """When a side trip (settings) ends, go back to where the person was."""
        if person.get("flow") is None and person.get("return_to"):
            person["flow"], person["return_to"] = person["return_to"], None
            self.resume(person, replies)

    def resume(self, person: PersonRecord, replies: list[Reply]) -> None:
        """Ask the current question again in full (after a pause or a restart)."""
        state = _state(person)
        self.enter(person, state["flow"], state["step"], replies)

    def back(self, person: PersonRecord, replies: list[Reply]) -> bool:
        state = _state(person)
        if not state["history"]:
            return False
        state["return_after"] = None  # going back ends a correction
        flow, step = state["history"].pop()
        self.enter(person, flow, step, replies)
        return True

    def _advance(self, person: PersonRecord, target: str | None, replies: list[Reply], *,
                 correcting: bool = False) -> None:
        """Go on to ``target`` after an answer. During a correction (``correcting`` when an
        option starts one) the answer goes back to the step that offered it instead,
        after the step's ``edit_next`` (a contact's role after their name)."""
        state = _state(person)
        here = f"{state['flow']}.{state['step']}"
        state["history"].append([state["flow"], state["step"]])
        del state["history"][:-30]
        if correcting:
            state["return_after"] = here
        elif state.get("return_after"):
            spec = self._content.step(state["flow"], state["step"])
            target = spec.edit_next or self._returning(state)
        if target is None or target == "end":
            person["flow"] = None
            return
        flow, step = self._resolve(state["flow"], target)
        self.enter(person, flow, step, replies)

    @staticmethod
    def _returning(state: FlowState) -> str | None:
        """Where a correction goes back to, once (``None`` outside a correction)."""
        target = state.get("return_after")
        state["return_after"] = None
        return target

    def _resolve(self, flow: str, target: str | None) -> tuple[str, str]:
        assert target is not None
        other, _, step = target.rpartition(".")
        return (other or flow), step

    # -- answering ------------------------------------------------------------------

    def current_step(self, person: PersonRecord) -> StepSpec:
        state = _state(person)
        return self._content.step(state["flow"], state["step"])

    def answer(self, person: PersonRecord, event: Text | Choice, replies: list[Reply]) -> None:
        state = _state(person)
        spec = self.current_step(person)
        texts = self._content
        if isinstance(event, Choice):
            prefix = flow_value(state["flow"], state["step"], "")
            if spec.ask != "choice" or not event.value.startswith(prefix):
                self.reask(person, replies, texts.text("stale_choice"))
                return
            option = self._option(spec, event.value.removeprefix(prefix))
            if option is None:
                self.reask(person, replies, texts.text("stale_choice"))
                return
            self._choose(person, spec, option, replies)
            return

        text = event.text.strip()
        if not text:
            self.reask(person, replies, texts.text("empty"))
            return
        if spec.ask == "choice":
            shown = self._options(state["flow"], state["step"])
            resolved = self._matcher.match(text, shown, free_text=spec.free_text)
            option = (self._option(spec, bare_value(resolved.option.value))
                      if resolved.option is not None else None)
            if option is not None:
                self._choose(person, spec, option, replies)
            elif resolved.ambiguous:
                replies.append(Reply(texts.text("which_one"), options=resolved.candidates))
            elif (number := typed_number(text)) is not None:
                # "6" on a list of four is a slip of the thumb, never a mood or a city
                self.reask(person, replies, texts.text(
                    "number_not_listed", number=number, count=len(shown),
                    free_text=spec.free_text))
            elif spec.free_text:
                self._answer_text(person, spec, text, replies,
                                  then=spec.free_text_next or spec.next)
            elif len(text.split()) >= HEARD_YOU_WORDS:
                # a sentence, not a missed button: someone saying how it is going
                self.reask(person, replies, texts.text("heard_you"))
            else:
                self.reask(person, replies, texts.text("need_choice"))
            return
        self._answer_text(person, spec, text, replies)

    def skip(self, person: PersonRecord, replies: list[Reply]) -> bool:
        spec = self.current_step(person)
        if not spec.skippable:
            return False
        value = self._parse(person, spec, spec.default) if spec.default else ""
        if value or spec.parse == "text":  # a skipped place or window keeps the setting
            self._save(person, spec, value or "")
        self._advance(person, spec.next, replies)
        return True

    def _answer_text(self, person: PersonRecord, spec: StepSpec, text: str,
                     replies: list[Reply], *, then: str | None = None) -> None:
        if len(text) > spec.max_length:
            replies.append(Reply(self._content.text("field_too_long", limit=spec.max_length,
                                                    length=len(text))))
            return
        if spec.parse == "tone":  # read for the reply, never saved
            assert self._content.tone is not None, "loaded content always has tone.yaml"
            replies.append(Reply(check_for_case(text, active_case(person), self._content.tone)))
            self._advance(person, then or spec.next, replies)
            return
        value = self._parse(person, spec, text)
        if value is None:
            error = {"date": "bad_date", "timezone": "bad_timezone", "window": "bad_window",
                     "place": "bad_place"}
            replies.append(Reply(self._content.text(error[spec.parse], value=text)))
            return
        if isinstance(value, Place) and value.zone is None:
            replies.append(Reply(self._content.text("which_city", country=value.label)))
            return
        if spec.parse == "date" and value > local_today(person, self._clock).isoformat():
            replies.append(Reply(self._content.text("future_date")))
            return
        self._save(person, spec, value)
        self._advance(person, then or spec.next, replies)

    def _parse(self, person: PersonRecord, spec: StepSpec, text: str) -> Any:
        if spec.parse == "date":
            day = parse_date(text, today=local_today(person, self._clock))
            return day.isoformat() if day else None
        if spec.parse == "timezone":
            return parse_timezone(text)
        if spec.parse == "window":
            window = parse_window(text)
            return window.as_dict() if window else None
        if spec.parse == "place":
            return read_place(text)
        return text

    def _choose(self, person: PersonRecord, spec: StepSpec, option: OptionSpec,
                replies: list[Reply]) -> None:
        self._save(person, spec, option.value)
        self._advance(person, option.next or spec.next, replies, correcting=option.edit)

    def _save(self, person: PersonRecord, spec: StepSpec, value: Any) -> None:
        target = spec.save or spec.append
        if target is None:
            return
        scope, _, name = target.partition(".")
        # content names the field (``save: case.company``), so it is a runtime key
        if scope == "settings":
            settings = cast("dict[str, Any]", person["settings"])
            if isinstance(value, Place):
                settings["timezone"] = value.zone
                if value.country:
                    settings["country"] = value.country
                else:
                    settings.pop("country", None)
            else:
                settings[name] = value
                if name == "timezone":
                    settings.pop("country", None)  # a zone picked: its own country counts
            if name == "timezone":
                settings["timezone_source"] = "user"
            return
        case = active_case(person)
        if case is None:
            return
        fields = cast("dict[str, Any]", case)
        if spec.append:
            if value:
                fields.setdefault(name, []).append(value)
        else:
            fields[name] = value

    # -- rendering ------------------------------------------------------------------

    def _context(self, person: PersonRecord, case: CaseRecord | None,
                 **extra: Any) -> dict[str, Any]:
        return build_context(person, case, now=self._clock.now(),
                             upset_moods=self._content.coach.upset_moods,
                             **{**flow_variables(person, case), **extra})

    def _run_action(
        self, person: PersonRecord, case: CaseRecord | None, spec: StepSpec
    ) -> ActionScope | None:
        if spec.action is None or case is None:
            return None
        scope = ActionScope(
            person=person,
            case=case,
            content=self._content,
            clock=self._clock,
            planner=self._planner,
        )
        ACTIONS[spec.action](scope)
        return scope

    def _say(
        self,
        person: PersonRecord,
        case: CaseRecord | None,
        flow: str,
        step: str,
        spec: StepSpec,
        scope: ActionScope | None,
    ) -> Reply:
        variables = scope.variables if scope else {}
        text = self._content.render(f"{flow}.{step}", self._context(person, case, **variables))
        options = self._options(flow, step) if spec.ask == "choice" else ()
        extras = scope.reply_extras if scope else {}
        return Reply(
            text=text,
            options=options,
            draft=extras.get("draft"),
            draft_title=extras.get("draft_title"),
        )

    def _options(self, flow: str, step: str) -> tuple[Option, ...]:
        spec = self._content.step(flow, step)
        return tuple(
            Option(value=flow_value(flow, step, o.value), label=o.label, style=o.style)
            for o in spec.options
        )

    @staticmethod
    def _option(spec: StepSpec, value: str) -> OptionSpec | None:
        return next((o for o in spec.options if o.value == value), None)


def flow_variables(person: PersonRecord, case: CaseRecord | None) -> dict[str, Any]:
    """What flow steps know beyond the common context: the people at the company, how
    far the process went, and whether the person's time zone is known (told by them or
    their platform) rather than the default."""
    team = [{"name": parse_contact(c["name"]).full or clean_text(c["name"]),
             "role": clean_text(c["role"])} for c in contacts_of(case)]
    return {
        "team": team,
        "more_contacts": list(case.get("more_contacts") or []) if case else [],
        "stage_kind": stage_kind(case["stage"] if case else None),
        "role_suggestion": suggest_title(case["role"]) if case else None,
        "zone_known": person["settings"].get("timezone_source") in ("user", "platform"),
        "place_offered": bool(person.get("place_offered")),
        "feedback_reactions": [],
        "feedback_actions": [],
        "upcoming_more": 0,
    }


def _state(person: PersonRecord) -> FlowState:
    """Where the person's flow stands; callers are only reached while one is running."""
    state = person["flow"]
    assert state is not None, "no flow is running"
    return state
