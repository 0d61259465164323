"""The coach: one turn of conversation, for one person, on any platform.

``Coach.handle`` loads the person's state, checks for crisis language first, runs a
command or advances the flow, saves, and returns what to say. Everything that decides
*what* to say lives below this module; adapters only translate.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from bot.content.loader import Content
from bot.conversation.choices import ChoiceMatcher, menu_options, menu_record
from bot.conversation.commands import help_entries, parse_command, spec_of
from bot.conversation.flow_runner import FlowRunner
from bot.conversation.overview import export_file, overview_text
from bot.conversation.parsers import parse_timezone
from bot.conversation.people import PersonRepo, active_case, case_by_id, new_case
from bot.conversation.safety import SafetyCheck, count_referral
from bot.interfaces import Clock, CorruptRecordError, Record, Store, StoreError
from bot.messages import Choice, Command, ExportFile, Input, Option, Reply, Text, UserRef
from bot.nudges.book import NudgeBook
from bot.nudges.messages import NUDGE_PREFIX, NudgeActions
from bot.nudges.plan import NudgePlanner
from bot.ops.metrics import SAFETY_REFERRALS, TURN_SECONDS, TURNS

__all__ = ["Coach"]

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
SAFETY_RESUME = "safety=resume"
SAFETY_CONFIRM = "safety=confirm"
SAFETY_NOT_YET = "safety=not_yet"
FORGET_YES = "forget=yes"
FORGET_NO = "forget=no"
CASE_PREFIX = "case="
TURN_ATTEMPTS = 3
MENU_PREFIX = "menu="


def clean_text(text: str) -> str:
    """Drop control and bidi characters: they can rewrite a terminal or reorder a line."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


