"""A real writing process for the crash test: drives the engine on TinyDB forever.

``python -m tests.crash_writer DB pairs`` instead commits two records together forever
on a log that rotates every few commits (so write-back runs all the time), printing
``ACK pair n`` once a commit returned; ``DB replay`` opens the store (replaying its log),
printing ``REPLAYING`` first and ``OPENED`` after.

Each turn answers the company question with ``Company-<n>`` and prints ``ACK user n``
only after ``Coach.handle`` returned, i.e. after the turn was saved. Then ``back`` returns
to the same question. The parent kills this process with SIGKILL at random moments.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from bot.clock import ManualClock
from bot.content.loader import load_content
from bot.conversation.actions import ACTIONS
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.interfaces import Put
from bot.messages import Choice, Command, Text, UserRef
from bot.settings import DEFAULT_CONTENT_DIR
from bot.storage import TinyDBStore

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # as tests.conftest.START
USERS = [UserRef("crash", "T1", f"U{i}") for i in range(3)]


def option(replies: list, label: str) -> Choice:  # type: ignore[type-arg]
    for reply in replies:
        for opt in reply.options:
            if label in opt.label:
                return Choice(opt.value)
    raise SystemExit(f"no option {label!r}")


def main(path: str) -> None:
    coach = Coach(store=TinyDBStore(path), clock=ManualClock(START),
                  content=load_content(DEFAULT_CONTENT_DIR, known_actions=ACTIONS))
    counters = {}
    for user in USERS:
        person = coach.store.read(PEOPLE, user.key)
        if person is None:
            coach.handle(user, Command("start"))
            coach.handle(user, Command("skip"))  # first name
            replies = coach.handle(user, Command("skip"))  # place
            replies = coach.handle(user, option(replies, "Okay"))
            coach.handle(user, option(replies, "write down"))
            person = coach.store.read(PEOPLE, user.key)
        if person["flow"]["step"] != "ask_company":
            coach.handle(user, Command("back"))
        company = person["cases"][0]["company"]
        counters[user.key] = int(company.split("-")[1]) if company else 0
    print("READY", flush=True)
    while True:
        for user in USERS:
            counters[user.key] += 1
            coach.handle(user, Text(f"Company-{counters[user.key]}"))
            print(f"ACK {user.key} {counters[user.key]}", flush=True)
            coach.handle(user, Command("back"))


def pairs(path: str) -> None:
    """Both records of a pair always hold the same number: a crash shows either whole."""
    store = TinyDBStore(path, log_max_bytes=2048)
    number = (store.read("pairs", "a") or {"n": 0})["n"]
    print("READY", flush=True)
    while True:
        number += 1
        store.commit([Put("pairs", "a", {"n": number, "pad": "x" * 200}),
                      Put("pairs", "b", {"n": number, "pad": "y" * 200})])
        print(f"ACK pair {number}", flush=True)


def replay(path: str) -> None:
    print("REPLAYING", flush=True)
    TinyDBStore(path)
    print("OPENED", flush=True)


if __name__ == "__main__":
    {"pairs": pairs, "replay": replay}.get(sys.argv[2] if len(sys.argv) > 2 else "",
                                           main)(sys.argv[1])
