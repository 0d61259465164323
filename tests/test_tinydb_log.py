"""The TinyDB store's commit log (issue 13): group commit, replay, write-back, the
time-ordered due index; all on real files, crashes made by a real child process."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.interfaces import Delete, Put, StoreError
from bot.storage import TinyDBStore
from tests.conftest import REPO

PEOPLE = "people"
DUE = "nudge_due"


def segments(root: Path) -> list[Path]:
    log_dir = root / ".log"
    return sorted(p for p in log_dir.iterdir() if p.name.endswith(".log")) \
        if log_dir.is_dir() else []


def ends_within(thread: threading.Thread, seconds: float) -> bool:
    """Whether ``thread`` ends within ``seconds``, found by a sleeping poll: a timed
    wait (``join(timeout)``) may never time out under faketime, which CI runs under."""
    deadline = time.monotonic() + seconds
    while thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not thread.is_alive()


def write_segment(root: Path, number: int, commits: list[list[list[object]]],
                  tail: bytes = b"") -> Path:
    """A log segment as a killed writer leaves it: frames, then maybe a torn tail."""
    from bot.storage.commit_log import encode_frame

    (root / ".log").mkdir(parents=True, exist_ok=True, mode=0o700)
    path = root / ".log" / f"{number:012d}.log"
    path.write_bytes(b"".join(encode_frame(json.dumps(ops).encode()) for ops in commits)
                     + tail)
    return path


def commit_and_die(root: Path, code: str) -> None:
    """Run ``code`` against a writable store in a child that exits without close."""
    script = ("import os, sys\nfrom bot.interfaces import Put, Delete\n"
              "from bot.storage import TinyDBStore\n"
              "store = TinyDBStore(sys.argv[1], log_max_age=3600)\n"
              f"{code}\nos._exit(0)\n")
    subprocess.run([sys.executable, "-c", script, str(root)], cwd=REPO, check=True,
                   env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)


def test_a_commit_with_a_failing_expectation_writes_nothing(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "db")
    store.write(PEOPLE, "a", {"v": 1})
    refused = store.commit([Put(PEOPLE, "a", {"v": 2}, expected={"v": 1}),
                            Put(PEOPLE, "b", {"v": 1}),
                            Put(PEOPLE, "c", {"v": 1}, expected={"v": 0}),
                            Delete(PEOPLE, "a")])
    assert refused is False
    assert store.read(PEOPLE, "a") == {"v": 1} and store.read(PEOPLE, "b") is None
    assert store.commit([Put(PEOPLE, "a", {"v": 2}, expected={"v": 1}),
                         Put(PEOPLE, "b", {"v": 1}, expected=None)])
    assert store.read_many(PEOPLE, ["a", "b"]) == {"a": {"v": 2}, "b": {"v": 1}}
    store.close()


def test_a_commit_is_seen_at_once_by_readers_before_write_back(tmp_path: Path) -> None:
    """A commit's record files are written when its log segment closes; until then the
    writer serves it from memory, and a read-only process opened since reads the log."""
    root = tmp_path / "db"
    store = TinyDBStore(root, log_max_age=3600)
    early = TinyDBStore(root, read_only=True)  # opened before the commit
    assert store.commit([Put(PEOPLE, "a", {"v": 1}),
                         Put(DUE, "2026-11-28T09:00:00+00:00|n1", {})])
    assert store.read(PEOPLE, "a") == {"v": 1}  # at once, from memory
    assert len(segments(root)) == 1 and not (root / PEOPLE).exists()  # no file yet
    reader = TinyDBStore(root, read_only=True)
    assert reader.read(PEOPLE, "a") == {"v": 1}
    assert list(reader.keys(DUE)) == ["2026-11-28T09:00:00+00:00|n1"]
    assert early.read(PEOPLE, "a") is None  # what it saw when it opened
    store.sync_files()  # for a reader that must see the last commits: written back now
    assert segments(root) == []
    assert early.read(PEOPLE, "a") == {"v": 1}
    store.close()
    assert TinyDBStore(root, read_only=True).read(PEOPLE, "a") == {"v": 1}


def test_a_reader_skips_a_segment_written_back_while_it_opens(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer may delete a segment between a reader listing the log and reading it:
    its records are in the files by then, so the reader goes on with the next one (it
    used to stop there, missing every later commit)."""
    import bot.storage.tinydb_store as tinydb_store
    from bot.storage.commit_log import encode_frame

    root = tmp_path / "db"
    TinyDBStore(root).close()
    (root / ".log").mkdir()
    (root / ".log" / f"{2:012d}.log").write_bytes(
        encode_frame(b'[["put","people","b",{"v":2}]]'))
    listed = tinydb_store.segment_paths
    monkeypatch.setattr(tinydb_store, "segment_paths",  # the first one went meanwhile
                        lambda log_dir: [log_dir / f"{1:012d}.log", *listed(log_dir)])
    reader = TinyDBStore(root, read_only=True)
    assert reader.read(PEOPLE, "b") == {"v": 2}


