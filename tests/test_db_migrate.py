"""``notnow db migrate``: TinyDB to PostgreSQL and back, every record, verified by counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.messages import UserRef
from bot.storage import TinyDBStore
from tests.conversation import Conversation, log_rejection


def migrate(source: str, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapters.cli", "db", "migrate",
                           "--from", source, "--to", target], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))


def test_round_trip_tinydb_postgres_tinydb(tmp_path: Path, postgres_url: str,
                                           content: Content, clock: ManualClock) -> None:
    store = TinyDBStore(tmp_path / "first")
    coach = Coach(store=store, content=content, clock=clock)
    for n in range(3):
        conv = Conversation(coach, UserRef("slack", "T1", f"U{n}"))
        log_rejection(conv, company=f"Company {n}")
        conv.pick("Email")
        conv.pick("sent it")
        conv.pick("Not yet")
        conv.pick("Regular")
    coach.store.add("events", "slack:Ev1", {"at": "x"})
    before = {ns: {k: store.read(ns, k) for k in store.keys(ns)} for ns in store.namespaces()}
    store.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS notnow_records, notnow_migrations")

    there = migrate(str(tmp_path / "first"), postgres_url)
    assert there.returncode == 0, there.stderr
    assert "people" in there.stdout and "counts match" in there.stdout
    back = migrate(postgres_url, str(tmp_path / "second"))
    assert back.returncode == 0, back.stderr

    after = TinyDBStore(tmp_path / "second", read_only=True)
    assert {ns: {k: after.read(ns, k) for k in after.keys(ns)} for ns in after.namespaces()} \
        == before
    assert set(before) >= {"people", "nudges", "nudge_due", "events"}

    again = migrate(str(tmp_path / "first"), postgres_url)  # the target is not empty now
    assert again.returncode == 2 and "already holds records" in again.stderr
