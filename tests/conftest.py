"""Shared fixtures: content, a clock that tests move, every store, and a conversation."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.content.loader import Content, load_content
from bot.conversation.actions import ACTIONS
from bot.conversation.engine import Coach
from bot.interfaces import Store
from bot.messages import UserRef
from bot.settings import DEFAULT_CONTENT_DIR
from bot.storage import MemoryStore, TinyDBStore
from tests.conversation import Conversation
from tests.pg_server import PostgresServer, find_pg_bin

REPO = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday


LOOPBACK = (None, "127.0.0.1", "::1", "localhost", b"127.0.0.1", b"localhost")


@pytest.fixture(autouse=True)
def _no_network_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to stand-ins on this machine only (STYLE.md #10): dialling out, or even
    resolving a public name, fails the test that tried."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if isinstance(host, str) and host not in LOOPBACK:
            raise ConnectionRefusedError(f"test tried to reach {address!r}; only loopback")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK:
            raise socket.gaierror(f"test tried to resolve {host!r}; only loopback")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


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
