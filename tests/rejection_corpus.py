"""The rejection-email corpus and how extraction is scored on it (tests and bench).

A field is *filled* when the extractor gives a value, *right* when that value is what
``expected.yaml`` says (any of a list; for ``reason``, a sentence containing the listed
phrase). Precision is right / filled: a wrong value is worse than none, because the
person would have to notice it. Recall is right / expected (the fields the email says).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.conversation.rejection_email import Extracted, read_rejection

__all__ = ["CORPUS", "FIELDS", "TODAY", "Score", "cases", "is_right", "score"]

CORPUS = Path(__file__).parent / "corpus" / "rejections"
TODAY = date(2026, 11, 27)  # the Friday of tests/conftest.py START
FIELDS = ("company", "role", "sender_name", "sender_title", "date", "stage", "reason")


def cases() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file name, its text, its expected fields), in file order."""
    expected = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
    for name in sorted(expected):
        yield name, (CORPUS / name).read_text(encoding="utf-8"), expected[name]


def is_right(name: str, got: str | None, want: object) -> bool:
    if got is None:
        return want is None
    if want is None:
        return False
    if name == "reason":
        return str(want).casefold() in got.casefold()
    allowed = want if isinstance(want, list) else [want]
    return got in [str(value) for value in allowed]


@dataclass
class Score:
    """Counts per field, and each wrong or missed value by file."""

    filled: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    expected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    emails: int = 0

    def precision(self, name: str) -> float:
        return self.right[name] / self.filled[name] if self.filled[name] else 1.0

    def recall(self, name: str) -> float:
        return self.right[name] / self.expected[name] if self.expected[name] else 1.0

    def add(self, file: str, found: Extracted, want: dict[str, Any]) -> None:
        self.emails += 1
        for name in FIELDS:
            got = getattr(found, name)
            self.expected[name] += want[name] is not None
            if got is None:
                if want[name] is not None:
                    self.missed.append(f"{file}: {name} (expected {want[name]!r})")
                continue
            self.filled[name] += 1
            if is_right(name, got, want[name]):
                self.right[name] += 1
            else:
                self.wrong.append(f"{file}: {name} {got!r} (expected {want[name]!r})")


def extract(name: str, text: str) -> Extracted:
    return read_rejection(text, today=TODAY, filename=name)


def score() -> Score:
    """Extraction scored on every rejection email of the corpus."""
    result = Score()
    for name, text, want in cases():
        if "is_email" not in want:
            result.add(name, extract(name, text), want)
    return result
