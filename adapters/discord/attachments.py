"""A file attached in the DM (a rejection email as ``.eml`` or ``.txt``) in, a Paste out.

Discord's message carries each attachment's name, media type and size, so a file of
another type or too large is answered without being downloaded; an accepted one is read
with :meth:`discord.Attachment.read` from the URL Discord gave.
"""

from __future__ import annotations

import logging

import discord

from adapters.common.paste import NOT_READ, TOO_LARGE, WRONG_TYPE, accepts, file_paste, fits
from bot.messages import Paste

__all__ = ["read_attachment"]

log = logging.getLogger(__name__)


async def read_attachment(attachment: discord.Attachment) -> Paste | str:
    """The :class:`Paste` for ``attachment``, or the words to say instead: what is
    accepted (another type, too large) or that it could not be fetched."""
    if not accepts(attachment.filename, attachment.content_type):
        return WRONG_TYPE
    if not fits(attachment.size):
        return TOO_LARGE
    try:
        data = await attachment.read()
    except discord.HTTPException as exc:
        log.warning("attachment download failed: HTTP %s", exc.status)
        return NOT_READ
    return file_paste(data, attachment.filename)