def test_a_process_that_dies_without_close_is_replayed_at_the_next_open(
        tmp_path: Path) -> None:
    root = tmp_path / "db"
    commit_and_die(root, "store.commit([Put('people', 'a', {'v': 1}), "
                         "Put('people', 'b', {'v': 2})])\nstore.delete('events', 'zz')")
    assert len(segments(root)) == 1
    assert not (root / PEOPLE).exists()  # the files are written when a segment closes
    store = TinyDBStore(root)
    assert store.read_many(PEOPLE, ["a", "b"]) == {"a": {"v": 1}, "b": {"v": 2}}
    assert segments(root) == []  # applied durably, then deleted
    store.close()


def test_a_torn_tail_is_an_unacknowledged_commit_and_is_dropped(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from bot.storage.commit_log import encode_frame

    root = tmp_path / "db"
    whole = encode_frame(json.dumps([["put", PEOPLE, "b", {"v": 2}]]).encode())
    write_segment(root, 1, [[["put", PEOPLE, "a", {"v": 1}]]], tail=whole[:-3])
    with caplog.at_level(logging.WARNING):
        store = TinyDBStore(root)
    assert store.read(PEOPLE, "a") == {"v": 1} and store.read(PEOPLE, "b") is None
    assert "torn at the end of the log" in caplog.text
    store.close()


def test_a_damaged_segment_before_the_last_is_kept_aside_and_later_ones_applied(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "db"
    write_segment(root, 1, [[["put", PEOPLE, "a", {"v": 1}]]],
                  tail=b"\x00\x00\x00\x09garbage")
    write_segment(root, 2, [[["put", PEOPLE, "b", {"v": 2}]]])
    with caplog.at_level(logging.ERROR):
        store = TinyDBStore(root)
    assert store.read_many(PEOPLE, ["a", "b"]) == {"a": {"v": 1}, "b": {"v": 2}}
    [kept] = (root / ".log").glob("000000000001.log.corrupt-*")
    assert kept.read_bytes().endswith(b"garbage")
    assert "segment is damaged" in caplog.text and str(kept) in caplog.text
    store.write(PEOPLE, "c", {"v": 3})  # new segments never collide with the kept one
    store.close()
    assert TinyDBStore(root, read_only=True).read(PEOPLE, "c") == {"v": 3}


def test_a_read_only_open_sees_commits_only_in_the_log(tmp_path: Path) -> None:
    root = tmp_path / "db"
    TinyDBStore(root).close()
    write_segment(root, 7, [
        [["put", PEOPLE, "a", {"v": 1}], ["put", DUE, "2026-11-28T09:00:00+00:00|n", {}]],
        [["del", PEOPLE, "a"], ["put", PEOPLE, "b", {"v": 2}]]], tail=b"\x00\x00")
    reader = TinyDBStore(root, read_only=True)
    assert reader.read(PEOPLE, "a") is None and reader.read(PEOPLE, "b") == {"v": 2}
    assert set(reader.keys(PEOPLE)) == {"b"} and reader.namespaces() == [DUE, PEOPLE]
    assert list(reader.keys_through(DUE, "2026-11-29")) == ["2026-11-28T09:00:00+00:00|n"]
    assert not list((root / PEOPLE).glob("*/*.json"))  # it wrote nothing
    assert len(segments(root)) == 1


def test_many_threads_commit_at_once_with_fewer_syncs_than_commits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = []
    real = os.fdatasync
    monkeypatch.setattr(os, "fdatasync", lambda fd: (syncs.append(fd), real(fd))[-1])
    root = tmp_path / "db"
    store = TinyDBStore(root, log_max_age=3600)
    start = threading.Barrier(50)

    def person(n: int) -> None:
        start.wait()
        for turn in range(10):
            assert store.commit([Put(PEOPLE, f"p{n}", {"turn": turn}),
                                 Put("events", f"e{n}-{turn}", {"n": n})])

    threads = [threading.Thread(target=person, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 0 < len(syncs) < 500 / 2, f"{len(syncs)} fdatasyncs for 500 commits"
    os.replace(root, tmp_path / "copy")  # as a crash would leave it: log not written back
    store.close()
    reopened = TinyDBStore(tmp_path / "copy")
    assert reopened.read_many(PEOPLE, [f"p{n}" for n in range(50)]) == {
        f"p{n}": {"turn": 9} for n in range(50)}
    assert len(list(reopened.keys("events"))) == 500
    reopened.close()


def test_write_back_removes_closed_segments_and_keeps_the_newest_values(
        tmp_path: Path) -> None:
    root = tmp_path / "db"
    store = TinyDBStore(root, log_max_bytes=512, log_max_age=3600)
    for n in range(200):
        store.write(PEOPLE, f"p{n % 7}", {"n": n})
    deadline = time.monotonic() + 10
    while len(segments(root)) > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(segments(root)) <= 1  # every closed segment was written back
    assert {store.read(PEOPLE, f"p{k}")["n"] for k in range(7)} == set(range(193, 200))
    aged = TinyDBStore(tmp_path / "aged", log_max_age=0.05)
    aged.write(PEOPLE, "a", {"v": 1})
    deadline = time.monotonic() + 30  # its own wait: the first part may have used up 10 s
    while segments(tmp_path / "aged") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert segments(tmp_path / "aged") == []  # an idle segment is written back by age
    aged.close()
    store.close()


def test_a_failed_log_sync_fails_the_commit_and_applies_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TinyDBStore(tmp_path / "db")

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", broken)
    with pytest.raises(StoreError, match="could not be made durable"):
        store.commit([Put(PEOPLE, "a", {"v": 1}), Put(PEOPLE, "b", {"v": 1})])
    assert store.read(PEOPLE, "a") is None and store.read(PEOPLE, "b") is None
    monkeypatch.undo()
    with pytest.raises(StoreError):  # refused until a restart replays the log
        store.write(PEOPLE, "c", {"v": 1})
    store.close()


def due(day: int, hour: int, name: str) -> str:
    return f"2026-12-{day:02d}T{hour:02d}:00:00+00:00|{name}"


def test_keys_through_reads_the_due_index_in_order_within_bounds_and_lazily(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TinyDBStore(tmp_path / "db")
    keys = [due(day, hour, name) for day in (3, 1, 2) for hour in (23, 0, 9)
            for name in ("b", "a")]
    store.commit([Put(DUE, key, {}) for key in keys])
    store.write(DUE, "not-a-time", {})
    assert list(store.keys_through(DUE, "z")) == [*sorted(keys), "not-a-time"]  # pending
    store.sync_files()
    assert list(store.keys_through(DUE, due(2, 9, "a"))) == sorted(
        k for k in keys if k <= due(2, 9, "a"))
    assert list(store.keys_through(DUE, due(3, 0, "b"), after=due(2, 9, "a"))) == [
        due(2, 9, "b"), due(2, 23, "a"), due(2, 23, "b"), due(3, 0, "a"), due(3, 0, "b")]
    assert list(store.keys_through(DUE, "z")) == [*sorted(keys), "not-a-time"]
    assert (tmp_path / "db" / DUE / "2026-12-02" / "09").is_dir()

    listed: list[str] = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: (listed.append(str(path)), real(path))[-1])
    first = next(store.keys_through(DUE, "9999"))
    assert first == due(1, 0, "a")
    assert not any("2026-12-02" in path or "2026-12-03" in path for path in listed)
    store.close()


def test_due_entries_of_the_hashed_layout_move_to_day_folders_at_open(
        tmp_path: Path) -> None:
    root = tmp_path / "db"
    key = due(5, 7, "old")
    shard = root / DUE / "3f"
    shard.mkdir(parents=True)
    (shard / (quote(key, safe="") + ".json")).write_text('{"_default": {"1": {}}}')
    (shard / (quote(key, safe="") + ".json.corrupt-20261101T000000")).write_text("x")
    store = TinyDBStore(root)
    assert list(store.keys_through(DUE, "9999")) == [key]
    assert store.read(DUE, key) == {} and store.kept_aside(DUE, key) == ["x"]
    assert not shard.exists()
    store.delete(DUE, key)
    assert list(store.keys(DUE)) == []
    store.close()


def test_a_commit_returns_before_its_record_files_are_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing record files is off the hot path: a commit returns once its log frame is
    synced, and its records are served from memory until its segment is written back
    (here the disk stalls every rename until the test lets it go)."""
    store = TinyDBStore(tmp_path / "db", log_max_age=3600)
    store.write(PEOPLE, "a", {"v": 1})
    store.sync_files()
    stalled = threading.Event()
    released = threading.Event()
    real_replace = os.replace

    def stalling_replace(src: object, dst: object) -> None:
        stalled.set()
        released.wait(timeout=30)
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", stalling_replace)
    assert store.commit([Put(PEOPLE, "a", {"v": 2}), Put(PEOPLE, "b", {"v": 3}),
                         Delete("events", "gone")])
    assert not stalled.is_set()  # no file is touched while the segment is open
    flusher = threading.Thread(target=store.sync_files)
    flusher.start()
    assert stalled.wait(timeout=10)  # the write-back is stuck on the first file
    assert store.read_many(PEOPLE, ["a", "b"]) == {"a": {"v": 2}, "b": {"v": 3}}
    assert sorted(store.keys(PEOPLE)) == ["a", "b"]
    assert not store.add(PEOPLE, "b", {"v": 4})  # "b" exists, if only in memory
    assert store.commit([Put(PEOPLE, "a", {"v": 5})])  # commits go on meanwhile
    released.set()
    flusher.join()
    monkeypatch.setattr(os, "replace", real_replace)
    reader = TinyDBStore(tmp_path / "db", read_only=True)
    assert reader.read_many(PEOPLE, ["a", "b"]) == {"a": {"v": 5}, "b": {"v": 3}}
    store.close()


def test_close_waits_for_a_commit_in_flight_and_returns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``close()`` while a commit waits for its log sync: the commit lands, close
    returns, and a commit after it is refused. close() used to stop the applier first;
    the late commit's segment then waited for record files nobody would write, and close
    hung for good (seen once in a bench that closed its store as a pass ended)."""
    store = TinyDBStore(tmp_path / "db")
    store.write(PEOPLE, "a", {"v": 1})
    syncing, release = threading.Event(), threading.Event()
    real_fdatasync = os.fdatasync

    def slow_fdatasync(fd: int) -> None:
        syncing.set()
        release.wait(timeout=30)
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", slow_fdatasync)
    results: list[bool] = []
    committer = threading.Thread(
        target=lambda: results.append(store.commit([Put(PEOPLE, "b", {"v": 2})])))
    committer.start()
    assert syncing.wait(timeout=10)  # the commit is in the log's hands
    closer = threading.Thread(target=store.close, daemon=True)
    closer.start()
    time.sleep(0.3)  # long enough for a close that does not wait to stop the applier
    release.set()
    committer.join()
    assert ends_within(closer, 20), "close() hung with a commit in flight"
    assert results == [True]
    with pytest.raises(StoreError, match="closed"):
        store.write(PEOPLE, "c", {"v": 3})
    monkeypatch.undo()
    reopened = TinyDBStore(tmp_path / "db")
    assert reopened.read_many(PEOPLE, ["a", "b", "c"]) == {"a": {"v": 1}, "b": {"v": 2}}
    reopened.close()


@pytest.mark.parametrize("has_syncfs", [True, False])
def test_write_back_syncs_the_filesystem_once_or_else_each_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, has_syncfs: bool) -> None:
    """A checkpoint made thousands of fsyncs at once (a file and a folder each), the
    likely cause of the p99 spikes under load; one syncfs makes them durable together.
    Where the C library has no syncfs, each file and folder is fsynced as before."""
    from bot.storage import atomic_json

    if has_syncfs and atomic_json._SYNCFS is None:
        pytest.skip("this C library has no syncfs")
    syncs: list[int] = []
    real_syncfs = atomic_json._SYNCFS

    def counting_syncfs(fd: int) -> int:
        syncs.append(fd)
        return real_syncfs(fd) if real_syncfs is not None else 0

    monkeypatch.setattr(atomic_json, "_SYNCFS", counting_syncfs if has_syncfs else None)
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd))[1])
    root = tmp_path / "db"
    store = TinyDBStore(root, log_max_age=3600)
    store.commit([Put(PEOPLE, f"p{n}", {"n": n}) for n in range(50)])
    store.sync_files()  # written back: the folders are made, each fsynced as it is
    syncs.clear()
    store.commit([Put(PEOPLE, f"p{n}", {"n": n + 1}) for n in range(50)])
    fsyncs.clear()  # the new segment's folder
    store.close()  # closes the segment and writes it back
    assert segments(root) == []
    if has_syncfs:
        assert len(syncs) == 1 and len(fsyncs) <= 2  # the log's folder and the root
    else:
        assert syncs == [] and len(fsyncs) >= 50  # every record file, then the folders
    reopened = TinyDBStore(root)
    assert reopened.read(PEOPLE, "p49") == {"n": 50}
    reopened.close()


