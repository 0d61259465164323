"""Which country a time zone belongs to, for public holidays and helplines.

The tz database records the countries each zone serves (``zone1970.tab`` as pytz
publishes it). A zone used by exactly one country names that country; a zone shared by
several (``Europe/Zurich`` also serves Liechtenstein) names the first, which the tz
database lists as the zone's main country.

The other way round, ``read_place`` reads the place a person types ("Berlin", "berlin
germany", "NYC", "Bengaluru", "Germany", "IST", "Berln") into a zone and a country. Its
data is the tz database itself (zone names, the city part of each zone, pytz's country
names and codes) plus ``content/places.yaml`` for big cities that are not zone names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytz
import yaml
from rapidfuzz import fuzz, process

__all__ = ["Place", "country_of_zone", "read_place", "zones_of_country"]


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    owners: dict[str, str] = {}
    for country, zones in pytz.country_timezones.items():
        for zone in zones:
            owners.setdefault(zone, country.upper())
    return owners


def country_of_zone(zone: str | None) -> str | None:
    """``Europe/Berlin`` → ``DE``; ``UTC`` or an unknown zone → ``None``."""
    if not zone:
        return None
    return _zone_countries().get(zone)


def zones_of_country(country: str) -> tuple[str, ...]:
    """The zones of an ISO 3166 alpha-2 country code, main zone first (``()`` if none)."""
    return tuple(pytz.country_timezones.get(country.upper(), ()))


@dataclass(frozen=True)
class Place:
    """Where a person said they are.

    ``zone`` is ``None`` when the place is a country whose clocks differ from region to
    region (the US, Brazil): the caller then asks for a city in ``label``.
    """

    zone: str | None
    country: str | None
    label: str


_PLACES_FILE = "places.yaml"
# Zones in the tz database that are not places a person lives in.
_NOT_PLACES = frozenset({"localtime", "Factory"})
# Two instants a year apart in season: zones that agree on both keep the same clock.
_SEASONS = (datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC))
_FUZZY_CUTOFF = 85
# ISO codes that are also English words: typed alone ("NO") they are an answer, not Norway.
_CODES_THAT_ARE_WORDS = frozenset(
    {"AM", "AS", "AT", "BE", "BY", "DO", "GO", "HE", "HI", "IN", "IS", "IT", "ME", "MY", "NO",
     "SO", "TO"})
_MAX_WORDS = 6


def _key(text: str) -> str:
    """Case, accents and punctuation removed: ``St. Louis`` → ``st louis``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = plain.replace("&", " and ").replace(".", "").replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


@dataclass(frozen=True)
class _Index:
    abbreviations: dict[str, str]
    cities: dict[str, Place]
    countries: dict[str, Place]
    codes: dict[str, Place]
    zones: dict[str, str]

    def names(self) -> list[str]:
        """Every city and country name, for typo matching (codes are too short)."""
        return [name for name in (*self.cities, *self.countries) if len(name) >= 4]


class PlacesFileError(ValueError):
    """``content/places.yaml`` names a zone or country that does not exist."""


