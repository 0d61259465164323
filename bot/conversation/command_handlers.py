"""What each command in :data:`bot.conversation.commands.COMMANDS` does.

One method per command, found by name; building the handlers fails if a command in the
table has none, so the table, the help text and the behaviour cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.content.loader import Content
from bot.content.tone_file import ToneFile
from bot.conversation.commands import COMMANDS, help_entries
from bot.conversation.flow_runner import FlowRunner
from bot.conversation.menus import Menus
from bot.conversation.overview import overview_text
from bot.conversation.parsers import parse_duration
from bot.conversation.pasting import PasteIntake
from bot.conversation.people import active_case, is_returning
from bot.conversation.personal_data import PersonalData
from bot.conversation.tone import check_for_case
from bot.interfaces import Clock, Store
from bot.messages import Command, ExportFile, Reply, Text, UserRef
from bot.nudges.book import NudgeBook
from bot.nudges.calendar import calendar_file
from bot.nudges.calendar_feed import CalendarFeeds
from bot.nudges.plan import shares_outcomes
from bot.records import CaseRecord, PersonRecord
from bot.report.build import build_report
from bot.report.formats import render

__all__ = ["REPORT_FORMATS", "CommandHandlers", "report_reply", "report_text"]

#: what ``report [format]`` accepts; the first is the default
REPORT_FORMATS = ("html", "csv", "json")

Handler = Callable[[UserRef, PersonRecord, str, list[Reply]], None]


class CommandHandlers:
    def __init__(self, *, content: Content, clock: Clock, flows: FlowRunner, menus: Menus,
                 nudge_book: NudgeBook, data: PersonalData,
                 calendar_feeds: CalendarFeeds) -> None:
        self._content = content
        self._clock = clock
        self._flows = flows
        self._menus = menus
        self._book = nudge_book
        self._data = data
        #: set by the coach once built (the intake needs the menus these handlers use)
        self.paste: PasteIntake | None = None
        self._feeds = calendar_feeds
        self._handlers: dict[str, Handler] = {}
        for spec in COMMANDS:
            handler = getattr(self, f"_{spec.name}", None)
            if handler is None:
                raise TypeError(f"command {spec.name!r} has no handler")
            self._handlers[spec.name] = handler

    def run(self, user: UserRef, person: PersonRecord, command: Command,
            replies: list[Reply]) -> bool:
        """Run ``command``; ``True`` if the person's data was deleted (never, today:
        ``forget`` only asks to confirm)."""
        name = command.name.lower().strip().lstrip("/") or "start"
        handler = self._handlers.get(name)
        if handler is None:
            replies.append(Reply(self._content.text("unknown_command", name=command.name[:40])))
            replies.append(Reply(self.help_text()))
            return False
        if (person.get("pending") or {}).get("kind") == "check":
            person["pending"] = None  # another command: the draft is not coming
        handler(user, person, command.arg, replies)
        return False

    def help_text(self) -> str:
        return self._content.text("help", commands=help_entries(self._content.coach.commands))

    def _text(self, name: str, **context: object) -> Reply:
        return Reply(self._content.text(name, **context))

    # -- one method per command ---------------------------------------------------------

    def _start(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        if person.get("flow") is None:
            self._menus.start(person, replies)
        else:
            if is_returning(person, self._clock.now()):
                replies.append(self._text("welcome_back"))
            self._flows.resume(person, replies)

    def _new(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        self._menus.park_current(person)
        person["return_to"] = None  # a side trip's way back ends with a new case
        replies.append(self._text("new_case"))
        self._menus.new_case(person, replies)

    def _status(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        replies.append(Reply(overview_text(person, self._book.of_person(person),
                                           content=self._content, clock=self._clock)))

    def _feedback(self, user: UserRef, person: PersonRecord, arg: str,
                  replies: list[Reply]) -> None:
        self._menus.feedback(person, replies)

    def _edit(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        """Correct a logged case: the case and what to change, or with a field named
        (``edit role``) that field's question at once; then back to where they were."""
        case = self._logged_case(person, replies, still_logging="edit_while_logging")
        if case is None:
            return
        self._flows.start_flow(person, "edit", None, case["id"], replies)
        if arg:
            summary = len(replies) - 1
            self._flows.answer(person, Text(arg), replies)
            flow = person.get("flow")
            if flow is not None and flow["flow"] != "edit":
                del replies[summary]  # straight to the field's question

    def _draft(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        """The current draft again, for the case being worked on (or the latest)."""
        case = self._logged_case(person, replies, still_logging="draft_not_yet")
        if case is None:
            return
        step = "draft" if case.get("draft_shown_at") else "choose_channel"
        flow = person.get("flow")
        if flow is not None and (flow["flow"], flow["case"]) == ("followup", case["id"]):
            person["return_to"] = None  # already in this case's step 2: no way back needed
        self._flows.start_flow(person, "followup", step, case["id"], replies)

    def _logged_case(self, person: PersonRecord, replies: list[Reply], *,
                     still_logging: str) -> CaseRecord | None:
        """The case a side trip (``edit``, ``draft``) is about, with the person's place
        remembered to come back to; ``None``, with the reason said, when there is none
        yet or it is still being logged (``still_logging`` names the text for that)."""
        case = self._case_to_work_on(person)
        if case is None:
            replies.append(self._text("no_cases"))
            return None
        if case.get("status") == "logging":
            self._flows.keep_place(person, replies, self._content.text(still_logging))
            return None
        self._side_trip(person)
        return case

    @staticmethod
    def _case_to_work_on(person: PersonRecord) -> CaseRecord | None:
        """The case of the conversation in progress, else the latest logged one."""
        case = active_case(person)
        if case is not None and case.get("company"):
            return case
        return next((c for c in reversed(person["cases"]) if c.get("company")), None)

    @staticmethod
    def _side_trip(person: PersonRecord) -> None:
        """Remember the question the person was at, to go back to after a side trip."""
        flow = person.get("flow")
        if flow is not None and flow["flow"] not in ("settings", "edit"):
            person["return_to"] = flow

    def _paste(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        """Log a case from their rejection email: the next message or file is read."""
        if self.paste is None:
            raise RuntimeError("the coach gives its handlers the paste intake")
        self.paste.expect(person, replies)

    def _check(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        """Read a message the person wrote for tone: ``check <text>`` at once, or ``check``
        and the text in the next message. Only that a check is waiting is remembered
        (the engine saves the record after every turn); the text itself never is."""
        if arg.strip():
            self.check_text(person, arg, replies)
            return
        person["pending"] = {"kind": "check"}
        replies.append(Reply(self._tone().render("replies.ask_for_draft", {})))

    def check_text(self, person: PersonRecord, text: str, replies: list[Reply]) -> None:
        """The tone check's findings on ``text``, names compared with the case being
        worked on, with the person's current question still at hand."""
        limit = self._content.coach.limits["max_message_length"]
        if len(text) > limit:  # a slash command's text skips the engine's own limit
            replies.append(self._text("too_long", length=len(text), limit=limit))
            return
        reply = check_for_case(text, self._case_to_work_on(person), self._tone())
        self._flows.keep_place(person, replies, reply)

    def _tone(self) -> ToneFile:
        assert self._content.tone is not None, "loaded content always has tone.yaml"
        return self._content.tone

    def _calendar(self, user: UserRef, person: PersonRecord, arg: str,
                  replies: list[Reply]) -> None:
        """``calendar``: the upcoming check-ins as an ``.ics`` file; ``calendar feed``: a
        private address a calendar app subscribes to; ``calendar reset``: a new address,
        the old one revoked. The feed needs ``NOTNOW_PUBLIC_URL``; the file never does."""
        action = arg.strip().lower()
        if action in ("feed", "reset"):
            self._calendar_feed(person, reset=action == "reset", replies=replies)
        elif action:
            replies.append(self._text("calendar_usage"))
        else:
            file = calendar_file(person, self._book.of_person(person), content=self._content,
                                 clock=self._clock)
            if "BEGIN:VEVENT" in file.content:
                replies.append(Reply(self._content.text("calendar_file"), file=file))
            else:
                replies.append(self._text("calendar_empty"))

    def _calendar_feed(self, person: PersonRecord, *, reset: bool,
                       replies: list[Reply]) -> None:
        """Only the token's hash is kept, so an address is shown once, when it is made."""
        if not self._feeds.available:
            replies.append(self._text("calendar_feed_unavailable"))
            return
        had_feed = self._feeds.has_feed(person)
        if had_feed and not reset:
            replies.append(self._text("calendar_feed_exists"))
            return
        url = self._feeds.issue(person)
        text = "calendar_feed_reset" if had_feed else "calendar_feed_new"
        replies.append(Reply(self._content.text(text), draft=url,
                             draft_title=self._content.text("calendar_feed_title")))

    def _settings(self, user: UserRef, person: PersonRecord, arg: str,
                  replies: list[Reply]) -> None:
        self._side_trip(person)
        self._flows.start_flow(person, "settings", None, None, replies)

    def _pause(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        days = (parse_duration(arg) or 0) if arg else 7
        if not 1 <= days <= 365:
            replies.append(self._text("pause_bad"))
            return
        until = self._clock.now() + timedelta(days=days)
        person["paused_until"] = until.isoformat()
        replies.append(self._text("paused", until=until.date().isoformat()))

    def _resume(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        person["paused_until"] = None
        replies.append(self._text("resumed"))
        if person.get("flow") is not None:
            self._flows.resume(person, replies)

    def _back(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        if person.get("flow") is None:
            replies.append(self._text("nothing_to_resume"))
        elif not self._flows.back(person, replies):
            self._flows.keep_place(person, replies, self._content.text("cannot_go_back"))

    def _skip(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        flow = person.get("flow")
        if flow is None:
            replies.append(self._text("nothing_to_resume"))
        elif not flow.get("asked"):
            self._flows.resume(person, replies)
        elif not self._flows.skip(person, replies):
            self._flows.reask(person, replies, self._content.text("cannot_skip"))
        self._flows.after_side_trip(person, replies)

    def _restart(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        case = active_case(person)
        if case is not None:
            person["cases"].remove(case)
        person["flow"] = person["return_to"] = None
        replies.append(self._text("restarted"))
        self._menus.new_case(person, replies)

    def _stop(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        self._menus.park_current(person)
        person["flow"] = person["return_to"] = None
        replies.append(self._text("stopped"))

    def _export(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        replies.append(Reply(self._content.text("export_ready"),
                             file=self._data.export(user, person)))

    def _forget(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        self._menus.confirm_forget(person, replies)

    def _help(self, user: UserRef, person: PersonRecord, arg: str, replies: list[Reply]) -> None:
        replies.append(Reply(self.help_text()))

    def _outcomes(self, user: UserRef, person: PersonRecord, arg: str,
                  replies: list[Reply]) -> None:
        """Say where the person stands on sharing outcome counts, and ask again."""
        now = "consent_now_yes" if shares_outcomes(person) else "consent_now_no"
        self._menus.ask_consent(replies, question=self._content.text(now))

    def _report(self, user: UserRef, person: PersonRecord, arg: str,
                replies: list[Reply]) -> None:
        """Refuse: a turn cannot prove who runs a workspace. An adapter that checked the
        platform's own roles (Slack admins, Discord's Manage Server) calls
        :func:`report_reply` instead, so for anyone else nothing is ever built."""
        replies.append(self._text("report_refused"))


def report_text(store: Store, *, clock: Clock, workspace: str | None, since: str | None = None,
                until: str | None = None, fmt: str = "html") -> str:
    """The programme's anonymous report for ``workspace`` (``"slack:T…"``; all when
    ``None``), over whole months ``since``..``until``, rendered as ``fmt``.

    :raises ValueError: a month or format it cannot read.
    """
    report = build_report(store, clock=clock, workspace=workspace, since=since, until=until)
    return render(report, fmt)


def report_reply(store: Store, *, content: Content, clock: Clock, workspace: str | None,
                 fmt: str = "html") -> Reply:
    """The report as a file, for someone an adapter has checked may have it (see
    :meth:`CommandHandlers._report`). A format outside :data:`REPORT_FORMATS` gives HTML."""
    chosen = fmt.lower().strip()
    chosen = chosen if chosen in REPORT_FORMATS else REPORT_FORMATS[0]
    body = report_text(store, clock=clock, workspace=workspace, fmt=chosen)
    day = clock.now().date().isoformat()
    return Reply(content.text("report_ready"),
                 file=ExportFile(f"notnow-report-{day}.{chosen}", body))