def test_a_dispatch_pass_lists_an_hours_folder_once_however_many_batches(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One process writes a TinyDB folder, so there is nobody to lease batches from:
    the pass reads the due index in one ordered sweep. It used to start over after each
    batch of 100, listing the hour's folder again every time (quadratic: 4,000 due at
    once listed 160,000 entries)."""
    from datetime import UTC, datetime

    from bot.nudges.book import NudgeBook

    store = TinyDBStore(tmp_path / "db")
    book = NudgeBook(store)
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    for number in range(250):
        book.add({"id": f"n{number:04d}", "user": "slack:T1:U1", "case": "c1",
                  "kind": "connect", "due_at": at.isoformat(), "state": "planned",
                  "attempts": 0})
    store.sync_files()
    listed: list[str] = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: (listed.append(str(path)), real(path))[-1])
    batches = list(book.due_batches(at, size=100, holder="dispatcher-1"))
    assert [len(batch) for batch in batches] == [100, 100, 50]
    assert [n["id"] for batch in batches for n in batch] == [f"n{i:04d}" for i in range(250)]
    assert sum(path.endswith("2026-12-01/09") for path in listed) == 1
    store.close()


def test_close_returns_even_if_the_committer_is_gone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write-back thread ends when the committer says it is done; a committer that
    died without saying so must not leave close() waiting forever."""
    from bot.storage.commit_log import CommitLog

    monkeypatch.setattr(CommitLog, "_commit_loop", lambda self: None)  # dies at once
    log_dir = tmp_path / ".log"
    log_dir.mkdir()
    commit_log = CommitLog(log_dir, first_number=1, max_bytes=1 << 20, max_age=3600,
                           write_back=lambda keys: None)
    closer = threading.Thread(target=commit_log.close, daemon=True)
    closer.start()
    assert ends_within(closer, 20), "close() hung after the committer died"


