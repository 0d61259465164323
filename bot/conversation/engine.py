"""The coach: one turn of conversation, for one person, on any platform.

``Coach.handle`` is the whole interface adapters use for a turn. The work is split by
job, each in its own module:

- :mod:`~bot.conversation.turn`: the transaction (load, decide, commit, retry);
- this module: the decision's routing, in :meth:`Coach.decide`: crisis language first,
  then commands, the menus outside flows, or the flow the person is in;
- :mod:`~bot.conversation.safety_hold`, :mod:`~bot.conversation.command_handlers`,
  :mod:`~bot.conversation.menus`, :mod:`~bot.conversation.flow_runner`: what each of
  those does; :mod:`~bot.conversation.personal_data`: export and forget.

Adapters only translate; nothing here knows a platform.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable

from bot.content.loader import Content
from bot.conversation.choices import MENU_PREFIX, ChoiceMatcher, menu_record
from bot.conversation.command_handlers import CommandHandlers
from bot.conversation.commands import parse_command, spec_of
from bot.conversation.flow_runner import FlowRunner
from bot.conversation.locks import PersonLock, PersonLocks
from bot.conversation.menus import Menus
from bot.conversation.overview import overview_text
from bot.conversation.parsers import parse_timezone
from bot.conversation.pasting import PasteIntake, is_pasted_email
from bot.conversation.people import PersonRepo
from bot.conversation.personal_data import PersonalData
from bot.conversation.safety_hold import SafetyHold
from bot.conversation.turn import TurnTransaction
from bot.interfaces import Clock, CorruptRecordError, Store, StoreError
from bot.messages import (
    MAX_PASTE_CHARS,
    Choice,
    Command,
    Input,
    Paste,
    Profile,
    Reply,
    Text,
    UserRef,
)
from bot.nudges.book import NudgeBook
from bot.nudges.calendar_feed import CalendarFeeds
from bot.nudges.messages import NudgeActions
from bot.nudges.plan import NudgePlanner
from bot.records import PersonRecord
from bot.storage.event_ledger import EventLedger

__all__ = ["Coach", "clean_text"]

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_CHANNEL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # Slack's D0123ABC, Discord's snowflakes


def clean_text(text: str) -> str:
    """Drop control and bidi characters: they can rewrite a terminal or reorder a line."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


