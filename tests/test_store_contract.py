"""One contract for every store (STYLE.md #5): the same tests on memory and TinyDB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.interfaces import CorruptRecordError, Store, StoreError
from bot.storage import TinyDBStore, open_store


def test_missing_record_reads_as_none(store: Store) -> None:
    assert store.read("people", "nobody") is None


def test_write_then_read_round_trips_nested_unicode(store: Store) -> None:
    record = {"name": "Zoë Ω", "cases": [{"id": "c1", "tags": ["a", "b"]}], "n": 3, "x": None}
    store.write("people", "slack:T1:U1", record)
    assert store.read("people", "slack:T1:U1") == record


def test_records_are_copies_not_shared_objects(store: Store) -> None:
    record = {"items": [1]}
    store.write("people", "k", record)
    record["items"].append(2)
    read = store.read("people", "k")
    assert read == {"items": [1]}
    read["items"].append(3)  # type: ignore[index]
    assert store.read("people", "k") == {"items": [1]}


def test_write_replaces(store: Store) -> None:
    store.write("people", "k", {"v": 1})
    store.write("people", "k", {"w": 2})
    assert store.read("people", "k") == {"w": 2}


def test_delete_is_idempotent(store: Store) -> None:
    store.write("people", "k", {"v": 1})
    store.delete("people", "k")
    store.delete("people", "k")
    assert store.read("people", "k") is None


def test_keys_lists_a_namespace_only(store: Store) -> None:
    keys = {"slack:T1:U1", "discord:discord:42", "odd/key with spaces:%"}
    for key in keys:
        store.write("people", key, {"k": key})
    store.write("nudges", "n1", {})
    assert set(store.keys("people")) == keys
    assert set(store.keys("nudges")) == {"n1"}
    assert list(store.keys("events")) == []


def test_add_creates_only_once(store: Store) -> None:
    assert store.add("events", "slack:Ev1", {"at": "x"}) is True
    assert store.add("events", "slack:Ev1", {"at": "y"}) is False
    assert store.read("events", "slack:Ev1") == {"at": "x"}


def test_memory_url_and_path_pick_the_backend(tmp_path: Path) -> None:
    assert type(open_store("memory://")).__name__ == "MemoryStore"
    tiny = open_store(str(tmp_path / "db"))
    assert isinstance(tiny, TinyDBStore)
    tiny.close()


def test_tinydb_files_are_tinydb_databases(tmp_path: Path) -> None:
    from tinydb import TinyDB

    store = TinyDBStore(tmp_path / "db")
    store.write("people", "slack:T1:U1", {"hello": "world"})
    store.close()
    [path] = (tmp_path / "db" / "people").glob("*/*.json")
    with TinyDB(path) as db:
        assert db.all() == [{"hello": "world"}]


def test_corrupt_record_is_reported_and_kept_aside(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "db")
    store.write("people", "k", {"v": 1})
    store.sync_files()  # the applier has written the file this test tears
    [path] = (tmp_path / "db" / "people").glob("*/*.json")
    path.write_text('{"_default": {"1": {"v": ')
    with pytest.raises(CorruptRecordError) as caught:
        store.read("people", "k")
    assert caught.value.kept_at and Path(caught.value.kept_at).read_text().startswith('{"_def')
    assert store.read("people", "k") is None  # moved aside; the person can go on
    store.close()


def test_one_writer_process_at_a_time(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "db")
    code = (
        "import sys; from bot.storage import TinyDBStore\n"
        "try:\n    TinyDBStore(sys.argv[1], lock_timeout=0.2)\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "db")],
                         capture_output=True, text=True, timeout=60).stdout
    assert out.startswith("StoreInUseError") and "in use by another notnow process" in out
    reader = TinyDBStore(tmp_path / "db", read_only=True)
    store.write("people", "k", {"v": 1})
    store.sync_files()  # another process reads the files: a few milliseconds behind
    assert reader.read("people", "k") == {"v": 1}
    with pytest.raises(StoreError):
        reader.write("people", "k", {})
    store.close()
    second = TinyDBStore(tmp_path / "db", lock_timeout=1)  # free again after close
    second.close()


def test_leftover_temp_files_are_cleared_at_start(tmp_path: Path) -> None:
    TinyDBStore(tmp_path / "db").close()
    (tmp_path / "db" / ".tmp" / "123-456-x.json").write_text("half a rec")
    store = TinyDBStore(tmp_path / "db")
    assert list((tmp_path / "db" / ".tmp").iterdir()) == []
    store.close()


def test_replace_only_when_unchanged(store: Store) -> None:
    store.write("nudges", "n1", {"state": "planned", "n": 1})
    claimed = {"state": "claimed", "n": 1}
    assert store.replace("nudges", "n1", claimed, expected={"state": "planned", "n": 1})
    assert not store.replace("nudges", "n1", {"state": "claimed", "by": "other"},
                             expected={"state": "planned", "n": 1})
    assert store.read("nudges", "n1") == claimed
    assert store.replace("nudges", "n2", {"new": True}, expected=None)
    assert not store.replace("nudges", "n2", {"new": False}, expected=None)


def test_read_many_returns_what_exists(store: Store) -> None:
    for key in ("a", "b", "c"):
        store.write("nudges", key, {"k": key})
    assert store.read_many("nudges", ["a", "c", "zzz"]) == {"a": {"k": "a"}, "c": {"k": "c"}}
    assert store.read_many("nudges", []) == {}


def test_namespaces_lists_the_ones_with_records(store: Store) -> None:
    assert store.namespaces() == []
    store.write("people", "a", {})
    store.write("nudges", "n", {})
    store.delete("nudges", "n")
    assert store.namespaces() == ["people"]


def test_kept_aside_copies_are_exported_then_deleted_with_the_record(store: Store) -> None:
    assert store.kept_aside("people", "k") == []  # nothing unreadable: nothing kept
    if not isinstance(store, TinyDBStore):
        return  # only files can be torn; the other backends never keep copies
    store.write("people", "k", {"v": 1})
    store.write("people", "k2", {"v": 2})
    store.sync_files()
    [path] = [p for p in store.root.glob("people/*/*.json") if p.name == "k.json"]
    path.write_text('{"_default": {"1": {"name": "Zo')
    with pytest.raises(CorruptRecordError):
        store.read("people", "k")
    assert store.kept_aside("people", "k") == ['{"_default": {"1": {"name": "Zo']
    assert store.kept_aside("people", "k2") == []
    store.delete("people", "k")
    assert store.kept_aside("people", "k") == []
    assert not list(path.parent.glob("k.json*"))
    assert store.read("people", "k2") == {"v": 2}
