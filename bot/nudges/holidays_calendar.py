"""Public holidays of a person's country, so no check-in lands on one.

A nudge about networking that arrives on Christmas Day or German Unity Day is at best
ignored and at worst a reminder of the job search on a day off, and an email the person
sends that day waits in a closed office. The tables come from the ``holidays`` library
(national holidays only: a person's region is not known) and are built once per country
and year, because planning asks about the same few days over and over.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

import holidays

from bot.conversation.places import country_of_zone

__all__ = ["country_of_person", "is_public_holiday"]


@lru_cache(maxsize=256)
def _holiday_days(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` in ``year`` (observed days included: the
    office is closed on a Monday that stands in for a Sunday holiday); empty for a
    country the library does not know."""
    try:
        table = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return frozenset()
    return frozenset(table.keys())


def is_public_holiday(country: str | None, day: date) -> bool:
    """Whether ``day`` is a public holiday in ``country`` (ISO 3166 alpha-2, such as
    ``DE``). ``None``, for a person whose country is not known, has no holidays."""
    if not country:
        return False
    return day in _holiday_days(country.upper(), day.year)


def country_of_person(settings: Mapping[str, Any]) -> str | None:
    """The country whose holidays apply: the one the person named, else the country of
    their time zone (``UTC`` and other zones of no country give ``None``)."""
    named = settings.get("country")
    if named:
        return str(named).upper()
    return country_of_zone(settings.get("timezone"))
