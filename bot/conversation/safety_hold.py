"""The safety hold: when someone may be in crisis, coaching stops and the helpline comes.

Crisis language is looked for before anything else in every typed message. The hold
stays until the person explicitly says they are safe: in one answer ("I'm safe, let's
continue", one button), or by asking to continue and then confirming they are safe. The
question they were at comes back in the same turn. While it lasts, only their data
commands run (see ``on_hold`` in :mod:`bot.conversation.commands`)
and every check-in waits. The helpline reaches the person whatever storage does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.content.loader import Content
from bot.conversation.choices import (
    SAFETY_CONFIRM,
    SAFETY_NOT_YET,
    SAFETY_RESUME,
    SAFETY_SAFE_RESUME,
    ChoiceMatcher,
)
from bot.conversation.flow_runner import FlowRunner
from bot.conversation.safety import SafetyCheck, count_referral
from bot.interfaces import Clock, Store
from bot.messages import Choice, Command, Input, Option, Reply
from bot.ops.metrics import SAFETY_REFERRALS
from bot.records import PersonRecord

__all__ = ["SafetyHold"]

log = logging.getLogger(__name__)

REFERRAL = "safety-referral"  # the tag of the reply that starts a hold

#: runs a data command (status, export, forget, help) as usual during the hold
CommandRunner = Callable[[PersonRecord, Command, list[Reply]], bool]


class SafetyHold:
    def __init__(self, *, store: Store, content: Content, clock: Clock,
                 flows: FlowRunner) -> None:
        self._store = store
        self._content = content
        self._clock = clock
        self._flows = flows
        self._check = SafetyCheck(content)
        self._matcher = ChoiceMatcher(content.coach.synonyms)

    def is_crisis(self, text: str) -> bool:
        """Looks at a bounded prefix: a huge message is checked, not scanned forever."""
        limit = self._content.coach.limits["max_message_length"]
        return self._check.is_crisis(text[: limit * 4])

    def enter(self, person: PersonRecord, replies: list[Reply]) -> None:
        """Hold the coaching and give the helpline. The reply is built before anything
        touches storage: a count that cannot be saved must never cost the resources."""
        person["safety"] = {"since": self._clock.now().isoformat(), "stage": "hold"}
        replies.append(self.reply(self._resources(person), referral=True))

    def reply(self, resources: str, *, referral: bool = False) -> Reply:
        """The helpline reply; ``referral`` marks the one that starts a hold, which
        :meth:`count_referrals` counts once the turn is committed."""
        return Reply(
            self._content.render("safety:reply", {"resources": resources}),
            options=self._way_out(),
            tags=frozenset({"safety", REFERRAL} if referral else {"safety"}),
        )

    def _way_out(self) -> tuple[Option, ...]:
        """One button that says it all: the person is safe and wants to go on."""
        return (Option(SAFETY_SAFE_RESUME, self._content.safety.labels["safe_resume"]),)

    def default_reply(self) -> Reply:
        """For someone whose record cannot be read: the default region's resources."""
        return self.reply(self._check.resources_for())

    def turn(self, person: PersonRecord, event: Input, replies: list[Reply], *,
             run_command: CommandRunner, on_hold: Callable[[str], bool]) -> bool:
        """While on hold, stay with the person. Saying they are safe ends it at once ("I'm
        safe, let's continue"); asking to continue without saying so asks whether they are
        safe first, so the way out takes two answers at most, and never none."""
        labels = self._content.safety.labels
        state = person["safety"]
        assert state is not None  # only called during a hold
        if isinstance(event, Command) and on_hold(event.name):
            return run_command(person, event, replies)
        safe = isinstance(event, Choice) and (event.value == SAFETY_SAFE_RESUME or (
            event.value == SAFETY_CONFIRM and state["stage"] == "confirm"))
        if safe:
            self._resume(person, replies, run_command)
            return False
        if self._wants_resume(event):
            state["stage"] = "confirm"
            replies.append(Reply(self._content.render("safety:confirm_resume", {}), options=(
                Option(SAFETY_CONFIRM, labels["confirm_safe"], "primary"),
                Option(SAFETY_NOT_YET, labels["not_yet"]),
            )))
            return False
        state["stage"] = "hold"
        replies.append(Reply(
            self._content.render("safety:still_here", {"resources": self._resources(person)}),
            options=self._way_out(),
            tags=frozenset({"safety"}),
        ))
        return False

    def _wants_resume(self, event: Input) -> bool:
        """Asking to go back without saying they are safe: the old button, ``start`` or
        ``resume``, or typed words that mean it ("I'd like to continue", "carry on")."""
        if isinstance(event, Choice):
            return event.value == SAFETY_RESUME
        if isinstance(event, Command):
            return event.name in ("start", "resume")
        asked = Option(SAFETY_RESUME, self._content.safety.labels["want_resume"])
        return self._matcher.match(event.text, (asked,)).option is not None

    def _resume(self, person: PersonRecord, replies: list[Reply],
                run_command: CommandRunner) -> None:
        """End the hold and, in the same turn, put the person back where they were: the
        question of their flow, the settings they were changing, or where ``start``
        takes them (an unfinished case, or the home menu)."""
        person["safety"] = None
        replies.append(Reply(self._content.render("safety:resumed", {})))
        if person.get("flow") is not None:
            self._flows.resume(person, replies)
        elif person.get("return_to"):
            self._flows.after_side_trip(person, replies)
        else:
            run_command(person, Command("start"), replies)

    def _resources(self, person: PersonRecord) -> str:
        settings = person["settings"]
        return self._check.resources_for(country=settings.get("country"),
                                         timezone=settings.get("timezone"))

    def count_referrals(self, replies: list[Reply]) -> None:
        """Count a hold the turn started, after the turn was committed: a turn run again
        after a race counts once, a turn that was not saved not at all. Best effort: the
        count is for the people running the bot, the reply is for the person; whatever
        the store raises is logged (no words, no ids) and dropped."""
        if not any(REFERRAL in reply.tags for reply in replies):
            return
        SAFETY_REFERRALS.inc()
        try:
            count_referral(self._store)
        except Exception:
            log.error("could not count a safety referral; the resources were sent",
                      exc_info=True)
