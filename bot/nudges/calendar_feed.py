"""Private calendar feeds: a secret address per person that a calendar app subscribes to.

The address ends in a token from :func:`secrets.token_urlsafe` (32 bytes, 256 bits).
Only the SHA-256 of the token is stored: one record per feed in ``calendar_feeds``
(key: the hash, value: whose feed it is) and the same hash on the person's record
(``calendar_feed``), so ``calendar reset`` and ``forget`` find it. A leaked database
therefore gives no working address. The lookup is a read by the hash, not a comparison
against a stored secret, so there is no timing to measure: constant-time comparison is
moot here.

A feed answers only while the person's record still names its hash. That record is
written at the end of the turn, with everything else the turn changed; a feed record
written by a turn that then failed, or that a reset replaced, names a hash nobody holds
and is never served.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import cast

from bot.content.loader import Content
from bot.conversation.people import PEOPLE, person_key
from bot.interfaces import Clock, CorruptRecordError, Delete, Op, Store
from bot.nudges.book import NudgeBook
from bot.nudges.calendar import calendar_file
from bot.records import PersonRecord

__all__ = ["FEEDS", "FEED_PATH_PREFIX", "CalendarFeeds", "feed_for", "feed_hash"]

FEEDS = "calendar_feeds"
#: the feed's path on the web server: ``/calendar/<token>.ics``
FEED_PATH_PREFIX = "/calendar/"
FEED_SUFFIX = ".ics"
TOKEN_BYTES = 32


def feed_hash(token: str) -> str:
    """What is stored instead of the token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class CalendarFeeds:
    """Issues, replaces and revokes a person's feed address. Callers hold the person's
    lock; the person's record is saved by the caller (the turn)."""

    def __init__(self, *, store: Store, public_url: str | None) -> None:
        self._store = store
        self._base = (public_url or "").strip().rstrip("/")

    @property
    def available(self) -> bool:
        """Whether this installation says where it can be reached (``NOTNOW_PUBLIC_URL``)."""
        return bool(self._base)

    @staticmethod
    def has_feed(person: PersonRecord) -> bool:
        return bool(person.get("calendar_feed"))

    def issue(self, person: PersonRecord) -> str:
        """A new address for the person, revoking the one they had. Returns the URL:
        the only time the token exists outside the request that uses it.

        :raises StoreError: the feed record could not be written.
        """
        token = secrets.token_urlsafe(TOKEN_BYTES)
        digest = feed_hash(token)
        self._store.write(FEEDS, digest, {"user": person_key(person)})
        self.revoke(person)
        person["calendar_feed"] = digest
        return f"{self._base}{FEED_PATH_PREFIX}{token}{FEED_SUFFIX}"

    def revoke(self, person: PersonRecord) -> None:
        """Stop the person's feed address from answering."""
        digest = person.get("calendar_feed")
        if digest:
            self._store.delete(FEEDS, digest)
        person["calendar_feed"] = None

    def forgetting(self, user_key: str) -> list[Op]:
        """The ops deleting every feed record that names the person (``forget``),
        including one a failed turn left behind that their record never named."""
        keys = list(self._store.keys(FEEDS))
        return [Delete(FEEDS, digest) for digest, record in
                self._store.read_many(FEEDS, keys).items() if record.get("user") == user_key]


def feed_for(store: Store, token: str, *, content: Content, clock: Clock) -> str | None:
    """The calendar text behind a feed token, or ``None`` when the token is unknown,
    revoked, or its person is gone or unreadable. Only the token's own person is read.

    :raises StoreError: reading failed (not the caller's fault: a 5xx, not a 404).
    """
    if not token or len(token) > 200:
        return None
    digest = feed_hash(token)
    try:
        feed = store.read(FEEDS, digest)
        user_key = feed.get("user") if feed is not None else None
        person = (cast("PersonRecord | None", store.read(PEOPLE, user_key))
                  if isinstance(user_key, str) else None)
    except CorruptRecordError:
        return None
    if person is None or person.get("calendar_feed") != digest:
        return None
    nudges = NudgeBook(store).of_person(person)
    return calendar_file(person, nudges, content=content, clock=clock).content
