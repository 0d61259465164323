"""A damaged database gets a clear answer, keeps the damaged bytes, and the bot goes on."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.interfaces import Record, StoreError
from bot.messages import UserRef
from bot.storage import MemoryStore, TinyDBStore
from tests.conversation import Conversation, log_rejection, skip_introduction


def test_corrupt_person_file_gets_a_clear_message(tmp_path: Path, content: Content,
                                                  clock: ManualClock) -> None:
    store = TinyDBStore(tmp_path / "db")
    conv = Conversation(Coach(store=store, content=content, clock=clock),
                        UserRef("test", "T1", "U1"))
    log_rejection(conv)
    store.sync_files()
    [path] = (tmp_path / "db" / "people").glob("*/*.json")
    path.write_bytes(b"\x00\xff not json")
    conv.command("start")
    assert "couldn't read your saved progress" in conv.text
    assert "three steps" in conv.text  # and the person can go on
    kept = list(path.parent.glob("*.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"\x00\xff not json"
    store.close()


class FailingWrites(MemoryStore):
    """A disk that fills up: reads work, writes fail."""

    fail = False

    def write(self, namespace: str, key: str, record: Record) -> None:
        if self.fail:
            raise StoreError("No space left on device")
        super().write(namespace, key, record)


def test_a_failed_save_is_reported_and_the_previous_state_kept(content: Content,
                                                               clock: ManualClock) -> None:
    store = FailingWrites()
    conv = Conversation(Coach(store=store, content=content, clock=clock),
                        UserRef("test", "T1", "U1"))
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    store.fail = True
    conv.send("Acme")
    assert "didn't take it in" in conv.text
    store.fail = False
    conv.send("Acme")
    assert "role at Acme" in conv.text
