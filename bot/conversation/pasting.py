"""A rejection email handed over instead of typed: read it, fill the case, and let the
person check every field before anything is confirmed.

The email arrives as a :class:`~bot.messages.Paste` (a multi-line paste or an attached
``.eml``/``.txt``), after the ``paste`` command, or as a long message at "which company
was it?" that reads like an email. :func:`~bot.conversation.rejection_email.read_rejection`
finds what it can; whatever it does not find stays empty and step 1 asks for it, so
nothing is guessed silently. The filled-in questions are skipped (``case.pasted``), the
case is shown for review (where the flag ends and every answer can be corrected), and a
case that came from an email is answered in the same thread: the email draft's reply
variant, with no Subject line.
"""

from __future__ import annotations

from bot.content.loader import Content
from bot.conversation.flow_runner import FlowRunner
from bot.conversation.menus import Menus
from bot.conversation.people import active_case
from bot.conversation.rejection_email import Extracted, looks_like_email, read_rejection
from bot.interfaces import Clock
from bot.messages import Paste, Reply, Text
from bot.nudges.plan import local_today
from bot.records import CaseRecord, PersonRecord

__all__ = ["PasteIntake", "fill", "is_pasted_email"]

#: a typed answer this long, or with this many lines, may be a pasted email
PASTE_MIN_CHARS = 300
PASTE_MIN_LINES = 3

#: the words of an email signature's title that name one of step 1's contact roles
_ROLE_WORDS = (("recruit", "recruiter"), ("talent", "recruiter"), ("people partner", "recruiter"),
               ("hiring manager", "hiring manager"), ("manager", "hiring manager"),
               ("head of", "hiring manager"), ("director", "hiring manager"))


def is_pasted_email(text: str) -> bool:
    """A typed message that is really an email: long or several lines, and reading like
    a rejection (a greeting or sign-off, headers, a rejection phrase)."""
    if len(text) < PASTE_MIN_CHARS and text.count("\n") + 1 < PASTE_MIN_LINES:
        return False
    return looks_like_email(text)


class PasteIntake:
    def __init__(self, *, content: Content, clock: Clock, flows: FlowRunner,
                 menus: Menus) -> None:
        self._content = content
        self._clock = clock
        self._flows = flows
        self._menus = menus

    def expect(self, person: PersonRecord, replies: list[Reply]) -> None:
        """``paste`` on its own: the next message (or file) is the email."""
        person["pending"] = {"kind": "paste"}
        replies.append(Reply(self._content.text("paste_ask")))

    def take(self, person: PersonRecord, paste: Paste | Text, replies: list[Reply]) -> None:
        """Read the email; fill the case being logged (or a new one) and go on from there."""
        text = paste.text
        filename = paste.filename if isinstance(paste, Paste) else None
        found = read_rejection(text, today=local_today(person, self._clock), filename=filename)
        if not found.is_email:
            self._flows.keep_place(person, replies, self._content.text("paste_not_email"))
            return
        case = self._case_for(person, replies)
        fill(case, found)
        missing = not (found.company and found.role and found.stage and found.sender_name)
        replies.append(Reply(self._content.text("paste_read", missing=missing)))
        self._flows.start_flow(person, "compose", "ask_company", case["id"], replies)

    def _case_for(self, person: PersonRecord, replies: list[Reply]) -> CaseRecord:
        """The case still being logged, else a new one (the one in progress is kept)."""
        case = active_case(person)
        flow = person.get("flow")
        if case is not None and flow is not None and case.get("status") == "logging":
            return case
        self._menus.park_current(person)
        person["return_to"] = None
        person["introduced"] = True  # the email says enough to skip the first questions
        self._menus.new_case(person, [])
        started = active_case(person)
        assert started is not None, "new_case always starts a case"
        return started


def fill(case: CaseRecord, found: Extracted) -> None:
    """Copy what the email says into the case; what it does not say stays as it was."""
    case["pasted"] = True
    case["source"] = "email"
    case["channel"], case["variant"] = "email", "_reply"
    for field, value in (("company", found.company), ("role", found.role),
                         ("date", found.date), ("reason", found.reason),
                         ("contact", found.sender_name)):
        if value:
            case[field] = value  # type: ignore[literal-required]  # names from the list
    if found.stage:
        case["stage"] = found.stage
    if found.sender_name:
        # their title when the email gives one; else asked (never a role typed for
        # someone else earlier)
        case["contact_role"] = _contact_role(found.sender_title) if found.sender_title else ""


def _contact_role(title: str) -> str:
    lowered = title.lower()
    return next((role for word, role in _ROLE_WORDS if word in lowered), title[:60])
