"""Slack request bodies in, engine inputs out: pure functions, no I/O.

Slack bodies are trusted only after Bolt checked their signature, but even a signed body
can miss a field (an old client, a Slack change); every function here returns ``None``
for a body it cannot read, and the listener then ignores the request.
"""

from __future__ import annotations

import hashlib
from typing import Any

from adapters.slack.render import unescape
from bot.conversation.commands import parse_command
from bot.messages import Choice, Command, Text, UserRef

__all__ = [
    "PLATFORM",
    "action_channel",
    "command_input",
    "dm_files",
    "dm_text",
    "picked_option",
    "request_key",
    "who_from_action",
    "who_from_command",
    "who_from_event",
]

PLATFORM = "slack"


def _user(team: Any, user: Any) -> UserRef | None:
    if isinstance(team, str) and team and isinstance(user, str) and user:
        return UserRef(platform=PLATFORM, workspace=team, user=user)
    return None


def who_from_command(body: dict[str, Any]) -> UserRef | None:
    """The person behind a slash command (form fields ``team_id`` and ``user_id``)."""
    return _user(body.get("team_id"), body.get("user_id"))


def who_from_event(body: dict[str, Any], event: dict[str, Any]) -> UserRef | None:
    """The person behind an Events API event: the workspace of the envelope, the user of
    the event."""
    return _user(body.get("team_id") or event.get("team"), event.get("user"))


def who_from_action(body: dict[str, Any]) -> UserRef | None:
    """The person who clicked: ``block_actions`` carries ``team.id`` and ``user.id``."""
    team, user = body.get("team"), body.get("user")
    team = team if isinstance(team, dict) else {}
    user = user if isinstance(user, dict) else {}
    return _user(team.get("id") or user.get("team_id"), user.get("id"))


def action_channel(body: dict[str, Any]) -> str | None:
    """The channel of the clicked message (``container.channel_id``, else ``channel.id``);
    ``None`` for a click outside a conversation, such as the App Home."""
    for key, field in (("container", "channel_id"), ("channel", "id")):
        part = body.get(key)
        value = part.get(field) if isinstance(part, dict) else None
        if isinstance(value, str) and value:
            return value
    return None


def request_key(body: dict[str, Any]) -> str | None:
    """What makes one slash command or click unique, so a replayed request is spotted.

    Slack gives these no ``event_id``, but ``trigger_id`` is minted once per invocation
    and comes back unchanged in a replay; a click without one is named by the clicked
    message and the moment of the click (``container.message_ts`` + ``action_ts``).
    The key is a hash: it is stored, and is neither an id nor attacker-sized.
    ``None`` when the body carries none of these (nothing to compare against).
    """
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        unique = f"trigger:{trigger}"
    else:
        container, actions = body.get("container"), body.get("actions")
        message_ts = container.get("message_ts") if isinstance(container, dict) else None
        first = actions[0] if isinstance(actions, list) and actions else None
        action_ts = first.get("action_ts") if isinstance(first, dict) else None
        if not (isinstance(message_ts, str) and isinstance(action_ts, str)):
            return None
        unique = f"click:{message_ts}:{action_ts}"
    return "request-" + hashlib.sha256(unique.encode()).hexdigest()[:32]


def command_input(text: str) -> Command:
    """``/notnow`` → ``start``; ``/notnow pause 14`` → ``Command("pause", "14")``.

    The engine's own parser resolves aliases (``hi``, ``cancel``...); anything it does
    not know goes through unchanged, and the engine answers it, so the list of commands
    lives in one place.
    """
    plain = unescape(text).strip()
    words = plain.split(maxsplit=1)
    if not words:
        return Command("start")
    known = parse_command(plain)
    if known is not None:
        return known
    return Command(words[0].lower(), words[1].strip() if len(words) > 1 else "")


def dm_text(event: dict[str, Any]) -> Text | None:
    """A person's own DM message as :class:`Text`; ``None`` for anything else.

    Edits, joins and other subtypes, and anything a bot posted (including our own
    replies, which Slack echoes back), are not turns of the conversation.
    """
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    text = event.get("text")
    if not isinstance(text, str):
        return None
    return Text(unescape(text))


def dm_files(event: dict[str, Any]) -> tuple[list[dict[str, Any]], Text | None] | None:
    """The files a person shared in their DM (``subtype: file_share``), with what they
    typed alongside (``None`` if nothing); ``None`` for any other event.

    Only the person's own share counts, as for :func:`dm_text`: a bot's is not a turn.
    """
    if (event.get("channel_type") != "im" or event.get("subtype") != "file_share"
            or event.get("bot_id")):
        return None
    files = event.get("files")
    shared = [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []
    if not shared:
        return None
    text = event.get("text")
    said = Text(unescape(text)) if isinstance(text, str) and text.strip() else None
    return shared, said


def picked_option(action: dict[str, Any]) -> tuple[Choice, str] | None:
    """The :class:`Choice` and its label from a clicked button or a picked menu entry."""
    if action.get("type") == "static_select":
        option = action.get("selected_option") or {}
        value, text = option.get("value"), option.get("text") or {}
    else:
        value, text = action.get("value"), action.get("text") or {}
    if not isinstance(value, str) or not value:
        return None
    label = text.get("text") if isinstance(text, dict) else None
    return Choice(value), label if isinstance(label, str) else value
