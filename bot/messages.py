"""The engine's own vocabulary: what comes in from a person and what goes back out.

Adapters translate platform events into these types and these types into Block Kit,
Discord components or console text. Nothing here knows about any platform, so the
coaching logic can be tested without one and every platform behaves the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "MAX_PASTE_CHARS",
    "Choice",
    "Command",
    "ExportFile",
    "Input",
    "Option",
    "Paste",
    "Profile",
    "Reply",
    "Text",
    "UserRef",
]


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who is talking: a user id is only unique within one workspace of one platform."""

    platform: str
    workspace: str
    user: str

    @property
    def key(self) -> str:
        """The storage key for this person; every record about them hangs off it."""
        return f"{self.platform}:{self.workspace}:{self.user}"

    @classmethod
    def from_key(cls, key: str) -> UserRef:
        platform, workspace, user = key.split(":", 2)
        return cls(platform=platform, workspace=workspace, user=user)


@dataclass(frozen=True, slots=True)
class Profile:
    """What a platform says about a person (``None`` where it does not say), handed to
    a turn so it is saved in that turn's one write."""

    timezone: str | None = None
    display_name: str | None = None
    #: the person's direct-message channel with the app, as the platform opened it
    #: (never as a payload names it): check-ins go there without asking again
    dm_channel: str | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """Something the person typed."""

    text: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A button or menu pick. ``value`` is an :attr:`Option.value` the engine sent earlier.

    Option values carry the question they answer (``"<step>=<value>"``), so a click on a
    stale button from an earlier question is recognised and answered, not misapplied.
    """

    value: str


@dataclass(frozen=True, slots=True)
class Command:
    """A command such as ``help``, ``back`` or ``status``, from a slash command or typed."""

    name: str
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Paste:
    """A document the person handed over rather than typed: a rejection email pasted in
    several lines, or an attached ``.eml``/``.txt`` file (``filename`` then names it).
    ``text`` is the document as text; for an ``.eml``, the whole raw message (headers,
    MIME parts), decoded leniently. Longer than a typed answer may be (see
    :data:`MAX_PASTE_CHARS`); the adapter refuses anything larger before it gets here."""

    text: str
    filename: str | None = None
    #: handed over as a document on purpose (a file, or the console's ``paste`` mode);
    #: ``False`` for several lines that may just be a long answer (a terminal paste),
    #: which the engine reads as an email only where one is expected
    deliberate: bool = True


#: the most text a paste or attached file may carry (a long HTML email is ~100 kB)
MAX_PASTE_CHARS = 200_000

Input = Text | Choice | Command | Paste


@dataclass(frozen=True, slots=True)
class Option:
    """One answer the person can pick; adapters render it as a button or a menu entry."""

    value: str
    label: str
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A file to hand to the person (their data export)."""

    filename: str
    content: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One outgoing message.

    ``text`` is plain text: paragraphs separated by blank lines, list items starting with
    ``- ``. It may contain what the person typed, so adapters must escape it for their
    markup and must never let it mention anyone. ``draft`` is a ready-to-copy text shown
    in a block of its own. ``options`` are the answers offered right now.
    """

    text: str
    options: tuple[Option, ...] = ()
    draft: str | None = None
    draft_title: str | None = None
    file: ExportFile | None = None
    nudge_id: str | None = None
    tags: frozenset[str] = field(default_factory=frozenset)
