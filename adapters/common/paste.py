"""A document handed over as a file (Slack, Discord, ``paste FILE`` in the console).

Every adapter accepts the same files and says the same thing about the others, so the
rules live once here: a rejection email saved as ``.eml`` (the raw message) or ``.txt``,
no larger than :data:`~bot.messages.MAX_PASTE_CHARS` bytes. Which type a file is comes
from its name or its media type, whichever the platform gives; its bytes are decoded
leniently, since a mail client may save in UTF-8 or in Latin-1 and a person should
never be told that their email "could not be read" for that.

The two refusals are the only coaching-free words the adapters say about files: they
name what is accepted, never the file (its name is the person's text).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from bot.messages import MAX_PASTE_CHARS, Paste

__all__ = [
    "ACCEPTED_SUFFIXES",
    "ACCEPTED_TYPES",
    "NOT_READ",
    "TOO_LARGE",
    "WRONG_TYPE",
    "accepts",
    "decode_paste",
    "file_paste",
    "fits",
]

ACCEPTED_SUFFIXES = (".eml", ".txt")
ACCEPTED_TYPES = ("message/rfc822", "text/plain")
_LIMIT_KB = MAX_PASTE_CHARS // 1000

WRONG_TYPE = (
    "I can only read a rejection email saved as a .eml or .txt file "
    f"(up to {_LIMIT_KB} kB). You can also paste the email's text straight into a message."
)
TOO_LARGE = (
    f"That file is larger than I can read (up to {_LIMIT_KB} kB, as .eml or .txt). "
    "You can paste just the email's text into a message instead."
)
NOT_READ = (
    "I could not fetch that file just now. Please try again, or paste the email's text "
    "into a message."
)


def accepts(filename: str | None, media_type: str | None) -> bool:
    """Whether a file looks like an email or plain text, by its name's suffix or its media
    type (``text/plain; charset=utf-8`` counts as ``text/plain``)."""
    suffix = PurePosixPath(filename or "").suffix.lower()
    kind = (media_type or "").split(";", 1)[0].strip().lower()
    return suffix in ACCEPTED_SUFFIXES or kind in ACCEPTED_TYPES


def fits(size: int | None) -> bool:
    """Whether ``size`` bytes are within the limit; an unknown size is checked after
    the download instead."""
    return size is None or 0 <= size <= MAX_PASTE_CHARS


def decode_paste(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped), else Latin-1, which reads any
    bytes, so a file in an older encoding still arrives rather than being refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def file_paste(data: bytes, filename: str | None) -> Paste | str:
    """The :class:`Paste` for a downloaded file, or the refusal to send instead (too
    large: a platform's announced size may differ from what arrived)."""
    if len(data) > MAX_PASTE_CHARS:
        return TOO_LARGE
    return Paste(decode_paste(data), filename=PurePosixPath(filename).name if filename else None)
