"""Turn the engine's plain-text :class:`~bot.messages.Reply` into Block Kit.

Everything here is a pure function of its input, so the Slack look of a reply can be
tested without a server. Reply text contains what the person typed, so every piece of it
is escaped for mrkdwn before it reaches Slack: ``<!channel>`` typed by a user must be
shown, never acted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.common import layout
from bot.messages import Option, Reply

__all__ = [
    "ACTION_PREFIX",
    "NUDGE_EVENT",
    "OPTIONS_BLOCK_ID",
    "SlackMessage",
    "chosen_blocks",
    "code_messages",
    "escape",
    "home_view",
    "render_reply",
    "unescape",
]

Block = dict[str, Any]

ACTION_PREFIX = "notnow_"
OPTIONS_BLOCK_ID = "notnow_options"
NUDGE_EVENT = "notnow_nudge"  # message metadata ``event_type`` of a check-in
SELECT_ACTION_ID = f"{ACTION_PREFIX}select"

# Slack's documented limits, kept a little under so escaping never tips a block over.
SECTION_LIMIT = 2900  # section text: 3,000 characters
BLOCKS_PER_MESSAGE = 45  # message: 50 blocks
BLOCKS_PER_HOME = 100  # home tab: 100 blocks
FALLBACK_LIMIT = 3000  # notification text: kept short, it is only a preview
LABEL_LIMIT = 75  # button and option text
MAX_SELECT_OPTIONS = 100


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """The arguments of one ``chat.postMessage`` call, minus the channel."""

    text: str
    blocks: list[Block]
    metadata: dict[str, Any] | None = None


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup (its own documented rule)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of typed text, so the engine stores what the person wrote."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _outside_entity(text: str, cut: int) -> int:
    """Move a cut before an ``&amp;``-style entity it would halve (showing half an escape)."""
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp > 0 and ";" not in text[amp:cut]:
        return amp
    return cut


def _split(text: str, limit: int) -> list[str]:
    """Cut escaped text into pieces of at most ``limit``, preferring whitespace in the
    second half, never inside an entity."""
    return layout.split_text(text, limit, breaks=(" ",), floor=limit // 2,
                             safe_cut=_outside_entity)


def _bullet(body: str, nested: bool) -> str:
    return f"{'    ' if nested else ''}• {escape(body)}"


def _paragraph(paragraph: str) -> str:
    """One paragraph as mrkdwn: ``- `` list items become bullets, the rest is escaped."""
    return layout.map_lines(paragraph, plain=escape, item=_bullet)


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _text_sections(text: str) -> list[Block]:
    """Paragraphs grouped into sections, each under Slack's per-section limit."""
    pieces = [
        piece
        for raw in text.strip().split("\n\n")
        if raw.strip()
        for piece in _split(_paragraph(raw.strip("\n")), SECTION_LIMIT)
    ]
    return [_section(chunk) for chunk in layout.pack(pieces, SECTION_LIMIT)]


def _code_sections(content: str) -> list[Block]:
    """A copyable code block; backtick fences inside it are broken with a zero-width
    space so the person's text cannot close the block early."""
    safe = layout.neutralize_fences(escape(content))
    limit = SECTION_LIMIT - 2 * len(layout.FENCE)
    fence = layout.FENCE
    return [_section(f"{fence}{piece}{fence}") for piece in _split(safe, limit)]


def _label(text: str) -> dict[str, Any]:
    short = layout.shorten(text, LABEL_LIMIT)
    return {"type": "plain_text", "text": short or "…", "emoji": True}