class Coach:
    """Thread-safe: turns for one person run one at a time, different people in parallel.

    The services it builds (``people``, ``nudge_book``, ``planner``, ``locks``...) are
    public so the nudge dispatcher and the adapters share them instead of their own.
    """

    def __init__(self, *, store: Store, content: Content, clock: Clock,
                 public_url: str | None = None) -> None:
        """``public_url``: where calendar apps reach this installation (calendar feeds)."""
        self.store = store
        self.content = content
        self.clock = clock
        self.locks = PersonLocks()
        self.nudge_book = NudgeBook(store)
        self.people = PersonRepo(store=store, content=content, clock=clock,
                                 book=self.nudge_book)
        self.planner = NudgePlanner(book=self.nudge_book, content=content, clock=clock)
        self.nudge_actions = NudgeActions(content=content, clock=clock, planner=self.planner)
        self.flows = FlowRunner(content=content, clock=clock, planner=self.planner)
        self.calendar_feeds = CalendarFeeds(store=store, public_url=public_url)
        self.data = PersonalData(people=self.people, nudge_book=self.nudge_book, clock=clock,
                                 calendar_feeds=self.calendar_feeds)
        self.menus = Menus(content=content, clock=clock, flows=self.flows,
                           nudge_actions=self.nudge_actions,
                           matcher=ChoiceMatcher(content.coach.synonyms), data=self.data)
        self.commands = CommandHandlers(content=content, clock=clock, flows=self.flows,
                                        menus=self.menus, nudge_book=self.nudge_book,
                                        data=self.data, calendar_feeds=self.calendar_feeds)
        self.paste = PasteIntake(content=content, clock=clock, flows=self.flows,
                                 menus=self.menus)
        self.commands.paste = self.paste
        self.safety = SafetyHold(store=store, content=content, clock=clock, flows=self.flows)
        self.events = EventLedger(store=store, clock=clock)
        self._turns = TurnTransaction(people=self.people, content=content, locks=self.locks,
                                      decider=self, ledger=self.events)
        self._flow_prefixes = tuple(f"{name}." for name in content.flows)

    def person_lock(self, user: UserRef) -> PersonLock:
        """The lock that orders every change to one person (turns, nudge dispatch)."""
        return self.locks.of(user.key)

    # -- what adapters call -----------------------------------------------------------

    def handle(self, user: UserRef, event: Input, *, once: str | None = None,
               profile: Profile | None = None) -> list[Reply]:
        """One turn. Never raises for bad input; storage failures become a polite reply.

        ``once``: the platform event's key in :attr:`events` (``events.key(source,
        id)``): a repeat of an event already acted on gets no reply. ``profile``: what
        the platform says about the person, saved with the turn. Either way the turn is
        one durable write."""
        adopt = self._adoption(profile) if profile is not None else None
        try:
            return self._turns.run(user, event, once=once, adopt=adopt)
        finally:
            if once is not None:
                self._purge_events()

    def _purge_events(self) -> None:
        try:
            self.events.purge_if_due()
        except StoreError:
            log.warning("could not purge old event ids; trying again later", exc_info=True)

    def _adoption(self, profile: Profile) -> Callable[[PersonRecord], None]:
        """What a turn applies to the person from their platform profile: the time zone
        unless they chose one, the display name to sign drafts with, and the DM channel
        their check-ins go to (so a dispatcher after a restart need not ask the platform
        to open it again: Slack allows about 50 ``conversations.open`` a minute)."""
        zone = parse_timezone(profile.timezone or "")
        name = clean_text(profile.display_name or "").strip()[:80]
        channel = profile.dm_channel or ""
        channel = channel if _CHANNEL_ID.fullmatch(channel) else ""

        def adopt(person: PersonRecord) -> None:
            if zone is not None:
                _adopt_timezone(person, zone)
            if name:
                person["display_name"] = name
            if channel:
                person["dm_channel"] = channel

        return adopt

    def overview(self, user: UserRef) -> list[Reply]:
        """The person's cases and check-ins, read only (Slack's App Home)."""
        with self.person_lock(user):
            try:
                person = self.people.load(user) or self.people.fresh(user)
            except CorruptRecordError:
                person = self.people.fresh(user)
            text = overview_text(person, self.nudge_book.of_person(person),
                                 content=self.content, clock=self.clock)
        return [Reply(text)]

    def set_timezone(self, user: UserRef, tz: str) -> None:
        """Take the time zone a platform reports, unless the person chose one themselves."""
        zone = parse_timezone(tz or "")
        if zone is None:
            return

        self._adopt_profile(user, lambda person: _adopt_timezone(person, zone))

    def set_display_name(self, user: UserRef, name: str) -> None:
        """The name a platform shows for the person, to sign drafts with (a name chosen
        in ``settings`` wins). Control characters and excess length are dropped."""
        clean = clean_text(name or "").strip()[:80]
        if not clean:
            return
        self._adopt_profile(user, lambda person: person.update({"display_name": clean}))

    def note_server(self, user: UserRef, server: str) -> None:
        """Remember a server (Discord guild) the person used the coach from, so the
        programme report can count them in that server's figures. Written only the first
        time a server is seen; a person met only in DMs has none."""
        server = server.strip()[:32]
        if not server.isdigit():
            return

        def adopt(person: PersonRecord) -> None:
            servers = person.setdefault("servers", [])
            if server not in servers and len(servers) < 20:
                servers.append(server)

        self._adopt_profile(user, adopt)

    def _adopt_profile(self, user: UserRef, adopt: Callable[[PersonRecord], None]) -> None:
        with self.person_lock(user):
            try:
                if self.people.update(user, adopt) is None:  # someone new: start their record
                    person = self.people.fresh(user)
                    adopt(person)
                    self.people.save(user, person, expected=None)
            except CorruptRecordError:
                log.warning("cannot record a time zone for %s: unreadable record", user.key)

    # -- the decision (TurnTransaction's Decider) -------------------------------------

    def decide(self, user: UserRef, person: PersonRecord, event: Input,
               replies: list[Reply]) -> bool:
        """Returns True when the person's data was deleted (nothing left to save).

        Whatever menu the turn ends on (outside a flow's own question) is remembered, so
        the next typed answer is read against the options the person is looking at."""
        forgotten = self._route(user, person, event, replies)
        if not forgotten:
            person["menu"], person["menu_beside_flow"] = menu_record(
                replies, flow_prefixes=self._flow_prefixes)
        return forgotten

    def _route(self, user: UserRef, person: PersonRecord, event: Input,
               replies: list[Reply]) -> bool:
        if isinstance(event, Text):
            text = clean_text(event.text)
            limit = self.content.coach.limits["max_message_length"]
            if self.safety.is_crisis(text) and not person.get("safety"):
                person["pending"] = None  # a draft to check, an email to paste: not now
                self.safety.enter(person, replies)
                return False
            if self._is_paste(person, text):
                return self._route(user, person, Paste(text), replies)
            if len(text) > limit:
                self.flows.keep_place(person, replies, self.content.text(
                    "too_long", length=len(text), limit=limit))
                return False
            read = self._command_in(person, text) or self.menus.read_typed(
                person, Text(text), replies)
            if read is None:
                return False
            event = read

        if isinstance(event, Paste):
            if self.safety.is_crisis(clean_text(event.text)) and not person.get("safety"):
                person["pending"] = None  # whatever it is, the person comes first
                self.safety.enter(person, replies)
                return False
            if person.get("safety"):  # the hold comes first; the email waits
                return self._route(user, person, Text(""), replies)
            if not (event.deliberate or self._takes_paste(person)):
                # several lines typed as an answer (a console paste at "what did they
                # say?"): an answer, not an email handed over
                return self._route(user, person, Text(event.text), replies)
            person["pending"] = None
            self.paste.take(person, event, replies)
            return False
        if isinstance(event, Choice) and event.value.startswith(MENU_PREFIX):
            event = Command(event.value.removeprefix(MENU_PREFIX))
        if person.get("safety"):
            return self.safety.turn(person, event, replies, on_hold=_runs_on_hold,
                                    run_command=lambda p, c, r: self.commands.run(user, p, c, r))
        if isinstance(event, Command):
            return self.commands.run(user, person, event, replies)
        if isinstance(event, Choice) and "=" in event.value and not event.value.startswith(
            self._flow_prefixes
        ):
            return self.menus.choose(user, person, event, replies)
        pending, person["pending"] = person.get("pending"), None
        if pending and pending.get("kind") == "check" and isinstance(event, Text):
            self.commands.check_text(person, event.text, replies)  # read, never kept
            return False
        flow = person.get("flow")
        if flow is None:
            self.menus.start(person, replies)
        elif not flow.get("asked"):
            self.flows.resume(person, replies)
        else:
            self.flows.answer(person, event, replies)
        self.flows.after_side_trip(person, replies)
        return False

    def _command_in(self, person: PersonRecord, text: str) -> Command | None:
        """The command ``text`` gives, if any. A command that takes the rest of the
        message (``check <draft>``) is not one where a flow asks for free text: feedback
        that reads "Check your SQL before the next round" is an answer."""
        command = parse_command(text)
        spec = spec_of(command.name) if command is not None else None
        if command is not None and spec is not None and spec.whole_message and command.arg:
            flow = person.get("flow")
            if flow is not None and flow.get("asked") and self.flows.current_step(
                    person).ask == "text":
                return None
        return command

    def _is_paste(self, person: PersonRecord, text: str) -> bool:
        """A typed message that is an email handed over: after ``paste``, anything but a
        command; at "which company was it?", one that reads like a rejection email
        (:func:`~bot.conversation.pasting.is_pasted_email`)."""
        if len(text) > MAX_PASTE_CHARS or not self._takes_paste(person):
            return False
        pending = person.get("pending") or {}
        if pending.get("kind") == "paste":
            return parse_command(text) is None
        return is_pasted_email(text)

    @staticmethod
    def _takes_paste(person: PersonRecord) -> bool:
        """Where a pasted email is expected: after ``paste``, or at "which company was
        it?". Anywhere else, text is an answer to the question being asked."""
        if (person.get("pending") or {}).get("kind") == "paste":
            return True
        flow = person.get("flow")
        return flow is not None and bool(flow.get("asked")) and (
            flow["flow"], flow["step"]) == ("compose", "ask_company")

    def despite_storage(self, event: Input, replies: list[Reply]) -> list[Reply]:
        """What to say when storage ends a turn. The helpline reaches whoever needs it
        whatever storage does: the turn's safety replies are kept even if the hold could
        not be saved, and crisis words from someone unreadable get the default resources."""
        kept = [reply for reply in replies if "safety" in reply.tags]
        if not kept and isinstance(event, Text | Paste) and self.safety.is_crisis(
                clean_text(event.text)):
            kept = [self.safety.default_reply()]
        return kept or [Reply(self.content.text("storage_error"))]

    def committed(self, replies: list[Reply]) -> None:
        self.safety.count_referrals(replies)

    def apology(self, loaded: PersonRecord | None) -> list[Reply]:
        """Say sorry, with the question the person was at (as saved) still answerable."""
        replies: list[Reply] = []
        message = self.content.text("internal_error")
        try:
            if loaded is None:
                raise LookupError("nobody to put back in place")
            self.flows.keep_place(copy.deepcopy(loaded), replies, message)
        except Exception:
            replies = [Reply(message)]
        return replies


def _adopt_timezone(person: PersonRecord, zone: str) -> None:
    """A platform's time zone, unless the person chose one themselves."""
    if person["settings"].get("timezone_source") != "user":
        person["settings"].update({"timezone": zone, "timezone_source": "platform"})


def _runs_on_hold(name: str) -> bool:
    spec = spec_of(name)
    return spec is not None and spec.on_hold
