"""The real ``notnow console`` process, driven through its stdin and stdout."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.conversation.people import PEOPLE
from bot.nudges.book import NUDGES
from bot.storage import TinyDBStore


class ConsoleProcess:
    """Start ``notnow console`` and talk to it one answer at a time."""

    def __init__(self, db: Path, *, cwd: Path | None = None) -> None:
        env = {**os.environ, "NOTNOW_DB": str(db), "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        env.pop("NOTNOW_EXPORT_DIR", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "console", "--user", "tester"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            cwd=cwd,
        )
        self.screen = self._until_prompt()

    def _until_prompt(self) -> str:
        assert self.proc.stdout is not None
        out = bytearray()
        while not out.endswith(b"> "):
            chunk = self.proc.stdout.read1(4096)  # type: ignore[attr-defined]
            if not chunk:
                raise AssertionError(f"console exited: {out.decode()}{self.stderr()}")
            out.extend(chunk)
        return out.decode()

    def stderr(self) -> str:
        return self.proc.stderr.read().decode() if self.proc.poll() is not None else ""  # type: ignore[union-attr]

    def answer(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        self.screen = self._until_prompt()
        return self.screen

    def number_of(self, label: str) -> str:
        for line in self.screen.splitlines():
            number, _, text = line.strip().partition(". ")
            if number.isdigit() and label.lower() in text.lower():
                return number
        raise AssertionError(f"no option {label!r} on screen:\n{self.screen}")

    def pick(self, label: str) -> str:
        return self.answer(self.number_of(label))

    def pick_if_offered(self, label: str) -> str:
        """Pick ``label`` when the screen offers it (a question a person may not meet)."""
        try:
            return self.pick(label)
        except AssertionError:
            return self.screen

    def skip_introduction(self) -> None:
        """Skip the first-contact questions (first name, place) when they are asked."""
        for question in ("first name", "Where are you based"):
            if question in self.screen:
                self.answer("skip")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=30)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "db"


def test_scripted_console_session_through_all_three_steps(db: Path) -> None:
    console = ConsoleProcess(db)
    assert "three steps" in console.screen
    console.skip_introduction()
    console.pick("Gutted")
    console.pick("write down")
    console.answer("Globex")
    console.answer("Data Analyst")
    console.pick("First interview")
    console.answer("3 days ago")
    console.answer("Priya Natarajan")
    console.pick("Recruiter")
    console.pick_if_offered("that's everyone")
    screen = console.answer("skip")
    assert "Reason given: none" in screen
    screen = console.pick_if_offered("that's right")
    screen = console.pick("Email")
    assert "Email draft (copy from here)" in screen
    assert "Hi Priya," in screen and "Data Analyst" in screen and "Globex" in screen
    console.pick("sent it")
    console.pick("Yes, let me record it")
    console.answer("Good SQL, but the case study lacked a recommendation")
    console.answer("End every analysis with a clear recommendation")
    console.pick("That's the list")
    screen = console.pick("Regular")
    assert "Connect with Priya Natarajan" in screen
    console.close()

    store = TinyDBStore(db, read_only=True)
    person = store.read(PEOPLE, "console:local:tester")
    assert person is not None
    assert person["journal"][0]["improvements"] == [
        "End every analysis with a clear recommendation"]
    nudges = [store.read(NUDGES, n) for n in person["nudge_ids"]]
    assert {n["kind"] for n in nudges if n} >= {"heard_back", "connect", "share", "openings"}


def test_killed_between_answers_resumes_at_the_same_question(db: Path) -> None:
    console = ConsoleProcess(db)
    console.skip_introduction()
    console.pick("Okay")
    console.pick("write down")
    console.answer("Initech")
    assert "What was the role at Initech?" in console.screen
    console.proc.send_signal(signal.SIGKILL)
    console.proc.wait(timeout=30)

    again = ConsoleProcess(db)
    assert "What was the role at Initech?" in again.screen
    again.answer("QA Lead")
    assert "How far did you get" in again.screen
    again.close()


def test_broken_content_is_a_clear_message_not_a_traceback(db: Path, tmp_path: Path) -> None:
    env = {**os.environ, "NOTNOW_DB": str(db), "NOTNOW_CONTENT_DIR": str(tmp_path / "nowhere")}
    done = subprocess.run([sys.executable, "-m", "adapters.cli", "console"], env=env,
                          capture_output=True, text=True, timeout=60, input="")
    assert done.returncode == 2
    assert "content folder not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_due_check_ins_are_shown_when_the_console_opens(db: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.clock import ManualClock
    from bot.content.loader import load_content
    from bot.conversation.actions import ACTIONS
    from bot.conversation.engine import Coach
    from bot.messages import UserRef
    from bot.settings import DEFAULT_CONTENT_DIR
    from tests.conversation import Conversation, log_rejection

    store = TinyDBStore(db)
    past = ManualClock(datetime.now(UTC) - timedelta(days=30))
    coach = Coach(store=store, clock=past,
                  content=load_content(DEFAULT_CONTENT_DIR, known_actions=ACTIONS))
    conv = Conversation(coach, UserRef("console", "local", "tester"))
    conv.command("settings")
    conv.pick("Check-in hours")
    conv.send("0-24 every day")  # so the test does not depend on the hour it runs
    conv.pick("Nothing")
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("later")
    conv.pick("No reminders")
    store.close()

    console = ConsoleProcess(db)
    assert "A check-in is due" in console.screen
    assert "Follow-up to Dana Reyes not sent yet" in console.screen
    screen = console.pick("Show me the draft")
    assert "Email draft (copy from here)" in screen
    console.close()
    again = ConsoleProcess(db)  # one nudge a day, and this one was delivered
    assert "A check-in is due" not in again.screen
    again.close()


def test_typed_words_answer_every_menu_in_the_console(db: Path) -> None:
    """The misreads people hit in the console: a typo at a flow question, and a typed
    'yes' to forget (which used to be saved as their mood)."""
    console = ConsoleProcess(db)
    console.skip_introduction()
    screen = console.answer("yes")  # to the consent question, not the mood below it
    assert "Thank you for putting it in your own words" not in screen
    screen = console.answer("Gutted, honesty")
    assert "Of course you are" in screen
    screen = console.answer("calmng exercise")
    assert "slow things down" in screen
    console.answer("forget")
    screen = console.answer("yes")
    assert "deleted all your data" in screen
    console.close()
    store = TinyDBStore(db)
    try:
        assert store.read("people", "console:local:tester") is None
    finally:
        store.close()


def test_export_saves_a_private_file_in_the_working_folder_and_names_it(
        db: Path, tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    console = ConsoleProcess(db, cwd=here)
    screen = console.answer("export")
    saved = here / "notnow-export.json"
    assert f"Saved to {saved} (only you can read it)." in screen
    assert '"person"' not in screen and len(screen.splitlines()) < 8
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert "person" in json.loads(saved.read_text())
    screen = console.answer("export")  # never over the first one
    assert f"Saved to {here / 'notnow-export-1.json'}" in screen
    console.close()


def test_a_second_console_on_the_same_data_is_told_at_once(db: Path) -> None:
    first = ConsoleProcess(db)
    env = {**os.environ, "NOTNOW_DB": str(db)}
    started = time.monotonic()
    second = subprocess.run([sys.executable, "-m", "adapters.cli", "console", "--user", "b"],
                            env=env, capture_output=True, text=True, timeout=60, input="")
    took = time.monotonic() - started
    assert second.returncode != 0
    assert f"Another notnow is already open on this data ({db})" in second.stderr
    assert "Close it first, or point NOTNOW_DB somewhere else." in second.stderr
    assert "serve" not in second.stderr and "Traceback" not in second.stderr
    assert second.stdout == ""
    assert took < 3, f"the second console took {took:.1f} s to say so"
    assert "> " in first.answer("help")  # the first one is unharmed
    first.close()
    assert first.proc.returncode == 0


class Terminal:
    """The controlling side of a pseudo-terminal: what the console showed, and keys."""

    #: prompt_toolkit turns bracketed paste on when a prompt starts reading keys (raw
    #: mode); keys typed before that would meet the terminal's own line editing
    READY = b"\x1b[?2004h"

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = bytearray()

    def wait_for(self, wanted: bytes, *, seconds: float = 30) -> bytes:
        """Read until ``wanted`` appears in what is new; return what is new."""
        start = len(self.seen)
        deadline = time.monotonic() + seconds
        while wanted not in self.seen[start:] and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.seen.extend(os.read(self.fd, 4096))
                except OSError:  # the console closed the terminal
                    break
        return bytes(self.seen[start:])

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)


def test_at_a_real_terminal_arrows_edit_the_line(db: Path, tmp_path: Path) -> None:
    """In a pseudo-terminal, as a person runs it: Left moves the cursor (no ``^[[D``)."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "NOTNOW_DB": str(db), "NOTNOW_EXPORT_DIR": str(tmp_path),
           "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "console", "--user", "tester"],
        stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    screen = Terminal(controller)
    try:
        assert b"three steps" in screen.wait_for(Terminal.READY)
        screen.type(b"exort\x1b[D\x1b[D\x1b[Dp\r")
        shown = screen.wait_for(b"(only you can read it)")
        assert f"Saved to {tmp_path / 'notnow-export.json'}".encode() in shown, shown
        if Terminal.READY not in shown.partition(b"(only you can read it)")[2]:
            screen.wait_for(Terminal.READY)  # the next prompt, unless it came with the line
        screen.type(b"\x04")  # Ctrl-D: end of input, as in any shell
        assert b"Bye for now" in screen.wait_for(b"saved.")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        os.close(controller)
