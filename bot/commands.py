"""Recognise commands in what a person types, the same way on every platform.

A message that is just a command word (``help``, ``/notnow status``, ``!back``) is a
command; anything longer is an answer. Slash commands arrive already split by the
adapter and skip this step.
"""

from __future__ import annotations

from bot.messages import Command

__all__ = ["COMMANDS", "parse_command"]

COMMANDS = (
    "start", "new", "status", "settings", "pause", "resume", "help", "back", "skip",
    "restart", "stop", "export", "forget", "feedback",
)
ALIASES = {"resume": "resume", "continue": "start", "menu": "help", "?": "help",
           "hi": "start", "hello": "start", "cancel": "stop", "delete": "forget"}
TAKES_ARGUMENT = {"pause"}


def parse_command(text: str) -> Command | None:
    words = text.strip().split()
    if not words or len(words) > 2:
        return None
    first = words[0].lower()
    if first in ("/notnow", "notnow"):
        return parse_command(" ".join(words[1:]) or "start")
    name = first.lstrip("/!")
    name = ALIASES.get(name, name)
    if name not in COMMANDS:
        return None
    if len(words) == 2 and name not in TAKES_ARGUMENT:
        return None
    return Command(name=name, arg=words[1] if len(words) == 2 else "")
