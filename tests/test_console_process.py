"""The real ``notnow console`` process, driven through its stdin and stdout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.conversation.people import PEOPLE
from bot.nudges.book import NUDGES
from bot.storage import TinyDBStore


class ConsoleProcess:
    """Start ``notnow console`` and talk to it one answer at a time."""

    def __init__(self, db: Path) -> None:
        env = {**os.environ, "NOTNOW_DB": str(db), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "console", "--user", "tester"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
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
    console.pick("Gutted")
    console.pick("write down")
    console.answer("Globex")
    console.answer("Data Analyst")
    console.pick("First interview")
    console.answer("3 days ago")
    console.answer("Priya Natarajan")
    console.pick("Recruiter")
    screen = console.answer("skip")
    assert "Reason given: none" in screen
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
    console.pick("Okay")
    console.pick("write down")
    console.answer("Initech")
    assert "What was the role at Initech?" in console.screen
    console.proc.send_signal(signal.SIGKILL)
    console.proc.wait(timeout=30)

    again = ConsoleProcess(db)
    assert "Welcome back" in again.screen
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
