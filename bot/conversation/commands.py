"""The commands a person can give, in one table, and how typed text is recognised as one.

Everything that lists or recognises commands reads :data:`COMMANDS`: the help text, the
parser for typed messages (``help``, ``/notnow status``, ``!back``), Slack's ``/notnow``
text, Discord's ``/notnow`` subcommands and the engine's handlers. A command added here
without a one-line summary in ``content/coach.yaml`` (``commands:``) or a handler in the
engine fails ``content check`` and a test, so the lists cannot drift apart.

A message that is just a command word is a command; anything longer is an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.messages import Command

__all__ = ["COMMANDS", "CommandSpec", "help_entries", "parse_command", "spec_of"]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command. ``argument`` names its optional argument (``pause [days]``).
    ``on_hold`` commands run as usual while coaching is paused for someone's safety (their
    data stays theirs to see, take and delete); ``start`` and ``resume`` then ask to
    continue instead, and the rest wait."""

    name: str
    argument: str | None = None
    aliases: tuple[str, ...] = ()
    on_hold: bool = False
    #: the argument may be several words (``pause 2 weeks``)
    long_argument: bool = False
    #: the argument is the rest of the message, however long (``check <your draft>``)
    whole_message: bool = False

    @property
    def usage(self) -> str:
        return f"{self.name} [{self.argument}]" if self.argument else self.name


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", aliases=("continue", "hi", "hello")),
    CommandSpec("new"),
    CommandSpec("status", on_hold=True),
    CommandSpec("feedback"),
    CommandSpec("edit", argument="field", aliases=("fix", "correct")),
    CommandSpec("draft"),
    CommandSpec("paste"),
    CommandSpec("check", argument="text", whole_message=True),
    CommandSpec("calendar", argument="action"),
    CommandSpec("settings"),
    CommandSpec("pause", argument="duration", long_argument=True),
    CommandSpec("resume"),
    CommandSpec("back"),
    CommandSpec("skip"),
    CommandSpec("restart"),
    CommandSpec("stop", aliases=("cancel",)),
    CommandSpec("export", on_hold=True),
    CommandSpec("forget", aliases=("delete",), on_hold=True),
    CommandSpec("outcomes", aliases=("consent",), on_hold=True),
    CommandSpec("report", argument="format", on_hold=True),
    CommandSpec("help", aliases=("menu", "?"), on_hold=True),
)
_BY_WORD: dict[str, CommandSpec] = {
    word: spec for spec in COMMANDS for word in (spec.name, *spec.aliases)
}


def spec_of(name: str) -> CommandSpec | None:
    return _BY_WORD.get(name.lower().strip().lstrip("/!"))


def parse_command(text: str) -> Command | None:
    """``status`` → ``Command("status")``; ``pause 14`` → ``Command("pause", "14")``;
    anything that is not a bare command word (plus its argument) → ``None``."""
    words = text.strip().split()
    if not words:
        return None
    first = words[0].lower()
    if first in ("/notnow", "notnow"):
        return parse_command(" ".join(words[1:]) or "start")
    spec = spec_of(first)
    if spec is not None and spec.whole_message:
        return Command(name=spec.name, arg=text.strip()[len(words[0]):].strip())
    if len(words) > 5:
        return None
    if spec is None or len(words) > (4 if spec.long_argument else 2):
        return None
    if len(words) > 1 and spec.argument is None:
        return None
    return Command(name=spec.name, arg=" ".join(words[1:]))


def help_entries(summaries: Mapping[str, str]) -> list[dict[str, str]]:
    """What the help text lists: each command's usage and its summary from content."""
    return [{"name": spec.name, "usage": spec.usage, "summary": summaries.get(spec.name, "")}
            for spec in COMMANDS]
