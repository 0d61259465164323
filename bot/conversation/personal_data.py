"""A person's data, whole: what ``export`` hands over and what ``forget`` deletes.

Both cover every record that names the person: their own, their check-ins whether their
record lists them or not (the nudge book's owner index finds any a crash left unlisted),
and the text of unreadable copies the store moved aside.
"""

from __future__ import annotations

from bot.conversation.overview import export_file
from bot.conversation.people import PersonRepo
from bot.interfaces import Clock, StoreError
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
        """Delete what :meth:`export` would show, in one commit: the person, every
        check-in that names them with its index entries, their calendar feed and any
        outbox marker an older version left. The store's ``delete`` takes the unreadable
        copies with each record. All or nothing, so a crash never leaves half a person.

        :raises StoreError: the commit failed; nothing was deleted.
        """
        nudge_ids = self._book.ids_of(user.key, person.get("nudge_ids", []))
        found = self._book.get_many(nudge_ids)
        ops = self._feeds.forgetting(user.key)
        for nudge_id in nudge_ids:
            ops.extend(NudgeBook.deletion(found.get(nudge_id), nudge_id, user_key=user.key))
        ops.extend(self._people.forgetting(user))
        if not self._people.commit(ops):
            raise StoreError("forget was refused")  # only deletes: cannot happen
