"""A rejection email pasted into the console reaches the engine as one Paste.

At a terminal, prompt_toolkit's pipe input is fed what a terminal sends for a paste
(bracketed paste: ``ESC [200~`` ... ``ESC [201~``); from a pipe, ``paste`` starts paste
mode; ``paste FILE`` reads a saved email. The coach is the real one, recording the
inputs the console handed it (the boundary under test).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output import DummyOutput

from adapters.console import ConsoleAdapter
from bot.clock import ManualClock
from bot.content.loader import Content
from bot.messages import MAX_PASTE_CHARS, Paste, Text, UserRef
from bot.storage import MemoryStore
from tests.slack.test_slack_paste import FULL_EMAIL, RecordingCoach
from tests.test_console_editing import Typist

ENTER = "\r"
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
ME = UserRef("console", "local", "tester")
EMAIL = ("Dear Sam,\n\nthank you for interviewing with Quarry Labs. We have decided to "
         "go ahead with another applicant.\n\nKind regards,\nPriya Raman\nRecruiter")


@pytest.fixture
def coach(content: Content, clock: ManualClock) -> RecordingCoach:
    return RecordingCoach(store=MemoryStore(), content=content, clock=clock)


@pytest.fixture
def keys() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe:
        yield pipe


def _piped(coach: RecordingCoach, typed: str) -> str:
    screen = io.StringIO()
    ConsoleAdapter(coach, user=ME, stdin=io.StringIO(typed), stdout=screen).run()
    return screen.getvalue()


def _pastes(coach: RecordingCoach) -> list[Paste]:
    return [event for event in coach.inputs if isinstance(event, Paste)]


def test_a_bracketed_paste_at_a_terminal_is_one_paste(coach: RecordingCoach,
                                                      keys: PipeInput) -> None:
    """A terminal sends a paste's line breaks as CR inside the bracket: prompt_toolkit
    keeps them in the one line submitted by the Enter after it."""
    editor: PromptSession[str] = PromptSession(
        input=keys, output=DummyOutput(), history=InMemoryHistory())
    pasted = PASTE_START + EMAIL.replace("\n", "\r") + PASTE_END
    screen = Typist(keys, [pasted + ENTER, "help" + ENTER, "quit" + ENTER])
    ConsoleAdapter(coach, user=ME, stdin=io.StringIO(), stdout=screen, editor=editor).run()
    assert _pastes(coach) == [Paste(EMAIL, deliberate=False)]  # may be a long answer
    assert Text("help") in coach.inputs


def test_a_typed_line_at_a_terminal_stays_text(coach: RecordingCoach, keys: PipeInput) -> None:
    editor: PromptSession[str] = PromptSession(
        input=keys, output=DummyOutput(), history=InMemoryHistory())
    screen = Typist(keys, ["Quarry Labs" + ENTER, "quit" + ENTER])
    ConsoleAdapter(coach, user=ME, stdin=io.StringIO(), stdout=screen, editor=editor).run()
    assert Text("Quarry Labs") in coach.inputs and not _pastes(coach)


def test_piped_paste_mode_ends_at_a_dot(coach: RecordingCoach) -> None:
    _piped(coach, f"paste\n{EMAIL}\n.\nhelp\n")
    assert _pastes(coach) == [Paste(EMAIL)]
    assert coach.inputs[-1] == Text("help")  # the line after the dot is an answer again


def test_piped_paste_mode_ends_at_the_end_of_input(coach: RecordingCoach) -> None:
    _piped(coach, f"paste\n{EMAIL}\n")
    assert _pastes(coach) == [Paste(EMAIL)]


def test_piped_lines_without_paste_stay_separate_answers(coach: RecordingCoach) -> None:
    _piped(coach, "Quarry Labs\nData Analyst\n")
    assert Text("Quarry Labs") in coach.inputs and Text("Data Analyst") in coach.inputs
    assert not _pastes(coach)


def test_paste_file_reads_a_saved_email(coach: RecordingCoach, tmp_path: Path) -> None:
    saved = tmp_path / "rejection.eml"
    saved.write_bytes(("Subject: Your application\n\n" + EMAIL).encode("latin-1"))
    _piped(coach, f"paste {saved}\n")
    assert _pastes(coach) == [Paste("Subject: Your application\n\n" + EMAIL,
                                    filename="rejection.eml")]


def test_paste_file_too_large_or_missing_is_said(coach: RecordingCoach, tmp_path: Path) -> None:
    huge = tmp_path / "thread.txt"
    huge.write_bytes(b"z" * (MAX_PASTE_CHARS + 1))
    screen = _piped(coach, f"paste {huge}\npaste {tmp_path / 'nowhere.eml'}\n")
    assert "larger than I can read" in screen
    assert "I could not read" in screen
    assert not _pastes(coach)


def test_paste_followed_by_words_is_not_a_file(coach: RecordingCoach) -> None:
    """"paste it here" names no file: it is words for the coach."""
    _piped(coach, "paste it here\n")
    assert Text("paste it here") in coach.inputs and not _pastes(coach)


def test_a_pasted_email_becomes_a_checked_case_and_a_draft_in_two_turns(
        coach: RecordingCoach) -> None:
    """Issue 12's promise in the console: the paste, then "yes", then the draft."""
    body = FULL_EMAIL.replace("\r\n", "\n")
    screen = _piped(coach, f"skip\nskip\npaste\n{body}\n.\nyes\n")
    found = screen.index("found in the email")
    assert "Company: Lumenfield" in screen[found:]
    draft = screen[screen.index("step 1 done"):]
    assert "(copy from here)" in draft and "Subject:" not in draft
