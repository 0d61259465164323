"""The terminal adapter: the same coach, with numbered choices, no tokens, no network.

It only translates: lines typed become ``Text`` (a number picks an option), replies are
printed as plain text. State lives in the same store as every other adapter, so quitting
and starting again resumes at the same question. As in Slack and Discord, an engine
failure costs one answer (logged without what was typed), not the session.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from adapters.common.dispatch import nudge_dispatcher
from adapters.common.layout import list_item
from adapters.common.turns import log_engine_failure
from bot.conversation.engine import Coach
from bot.messages import Choice, Command, Input, Option, Reply, Text, UserRef

__all__ = ["ConsoleAdapter", "ConsoleSender", "render_reply"]

RULE = "-" * 60
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side. Please try that again."


def _wrap(text: str, width: int) -> str:
    out = []
    for line in text.split("\n"):
        indent = "  " if list_item(line) is not None else ""
        out.append(textwrap.fill(line, width, subsequent_indent=indent) if line else "")
    return "\n".join(out)


def render_reply(reply: Reply, *, width: int = 78) -> str:
    parts = [_wrap(reply.text, width)]
    if reply.draft:
        title = reply.draft_title or "Draft"
        parts.append(f"{RULE}\n{title} (copy from here)\n{RULE}\n{reply.draft}\n{RULE}")
    if reply.file:
        parts.append(f"{RULE}\n{reply.file.filename}\n{RULE}\n{reply.file.content}\n{RULE}")
    if reply.options:
        parts.append("\n".join(f"  {i}. {o.label}" for i, o in enumerate(reply.options, 1)))
    return "\n\n".join(p for p in parts if p)


class ConsoleSender:
    """Nudges for a terminal user are shown when they next open the console.

    A terminal cannot be asked afterwards what it showed, so ``was_delivered`` is
    ``None``: a crash mid-delivery repeats that one nudge at most once.
    """

    platform = "console"

    def __init__(self) -> None:
        self.shown: list[Reply] = []

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str) -> None:
        self.shown.extend(replies)

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        return None


class ConsoleAdapter:
    """Reads lines from ``stdin`` until EOF or ``quit``; one person per terminal."""

    def __init__(self, coach: Coach, *, user: UserRef, stdin: TextIO = sys.stdin,
                 stdout: TextIO = sys.stdout) -> None:
        self._coach = coach
        self._user = user
        self._in = stdin
        self._out = stdout
        self._options: tuple[Option, ...] = ()

    def _show(self, replies: list[Reply]) -> None:
        self._options = ()
        for reply in replies:
            self._out.write(render_reply(reply) + "\n\n")
            if reply.options:
                self._options = reply.options
        self._out.write("> ")
        self._out.flush()

    def _to_input(self, line: str) -> Text | Choice:
        value = line.strip()
        if value.isdigit() and 1 <= int(value) <= len(self._options):
            return Choice(self._options[int(value) - 1].value)
        return Text(line)

    def _turn(self, event: Input) -> list[Reply]:
        """The engine's replies; a failure is logged (never the typed text) and said."""
        try:
            return self._coach.handle(self._user, event)
        except Exception as exc:
            log_engine_failure(self._user, exc)
            return [Reply(SOMETHING_WENT_WRONG)]

    def _due_nudges(self) -> list[Reply]:
        """Check-ins that fell due while the terminal was closed, delivered now."""
        sender = ConsoleSender()
        dispatcher = nudge_dispatcher(self._coach, {"console": sender})
        asyncio.run(dispatcher.send_due(only_user=self._user))
        return sender.shown

    def run(self) -> None:
        self._out.write("notnow, in your terminal. Type 'help' for commands, 'quit' to leave.\n\n")
        nudges = self._due_nudges()
        if nudges:
            self._out.write("A check-in is due. (Type 'start' to pick up our conversation.)\n\n")
            self._show(nudges)
        else:
            self._show(self._turn(Command("start")))
        for line in self._in:
            if line.strip().lower() in ("quit", "exit"):
                break
            self._show(self._turn(self._to_input(line.rstrip("\n"))))
        self._out.write("\nBye for now. Your progress is saved.\n")
        self._out.flush()