def test_a_record_read_from_its_file_is_read_anew_once_written_back(tmp_path: Path) -> None:
    """Record files read lately are kept in memory (a commit checks what its caller just
    read without opening the file again); the write-back drops each file it rewrites."""
    store = TinyDBStore(tmp_path / "db", log_max_age=3600)
    store.write(PEOPLE, "a", {"v": 1})
    store.sync_files()
    assert store.read(PEOPLE, "a") == {"v": 1}  # from the file, now kept
    assert store.replace(PEOPLE, "a", {"v": 2}, expected={"v": 1})
    assert not store.replace(PEOPLE, "a", {"v": 3}, expected={"v": 1})
    store.sync_files()  # v2 leaves memory for its file
    assert store.read(PEOPLE, "a") == {"v": 2}
    assert store.replace(PEOPLE, "a", {"v": 3}, expected={"v": 2})
    store.commit([Delete(PEOPLE, "a")])
    store.sync_files()
    assert store.read(PEOPLE, "a") is None
    store.close()


def test_a_file_read_while_the_write_back_rewrites_it_is_not_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that got the old bytes just before the write-back replaced the file must
    not leave them in memory: the next read would serve a value two commits old."""
    import bot.storage.tinydb_store as module

    store = TinyDBStore(tmp_path / "db", log_max_age=3600)
    store.write(PEOPLE, "a", {"v": 1})
    store.sync_files()
    real_read = module.read_file_bytes
    raced = []

    def read_then_rewrite(path: str) -> bytes | None:
        old = real_read(path)
        if not raced:  # the commit and its write-back land between read and keep
            raced.append(path)
            assert store.commit([Put(PEOPLE, "a", {"v": 2})])
            store.sync_files()
        return old

    monkeypatch.setattr(module, "read_file_bytes", read_then_rewrite)
    assert store.read(PEOPLE, "a") == {"v": 1}  # what the file held when it was read
    monkeypatch.setattr(module, "read_file_bytes", real_read)
    assert raced and store.read(PEOPLE, "a") == {"v": 2}
    store.close()


def test_the_kept_files_are_bounded_and_a_read_only_store_keeps_none(tmp_path: Path) -> None:
    from bot.storage.tinydb_store import FILE_CACHE_ENTRIES

    root = tmp_path / "db"
    store = TinyDBStore(root, log_max_age=3600)
    count = FILE_CACHE_ENTRIES + 40
    store.commit([Put(PEOPLE, f"p{i}", {"i": i}) for i in range(count)])
    store.sync_files()
    assert store.read_many(PEOPLE, [f"p{i}" for i in range(count)]) == {
        f"p{i}": {"i": i} for i in range(count)}
    assert len(store._file_cache) == FILE_CACHE_ENTRIES
    assert store.read(PEOPLE, "p0") == {"i": 0}  # dropped as the oldest, read again
    reader = TinyDBStore(root, read_only=True)
    assert reader.read(PEOPLE, "p1") == {"i": 1}
    assert not reader._file_cache
    store.close()
