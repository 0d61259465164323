"""Engine replies as Discord messages: escaped content, a draft code block, buttons, a file.

Reply text may contain what the person typed, so it is escaped for Discord markdown and
mentions before it is sent (``@everyone`` shows as text) and every send also carries
``allowed_mentions`` with nothing allowed. The engine's own markup, paragraphs and
``- `` list items, is kept so lists still render as lists.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import discord
from discord.utils import escape_markdown, escape_mentions

from adapters.common import layout
from adapters.discord.views import choice_view
from bot.messages import ExportFile, Reply

__all__ = ["MAX_CONTENT", "Outgoing", "chosen_note", "escape_text", "nonce_for", "render_reply"]

MAX_CONTENT = 2000
_NONCE_LIMIT = 25


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Discord message to send; only the last message of a reply carries view and file."""

    content: str
    view: discord.ui.View | None = None
    file: ExportFile | None = None
    nonce: str | None = None

    def discord_file(self) -> discord.File | None:
        """A fresh ``discord.File`` each time: discord.py closes the buffer after a send."""
        if self.file is None:
            return None
        return discord.File(io.BytesIO(self.file.content.encode()), filename=self.file.filename)


def _escape_line(line: str) -> str:
    return escape_mentions(escape_markdown(line))


def _list_item(body: str, nested: bool) -> str:
    return f"{'  ' if nested else ''}- {_escape_line(body)}"


def escape_text(text: str) -> str:
    """Markdown and mentions shown, not acted on; the engine's ``- `` list items kept."""
    return layout.map_lines(text, plain=_escape_line, item=_list_item)


def _draft_blocks(draft: str, title: str | None) -> list[str]:
    """The draft in code blocks of at most ``MAX_CONTENT`` characters each.

    A code block shows its text verbatim, so only a closing fence inside the draft needs
    neutralising (a zero-width space between the backticks).
    """
    body = layout.neutralize_fences(draft)
    heading = f"**{escape_text(title)}**\n" if title else ""
    room = MAX_CONTENT - len(heading) - len(f"{layout.FENCE}\n\n{layout.FENCE}")
    chunks = layout.split_text(body, room) or [""]
    blocks = [f"{layout.FENCE}\n{chunk}\n{layout.FENCE}" for chunk in chunks]
    blocks[0] = heading + blocks[0]
    return blocks


def _split(text: str) -> list[str]:
    """Cut text into messages of at most ``MAX_CONTENT``, preferring paragraph breaks."""
    return layout.split_text(text, MAX_CONTENT, breaks=("\n\n", "\n"), strip="\n")


def nonce_for(nudge_id: str | None) -> str | None:
    """Discord nonces hold 25 characters; a longer nudge id is hashed to stay unique.

    discord.py sends ``enforce_nonce`` with every nonce, so Discord drops a second send
    of the same nudge instead of showing it twice.
    """
    if nudge_id is None or len(nudge_id) <= _NONCE_LIMIT:
        return nudge_id
    return hashlib.sha256(nudge_id.encode()).hexdigest()[:_NONCE_LIMIT]


def render_reply(reply: Reply) -> list[Outgoing]:
    """One reply as one or more messages; buttons and the file go on the last one."""
    pieces = _split(escape_text(reply.text)) if reply.text.strip() else []
    if reply.draft is not None:
        pieces += _draft_blocks(reply.draft, reply.draft_title)
    merged = layout.pack(pieces, MAX_CONTENT)
    if not merged:
        merged = [escape_text(reply.file.filename) if reply.file else layout.ZWSP]
    view = choice_view(reply.options) if reply.options else None
    nonces = (
        [reply.nudge_id]
        if len(merged) == 1
        else [reply.nudge_id and f"{reply.nudge_id}#{i}" for i in range(len(merged))]
    )
    messages = [Outgoing(text, nonce=nonce_for(n)) for text, n in zip(merged, nonces, strict=True)]
    messages[-1] = Outgoing(messages[-1].content, view, reply.file, messages[-1].nonce)
    return messages


def chosen_note(content: str, label: str) -> str:
    """The clicked message's text with what was picked under it, within Discord's limit."""
    note = layout.chosen_line(f"**{escape_text(label)}**")
    content = layout.shorten(content, MAX_CONTENT - len(note) - 2)
    return f"{content}\n\n{note}" if content else note