class Coach:
    """Thread-safe: turns for one person run one at a time, different people in parallel."""

    def __init__(self, *, store: Store, content: Content, clock: Clock) -> None:
        self.store = store
        self.content = content
        self.clock = clock
        self.nudge_book = NudgeBook(store)
        self.people = PersonRepo(store=store, content=content, clock=clock,
                                 book=self.nudge_book)
        self.planner = NudgePlanner(book=self.nudge_book, content=content, clock=clock)
        self.nudge_actions = NudgeActions(content=content, clock=clock, planner=self.planner)
        self.flows = FlowRunner(content=content, clock=clock, planner=self.planner)
        self.safety = SafetyCheck(content)
        self.matcher = ChoiceMatcher(content.coach.synonyms)
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def _lock_for(self, user: UserRef) -> threading.Lock:
        with self._locks_guard:
            return self._locks[user.key]

    def person_lock(self, user: UserRef) -> threading.Lock:
        """The lock that orders every change to one person (turns, nudge dispatch)."""
        return self._lock_for(user)

    # -- public API -----------------------------------------------------------------

    def handle(self, user: UserRef, event: Input) -> list[Reply]:
        """One turn. Never raises for bad input; storage failures become a polite reply.

        The save only succeeds if nobody saved this person since the turn read them
        (another bot process on a shared database); otherwise the turn runs again on
        what is there now, so two processes never overwrite each other's answers.
        """
        started = time.perf_counter()
        try:
            with self._lock_for(user):
                return self._handle_locked(user, event)
        finally:
            TURNS.labels(user.platform).inc()
            TURN_SECONDS.labels(user.platform).observe(time.perf_counter() - started)

    def _handle_locked(self, user: UserRef, event: Input) -> list[Reply]:
        for _ in range(TURN_ATTEMPTS):
            replies: list[Reply] = []
            try:
                loaded = self.people.load(user)
            except CorruptRecordError as exc:
                log.error("person record unreadable for %s, kept at %s", user.key, exc.kept_at)
                replies.append(Reply(self.content.text("corrupt_record")))
                loaded = None
            except StoreError:
                log.exception("could not read %s", user.key)
                return self._despite_storage(event, replies)
            person = self.people.begin(loaded) if loaded is not None else self.people.fresh(user)
            try:
                if self._turn(user, person, event, replies):
                    return replies  # forgotten: nothing left to save
            except StoreError:
                log.exception("storage failed during a turn for %s", user.key)
                return self._despite_storage(event, replies)
            except Exception:  # a bug must cost one answer, never the conversation
                log.exception("turn failed for %s; nothing was saved", user.key)
                return self._apology(loaded)
            try:
                if self.people.save(user, person, expected=loaded):
                    return replies
            except StoreError:
                log.exception("could not save %s", user.key)
                return self._despite_storage(event, replies)
            log.info("turn for %s raced another process; running it again", user.key)
        return self._despite_storage(event, replies)

    def _apology(self, loaded: Record | None) -> list[Reply]:
        """Say sorry, with the question the person was at (as saved) still answerable."""
        replies: list[Reply] = []
        message = self.content.text("internal_error")
        try:
            if loaded is None:
                raise LookupError("nobody to put back in place")
            self._keep_place(copy.deepcopy(loaded), replies, message)
        except Exception:
            replies = [Reply(message)]
        return replies

    def set_timezone(self, user: UserRef, tz: str) -> None:
        """Take the time zone a platform reports, unless the person chose one themselves."""
        zone = parse_timezone(tz or "")
        if zone is None:
            return

        def adopt(person: Record) -> None:
            if person["settings"].get("timezone_source") != "user":
                person["settings"].update(timezone=zone, timezone_source="platform")

        self._adopt_profile(user, adopt)

    def set_display_name(self, user: UserRef, name: str) -> None:
        """The name a platform shows for the person, to sign drafts with (a name chosen
        in ``settings`` wins). Control characters and excess length are dropped."""
        clean = clean_text(name or "").strip()[:80]
        if not clean:
            return
        self._adopt_profile(user, lambda person: person.update(display_name=clean))

    def _adopt_profile(self, user: UserRef, adopt: Callable[[Record], None]) -> None:
        with self._lock_for(user):
            try:
                if self.people.update(user, adopt) is None:  # someone new: start their record
                    person = self.people.fresh(user)
                    adopt(person)
                    self.people.save(user, person, expected=None)
            except CorruptRecordError:
                log.warning("cannot record a time zone for %s: unreadable record", user.key)

    def overview(self, user: UserRef) -> list[Reply]:
        with self._lock_for(user):
            person = self._load_quietly(user)
            text = overview_text(person, self.nudge_book.of_person(person),
                                 content=self.content, clock=self.clock)
        return [Reply(text)]

    def _load_quietly(self, user: UserRef) -> Record:
        try:
            return self.people.load(user) or self.people.fresh(user)
        except CorruptRecordError:
            return self.people.fresh(user)

    # -- one turn -------------------------------------------------------------------

    def _turn(self, user: UserRef, person: Record, event: Input, replies: list[Reply]) -> bool:
        """Returns True when the person's data was deleted (nothing left to save).

        Whatever menu the turn ends on (outside a flow's own question) is remembered, so
        the next typed answer is read against the options the person is looking at."""
        forgotten = self._decide(user, person, event, replies)
        if not forgotten:
            person["menu"] = menu_record(replies, flow_prefixes=self._flow_prefixes)
        return forgotten

    @property
    def _flow_prefixes(self) -> tuple[str, ...]:
        return tuple(f"{name}." for name in self.content.flows)

    def _decide(self, user: UserRef, person: Record, event: Input,
                replies: list[Reply]) -> bool:
        if isinstance(event, Text):
            text = clean_text(event.text)
            limit = self.content.coach.limits["max_message_length"]
            if self._is_crisis(text) and not person.get("safety"):
                self._enter_safety(person, replies)
                return False
            if len(text) > limit:
                self._keep_place(person, replies, self.content.text(
                    "too_long", length=len(text), limit=limit))
                return False
            command = parse_command(text)
            if command is not None:
                event = command
            else:
                read = self._read_menu(person, Text(text), replies)
                if read is None:
                    return False
                event = read

        if person.get("safety"):
            return self._safety_turn(user, person, event, replies)
        if isinstance(event, Command):
            return self._command(user, person, event, replies)
        if isinstance(event, Choice) and "=" in event.value and not event.value.startswith(
            self._flow_prefixes
        ):
            return self._meta_choice(user, person, event, replies)
        if person.get("pending"):
            person["pending"] = None
        if person.get("flow") is None:
            self._start(person, replies)
        elif not person["flow"].get("asked"):
            self.flows.resume(person, replies)
        else:
            self.flows.answer(person, event, replies)
        self._after_flow(person, replies)
        return False

    def _read_menu(self, person: Record, event: Text, replies: list[Reply]) -> Input | None:
        """A typed answer to the menu the person is looking at, as the option it means.

        ``None`` when this turn already answered (a question back when the answer fits two
        options, or the options again when it fits none). On the safety screen an answer
        that fits nothing goes on to the safety turn, which stays with the person; after
        a check-in, it goes on to the question the flow was at, if any.
        """
        options = menu_options(person.get("menu"))
        if not options:
            return event
        resolved = self.matcher.match(event.text, options)
        if resolved.option is not None:
            return Choice(resolved.option.value)
        if resolved.ambiguous:
            replies.append(Reply(self.content.text("which_one"), options=resolved.candidates))
            return None
        check_in = all(o.value.startswith(NUDGE_PREFIX) for o in options)
        flow = person.get("flow")
        if person.get("safety") or (check_in and flow is not None and flow.get("asked")):
            return event
        replies.append(Reply(self.content.text("not_an_option"), options=options))
        return None

    def _keep_place(self, person: Record, replies: list[Reply], message: str) -> None:
        """Say why nothing moved, with the current question's buttons still at hand."""
        flow = person.get("flow")
        if flow is not None and flow.get("asked"):
            self.flows.reask(person, replies, message)
        else:
            replies.append(Reply(message))

    def _after_flow(self, person: Record, replies: list[Reply]) -> None:
        """When a side trip (settings) ends, go back to where the person was."""
        if person.get("flow") is None and person.get("return_to"):
            person["flow"], person["return_to"] = person["return_to"], None
            self.flows.resume(person, replies)

    def _start(self, person: Record, replies: list[Reply], *, greet: bool = True) -> None:
        unfinished = next((c for c in reversed(person["cases"]) if c.get("resume_at")), None)
        if unfinished is not None:
            person["flow"], unfinished["resume_at"] = unfinished["resume_at"], None
            replies.append(Reply(self.content.text("welcome_back")))
            self.flows.resume(person, replies)
            return
        if greet and any(c.get("company") for c in person["cases"]):
            replies.append(Reply(self.content.text("home"), options=(
                Option(f"{MENU_PREFIX}new", self.content.label("menu_new"), "primary"),
                Option(f"{MENU_PREFIX}status", self.content.label("menu_status")),
                Option(f"{MENU_PREFIX}feedback", self.content.label("menu_feedback")),
            )))
            return
        if greet:
            replies.append(Reply(self.content.text("welcome")))
        case = new_case(person, now_iso=self.clock.now().isoformat())
        self.flows.start(person, case, replies)

    # -- commands -------------------------------------------------------------------

    def _command(self, user: UserRef, person: Record, command: Command,
                 replies: list[Reply]) -> bool:
        name = command.name.lower().strip().lstrip("/")
        text = self.content.text
        flow = person.get("flow")
        if name in ("start", ""):
            if flow is None:
                self._start(person, replies)
            else:
                replies.append(Reply(text("welcome_back")))
                self.flows.resume(person, replies)
        elif name == "new":
            self._park_current(person)
            replies.append(Reply(text("new_case")))
            self._new(person, replies)
        elif name == "status":
            replies.append(Reply(overview_text(person, self.nudge_book.of_person(person),
                                               content=self.content, clock=self.clock)))
        elif name == "settings":
            if flow is not None and flow["flow"] != "settings":
                person["return_to"] = flow
            self.flows.start_flow(person, "settings", None, None, replies)
        elif name == "pause":
            self._pause(person, command.arg, replies)
        elif name == "resume":
            person["paused_until"] = None
            replies.append(Reply(text("resumed")))
            if flow is not None:
                self.flows.resume(person, replies)
        elif name == "help":
            replies.append(Reply(self._help_text()))
        elif name == "back":
            if flow is None:
                replies.append(Reply(text("nothing_to_resume")))
            elif not self.flows.back(person, replies):
                self._keep_place(person, replies, text("cannot_go_back"))
        elif name == "skip":
            if flow is None:
                replies.append(Reply(text("nothing_to_resume")))
            elif not flow.get("asked"):
                self.flows.resume(person, replies)
            elif not self.flows.skip(person, replies):
                self.flows.reask(person, replies, text("cannot_skip"))
            self._after_flow(person, replies)
        elif name == "restart":
            self._restart(person, replies)
        elif name == "stop":
            self._park_current(person)
            person["flow"] = person["return_to"] = None
            replies.append(Reply(text("stopped")))
        elif name == "export":
            replies.append(Reply(text("export_ready"), file=self._export(user, person)))
        elif name == "forget":
            person["pending"] = {"kind": "forget"}
            replies.append(Reply(text("forget_confirm"), options=(
                Option(FORGET_YES, self.content.label("forget_yes"), "danger"),
                Option(FORGET_NO, self.content.label("forget_no")),
            )))
        elif name == "feedback":
            self._feedback(person, replies)
        else:
            replies.append(Reply(text("unknown_command", name=command.name[:40])))
            replies.append(Reply(self._help_text()))
        return False

    def _help_text(self) -> str:
        return self.content.text("help", commands=help_entries(self.content.coach.commands))

    def _new(self, person: Record, replies: list[Reply]) -> None:
        case = new_case(person, now_iso=self.clock.now().isoformat())
        self.flows.start(person, case, replies)

    def _park_current(self, person: Record) -> None:
        """Remember where an unfinished case stood, so ``start`` can come back to it."""
        flow = person.get("flow")
        case = active_case(person)
        if flow is not None and case is not None and flow["flow"] != "settings":
            case["resume_at"] = flow

    def _restart(self, person: Record, replies: list[Reply]) -> None:
        case = active_case(person)
        if case is not None:
            person["cases"].remove(case)
        person["flow"] = None
        replies.append(Reply(self.content.text("restarted")))
        self._new(person, replies)

    def _pause(self, person: Record, arg: str, replies: list[Reply]) -> None:
        days = int(arg) if arg.isdigit() else (7 if not arg else 0)
        if not 1 <= days <= 365:
            replies.append(Reply(self.content.text("pause_bad")))
            return
        until = self.clock.now() + timedelta(days=days)
        person["paused_until"] = until.isoformat()
        replies.append(Reply(self.content.text("paused", until=until.date().isoformat())))

    def _feedback(self, person: Record, replies: list[Reply]) -> None:
        cases = [c for c in person["cases"] if c.get("company")]
        if not cases:
            replies.append(Reply(self.content.text("no_cases")))
        elif len(cases) == 1:
            self._open_feedback(person, cases[0], replies)
        else:
            person["pending"] = {"kind": "pick_case"}
            replies.append(Reply(self.content.text("pick_case"), options=tuple(
                Option(f"{CASE_PREFIX}{c['id']}",
                       ", ".join(part for part in (c["company"], c.get("role")) if part)[:75])
                for c in cases[-25:]
            )))

    def _nudge_follow_up(self, person: Record, follow_up: str, replies: list[Reply]) -> None:
        """Buttons on a check-in that lead back into a conversation about its case."""
        action, _, case_id = follow_up.partition(":")
        case = case_by_id(person, case_id)
        if case is None:
            replies.append(Reply(self.content.text("stale_choice")))
        elif action == "feedback":
            self._open_feedback(person, case, replies)
        elif action == "show_draft":
            self._park_current(person)
            self.flows.start_flow(person, "followup", "draft", case["id"], replies)
        elif person.get("flow") is not None:
            self.flows.resume(person, replies)
        else:
            self._start(person, replies)

    def _export(self, user: UserRef, person: Record) -> ExportFile:
        """Every record that names the person: their nudges, listed or not (the owner
        index finds any a crash left unlisted), and the text of unreadable copies the
        store moved aside."""
        nudge_ids = self.nudge_book.ids_of(user.key, person.get("nudge_ids", []))
        unreadable = self.people.kept_aside(user) + self.nudge_book.kept_aside(nudge_ids)
        return export_file(person, self.nudge_book.all_of(user.key, nudge_ids),
                           clock=self.clock, unreadable=unreadable)

    def _forget(self, user: UserRef, person: Record) -> None:
        """Delete what :meth:`_export` would show; the store's ``delete`` takes the
        unreadable copies with each record. The outbox goes first, so nothing a crash
        interrupts here is written back later."""
        self.people.forget_outbox(user)
        for nudge_id in self.nudge_book.ids_of(user.key, person.get("nudge_ids", [])):
            self.nudge_book.delete(nudge_id, user_key=user.key)
        self.people.forget(user)

    def _open_feedback(self, person: Record, case: Record, replies: list[Reply]) -> None:
        self._park_current(person)
        self.flows.start_flow(person, "followup", "feedback_text", case["id"], replies)

    def _meta_choice(self, user: UserRef, person: Record, event: Choice,
                     replies: list[Reply]) -> bool:
        """Buttons that are not part of a flow: forget's confirm, picking a case."""
        pending = person.get("pending") or {}
        person["pending"] = None
        if event.value == FORGET_YES and pending.get("kind") == "forget":
            self._forget(user, person)
            replies.append(Reply(self.content.text("forget_done")))
            return True
        if event.value == FORGET_NO:
            replies.append(Reply(self.content.text("forget_kept")))
            return False
        if event.value.startswith(NUDGE_PREFIX):
            pressed, follow_up = self.nudge_actions.press(person, event.value)
            replies.extend(pressed)
            if follow_up is not None:
                self._nudge_follow_up(person, follow_up, replies)
            return False
        if event.value.startswith(MENU_PREFIX):
            command = Command(event.value.removeprefix(MENU_PREFIX))
            return self._command(user, person, command, replies)
        if event.value.startswith(CASE_PREFIX) and pending.get("kind") == "pick_case":
            case = case_by_id(person, event.value.removeprefix(CASE_PREFIX))
            if case is not None:
                self._open_feedback(person, case, replies)
                return False
        replies.append(Reply(self.content.text("stale_choice")))
        if person.get("flow") is not None:
            self.flows.resume(person, replies)
        return False

    # -- safety ---------------------------------------------------------------------

    def _resources(self, person: Record) -> str:
        return self.safety.resources_for(person["settings"].get("timezone"))

    def _enter_safety(self, person: Record, replies: list[Reply]) -> None:
        """Hold the coaching and give the helpline. The reply is built before anything
        touches storage: a count that cannot be saved must never cost the resources."""
        person["safety"] = {"since": self.clock.now().isoformat(), "stage": "hold"}
        replies.append(self._safety_reply(self._resources(person)))
        self._count_referral()

    def _safety_reply(self, resources: str) -> Reply:
        return Reply(
            self.content.render("safety:reply", {"resources": resources}),
            options=(Option(SAFETY_RESUME, self.content.safety.labels["want_resume"]),),
            tags=frozenset({"safety"}),
        )

    def _count_referral(self) -> None:
        """Best effort: the count is for the people running the bot, the reply is for
        the person. Whatever the store raises is logged (no words, no ids) and dropped."""
        SAFETY_REFERRALS.inc()
        try:
            count_referral(self.store)
        except Exception:
            log.error("could not count a safety referral; the resources were sent",
                      exc_info=True)

    def _is_crisis(self, text: str) -> bool:
        """Looks at a bounded prefix: a huge message is checked, not scanned forever."""
        limit = self.content.coach.limits["max_message_length"]
        return self.safety.is_crisis(text[: limit * 4])

    def _despite_storage(self, event: Input, replies: list[Reply]) -> list[Reply]:
        """What to say when storage ends a turn. The helpline reaches whoever needs it
        whatever storage does: the turn's safety replies are kept even if the hold could
        not be saved, and crisis words from someone unreadable get the default resources."""
        kept = [reply for reply in replies if "safety" in reply.tags]
        if not kept and isinstance(event, Text) and self._is_crisis(clean_text(event.text)):
            kept = [self._safety_reply(self.safety.resources_for(None))]
        return kept or [Reply(self.content.text("storage_error"))]

    def _safety_turn(self, user: UserRef, person: Record, event: Input,
                     replies: list[Reply]) -> bool:
        """While on hold, stay with the person; only an explicit two-step choice resumes."""
        labels = self.content.safety.labels
        state = person["safety"]
        wants_resume = (isinstance(event, Choice) and event.value == SAFETY_RESUME) or (
            isinstance(event, Command) and event.name in ("start", "resume")
        )
        spec = spec_of(event.name) if isinstance(event, Command) else None
        if isinstance(event, Command) and spec is not None and spec.on_hold:
            return self._command(user, person, event, replies)
        confirmed = isinstance(event, Choice) and event.value == SAFETY_CONFIRM
        if confirmed and state["stage"] == "confirm":
            person["safety"] = None
            replies.append(Reply(self.content.render("safety:resumed", {})))
            if person.get("flow") is not None:
                self.flows.resume(person, replies)
            return False
        if wants_resume:
            state["stage"] = "confirm"
            replies.append(Reply(self.content.render("safety:confirm_resume", {}), options=(
                Option(SAFETY_CONFIRM, labels["confirm_safe"], "primary"),
                Option(SAFETY_NOT_YET, labels["not_yet"]),
            )))
            return False
        state["stage"] = "hold"
        replies.append(Reply(
            self.content.render("safety:still_here", {"resources": self._resources(person)}),
            options=(Option(SAFETY_RESUME, labels["want_resume"]),),
            tags=frozenset({"safety"}),
        ))
        return False
