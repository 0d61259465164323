"""The helpline reaches the person whatever storage does, and the referral count is exact.

Faults are injected by wrapping a real store (a full disk on one namespace, a slow disk
that widens every race); the engine and the stores themselves run unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.conversation.safety import STATS, referral_count
from bot.interfaces import Op, Record, Store, StoreError
from bot.messages import Reply, Text, UserRef
from bot.storage import TinyDBStore
from tests.conversation import Conversation, skip_introduction
from tests.store_wrappers import DelegatingStore

CRISIS = "I want to die"
HELPLINE = "findahelpline.com"
REFERRALS = 16


class WrappedStore(DelegatingStore):
    """A real store behind a faulty disk: namespaces in ``broken`` fail every call with
    ``StoreError`` (``broken_reads=False`` lets reads through, so only saving fails), and
    reads of ``slow`` namespaces pause after reading, as a loaded disk would."""

    def __init__(self, inner: Store, *, broken: Sequence[str] = (), broken_reads: bool = True,
                 slow: Sequence[str] = (), pause: float = 0.0) -> None:
        super().__init__(inner)
        self.broken = set(broken)
        self.broken_reads = broken_reads
        self.slow = set(slow)
        self.pause = pause

    def _fail_if_broken(self, namespace: str) -> None:
        if namespace in self.broken:
            raise StoreError(f"[Errno 28] No space left on device ({namespace})")

    def read(self, namespace: str, key: str) -> Record | None:
        if self.broken_reads:
            self._fail_if_broken(namespace)
        record = self.inner.read(namespace, key)
        if namespace in self.slow:
            time.sleep(self.pause)
        return record

    def write(self, namespace: str, key: str, record: Record) -> None:
        self._fail_if_broken(namespace)
        self.inner.write(namespace, key, record)

    def replace(self, namespace: str, key: str, record: Record, *,
                expected: Record | None) -> bool:
        self._fail_if_broken(namespace)
        return self.inner.replace(namespace, key, record, expected=expected)

    def delete(self, namespace: str, key: str) -> None:
        self._fail_if_broken(namespace)
        self.inner.delete(namespace, key)

    def keys(self, namespace: str) -> Iterator[str]:
        self._fail_if_broken(namespace)
        return self.inner.keys(namespace)

    def before_commit(self, ops: Sequence[Op]) -> None:
        for op in ops:
            self._fail_if_broken(op.namespace)

    def read_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record]:
        if self.broken_reads:
            self._fail_if_broken(namespace)
        return self.inner.read_many(namespace, keys)


def talk(store: Store, content: Content, clock: ManualClock) -> Conversation:
    return Conversation(Coach(store=store, content=content, clock=clock),
                        UserRef("test", "T1", "U1"))


def shows_helpline(replies: list[Reply]) -> bool:
    return any(HELPLINE in r.text and "safety" in r.tags for r in replies)


def test_a_broken_referral_count_still_shows_the_helpline(
        store: Store, content: Content, clock: ManualClock) -> None:
    conv = talk(WrappedStore(store, broken=[STATS]), content, clock)
    conv.send(CRISIS)
    assert shows_helpline(conv.last)
    assert "went wrong saving" not in conv.text
    assert conv.person["safety"] is not None  # the hold was saved all the same


def test_a_failed_save_of_the_person_still_shows_the_helpline(
        store: Store, content: Content, clock: ManualClock) -> None:
    conv = talk(WrappedStore(store, broken=[PEOPLE], broken_reads=False), content, clock)
    conv.send(CRISIS)
    assert shows_helpline(conv.last)


def test_an_unreadable_store_still_shows_the_default_helpline(
        store: Store, content: Content, clock: ManualClock) -> None:
    conv = talk(WrappedStore(store, broken=[PEOPLE, STATS]), content, clock)
    conv.send(CRISIS)
    assert shows_helpline(conv.last)
    conv.send("Acme Corp")  # no crisis words: the ordinary apology
    assert "went wrong saving" in conv.text


def test_two_coaches_count_every_referral_made_at_once(
        store: Store, content: Content, clock: ManualClock) -> None:
    """Each read of the count dawdles, so every counter reads before any writes: a plain
    read-then-write keeps one of the sixteen; compare-and-set keeps them all."""
    slow = WrappedStore(store, slow=[STATS], pause=0.05)
    coaches = [Coach(store=slow, content=content, clock=clock) for _ in range(2)]
    start = threading.Barrier(REFERRALS)
    answers: dict[int, list[Reply]] = {}

    def person(index: int) -> None:
        start.wait()
        user = UserRef("test", "T1", f"U{index}")
        answers[index] = coaches[index % 2].handle(user, Text(CRISIS))

    threads = [threading.Thread(target=person, args=(i,)) for i in range(REFERRALS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == REFERRALS
    assert all(shows_helpline(replies) for replies in answers.values())
    assert referral_count(store) == REFERRALS


@pytest.mark.parametrize("garbage", [{"count": "many"}, {"tally": 3}])
def test_a_nonsense_count_does_not_hide_the_helpline(
        store: Store, content: Content, clock: ManualClock, garbage: Record) -> None:
    store.write(STATS, "safety_referrals", garbage)
    conv = talk(store, content, clock)
    conv.send(CRISIS)
    assert shows_helpline(conv.last)


def test_a_corrupt_count_file_is_kept_aside_and_counting_goes_on(
        tmp_path: Path, content: Content, clock: ManualClock) -> None:
    with TinyDBStore(tmp_path / "db") as store:
        talk(store, content, clock).send(CRISIS)
        store.sync_files()
        [path] = (tmp_path / "db" / STATS).glob("*/*.json")
        path.write_bytes(b"\x00\xff not json")
        conv = Conversation(Coach(store=store, content=content, clock=clock),
                            UserRef("test", "T1", "U2"))
        conv.send(CRISIS)
        assert shows_helpline(conv.last)
        assert referral_count(store) == 1  # counted again from zero, bytes kept aside
        assert len(list(path.parent.glob("*.corrupt-*"))) == 1


def test_a_turn_run_again_after_a_race_counts_its_referral_once(
        store: Store, content: Content, clock: ManualClock) -> None:
    """The count is written after the turn's commit, so the first attempt, which lost
    its compare-and-set to another process, leaves no count behind."""
    from bot.conversation.people import PEOPLE
    from bot.conversation.safety import referral_count
    from tests.test_hardening_core import once_after_reading, two_coaches

    shared, first, second = two_coaches(store, content, clock)
    first.command("start")
    skip_introduction(first)
    once_after_reading(shared, PEOPLE, first.user.key, lambda: second.command("pause", "3"))
    first.send(CRISIS)
    assert HELPLINE in first.text
    assert first.person["paused_until"]  # the race happened: the other process's pause won
    assert first.person["safety"]
    assert referral_count(store) == 1
