"""The console at a terminal (prompt_toolkit's line editing) and the files it saves.

prompt_toolkit's own test helpers stand in for the terminal: ``create_pipe_input`` is
fed the bytes a terminal sends for each key, ``DummyOutput`` swallows the redrawing.
"""

from __future__ import annotations

import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output import DummyOutput

from adapters.console import ConsoleAdapter, save_file
from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.messages import ExportFile, UserRef
from bot.storage import MemoryStore

LEFT = "\x1b[D"  # what a terminal sends for the Left arrow
UP = "\x1b[A"
ENTER = "\r"
ME = UserRef("console", "local", "tester")


@pytest.fixture
def keys() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe:
        yield pipe


@pytest.fixture
def local_coach(content: Content, clock: ManualClock) -> Coach:
    return Coach(store=MemoryStore(), content=content, clock=clock)


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


class Typist(io.StringIO):
    """The screen; each time the console has shown its replies (and flushed), the person
    types the next line: keys typed ahead of the prompt would skip its history loading."""

    def __init__(self, keys: PipeInput, lines: list[str]) -> None:
        super().__init__()
        self._keys = keys
        self._lines = lines

    def flush(self) -> None:
        super().flush()
        if self._lines:
            self._keys.send_text(self._lines.pop(0))


def test_arrows_edit_the_line_and_up_recalls_the_last_one(
        local_coach: Coach, keys: PipeInput, tmp_path: Path) -> None:
    """'exort', three Lefts, 'p': the coach gets 'export' (the file proves it), not
    'exort^[[D...'; then Up and Enter sends 'export' again, from the history."""
    editor: PromptSession[str] = PromptSession(
        input=keys, output=DummyOutput(), history=InMemoryHistory())
    screen = Typist(keys, ["exort" + LEFT * 3 + "p" + ENTER, UP + ENTER, "quit" + ENTER])
    ConsoleAdapter(local_coach, user=ME, stdin=io.StringIO(), stdout=screen,
                   export_dir=tmp_path, editor=editor).run()

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notnow-export-1.json", "notnow-export.json"]
    assert f"Saved to {tmp_path / 'notnow-export.json'}" in screen.getvalue()
    assert f"Saved to {tmp_path / 'notnow-export-1.json'}" in screen.getvalue()
    assert list(editor.history.load_history_strings()) == ["quit", "export"]  # in memory


def test_piped_export_saves_a_private_file_and_prints_one_line(
        local_coach: Coach, tmp_path: Path) -> None:
    (tmp_path / "notnow-export.json").write_text("an older export, kept")
    screen = io.StringIO()
    ConsoleAdapter(local_coach, user=ME, stdin=io.StringIO("export\n"), stdout=screen,
                   export_dir=tmp_path).run()

    saved = tmp_path / "notnow-export-1.json"
    assert json.loads(saved.read_text())["person"]["nudge_ids"] == []
    assert _private(saved)
    assert (tmp_path / "notnow-export.json").read_text() == "an older export, kept"
    export_screen = screen.getvalue().split("> ")[1]
    assert f"Saved to {saved} (only you can read it)." in export_screen
    assert '"person"' not in screen.getvalue()
    assert len(export_screen.strip().splitlines()) <= 3


def test_a_folder_that_cannot_be_written_is_said_not_a_crash(
        local_coach: Coach, tmp_path: Path) -> None:
    screen = io.StringIO()
    ConsoleAdapter(local_coach, user=ME, stdin=io.StringIO("export\nhelp\n"), stdout=screen,
                   export_dir=tmp_path / "missing").run()
    assert "I could not save notnow-export.json in" in screen.getvalue()
    assert "Bye for now" in screen.getvalue()


def test_any_file_is_saved_by_its_name_only_and_privately(tmp_path: Path) -> None:
    """A report reply carries a file too; a name with a path in it stays in the folder."""
    report = save_file(ExportFile("notnow-report-2026-11-27.csv", "month,people\n"), tmp_path)
    sneaky = save_file(ExportFile("../../outside.txt", "x"), tmp_path)
    assert report == (tmp_path / "notnow-report-2026-11-27.csv").resolve()
    assert sneaky == (tmp_path / "outside.txt").resolve()
    assert _private(report) and _private(sneaky)
