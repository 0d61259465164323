"""Kill a real writing process with SIGKILL at random moments: nothing acknowledged is lost.

TinyDB's own JSON storage rewrites its file in place; ours writes a temporary file, fsyncs
and renames. This test is the evidence: 50 kills, and after each one every record parses
and holds at least the last turn the writer acknowledged.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from bot.conversation.people import PEOPLE
from bot.nudges.book import NudgeBook
from bot.storage import TinyDBStore
from tests.conftest import REPO, START

KILLS = 50
KEPT_AT_LEAST = 4  # the writer keeps four nudges, and plans more as it goes


def test_sigkill_never_loses_an_acknowledged_turn(tmp_path: Path) -> None:
    db = tmp_path / "db"
    rng = random.Random(20261127)
    acked: dict[str, int] = {}
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_writer", str(db)], cwd=REPO, env=env,
            stdout=subprocess.PIPE, text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "READY"
        for _ in range(rng.randint(1, 12)):
            _, key, number = writer.stdout.readline().split()
            acked[key] = int(number)
        time.sleep(rng.uniform(0, 0.01))  # land anywhere: mid-write, mid-rename, between turns
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        # Whatever the writer printed before dying was acknowledged too.
        for line in writer.stdout.read().splitlines():
            _, key, number = line.split()
            acked[key] = int(number)

        store = TinyDBStore(db, lock_timeout=5)  # the kernel released the dead writer's lock
        for key, number in acked.items():
            person = store.read(PEOPLE, key)  # parses, or this raises
            assert person is not None
            company = person["cases"][0]["company"]
            stored = int(company.split("-")[1]) if company else 0
            assert stored >= number, f"{key}: acknowledged Company-{number}, found {company!r}"
        store.close()
    assert len(acked) == 3 and min(acked.values()) > 10


def test_sigkill_never_loses_an_acknowledged_nudge(tmp_path: Path) -> None:
    """``NudgeBook.save`` writes three records (new due entry, nudge, old entry gone):
    killed between any two, every nudge it acknowledged is still due, exactly once."""
    db = tmp_path / "db"
    rng = random.Random(20261128)
    acked: dict[str, str] = {}
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    later = START + timedelta(days=3650)
    for _ in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.nudge_crash_writer", str(db)], cwd=REPO, env=env,
            stdout=subprocess.PIPE, text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "READY"
        lines = [writer.stdout.readline() for _ in range(rng.randint(1, 12))]
        time.sleep(rng.uniform(0, 0.01))  # mid-entry, mid-record, between the two
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        lines += writer.stdout.read().splitlines()
        moved = {nudge_id: due_at for _, nudge_id, due_at in map(str.split, lines)}
        acked.update(moved)

        store = TinyDBStore(db, lock_timeout=5)
        book = NudgeBook(store)
        for nudge_id, due_at in acked.items():
            nudge = book.get(nudge_id)
            assert nudge is not None and nudge["due_at"] >= due_at, nudge_id
            if nudge_id not in moved:
                continue
            at_its_time = [n["id"] for n in book.due(datetime.fromisoformat(nudge["due_at"]))]
            assert nudge_id in at_its_time, f"{nudge_id} is not due at {nudge['due_at']}"
        # Twice, the second time past any grace for clearing stale entries: clearing
        # them never takes a nudge's own entry.
        for now in (later, later + timedelta(days=1)):
            counts = Counter(n["id"] for n in book.due(now))
            assert {i: counts[i] for i in acked if counts[i] != 1} == {}
        store.close()
    assert len(acked) >= KEPT_AT_LEAST
