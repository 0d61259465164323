"""Notice when someone may be in crisis, whatever step they are in.

Pattern matching is deliberately simple and tuned to err towards care: it can be
reviewed line by line in ``content/safety.yaml`` by the people running a community,
and it never sends what was written anywhere. Only a count of referrals is kept.
"""

from __future__ import annotations

import fnmatch
import re

from bot.content_loader import Content
from bot.interfaces import Store

__all__ = ["SafetyCheck"]

STATS = "stats"
REFERRALS_KEY = "safety_referrals"


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text)


class SafetyCheck:
    def __init__(self, content: Content) -> None:
        self._content = content

    def is_crisis(self, text: str) -> bool:
        value = normalise(text)
        for pattern in self._content.ordinary_patterns:
            value = pattern.sub(" ", value)
        return any(p.search(value) for p in self._content.safety_patterns)

    def resources_for(self, timezone: str | None) -> str:
        regions = self._content.safety.regions
        for name, region in regions.items():
            if name == "default" or not timezone:
                continue
            if any(fnmatch.fnmatchcase(timezone, zone) for zone in region.timezones):
                return region.resources.strip()
        return regions["default"].resources.strip()


def count_referral(store: Store) -> int:
    """Add one to the referral count. Nothing about the person or their words is kept."""
    record = store.read(STATS, REFERRALS_KEY) or {"count": 0}
    record["count"] = int(record.get("count", 0)) + 1
    store.write(STATS, REFERRALS_KEY, record)
    return record["count"]


def referral_count(store: Store) -> int:
    record = store.read(STATS, REFERRALS_KEY)
    return int(record["count"]) if record else 0
