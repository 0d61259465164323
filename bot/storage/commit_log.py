"""The TinyDB store's commit log: framing, group commit, reading back, rotation.

A commit is durable once its frame is in a segment file that was ``fdatasync``ed. Many
threads committing at once share one ``write`` and one ``fdatasync`` (group commit): the
committer thread takes every frame waiting, appends them in one go, syncs once and wakes
them all. That is the physical floor of a durable write, paid once per batch instead of
twice per record (file fsync, then folder fsync) as an atomic file write costs.

A frame is ``length`` and ``crc32`` (big-endian, 4 bytes each) then a JSON payload: the
commit's ops, already resolved (``["put", ns, key, record]``, ``["del", ns, key]``), so
applying a frame twice gives the same result and replay can be rerun after a kill.

Segments are named by a zero-padded number. One is closed when it reaches a size or an
age; once every commit in it is in the store's memory (:meth:`CommitLog.applied`), the
``write_back`` callback writes the records it touched to their files and makes them
durable, and the segment is deleted: the log stays small, and so does the memory the
store needs for what is not written back yet.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.interfaces import StoreError
from bot.storage.atomic_json import FILE_MODE, fsync_dir

__all__ = ["CommitLog", "LogOp", "SegmentDamage", "encode_frame", "read_frames",
           "segment_paths"]

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">II")
_SUFFIX = ".log"
KEPT = ".corrupt-"

#: ``("put", namespace, key, record)`` or ``("del", namespace, key, None)``
LogOp = tuple[str, str, str, Any]


class SegmentDamage(Exception):
    """A frame of a segment is torn or fails its checksum; ``offset`` is where."""

    def __init__(self, path: Path, offset: int) -> None:
        super().__init__(f"{path}: bad frame at byte {offset}")
        self.path = path
        self.offset = offset


def encode_frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def segment_paths(log_dir: Path) -> list[Path]:
    """The segments still to apply, oldest first (kept-aside ones are not among them)."""
    try:
        names = [name for name in os.listdir(log_dir)
                 if name.endswith(_SUFFIX) and name[: -len(_SUFFIX)].isdigit()]
    except FileNotFoundError:
        return []
    return [log_dir / name for name in sorted(names)]


def segment_number(path: Path) -> int:
    return int(path.name[: -len(_SUFFIX)])


def read_frames(path: Path) -> Iterator[list[LogOp]]:
    """Every frame of a segment, in order, as its ops.

    :raises SegmentDamage: after the last good frame, when the rest is torn or corrupt.
    """
    data = path.read_bytes()
    offset = 0
    while offset < len(data):
        if offset + _HEADER.size > len(data):
            raise SegmentDamage(path, offset)
        length, crc = _HEADER.unpack_from(data, offset)
        payload = data[offset + _HEADER.size: offset + _HEADER.size + length]
        if len(payload) != length or zlib.crc32(payload) != crc:
            raise SegmentDamage(path, offset)
        try:
            ops = json.loads(payload)
        except ValueError:
            raise SegmentDamage(path, offset) from None
        yield [(op[0], op[1], op[2], op[3] if op[0] == "put" else None) for op in ops]
        offset += _HEADER.size + length


def keep_aside(path: Path) -> Path:
    """Rename a damaged segment out of the way (it is not replayed again) and keep it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kept = path.with_name(f"{path.name}{KEPT}{stamp}")
    path.rename(kept)
    fsync_dir(path.parent)
    return kept


@dataclass(eq=False)
class _Segment:
    path: Path
    fd: int
    opened_at: float
    size: int = 0
    keys: set[tuple[str, str]] = field(default_factory=set)  # (namespace, key) touched
    in_flight: int = 0  # acknowledged commits the store has not taken in yet


@dataclass(eq=False)
class Ticket:
    """One commit waiting for its batch; the committer fills in how it went."""

    frame: bytes
    keys: frozenset[tuple[str, str]]
    done: threading.Event = field(default_factory=threading.Event)
    segment: _Segment | None = None
    error: StoreError | None = None


