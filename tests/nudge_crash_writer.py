"""A real process for the nudge crash test: plans and moves nudges on TinyDB forever.

It keeps a few nudges and, turn after turn, moves one to a later due time the way a
snooze or a retry does (``NudgeBook.save``), now and then planning a new one
(``NudgeBook.add``). It prints ``ACK <id> <due_at>`` only after the call returned, i.e.
once the change was durable. The parent kills this process with SIGKILL at random
moments, then checks that every acknowledged nudge is still due exactly once.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from bot.interfaces import Record
from bot.nudges.book import NudgeBook
from bot.storage import TinyDBStore

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # as tests.conftest.START
OWNER = "crash:T1:U1"
KEPT = 4  # nudges moved in turn; every tenth step plans another


def nudge_id(number: int) -> str:
    return f"n{number:06d}"


def new_nudge(number: int, due_at: datetime) -> Record:
    return {"id": nudge_id(number), "user": OWNER, "case": "c1", "kind": "connect",
            "due_at": due_at.isoformat(), "state": "planned", "attempts": 0}


def main(path: str) -> None:
    book = NudgeBook(TinyDBStore(path))
    existing = sorted(book.all(), key=lambda nudge: nudge["id"])
    step = max((int(n["id"][1:]) for n in existing), default=0)
    latest = max((datetime.fromisoformat(n["due_at"]) for n in existing), default=START)
    print("READY", flush=True)
    while True:
        step += 1
        latest += timedelta(minutes=1)
        if step % 10 == 1 or len(existing) < KEPT:
            nudge = new_nudge(step, latest)
            book.add(nudge)
            existing.append(nudge)
        else:
            nudge = book.get(existing[step % len(existing)]["id"])
            assert nudge is not None
            nudge["due_at"] = latest.isoformat()
            book.save(nudge)
        print(f"ACK {nudge['id']} {nudge['due_at']}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
