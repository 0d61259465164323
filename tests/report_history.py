"""A generated history for the impact report's tests: hundreds of people in two
workspaces (plus a tiny third of three people) over twelve months, with cases,
follow-ups, outcomes, journal entries and check-ins, shaped like the records the coach
writes (bot/records.py). Deterministic: the same seed gives the same history.

Every name, company, contact and piece of "typed" text is a made-up word unlikely to
occur anywhere else, so a test can look for each in a report's output.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.interfaces import Store
from bot.records import NudgeRecord, PersonRecord

__all__ = ["BIG_WORKSPACES", "TINY_WORKSPACE", "History", "generate_history"]

BIG_WORKSPACES = ("slack:T0ACMECORP", "discord:discord")
TINY_WORKSPACE = "slack:T0TINYWSX"
FIRST_DAY = datetime(2025, 12, 1, tzinfo=UTC)
END = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # tests.conftest.START: the clock's now
TINY_MONTH = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)  # everything of the tiny workspace


@dataclass
class History:
    """What was written, kept so tests can count it again in their own way."""

    people: dict[str, PersonRecord] = field(default_factory=dict)
    nudges: list[NudgeRecord] = field(default_factory=list)
    #: every id, name and typed text, none of which may appear in a report
    secrets: set[str] = field(default_factory=set)

    def write(self, store: Store) -> None:
        for key, person in self.people.items():
            store.write("people", key, person)
        for nudge in self.nudges:
            store.write("nudges", nudge["id"], nudge)


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.history = History()

    def word(self) -> str:
        consonants, vowels = "bdfgklmnprstvz", "aeiou"
        return "".join(self.rng.choice(consonants) + self.rng.choice(vowels)
                       for _ in range(4)).capitalize() + self.rng.choice("qxj")

    def secret(self, text: str) -> str:
        self.history.secrets.add(text)
        return text

    def user_id(self, workspace: str) -> str:
        if workspace.startswith("discord"):
            return str(self.rng.randrange(10**17, 10**18))
        return "U" + "".join(self.rng.choices(string.ascii_uppercase + string.digits, k=10))

    def moment(self, after: datetime, max_days: float) -> datetime:
        return after + timedelta(seconds=self.rng.uniform(0, max_days * 86400))

    def person(self, workspace: str, created: datetime) -> None:
        user = self.user_id(workspace)
        key = f"{workspace}:{user}"
        self.secret(key)
        self.secret(user)
        platform, team = workspace.split(":")
        consent: dict[str, Any] | None = self.rng.choices(
            [{"outcomes": True}, {"outcomes": False}, None], weights=[7, 1, 2])[0]
        person: dict[str, Any] = {
            "version": 1,
            "user": {"platform": platform, "workspace": team, "id": user},
            "created_at": created.isoformat(),
            "display_name": self.secret(f"{self.word()} {self.word()}"),
            "settings": {"timezone": "Europe/Berlin", "timezone_source": "asked",
                         "window": {"start": "09:00", "end": "18:00",
                                    "days": ["mon", "tue", "wed", "thu", "fri"]},
                         "cadence": "regular"},
            "flow": None, "return_to": None, "pending": None, "paused_until": None,
            "safety": None, "cases": [], "journal": [], "nudge_ids": [],
        }
        if consent is not None:
            person["consent"] = consent
        milestones = []
        for days in (90, 180):  # asked at 90 and 180 days; some found a role, some not yet
            asked = created + timedelta(days=days)
            if asked < END and self.rng.random() < 0.8:
                answer = self.rng.choices(["found_role", "still_looking", "rather_not_say"],
                                          weights=[3, 5, 1])[0]
                milestones.append({"at": self.moment(asked, 5).isoformat(), "days": days,
                                   "answer": answer})
        if milestones:
            person["milestones"] = milestones
        opened = created
        for _ in range(self.rng.choice([0, 1, 1, 1, 2, 2, 3])):
            opened = self.moment(opened, 40)
            if opened >= END:
                break
            self.case(key, person, opened)
        self.history.people[key] = person  # type: ignore[assignment]

    def case(self, key: str, person: dict[str, Any], created: datetime) -> None:
        logged = self.rng.random() < 0.9
        case: dict[str, Any] = {
            "id": self.rng.randbytes(6).hex(), "created_at": created.isoformat(),
            "status": "open" if logged else "logging", "mood": "gutted",
            "company": self.secret(f"{self.word()} Labs") if logged else "",
            "role": self.secret(self.word()), "stage": "final round",
            "date": (created - timedelta(days=self.rng.randrange(0, 6))).date().isoformat(),
            "contact": self.secret(f"{self.word()} {self.word()}"), "contact_role": "recruiter",
            "reason": self.secret(f"needed more {self.word()}"), "channel": "email",
            "variant": "", "draft_shown_at": None, "sent_at": None, "feedback": "",
            "improvements": [], "cadence": "regular", "touches": [], "resume_at": None,
        }
        person["cases"].append(case)
        if not logged or self.rng.random() > 0.7:
            return
        sent = self.moment(created, 8)
        if sent >= END:
            return
        case["sent_at"] = sent.isoformat()
        self.outcomes(case, sent)
        self.journal(person, case, sent)
        self.nudges(key, person, case, sent)

    def outcomes(self, case: dict[str, Any], sent: datetime) -> None:
        found: list[dict[str, Any]] = []
        for outcome, chance in (("replied", 0.45), ("referral", 0.15), ("interview", 0.25),
                                ("offer", 0.08)):
            if self.rng.random() < chance:
                at = self.moment(sent, 45)
                if at < END:
                    found.append({"at": at.isoformat(), "outcome": outcome, "nudge": "n"})
        if found:
            case["outcomes"] = sorted(found, key=lambda o: o["at"])

    def journal(self, person: dict[str, Any], case: dict[str, Any], sent: datetime) -> None:
        if self.rng.random() < 0.35:
            at = self.moment(sent, 20)
            if at < END:
                case["feedback"] = self.secret(f"they said {self.word()}")
                case["improvements"] = [self.secret(f"practise {self.word()}")]
                person["journal"].append({"at": at.isoformat(), "case": case["id"],
                                          "feedback": case["feedback"],
                                          "improvements": case["improvements"]})

    def nudges(self, key: str, person: dict[str, Any], case: dict[str, Any],
               sent: datetime) -> None:
        due = sent
        for kind in ("connect", "share", "congrats", "checkin")[: self.rng.randrange(1, 5)]:
            due = self.moment(due + timedelta(days=3), 25)
            nudge_id = self.rng.randbytes(8).hex()
            nudge: dict[str, Any] = {
                "id": nudge_id, "user": key, "case": case["id"], "kind": kind,
                "due_at": due.isoformat(), "state": "planned", "attempts": 0,
                "created_at": sent.isoformat(),
            }
            if due < END:
                acted = self.moment(due, 2)
                state = self.rng.choices(["done", "skipped", "sent", "stopped"],
                                         weights=[5, 2, 2, 1])[0]
                nudge.update({"state": state, "attempts": 1, "sent_at": due.isoformat()})
                if state != "sent" and acted < END:
                    nudge["acted_at"] = acted.isoformat()
                elif state != "sent":
                    nudge["state"] = "sent"
                if self.rng.random() < 0.15:
                    nudge["snoozed"] = self.rng.randrange(1, 3)
                    nudge.setdefault("acted_at", due.isoformat())
            person["nudge_ids"].append(nudge_id)
            self.history.nudges.append(nudge)  # type: ignore[arg-type]


def generate_history(*, seed: int = 14, people_per_workspace: tuple[int, int] = (300, 230),
                     tiny: int = 3) -> History:
    """A history ending just before :data:`END`: people join evenly over twelve months."""
    maker = _Maker(seed)
    span = (END - FIRST_DAY).total_seconds() - 86400 * 3
    for workspace, count in zip(BIG_WORKSPACES, people_per_workspace, strict=True):
        for _ in range(count):
            maker.person(workspace, FIRST_DAY + timedelta(seconds=maker.rng.uniform(0, span)))
    for _ in range(tiny):
        maker.person(TINY_WORKSPACE, maker.moment(TINY_MONTH, 3))
    for team in ("T0ACMECORP", "T0TINYWSX"):
        maker.secret(team)
    maker.secret("discord:discord")
    return maker.history

