"""Shared fixtures: content, a clock that tests move, every store, and a conversation."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.actions import ACTIONS
from bot.clock import ManualClock
from bot.content_loader import Content, load_content
from bot.engine import Coach
from bot.interfaces import Store
from bot.messages import UserRef
from bot.settings import DEFAULT_CONTENT_DIR
from bot.storage import MemoryStore, TinyDBStore
from tests.conversation import Conversation
from tests.pg_server import PostgresServer, find_pg_bin

REPO = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday


@pytest.fixture(autouse=True)
def _no_network_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to stand-ins on this machine only; dialling out is a bug in the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else None
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost"):
            raise RuntimeError(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(DEFAULT_CONTENT_DIR, known_actions=ACTIONS)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the whole run (see tests/pg_server.py)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    server = PostgresServer(bin_dir).start()
    yield server.url
    server.stop()


def fresh_postgres_store(url: str) -> Store:
    """A PostgreSQL store on an emptied table: each test starts from nothing."""
    import psycopg

    from bot.storage.postgres import PostgresStore

    store = PostgresStore(url)  # migrates, so the table exists
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE notnow_records")
    return store


@pytest.fixture(params=["memory", "tinydb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: Store
    if request.param == "memory":
        backend = MemoryStore()
    elif request.param == "tinydb":
        backend = TinyDBStore(tmp_path / "db")
    else:
        backend = fresh_postgres_store(request.getfixturevalue("postgres_url"))
    yield backend
    backend.close()


@pytest.fixture
def coach(store: Store, content: Content, clock: ManualClock) -> Coach:
    return Coach(store=store, content=content, clock=clock)


@pytest.fixture
def conv(coach: Coach) -> Conversation:
    return Conversation(coach, UserRef("test", "T1", "U1"))
