"""A person's data, whole: what ``export`` hands over and what ``forget`` deletes.

Both cover every record that names the person: their own, their check-ins whether their
record lists them or not (the nudge book's owner index finds any a crash left unlisted),
and the text of unreadable copies the store moved aside.
"""

from __future__ import annotations

from bot.conversation.overview import export_file
from bot.conversation.people import PersonRepo
from bot.interfaces import Clock
from bot.messages import ExportFile, UserRef
from bot.nudges.book import NudgeBook
from bot.nudges.calendar_feed import CalendarFeeds
from bot.records import PersonRecord

__all__ = ["PersonalData"]


class PersonalData:
    def __init__(self, *, people: PersonRepo, nudge_book: NudgeBook, clock: Clock,
                 calendar_feeds: CalendarFeeds) -> None:
        self._people = people
        self._book = nudge_book
        self._clock = clock
        self._feeds = calendar_feeds

    def export(self, user: UserRef, person: PersonRecord) -> ExportFile:
        nudge_ids = self._book.ids_of(user.key, person.get("nudge_ids", []))
        unreadable = self._people.kept_aside(user) + self._book.kept_aside(nudge_ids)
        return export_file(person, self._book.all_of(user.key, nudge_ids),
                           clock=self._clock, unreadable=unreadable)

    def forget(self, user: UserRef, person: PersonRecord) -> None:
        """Delete what :meth:`export` would show; the store's ``delete`` takes the
        unreadable copies with each record. The outbox goes first, so nothing a crash
        interrupts here is written back later."""
        self._people.forget_outbox(user)
        self._feeds.forget(user.key)  # the feed address stops answering first
        for nudge_id in self._book.ids_of(user.key, person.get("nudge_ids", [])):
            self._book.delete(nudge_id, user_key=user.key)
        self._people.forget(user)
