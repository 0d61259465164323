"""Notice when someone may be in crisis, whatever step they are in.

Pattern matching is deliberately simple and tuned to err towards care: it can be
reviewed line by line in ``content/safety.yaml`` by the people running a community,
and it never sends what was written anywhere. Only a count of referrals is kept.
"""

from __future__ import annotations

import fnmatch
import logging
import re

from bot.content.loader import Content
from bot.conversation.places import country_of_zone
from bot.interfaces import CorruptRecordError, Record, Store, StoreError

__all__ = ["SafetyCheck", "count_referral", "referral_count"]

log = logging.getLogger(__name__)

STATS = "stats"
REFERRALS_KEY = "safety_referrals"
COUNT_ATTEMPTS = 50  # each failed attempt means another process's count landed


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text)


class SafetyCheck:
    def __init__(self, content: Content) -> None:
        self._content = content

    def is_crisis(self, text: str) -> bool:
        value = normalise(text)
        content = self._content
        if content.ordinary_any is not None:
            value = content.ordinary_any.sub(" ", value)
        if content.safety_any is not None:
            return content.safety_any.search(value) is not None
        return any(p.search(value) for p in content.safety_patterns)

    def resources_for(self, *, country: str | None = None, timezone: str | None = None) -> str:
        """The helplines of the person's country: the one they named, else the one their
        time zone belongs to (``Europe/Berlin`` → DE). A zone glob still picks a region
        for zone aliases that name no country (``US/Eastern``); anyone else gets the
        default directory."""
        regions = self._content.safety.regions
        country = (country or country_of_zone(timezone) or "").upper()
        named = [r for n, r in regions.items() if n != "default" and country in r.countries]
        if country and named:
            return named[0].resources.strip()
        for name, region in regions.items():
            if name == "default" or not timezone:
                continue
            if any(fnmatch.fnmatchcase(timezone, zone) for zone in region.timezones):
                return region.resources.strip()
        return regions["default"].resources.strip()


def count_referral(store: Store) -> int:
    """Add one to the referral count. Nothing about the person or their words is kept.

    Several bot processes may share the store, so the count moves by compare-and-set,
    retried until it lands: a plain read-then-write lost 13 of 16 referrals made at once
    across two processes. A count that cannot be read was kept aside by the store; the
    count starts again rather than stopping for good.

    :raises StoreError: the store failed, or the count kept changing under us.
    """
    for _ in range(COUNT_ATTEMPTS):
        try:
            record = store.read(STATS, REFERRALS_KEY)
        except CorruptRecordError as exc:
            log.warning("referral count unreadable, kept at %s; counting again from zero",
                        exc.kept_at)
            continue
        count = _count_in(record) + 1
        if store.replace(STATS, REFERRALS_KEY, {"count": count}, expected=record):
            return count
    raise StoreError(f"referral count still contended after {COUNT_ATTEMPTS} attempts")


def _count_in(record: Record | None) -> int:
    return int(record.get("count", 0)) if record else 0


def referral_count(store: Store) -> int:
    return _count_in(store.read(STATS, REFERRALS_KEY))
