"""The terminal adapter: the same coach, with numbered choices, no tokens, no network.

It only translates: lines typed become ``Text`` (a number picks an option), replies are
printed as plain text, and a file a reply carries (``export``, ``report``) is saved in a
folder (the current one unless told) and named by its path, never printed. At a terminal,
lines are read with prompt_toolkit: arrows edit, Up recalls earlier answers. That history
is kept in memory only, since answers about a rejection have no place in a history file;
from a pipe (scripts, tests) lines are read plainly. State lives in the same store as
every other adapter, so quitting and starting again resumes at the same question. As in
Slack and Discord, an engine failure costs one answer (logged without what was typed),
not the session.

A rejection email reaches the coach as a :class:`~bot.messages.Paste`, three ways: pasted
at a terminal (a bracketed paste of several lines is one submitted answer); from a pipe,
a line ``paste`` followed by the email's lines up to a line with only ``.`` (or the end of
input); or ``paste FILE``, a saved ``.eml`` or ``.txt`` file read here (size-checked).
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory

from adapters.common.dispatch import nudge_dispatcher
from adapters.common.layout import list_item
from adapters.common.paste import TOO_LARGE, file_paste
from adapters.common.turns import log_engine_failure
from bot.conversation.engine import Coach
from bot.messages import (
    MAX_PASTE_CHARS,
    Choice,
    Command,
    ExportFile,
    Input,
    Option,
    Paste,
    Reply,
    Text,
    UserRef,
)

__all__ = ["ConsoleAdapter", "ConsoleSender", "line_editor", "read_paste_file", "render_reply",
           "save_file"]

RULE = "-" * 60
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side. Please try that again."
PROMPT = "> "
PRIVATE_FILE = 0o600  # an export holds everything stored about the person
MAX_SUFFIX = 999
PASTE = "paste"
END_OF_PASTE = "."
PASTE_HINT = "Paste the email, then a line with only '.' to finish."


def line_editor() -> PromptSession[str]:
    """A prompt with line editing and an in-memory history (never written to disk)."""
    return PromptSession(history=InMemoryHistory())


def _numbered(name: str, n: int) -> str:
    path = Path(name)
    return name if n == 0 else f"{path.stem}-{n}{path.suffix}"


def save_file(file: ExportFile, folder: Path) -> Path:
    """Write ``file`` into ``folder``, readable by its owner only, and return its path.

    An existing file is never replaced (``notnow-export-1.json`` and so on instead): an
    earlier export may be the only copy left after ``forget``.

    :raises OSError: the folder is missing or not writable, or every name is taken.
    """
    name = Path(file.filename).name  # a name, never a path, whatever the core sends
    for n in range(MAX_SUFFIX + 1):
        path = folder / _numbered(name, n)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(fd, PRIVATE_FILE)  # whatever the umask
            out.write(file.content)
        return path.resolve()
    raise FileExistsError(f"{folder / name} and {MAX_SUFFIX} numbered copies exist")


def _wrap(text: str, width: int) -> str:
    out = []
    for line in text.split("\n"):
        indent = "  " if list_item(line) is not None else ""
        out.append(textwrap.fill(line, width, subsequent_indent=indent) if line else "")
    return "\n".join(out)


def render_reply(reply: Reply, *, width: int = 78, file_line: str = "") -> str:
    """The reply as terminal text; ``file_line`` says where its file went (the file's
    content is never printed: hundreds of lines of JSON help nobody in a terminal)."""
    parts = [_wrap(reply.text, width)]
    if reply.draft:
        title = reply.draft_title or "Draft"
        parts.append(f"{RULE}\n{title} (copy from here)\n{RULE}\n{reply.draft}\n{RULE}")
    if reply.file:
        parts.append(file_line or f"({reply.file.filename} was not saved)")
    if reply.options:
        parts.append("\n".join(f"  {i}. {o.label}" for i, o in enumerate(reply.options, 1)))
    return "\n\n".join(p for p in parts if p)


def _pasted(text: str, *, deliberate: bool = True) -> Paste | str:
    """``deliberate``: the ``paste`` mode, an email on purpose; not so for lines pasted
    at the prompt, which may be a long answer (the engine decides by the question)."""
    if len(text) > MAX_PASTE_CHARS:
        return TOO_LARGE
    return Paste(text, deliberate=deliberate)


def read_paste_file(path: Path) -> Paste | str:
    """``paste FILE``: the file as a :class:`Paste` named by its file name, or what to
    say instead (missing, unreadable, larger than the limit)."""
    try:
        with path.open("rb") as source:
            data = source.read(MAX_PASTE_CHARS + 1)
    except OSError as exc:
        return f"I could not read {path}: {exc.strerror or exc}"
    return file_paste(data, path.name)


class ConsoleSender:
    """Nudges for a terminal user are shown when they next open the console.

    A terminal cannot be asked afterwards what it showed, so ``was_delivered`` is
    ``None``: a crash mid-delivery repeats that one nudge at most once.
    """

    platform = "console"

    def __init__(self) -> None:
        self.shown: list[Reply] = []

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        self.shown.extend(replies)

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        return None


class ConsoleAdapter:
    """Reads lines from ``stdin`` until EOF or ``quit``; one person per terminal."""

    def __init__(self, coach: Coach, *, user: UserRef, stdin: TextIO = sys.stdin,
                 stdout: TextIO = sys.stdout, export_dir: Path = Path("."),
                 editor: PromptSession[str] | None = None) -> None:
        """``editor``: the prompt to read lines with; ``None`` picks one for a terminal
        (see :func:`line_editor`) and reads ``stdin`` plainly otherwise."""
        self._coach = coach
        self._user = user
        self._in = stdin
        self._out = stdout
        self._export_dir = export_dir
        self._editor = editor
        self._options: tuple[Option, ...] = ()

    def _file_line(self, file: ExportFile) -> str:
        try:
            path = save_file(file, self._export_dir)
        except OSError as exc:
            return f"I could not save {file.filename} in {self._export_dir}: {exc.strerror or exc}"
        return f"Saved to {path} (only you can read it)."

    def _show(self, replies: list[Reply]) -> None:
        self._options = ()
        for reply in replies:
            file_line = self._file_line(reply.file) if reply.file else ""
            self._out.write(render_reply(reply, file_line=file_line) + "\n\n")
            if reply.options:
                self._options = reply.options
        if self._editor is None:
            self._out.write(PROMPT)  # the editor writes its own
        self._out.flush()

    def _lines(self) -> Iterator[str]:
        """What the person types, line by line, until end of input."""
        if self._editor is None:
            for line in self._in:
                yield line.rstrip("\n")
            return
        while True:
            try:
                yield self._editor.prompt(PROMPT)
            except EOFError:  # Ctrl-D
                return

    def _to_input(self, line: str) -> Input | str:
        """The engine input for one submitted line, or words to show instead: a pasted
        text of several lines (a terminal's bracketed paste) is a :class:`Paste`."""
        value = line.strip()
        if value.isdigit() and 1 <= int(value) <= len(self._options):
            return Choice(self._options[int(value) - 1].value)
        if len(value.splitlines()) > 1:
            return _pasted(value, deliberate=False)
        return Text(line)

    def _paste_input(self, line: str, lines: Iterator[str]) -> Input | str | None:
        """``paste FILE`` reads the file; a bare ``paste`` from a pipe reads the lines
        that follow, up to one with only ``.``. ``None``: not a paste (at a terminal a
        bare ``paste`` goes to the coach, and pasting there is one answer anyway)."""
        word, _, path = line.strip().partition(" ")
        if word.lower() != PASTE:
            return None
        if path.strip():
            named = Path(path.strip()).expanduser()
            if not named.exists() and named.suffix.lower() not in (".eml", ".txt"):
                return None  # "paste it here": words for the coach, not a file
            return read_paste_file(named)
        if self._editor is not None:
            return None
        self._out.write(PASTE_HINT + "\n")
        body: list[str] = []
        for more in lines:
            if more.strip() == END_OF_PASTE:
                break
            body.append(more)
        return _pasted("\n".join(body).strip("\n"))

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
        if self._editor is None and self._in.isatty() and self._out.isatty():
            self._editor = line_editor()
        self._out.write("notnow, in your terminal. Type 'help' for commands, 'quit' to leave.\n\n")
        nudges = self._due_nudges()
        if nudges:
            self._out.write("A check-in is due. (Type 'start' to pick up our conversation.)\n\n")
            self._show(nudges)
        else:
            self._show(self._turn(Command("start")))
        lines = self._lines()
        for line in lines:
            if line.strip().lower() in ("quit", "exit"):
                break
            event = self._paste_input(line, lines) or self._to_input(line)
            self._show([Reply(event)] if isinstance(event, str) else self._turn(event))
        self._out.write("\nBye for now. Your progress is saved.\n")
        self._out.flush()