class CommitLog:
    """An append-only log in ``log_dir`` with one committer and one write-back thread.

    ``write_back(keys)`` must write the records of ``keys`` (``(namespace, key)``) to
    their files and make them durable; it is called, off the hot path, before a closed
    segment is deleted.
    After a failed append or sync the log refuses every later commit (the outcome of
    that batch on disk is unknown, and Linux may have dropped the dirty pages): the
    process must restart, and replay settles it.
    """

    def __init__(self, log_dir: Path, *, first_number: int, max_bytes: int, max_age: float,
                 write_back: Callable[[set[tuple[str, str]]], None]) -> None:
        self._dir = log_dir
        self._max_bytes = max_bytes
        self._max_age = max_age
        self._write_back = write_back
        # One lock, two conditions, so a wake-up goes to the thread that has work: the
        # committer waits on ``_work`` (commits to sync, a flush, a close, an age); the
        # write-back thread and flush() wait on ``_segments`` (a segment to write back,
        # one written back). A single condition woke every thread on every commit and
        # every applied ticket: 50 futex calls a turn, a third of them for nothing.
        lock = threading.Lock()
        self._work = threading.Condition(lock)
        self._segments = threading.Condition(lock)
        self._pending: list[Ticket] = []
        self._closed_segments: list[_Segment] = []
        self._closing = False
        self._broken: str | None = None
        self._next_number = first_number
        # Opened at the first batch after a rotation, so an idle log leaves no file.
        self._segment: _Segment | None = None
        self._flush_requested = False
        self._closed = False  # the committer is done: no segment will close any more
        self._committer = threading.Thread(target=self._commit_loop, daemon=True,
                                           name="notnow-commit-log")
        self._writer = threading.Thread(target=self._write_back_loop, daemon=True,
                                        name="notnow-write-back")
        self._committer.start()
        self._writer.start()
        # Ages are noticed by a thread that sleeps (a relative wait), not by a timed
        # wait on the condition: that one sleeps until an absolute monotonic deadline,
        # which a clock shifted by libfaketime (CI runs under it) puts months away.
        self._ticker = threading.Thread(target=self._tick_loop, daemon=True,
                                        name="notnow-log-age")
        self._ticker.start()

    def _open_segment(self) -> _Segment:
        path = self._dir / f"{self._next_number:012d}{_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        fsync_dir(self._dir)  # the segment's name must survive a crash with its frames
        self._next_number += 1
        return _Segment(path, fd, time.monotonic())

    # -- the hot path ---------------------------------------------------------------

    def append(self, payload: bytes, keys: frozenset[tuple[str, str]]) -> Ticket:
        """Wait until ``payload`` is durable in the log; then make its records readable
        and call :meth:`applied` with the returned ticket.

        :raises StoreError: the log could not take it; nothing of it counts as written.
        """
        ticket = Ticket(encode_frame(payload), keys)
        with self._work:
            if self._broken is not None or self._closing:
                raise StoreError(self._broken or "the store is closed")
            self._pending.append(ticket)
            self._work.notify()
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error
        return ticket

    def applied(self, ticket: Ticket) -> None:
        """The ticket's records are readable from the store: its segment may now be
        written back."""
        with self._segments:
            segment = ticket.segment
            assert segment is not None
            segment.in_flight -= 1
            if not segment.in_flight and self._closed_segments[:1] == [segment]:
                self._segments.notify_all()  # the write-back thread may take it now

    def flush(self) -> None:
        """Return once every commit acknowledged so far is in its record files, synced,
        and no log segment holds it any more (``forget``: nothing of a person may stay
        behind in the log).

        :raises StoreError: the write-back failed.
        """
        with self._work:
            self._flush_requested = True
            self._work.notify()
            while (self._flush_requested or self._closed_segments) and self._broken is None:
                self._segments.wait()
            if self._broken is not None:
                raise StoreError(self._broken)

    def fail(self, reason: str) -> None:
        """Refuse every later commit (a committed change could not reach its files)."""
        with self._work:
            self._broken = self._broken or reason
            self._work.notify_all()
            self._segments.notify_all()

    # -- the committer ----------------------------------------------------------------

    def _commit_loop(self) -> None:
        while True:
            with self._work:
                while not (self._pending or self._closing or self._flush_requested
                           or self._aged()):
                    self._work.wait()
                batch, self._pending = self._pending, []
                closing = self._closing
            if batch:
                self._write_batch(batch)
            with self._work:
                segment = self._segment
                rotated = segment is not None and (
                    closing or self._flush_requested or self._aged()
                    or segment.size >= self._max_bytes)
                if rotated:
                    assert segment is not None
                    self._closed_segments.append(segment)
                    self._segment = None
                if rotated or self._flush_requested:  # the write-back, or a flush()
                    self._segments.notify_all()
                self._flush_requested = False
                if closing and not self._pending:
                    self._closed = True  # the write-back ends once nothing is left
                    self._segments.notify_all()
                    return

    def _aged(self) -> bool:
        return (self._segment is not None
                and time.monotonic() - self._segment.opened_at >= self._max_age)

    def _tick_loop(self) -> None:
        """Wake the committer when the open segment reaches its age."""
        interval = min(max(self._max_age / 4, 0.01), 1.0)
        while True:
            time.sleep(interval)
            with self._work:
                if self._closing:
                    return
                if self._aged():
                    self._work.notify()

    def _write_batch(self, batch: list[Ticket]) -> None:
        data = b"".join(ticket.frame for ticket in batch)
        error: StoreError | None = None
        segment = self._segment
        if self._broken is not None:
            error = StoreError(self._broken)
        else:
            try:
                if segment is None:
                    segment = self._segment = self._open_segment()
                view = memoryview(data)
                while view:
                    view = view[os.write(segment.fd, view):]
                os.fdatasync(segment.fd)
            except OSError as exc:
                reason = f"the commit log could not be made durable: {exc}"
                log.error("%s; refusing writes until restart", reason)
                self.fail(reason)
                error = StoreError(reason)
        with self._work:
            for ticket in batch:
                if error is None and segment is not None:
                    segment.size += len(ticket.frame)
                    ticket.segment = segment
                    segment.in_flight += 1
                    segment.keys |= ticket.keys
                ticket.error = error
        for ticket in batch:
            ticket.done.set()

    # -- write-back -------------------------------------------------------------------

    def _write_back_loop(self) -> None:
        while True:
            with self._segments:
                while not self._closed_segments and not self._closed:
                    self._segments.wait()
                if not self._closed_segments:
                    return
                segment = self._closed_segments[0]
                while segment.in_flight:
                    self._segments.wait()
            try:
                self._write_back(segment.keys)
                os.close(segment.fd)
                segment.path.unlink()
                fsync_dir(self._dir)
            except Exception as exc:  # flush() and close() must hear of any failure
                self.fail(f"could not write back the commit log: {exc}")
                log.error("write-back failed, the log is kept for replay: %s", exc)
                return
            with self._segments:
                self._closed_segments.pop(0)
                self._segments.notify_all()  # a flush() may be waiting for this

    def close(self) -> None:
        """Take no more commits, sync what is pending, write everything back."""
        with self._work:
            self._closing = True
            self._work.notify()
        self._committer.join()
        with self._segments:  # in case the committer died without saying it was done
            self._closed = True
            self._segments.notify_all()
        self._writer.join()
