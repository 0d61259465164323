"""Kill a real writing process with SIGKILL at random moments: nothing acknowledged is lost.

TinyDB's own JSON storage rewrites its file in place; ours writes a temporary file, fsyncs
and renames. This test is the evidence: 50 kills, and after each one every record parses
and holds at least the last turn the writer acknowledged.
"""

from __future__ import annotations

import json
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


def test_sigkill_during_commits_and_write_back_leaves_every_commit_whole(
        tmp_path: Path) -> None:
    """A commit of two records on the group-commit log, killed anywhere (mid-append,
    mid-file, mid-write-back, which runs every few commits here): both records are
    seen at the same number, at least the last acknowledged one, by a read-only open
    before replay and by the writer after it."""
    db = tmp_path / "db"
    rng = random.Random(20261129)
    acked = 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(KILLS // 2):
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_writer", str(db), "pairs"], cwd=REPO,
            env=env, stdout=subprocess.PIPE, text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "READY"
        for _ in range(rng.randint(1, 30)):
            acked = int(writer.stdout.readline().split()[2])
        time.sleep(rng.uniform(0, 0.02))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        for line in writer.stdout.read().splitlines():
            acked = int(line.split()[2])
        seen = []
        for store in (TinyDBStore(db, read_only=True), TinyDBStore(db, lock_timeout=5)):
            a, b = store.read("pairs", "a"), store.read("pairs", "b")
            assert a is not None and b is not None and a["n"] == b["n"], (a, b)
            assert a["n"] >= acked
            seen.append(a["n"])
            store.close()
        assert seen[0] == seen[1]
    assert acked > KILLS


def test_sigkill_during_replay_then_open_again_gives_the_same_data(tmp_path: Path) -> None:
    """A long log left by a dead writer; the process replaying it is killed, several
    times, mid-way; the next open still gives every commit, the last of each key winning."""
    from bot.storage.commit_log import encode_frame

    db = tmp_path / "db"
    TinyDBStore(db).close()
    expected: dict[str, int] = {}
    for number in (1, 2):
        frames = []
        for n in range(6000):
            key = f"k{(n * 7 + number) % 4000}"
            expected[key] = number * 10_000 + n
            frames.append(encode_frame(json.dumps(
                [["put", "replayed", key, {"v": expected[key]}],
                 ["del", "replayed", f"gone{n}"]]).encode()))
        (db / ".log").mkdir(exist_ok=True)
        (db / ".log" / f"{number:012d}.log").write_bytes(b"".join(frames))
    rng = random.Random(20261130)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    interrupted = 0
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_writer", str(db), "replay"], cwd=REPO,
            env=env, stdout=subprocess.PIPE, text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "REPLAYING"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if "OPENED" not in child.stdout.read():
            interrupted += 1
    assert interrupted >= 1  # at least one kill landed mid-replay
    store = TinyDBStore(db, lock_timeout=5)
    found = store.read_many("replayed", sorted(expected))
    assert {key: record["v"] for key, record in found.items()} == expected
    assert not list((db / ".log").glob("*.log"))
    store.close()