def _load_places_file() -> dict[str, Any]:
    source = resources.files("content").joinpath(_PLACES_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(source) or {}
    if not isinstance(data, dict):
        raise PlacesFileError(f"{_PLACES_FILE}: expected a mapping")
    return data


def _check(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise PlacesFileError(f"{_PLACES_FILE}: {where}: {problem}")


def _main_zone(country: str, main_zones: dict[str, str]) -> str | None:
    """The zone naming ``country`` picks: its only clock, a curated main zone, or none."""
    zones = zones_of_country(country)
    if not zones:
        return None
    if country in main_zones:
        return main_zones[country]
    clocks = {tuple(moment.astimezone(ZoneInfo(zone)).utcoffset() for moment in _SEASONS)
              for zone in zones}
    return zones[0] if len(clocks) == 1 else None


def _country_place(code: str, labels: dict[str, str], main_zones: dict[str, str]) -> Place:
    name = labels.get(code) or re.sub(r"\s*\(.*\)", "", pytz.country_names[code.lower()])
    return Place(_main_zone(code, main_zones), code, name)


def _zone_cities() -> dict[str, Place]:
    """``berlin`` → Europe/Berlin, from the city part of each country's zones."""
    cities: dict[str, Place] = {}
    for code, zones in pytz.country_timezones.items():
        for zone in zones:
            label = zone.rsplit("/", 1)[-1].replace("_", " ")
            cities.setdefault(_key(label), Place(zone, code.upper(), label))
    return cities


@lru_cache(maxsize=1)
def _index() -> _Index:
    """Built once, on first use; ``content/places.yaml`` is checked as it is read."""
    data = _load_places_file()
    known_zones = available_timezones() - _NOT_PLACES
    labels = {str(code): str(name) for code, name in (data.get("country_labels") or {}).items()}
    main_zones = {str(code): str(zone) for code, zone in (data.get("main_zones") or {}).items()}
    for code, zone in main_zones.items():
        _check(zone in zones_of_country(code), f"main_zones.{code}", f"{zone} is not in {code}")
    codes = {code.upper(): _country_place(code.upper(), labels, main_zones)
             for code in pytz.country_timezones}
    countries = {_key(place.label): place for place in codes.values()}
    countries.update({_key(pytz.country_names[code.lower()]): place
                      for code, place in codes.items()})
    for name, code in (data.get("countries") or {}).items():
        _check(str(code) in codes, f"countries.{name}", f"unknown country {code!r}")
        countries[_key(str(name))] = codes[str(code)]
    cities = _zone_cities()
    for name, entry in (data.get("cities") or {}).items():
        zone, country = entry.get("zone"), entry.get("country")
        _check(zone in known_zones, f"cities.{name}.zone", f"unknown time zone {zone!r}")
        _check(zone in zones_of_country(str(country)), f"cities.{name}.country",
               f"{zone} is not a zone of {country!r}")
        cities[_key(str(name))] = Place(zone, country, str(name))
    abbreviations: dict[str, str] = {}
    for name, zone in (data.get("abbreviations") or {}).items():
        _check(zone in known_zones, f"abbreviations.{name}", f"unknown time zone {zone!r}")
        abbreviations[_key(str(name))] = zone
    zones = {zone.lower(): zone for zone in known_zones}
    return _Index(abbreviations, cities, countries, codes, zones)


def _phrases(text: str) -> list[str]:
    """What to look up: the whole text, each comma-separated part, then each run of
    words, longest first (``berlin germany`` → ``berlin germany``, ``berlin``, ``germany``)."""
    words = _key(text).split()
    phrases = [" ".join(words)] + [_key(part) for part in text.split(",")]
    for size in range(len(words) - 1, 0, -1):
        phrases += [" ".join(words[i:i + size]) for i in range(len(words) - size + 1)]
    return list(dict.fromkeys(phrase for phrase in phrases if phrase))


def _in_index(phrases: list[str], table: dict[str, Place]) -> Place | None:
    return next((table[phrase] for phrase in phrases if phrase in table), None)


def _combine(city: Place | None, country: Place | None) -> Place | None:
    """A city wins (it is more precise), unless the country named contradicts it."""
    if city is None or (country is not None and country.country != city.country):
        return country or city
    return city


def _exact(text: str, index: _Index) -> Place | None:
    name = text.strip().replace(" ", "_").lower()
    if "/" in name:
        zone = index.zones.get(name)
        return Place(zone, country_of_zone(zone), zone) if zone else None
    key = _key(text)
    if key in index.abbreviations:
        zone = index.abbreviations[key]
        return Place(zone, country_of_zone(zone), text.strip().upper())
    if key in index.cities:  # before the codes: "LA" is Los Angeles, not Laos
        return index.cities[key]
    parts = [part.strip() for part in text.split(",")]
    code = parts[-1]
    if len(code) == 2 and code.isupper() and code in index.codes and (
            len(parts) > 1 or code not in _CODES_THAT_ARE_WORDS):
        country = index.codes[code]
        rest = _phrases(",".join(parts[:-1])) if len(parts) > 1 else []
        return _combine(_in_index(rest, index.cities), country)
    if len(key.split()) > _MAX_WORDS:
        return None
    phrases = _phrases(text)
    found = _combine(_in_index(phrases, index.cities), _in_index(phrases, index.countries))
    if found is None and name in index.zones:
        zone = index.zones[name]
        return Place(zone, country_of_zone(zone), zone)
    return found


def _fuzzy(text: str, index: _Index) -> Place | None:
    """One typo or two: the closest city or country name, if close enough."""
    if len(_key(text).split()) > _MAX_WORDS:
        return None
    names = index.names()
    for phrase in _phrases(text):
        if len(phrase) < 4:
            continue
        match = process.extractOne(phrase, names, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        if match is not None:
            name = match[0]
            return index.cities.get(name) or index.countries[name]
    return None


def read_place(text: str) -> Place | None:
    """A zone name, abbreviation, city or country, with a typo or two; else ``None``.

    ``Europe/Berlin``, ``Berlin``, ``berlin germany``, ``NYC``, ``IST``, ``Berln`` all
    give a zone; ``US`` or ``Brazil`` give the country with no zone, so the caller can
    ask which city.
    """
    if not text or not text.strip() or len(text) > 100:
        return None
    index = _index()
    if "/" in text:
        return _exact(text, index)
    return _exact(text, index) or _fuzzy(text, index)
