"""Turn what a person typed into dates, time zones, check-in windows and durations.

Each parser returns ``None`` for input it cannot read, so the engine can answer with a
clear message and ask again instead of failing. Nothing here reads the system clock:
dates are relative to the ``today`` the caller passes in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from dateparser.date import DateDataParser
from rapidfuzz import fuzz, process

from bot.conversation.places import read_place

__all__ = ["Window", "parse_date", "parse_duration", "parse_timezone", "parse_window"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# English first: dateparser tries the languages in this order. German, Spanish and
# French come free with dateparser ("gestern", "ayer", "hier", "mittwoch").
_DATE_LANGUAGES = ("en", "de", "es", "fr")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?\.?$")
# The English words a date answer is made of, for mending typos ("yesterdy").
_DATE_WORDS = ("today", "yesterday", "before", "week", "weeks", "days", "month", "months",
               "last", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
               "sunday")
_TYPO_CUTOFF = 80
_MAX_TEXT = 100

_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?\s*(?:([ap])\.?m\.?)?"
_WINDOW = re.compile(rf"^{_CLOCK}\s*(?:-|to|until|till)\s*{_CLOCK}$")
_EVERY_DAY = WEEKDAYS
_WEEKEND = WEEKDAYS[5:]
# Which days a window is for, said before or after the times; weekdays when unsaid.
_WINDOW_DAYS: dict[str, tuple[str, ...]] = {
    "every day": _EVERY_DAY, "everyday": _EVERY_DAY, "daily": _EVERY_DAY,
    "all week": _EVERY_DAY, "7 days a week": _EVERY_DAY, "weekdays": WEEKDAYS[:5],
    "on weekdays": WEEKDAYS[:5], "weekday": WEEKDAYS[:5], "mon-fri": WEEKDAYS[:5],
    "monday to friday": WEEKDAYS[:5], "weekends": _WEEKEND, "on weekends": _WEEKEND,
    "weekend": _WEEKEND,
}
# Parts of the day a person may name instead of times.
_DAY_PARTS = {"mornings": ("09:00", "12:00"), "afternoons": ("12:00", "17:00"),
              "evenings": ("17:00", "21:00")}

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                 "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
                 "twelve": 12, "couple of": 2, "a couple of": 2}
_UNIT_DAYS = {"day": 1, "days": 1, "d": 1, "week": 7, "weeks": 7, "w": 7, "wk": 7, "wks": 7,
              "fortnight": 14, "fortnights": 14, "month": 30, "months": 30, "mo": 30,
              "year": 365, "years": 365}
_DURATION = re.compile(r"^(?:for\s+)?(\d{1,4}|[a-z]+(?: of)?|a couple of)?\s*([a-z]+)?$")
MAX_PAUSE_DAYS = 365


def parse_date(text: str, *, today: date) -> date | None:
    """The day a person means, read the way they say it, relative to ``today``.

    ``today``, ``yesterday``, ``the day before yesterday``, ``3 days ago``, ``a week
    ago``, ``last week`` (7 days ago), ``2026-11-20``, ``20 Nov``, ``Nov 20th``, ``20/11``,
    typos such as ``yesterdy``, and German, Spanish or French words (``gestern``).

    Dates are about what already happened, so an answer without a year is the most
    recent such day: ``20 Dec`` said in November is last December. A weekday name
    (``Wednesday``, ``on monday``, ``last tuesday``, ``mon``) is the most recent such day
    before today, never the future: ``Wednesday`` said on a Friday is two days ago, and
    said on a Wednesday it is a week ago (someone who means today says "today").
    ``20/11`` is read day first; ``11/20`` month first, as day first is impossible.
    """
    value = " ".join(text.split())
    if not value or len(value) > _MAX_TEXT:
        return None
    return _parse_date(value, today)


@lru_cache(maxsize=1024)
def _parse_date(value: str, today: date) -> date | None:
    """:func:`parse_date` of a tidy ``value``, remembered: dateparser takes 1 to 2 ms of
    CPU for "yesterday", and a cohort answering on the same day types the same few
    words ("yesterday", "today", "last week"). A pure function of its arguments, so a
    remembered answer is the answer."""
    numeric = _NUMERIC_DATE.match(value)
    if numeric:
        return _numeric_date(*numeric.groups(), today=today)
    found = _dateparser_date(value, today)
    if found is None:
        mended = _mend_date_typos(value.lower())
        found = _dateparser_date(mended, today) if mended != value.lower() else None
    return found


@lru_cache(maxsize=8)
def _date_parser(today: date) -> DateDataParser:
    """One parser per day: dateparser fixes its settings, ``RELATIVE_BASE`` included, when
    the parser is built, and building one per call would redo that work every time."""
    return DateDataParser(languages=list(_DATE_LANGUAGES), settings={
        "RELATIVE_BASE": datetime.combine(today, time(12)),
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    })


def _dateparser_date(text: str, today: date) -> date | None:
    try:
        parsed = _date_parser(today).get_date_data(text).date_obj
    except (ValueError, OverflowError):
        return None
    return parsed.date() if parsed else None


def _mend_date_typos(text: str) -> str:
    """``yesterdy`` → ``yesterday``: each longer word near one of the date words."""
    words = []
    for word in text.split():
        if len(word) >= 4 and word.isalpha() and word not in _DATE_WORDS:
            match = process.extractOne(word, _DATE_WORDS, scorer=fuzz.ratio,
                                       score_cutoff=_TYPO_CUTOFF)
            word = match[0] if match else word
        words.append(word)
    return " ".join(words)


def _numeric_date(first: str, second: str, year: str | None, *, today: date) -> date | None:
    """``20/11`` day first; ``11/20`` month first, because day first is impossible."""
    for day, month in ((int(first), int(second)), (int(second), int(first))):
        if year is not None:
            full_year = int(year) + (2000 if len(year) == 2 else 0)
            try:
                return date(full_year, month, day)
            except ValueError:
                continue
        found = _latest_past(day, month, today)
        if found is not None:
            return found
    return None


def _latest_past(day: int, month: int, today: date) -> date | None:
    """The most recent ``day``/``month`` on or before ``today`` (29 Feb: a leap year)."""
    for year in range(today.year, today.year - 8, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            if not (1 <= month <= 12 and 1 <= day <= 31):
                return None
            continue
        if candidate <= today:
            return candidate
    return None


def parse_timezone(text: str) -> str | None:
    """The IANA zone of what a person typed: a zone name in any case (``europe/berlin``),
    a city (``Berlin``, ``NYC``), a country with one clock (``Germany``) or an
    abbreviation (``EST``). ``None`` when there is no single zone: use
    ``bot.conversation.places.read_place`` to tell "a country with several zones" apart."""
    place = read_place(text)
    return place.zone if place else None


@dataclass(frozen=True)
class Window:
    """When check-ins may arrive: local times and weekdays."""

    start: str
    end: str
    days: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "days": list(self.days)}


def parse_window(text: str) -> Window | None:
    """Check-in hours as people write them; the end must follow the start.

    ``9-18``, ``08:30-17:00``, ``9am-5pm``, ``9 am – 5:30 pm``, ``10 to 16 every day``,
    ``09:00–17:00 weekdays``, ``weekday mornings``. Weekdays unless the days are said.
    An end earlier than a start of 12 or less, with no am/pm on the end, is in the
    afternoon: ``9-5`` is 09:00-17:00 and ``10-4`` is 10:00-16:00 (``18-9`` stays
    unreadable). A start with no am/pm before an end in pm is in the afternoon when that
    still leaves it before the end: ``1-5pm`` is 13:00-17:00, ``9-5pm`` 09:00-17:00.
    """
    value = " ".join(text.lower().replace("–", "-").replace("—", "-").split())
    if len(value) > _MAX_TEXT:
        return None
    value, days = _window_days(value)
    if value in _DAY_PARTS:
        return Window(*_DAY_PARTS[value], days)
    match = _WINDOW.match(value)
    if not match:
        return None
    return _window_from_clocks(*match.groups(), days=days)


def _window_days(value: str) -> tuple[str, tuple[str, ...]]:
    """Split ``9-5 every day`` into the times and the days (weekdays when unsaid)."""
    for phrase in sorted(_WINDOW_DAYS, key=len, reverse=True):
        for rest in (value.removesuffix(" " + phrase), value.removeprefix(phrase + " ")):
            if rest != value:
                return rest.strip(" ,"), _WINDOW_DAYS[phrase]
    return value, WEEKDAYS[:5]


def _hour_of_day(hour: int, meridiem: str | None) -> int | None:
    """``9`` + ``p`` → 21; ``12`` + ``a`` → 0; a 13 with am/pm is not a time."""
    if meridiem is None:
        return hour
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if meridiem == "p" else 0)


def _window_from_clocks(sh: str, sm: str | None, sap: str | None, eh: str, em: str | None,
                        eap: str | None, *, days: tuple[str, ...]) -> Window | None:
    start_h, end_h = _hour_of_day(int(sh), sap), _hour_of_day(int(eh), eap)
    start_m, end_m = int(sm or 0), int(em or 0)
    if start_h is None or end_h is None:
        return None
    if sap is None and eap == "p" and (start_h + 12, start_m) < (end_h, end_m):
        start_h += 12
    if eap is None and start_h <= 12 and end_h < 12 and (end_h, end_m) <= (start_h, start_m):
        end_h += 12
    if eap == "a" and (end_h, end_m) == (0, 0):
        end_h = 24
    if not (0 <= start_h <= 23 and 0 <= end_h <= 24 and start_m < 60 and end_m < 60):
        return None
    if end_h == 24:
        end_h, end_m = 23, 59
    if (end_h, end_m) <= (start_h, start_m):
        return None
    return Window(f"{start_h:02d}:{start_m:02d}", f"{end_h:02d}:{end_m:02d}", days)


def parse_duration(text: str) -> int | None:
    """How many days a pause lasts: ``14``, ``14 days``, ``2 weeks``, ``two weeks``,
    ``a week``, ``fortnight``, ``a month`` (30 days), ``3 months``; at most a year.

    Units may carry a typo (``2 weeks`` written ``2 wekks``). Zero or unreadable: ``None``.
    """
    value = " ".join(text.lower().split())
    match = _DURATION.match(value) if 0 < len(value) <= _MAX_TEXT else None
    if not match:
        return None
    amount_text, unit_text = match.groups()
    if amount_text is not None and unit_text is None and not amount_text.isdigit():
        amount_text, unit_text = None, amount_text
    amount = _duration_amount(amount_text)
    unit = _duration_unit(unit_text)
    if amount is None or unit is None or amount == 0:
        return None
    return min(amount * unit, MAX_PAUSE_DAYS)


def _duration_amount(text: str | None) -> int | None:
    if text is None:
        return 1
    if text.isdigit():
        return int(text)
    return _NUMBER_WORDS.get(text)


def _duration_unit(text: str | None) -> int | None:
    """Days in the unit named (days when unsaid), forgiving a typo in longer names."""
    if text is None:
        return 1
    if text in _UNIT_DAYS:
        return _UNIT_DAYS[text]
    names = [name for name in _UNIT_DAYS if len(name) >= 4]
    match = process.extractOne(text, names, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF)
    return _UNIT_DAYS[match[0]] if match else None