def _options_block(options: tuple[Option, ...]) -> Block:
    """Buttons for a handful of answers, a menu beyond that (Slack caps an actions block
    at 25 elements and a row of many buttons wraps badly)."""
    if layout.as_buttons(options):
        buttons = []
        for index, option in enumerate(options):
            button: Block = {
                "type": "button",
                "action_id": f"{ACTION_PREFIX}choice_{index}",
                "text": _label(option.label),
                "value": option.value,
            }
            if option.style in ("primary", "danger"):
                button["style"] = option.style
            buttons.append(button)
        return {"type": "actions", "block_id": OPTIONS_BLOCK_ID, "elements": buttons}
    menu = {
        "type": "static_select",
        "action_id": SELECT_ACTION_ID,
        "placeholder": _label("Choose…"),
        "options": [
            {"text": _label(option.label), "value": option.value}
            for option in options[:MAX_SELECT_OPTIONS]
        ],
    }
    return {"type": "actions", "block_id": OPTIONS_BLOCK_ID, "elements": [menu]}


def _draft_blocks(draft: str, title: str | None) -> list[Block]:
    blocks = [_section(f"*{escape(title)}*")] if title else []
    return blocks + _code_sections(draft)


def _fallback(text: str) -> str:
    """The notification preview; escaped too, since Slack parses it like message text."""
    return layout.shorten(escape(" ".join(text.split())), FALLBACK_LIMIT)


def _pack(blocks: list[Block], text: str, metadata: dict[str, Any] | None) -> list[SlackMessage]:
    """Spread blocks over as many messages as Slack's per-message limit needs."""
    groups = [blocks[i : i + BLOCKS_PER_MESSAGE] for i in range(0, len(blocks), BLOCKS_PER_MESSAGE)]
    groups = groups or [[]]
    return [
        SlackMessage(
            text=text if index == 0 else "…",
            blocks=group,
            metadata=metadata if index == 0 else None,
        )
        for index, group in enumerate(groups)
    ]


def render_reply(reply: Reply) -> list[SlackMessage]:
    """One engine reply as one message (more only when it would exceed Slack's limits).

    The options always sit in the last message, under the text they answer.
    """
    blocks = _text_sections(reply.text)
    if reply.draft:
        blocks += _draft_blocks(reply.draft, reply.draft_title)
    if reply.options:
        blocks.append(_options_block(reply.options))
    metadata = None
    if reply.nudge_id:
        metadata = {"event_type": NUDGE_EVENT, "event_payload": {"nudge_id": reply.nudge_id}}
    fallback = _fallback(reply.text or reply.draft_title or reply.draft or "")
    return _pack(blocks, fallback or "…", metadata)


def code_messages(title: str, content: str) -> list[SlackMessage]:
    """A file's content as code-block messages: the fallback when an upload fails."""
    blocks = [_section(f"*{escape(title)}*"), *_code_sections(content)]
    # Small groups: Slack also caps a message's total size, not only its block count.
    size = 4
    return [
        SlackMessage(text=_fallback(title), blocks=blocks[i : i + size])
        for i in range(0, len(blocks), size)
    ]


def chosen_blocks(blocks: list[Block], block_id: str | None, label: str) -> list[Block]:
    """The clicked message's blocks with its buttons swapped for a note of the choice,
    so an old question cannot be answered twice."""
    note: Block = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": layout.chosen_line(f"*{escape(label)}*")}],
    }
    out = []
    for block in blocks:
        is_options = (
            isinstance(block, dict)
            and block.get("type") == "actions"
            and (block_id is None or block.get("block_id") == block_id)
        )
        out.append(note if is_options else block)
    return out


def home_view(replies: list[Reply]) -> dict[str, Any]:
    """The App Home tab: the overview replies one under another, without buttons
    (a click there would have no conversation to answer in)."""
    blocks: list[Block] = []
    for reply in replies:
        if blocks:
            blocks.append({"type": "divider"})
        blocks += _text_sections(reply.text)
        if reply.draft:
            blocks += _draft_blocks(reply.draft, reply.draft_title)
    if len(blocks) > BLOCKS_PER_HOME:
        blocks = blocks[: BLOCKS_PER_HOME - 1]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "…"}]})
    return {"type": "home", "blocks": blocks}
