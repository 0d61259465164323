"""Turn what a person typed into dates, time zones and check-in windows.

Each parser returns ``None`` for input it cannot read, so the engine can answer with a
clear message and ask again instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil import parser as date_parser

__all__ = ["Window", "parse_date", "parse_timezone", "parse_window"]

_AGO = re.compile(r"^(\d{1,3})\s+(day|days|week|weeks)\s+ago$")
_WINDOW = re.compile(
    r"^(\d{1,2})(?::(\d{2}))?\s*(?:-|to|–)\s*(\d{1,2})(?::(\d{2}))?(\s+every\s*day|\s+daily)?$"
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_date(text: str, *, today: date) -> date | None:
    """``today``, ``yesterday``, ``3 days ago``, ``2026-11-20``, ``20 Nov``; else ``None``."""
    value = " ".join(text.lower().split())
    if value in ("today", "now"):
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    match = _AGO.match(value)
    if match:
        amount = int(match.group(1))
        return today - timedelta(days=amount * (7 if match.group(2).startswith("week") else 1))
    if not re.search(r"\d", value) and not re.search(r"[a-z]{3}", value):
        return None
    try:
        default = datetime.combine(today, time())
        parsed = date_parser.parse(text, default=default, dayfirst=False, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    return parsed.date()


_ZONE_INDEX: dict[str, str] | None = None


def parse_timezone(text: str) -> str | None:
    """An IANA zone name, matched without regard to case (``europe/berlin`` works)."""
    global _ZONE_INDEX
    name = text.strip().replace(" ", "_")
    if not name or len(name) > 64:
        return None
    if _ZONE_INDEX is None:
        _ZONE_INDEX = {zone.lower(): zone for zone in available_timezones()}
        _ZONE_INDEX["utc"] = "UTC"
    zone = _ZONE_INDEX.get(name.lower())
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


@dataclass(frozen=True)
class Window:
    """When check-ins may arrive: local times and weekdays."""

    start: str
    end: str
    days: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "days": list(self.days)}


def parse_window(text: str) -> Window | None:
    """``9-18``, ``08:30-17:00``, ``10 to 16 every day``; the end must follow the start."""
    match = _WINDOW.match(" ".join(text.lower().split()))
    if not match:
        return None
    sh, sm, eh, em, every = match.groups()
    start_h, start_m, end_h, end_m = int(sh), int(sm or 0), int(eh), int(em or 0)
    if not (0 <= start_h <= 23 and 0 <= end_h <= 24 and start_m < 60 and end_m < 60):
        return None
    if end_h == 24:
        end_h, end_m = 23, 59
    if (end_h, end_m) <= (start_h, start_m):
        return None
    days = WEEKDAYS if every else WEEKDAYS[:5]
    return Window(f"{start_h:02d}:{start_m:02d}", f"{end_h:02d}:{end_m:02d}", days)
