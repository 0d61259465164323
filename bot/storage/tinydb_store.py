"""The default store: TinyDB record files, made durable by a group-committed log.

A commit (a turn, a dispatcher's claim or mark, or a single ``write``) is acknowledged
once its frame is ``fdatasync``ed in an append-only log (:mod:`bot.storage.commit_log`),
where the commits of every thread waiting at that moment share one append and one sync.
Its records are then served from memory (the *pending* overlay) until the log segment
holding it is closed (at a size or an age: 1 MiB or 30 s by default). Off the hot path,
the write-back thread then writes each record the segment touched to its file once, with
the newest value committed (temporary file and rename), makes them durable with one
``syncfs``, and deletes the segment. A person who answers five times in a segment costs
one file write, not five: per-commit files used to be most of a turn's kernel time, and
their renames slowed the log's own syncs (ext4 shares one journal).

A process that dies leaves the log; the next writable open replays it whole, commit by
commit, so a commit of several records is on disk entirely or not at all.
Expectations (:class:`Put`'s ``expected``) are checked before logging, under per-key
locks held until the commit is durable and in the overlay, so the log holds only
absolute puts and deletes and replaying it twice is harmless. A read-only process
(``nudges list``, the report) reads the log's segments at open, then the files, so it
sees every commit acknowledged before it opened; :meth:`TinyDBStore.sync_files` writes
everything back now (for a backup, or a test that opens the files).

Why TinyDB stays the record format: each record file is a TinyDB database
(``{"_default": {"1": record}}``) that TinyDB, ``jq`` or an editor open as they are, a
damaged one is kept aside alone, and ``db migrate`` and existing folders need nothing
new. The log made durability cheap; the format was never what cost.

Why one file per record: TinyDB keeps a whole database in one JSON document and rewrites
it on every write, so a file per person (and per nudge) keeps a write a few kilobytes
whatever the number of people. Files fan out into 256 sub-folders by a hash of the key,
except in the time-ordered namespaces (the due index, keyed ``<ISO UTC time>|<id>``),
laid out as ``<YYYY-MM-DD>/<HH>/`` so :meth:`TinyDBStore.keys_through` lists only the
hours up to its bound; folders of the older hashed layout are moved at open.

One process owns the database (an exclusive ``flock`` on ``.lock``, released by the
kernel if the process dies). Other processes may open it read-only: they take no lock,
and when no writer is alive they read the log too, so a commit not yet replayed is seen.

Everything it creates is private to the owner (files 0600, folders 0700) whatever the
umask, and opening a folder made by an older version closes its root to others.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import heapq
import itertools
import json
import logging
import os
import re
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote, unquote

from bot.interfaces import (
    UNCONDITIONAL,
    CorruptRecordError,
    Delete,
    JsonObject,
    Op,
    Put,
    Record,
    Store,
    StoreError,
)
from bot.storage.atomic_json import (
    DIR_MODE,
    FILE_MODE,
    UnreadableFileError,
    fsync_dir,
    make_private_dirs,
    parse_json_object,
    read_file_bytes,
    sync_filesystem,
)
from bot.storage.commit_log import (
    CommitLog,
    LogOp,
    SegmentDamage,
    keep_aside,
    read_frames,
    segment_number,
    segment_paths,
)

__all__ = ["StoreInUseError", "TinyDBStore"]

log = logging.getLogger(__name__)

_SUFFIX = ".json"
_KEPT = ".corrupt-"  # quarantined copies are named <record file><_KEPT><UTC stamp>
LOCK_STRIPES = 4096  # held across a commit's sync: many, so unrelated keys rarely share
#: record files kept in memory as read, newest used last: a commit checks the records its
#: caller just read (``expected``), and opening each file again took a fifth of a
#: check-in's store time
FILE_CACHE_ENTRIES = 256
_TIME_KEY = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}")
_OTHER = "_other"  # a key of a time-ordered namespace that does not start with a time
_LEGACY_SHARD = re.compile(r"[0-9a-f]{2}")


class StoreInUseError(StoreError):
    """Another process holds the database's lock; ``root`` and ``holder`` (its pid, or
    "") let each command say so in its own words (a console user knows no ``serve``)."""

    def __init__(self, root: Path, holder: str) -> None:
        super().__init__(
            f"the database at {root} is in use by another notnow process "
            f"(pid {holder or 'unknown'}); with TinyDB one process owns the data: "
            "stop it, or use `notnow serve` to run everything in one process"
        )
        self.root = root
        self.holder = holder



# A resolved op: (kind, namespace, key, record JSON text or None).
_Resolved = tuple[str, str, str, str | None]
# A committed record not in its file yet: (commit number, JSON text, or None if deleted).
_Pending = tuple[int, str | None]


def _check_namespace(namespace: str) -> None:
    """A namespace names a folder: an identifier, so never ``..`` or a path."""
    if not namespace.isidentifier():
        raise ValueError(f"namespace must be an identifier, got {namespace!r}")


def _dumps(record: object) -> str:
    # json.dumps, not json.dump: dump streams through the pure-Python encoder.
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


class TinyDBStore(Store):
    """A folder of TinyDB files and a commit log. ``read_only=True`` takes no lock and
    refuses writes. ``log_max_bytes`` and ``log_max_age`` (seconds) say when a log
    segment is closed and written back: they bound the log, and what a restart replays.
    """

    #: many turns waiting on one log sync is what makes group commit pay
    workers = 32
    #: namespaces keyed ``<ISO-8601 UTC time>|...``, laid out by day and hour
    TIME_ORDERED: ClassVar[frozenset[str]] = frozenset({"nudge_due"})
    #: deleting one of these records is ``forget``: the commit returns only once the
    #: log holds nothing of the person any more (it is written back and deleted)
    ERASING: ClassVar[frozenset[str]] = frozenset({"people"})

    def __init__(
        self, root: str | Path, *, read_only: bool = False, lock_timeout: float = 10.0,
        log_max_bytes: int = 1 << 20, log_max_age: float = 30.0,
    ) -> None:
        self._root = Path(root).expanduser()
        self._base = str(self._root)
        self._read_only = read_only
        # Folders the applier knows exist, and those holding a quarantined copy: this
        # process owns the database, nothing removes a record folder, and only this
        # process quarantines, so each folder is looked at once (a deletion used to list
        # its whole folder, quadratic for an hour of the due index).
        self._made: set[str] = set()
        self._kept_in: dict[str, bool] = {}
        self._stripes = [threading.RLock() for _ in range(LOCK_STRIPES)]
        self._lock_file: int | None = None
        self._tmp_dir = self._root / ".tmp"
        self._log_dir = self._root / ".log"
        self._log: CommitLog | None = None
        # Committed records not in their files yet, by namespace then key: those of the
        # log segments not written back, or, read-only, what the log held at open. Only
        # the write-back thread takes entries out, under the key's lock.
        self._overlay: dict[str, dict[str, _Pending]] = {}
        self._seq = itertools.count(1)
        # Bytes of record files read lately (see _file_bytes); this process is the only
        # writer of the files, and the write-back drops a key here when it rewrites it.
        self._file_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._file_cache_lock = threading.Lock()  # never held across I/O
        self._files_rewritten = 0  # a reader caches what it read only if this held still
        # Commits under way, so close() lets them reach the log and the overlay before
        # it closes the log (one arriving after would find it gone).
        self._commits = threading.Condition()
        self._active = 0
        self._closing = False
        if read_only:
            self._overlay = self._log_overlay()
            return
        make_private_dirs(self._root)
        os.chmod(self._root, DIR_MODE)  # a folder an older version made 0755
        self._lock_file = self._acquire_process_lock(lock_timeout)
        # Leftovers of a process killed mid-write: never renamed, so never part of the data.
        shutil.rmtree(self._tmp_dir, ignore_errors=True)
        make_private_dirs(self._tmp_dir)
        make_private_dirs(self._log_dir)
        self._move_to_time_layout()
        next_segment = self._replay() + 1
        self._log = CommitLog(self._log_dir, first_number=next_segment,
                              max_bytes=log_max_bytes, max_age=log_max_age,
                              write_back=self._write_back)

    @property
    def root(self) -> Path:
        return self._root

    def _acquire_process_lock(self, timeout: float) -> int:
        fd = os.open(self._root / ".lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
                    os.close(fd)
                    raise StoreInUseError(self._root, holder) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        return fd

    # -- where records live ---------------------------------------------------------

    def _path(self, namespace: str, key: str) -> Path:
        return Path(self._file(namespace, key))

    def _file(self, namespace: str, key: str) -> str:
        """The record file of ``key``, as a string: pathlib's parsing and comparisons
        were a sixth of the write-back's time."""
        _check_namespace(namespace)
        name = quote(key, safe="") + _SUFFIX
        if namespace in self.TIME_ORDERED:
            if _TIME_KEY.match(key):
                return f"{self._base}/{namespace}/{key[:10]}/{key[11:13]}/{name}"
            return f"{self._base}/{namespace}/{_OTHER}/{name}"
        shard = hashlib.sha256(key.encode()).hexdigest()[:2]
        return f"{self._base}/{namespace}/{shard}/{name}"

    def _lock(self, namespace: str, key: str) -> threading.RLock:
        return self._stripes[self._stripe(namespace, key)]

    @staticmethod
    def _stripe(namespace: str, key: str) -> int:
        return hash((namespace, key)) % LOCK_STRIPES

    # -- reading --------------------------------------------------------------------

    def read(self, namespace: str, key: str) -> Record | None:
        found = self._pending(namespace, key)
        if found is not None:
            return json.loads(found[1]) if found[1] is not None else None
        path = self._file(namespace, key)
        try:
            # The database's storage read, without building a TinyDB and its tables
            # around it for one document: 22 us instead of 105 us a read, and a turn
            # reads several records.
            raw = self._file_bytes(namespace, key, path)
            data = parse_json_object(raw, path) if raw is not None else None
        except UnreadableFileError:
            with self._lock(namespace, key):
                kept = self._quarantine(Path(path))
                self._file_changed(namespace, key)  # after the move: see _file_bytes
                raise CorruptRecordError(namespace, key, kept) from None
        table = data.get("_default") if data is not None else None
        doc = table.get("1") if isinstance(table, dict) else None
        return dict(doc) if isinstance(doc, dict) else None

    def _file_bytes(self, namespace: str, key: str, path: str) -> bytes | None:
        """The record file's bytes, from memory if read lately. What a read found is
        kept only if no file was rewritten meanwhile: one read just before the
        write-back replaced the file must not outlive it. A read-only store (another
        process) keeps nothing, as the owner may rewrite any file at any time."""
        if self._read_only:
            return read_file_bytes(path)
        cached = (namespace, key)
        with self._file_cache_lock:
            raw = self._file_cache.get(cached)
            if raw is not None:
                self._file_cache.move_to_end(cached)
                return raw
            rewritten = self._files_rewritten
        raw = read_file_bytes(path)
        if raw is not None:
            with self._file_cache_lock:
                if self._files_rewritten == rewritten:
                    self._file_cache[cached] = raw
                    if len(self._file_cache) > FILE_CACHE_ENTRIES:
                        self._file_cache.popitem(last=False)
        return raw

    def _file_changed(self, namespace: str, key: str) -> None:
        """The record's file was just rewritten, deleted or moved aside."""
        with self._file_cache_lock:
            self._files_rewritten += 1
            self._file_cache.pop((namespace, key), None)

    def _quarantine(self, path: Path) -> str | None:
        """Move an unreadable file aside so the person can go on, and an admin can look."""
        if self._read_only:
            return str(path)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        kept = path.with_name(f"{path.name}{_KEPT}{stamp}")
        self._kept_in[str(path.parent)] = True  # before the rename: see _has_kept
        with contextlib.suppress(OSError):
            path.rename(kept)
            os.chmod(kept, FILE_MODE)  # it may predate private files
            log.error("unreadable record moved aside: %s", kept)
            return str(kept)
        return None

    def kept_aside(self, namespace: str, key: str) -> list[str]:
        return [kept.read_bytes().decode("utf-8", errors="replace")
                for kept in self._kept_paths(self._path(namespace, key))]

    @staticmethod
    def _kept_paths(path: Path) -> list[Path]:
        """Quarantined copies of the record at ``path``, oldest first (the stamp sorts)."""
        prefix = path.name + _KEPT
        try:
            with os.scandir(path.parent) as entries:
                names = sorted(e.name for e in entries if e.name.startswith(prefix))
        except FileNotFoundError:
            return []
        return [path.parent / name for name in names]

    def keys(self, namespace: str) -> Iterator[str]:
        # The overlay first, then the files: an entry the applier moves from one to the
        # other in between is in the files by the time they are listed.
        pending = self._pending_in(namespace)
        found = set(self._file_keys(self._root / namespace))
        for key, record in pending:
            (found.add if record is not None else found.discard)(key)
        return iter(found)

    def _pending(self, namespace: str, key: str) -> _Pending | None:
        pending = self._overlay.get(namespace)
        return pending.get(key) if pending is not None else None

    def _pending_in(self, namespace: str) -> list[tuple[str, str | None]]:
        """The overlay's entries of a namespace, copied (the write-back changes it)."""
        pending = self._overlay.get(namespace)
        return ([(key, text) for key, (_, text) in pending.copy().items()]
                if pending is not None else [])

    @staticmethod
    def _file_keys(folder: Path) -> Iterator[str]:
        """Keys of the record files anywhere below ``folder`` (hash shards, or day and
        hour folders), in no order."""
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.is_dir():
                yield from TinyDBStore._file_keys(Path(entry.path))
            elif entry.name.endswith(_SUFFIX):
                yield unquote(entry.name[: -len(_SUFFIX)])

    def namespaces(self) -> list[str]:
        if not self._root.is_dir():
            return []
        candidates = {entry.name for entry in self._root.iterdir()
                      if entry.is_dir() and entry.name.isidentifier()}
        candidates |= set(self._overlay.copy())
        return sorted(name for name in candidates if next(self.keys(name), None) is not None)

    def keys_through(self, namespace: str, last: str, *, after: str = "") -> Iterator[str]:
        if namespace not in self.TIME_ORDERED:
            return super().keys_through(namespace, last, after=after)
        pending = self._pending_in(namespace)  # before the files, as in keys()
        loose = sorted(key for key in self._loose_keys(namespace, pending)
                       if after < key <= last)
        deleted = {key for key, record in pending if record is None}
        return self._unique(heapq.merge(self._hourly_keys(namespace, last, after), loose),
                            deleted)

    @staticmethod
    def _unique(keys: Iterator[str], deleted: set[str]) -> Iterator[str]:
        previous = None
        for key in keys:
            if key != previous and key not in deleted:
                yield key
            previous = key

    def _loose_keys(self, namespace: str,
                    pending: list[tuple[str, str | None]]) -> Iterator[str]:
        """Keys of a time-ordered namespace outside its day folders: those not starting
        with a time, a legacy shard a read-only open found, and the read-only overlay."""
        base = self._root / namespace
        yield from self._file_keys(base / _OTHER)
        if self._read_only:
            for shard in self._legacy_shards(base):
                yield from self._file_keys(shard)
        yield from (key for key, record in pending if record is not None)

    def _hourly_keys(self, namespace: str, last: str, after: str) -> Iterator[str]:
        """Keys in ``(after, last]`` from the day and hour folders, ascending, listing
        only the folders whose hour can hold such keys."""
        base = self._root / namespace
        for day in self._subfolders(base, lambda name: len(name) == 10):
            if day > last[:10] or day < after[:10]:
                if day > last[:10]:
                    return
                continue
            for hour in self._subfolders(base / day, lambda name: len(name) == 2):
                prefix = f"{day}T{hour}"
                if prefix > last[:13]:
                    return
                if prefix < after[:13]:
                    continue
                keys = sorted(self._file_keys(base / day / hour))
                yield from (key for key in keys if after < key <= last)

    @staticmethod
    def _subfolders(folder: Path, wanted: object) -> list[str]:
        try:
            with os.scandir(folder) as entries:
                return sorted(e.name for e in entries
                              if e.is_dir() and wanted(e.name))  # type: ignore[operator]
        except FileNotFoundError:
            return []

    @staticmethod
    def _legacy_shards(base: Path) -> list[Path]:
        try:
            with os.scandir(base) as entries:
                return [Path(e.path) for e in entries
                        if e.is_dir() and _LEGACY_SHARD.fullmatch(e.name)]
        except FileNotFoundError:
            return []

    # -- writing ----------------------------------------------------------------------

    def write(self, namespace: str, key: str, record: JsonObject) -> None:
        self.commit([Put(namespace, key, record)])

    def delete(self, namespace: str, key: str) -> None:
        self.commit([Delete(namespace, key)])

    def replace(self, namespace: str, key: str, record: JsonObject, *,
                expected: JsonObject | None) -> bool:
        return self.commit([Put(namespace, key, record, expected=expected)])

    def commit(self, ops: Sequence[Op]) -> bool:
        self._check_writable()
        with self._commits:
            if self._closing or self._log is None:
                raise StoreError("this store was closed")
            self._active += 1
        try:
            return self._commit(ops)
        finally:
            with self._commits:
                self._active -= 1
                self._commits.notify_all()

    def _commit(self, ops: Sequence[Op]) -> bool:
        assert self._log is not None  # commit() checked, and close() waits for us
        resolved = [self._resolve(op) for op in ops]
        if not resolved:
            return True
        with ExitStack() as held:
            for stripe in sorted({self._stripe(ns, key) for _, ns, key, _ in resolved}):
                held.enter_context(self._stripes[stripe])
            if not all(self._holds(op) for op in ops):
                return False
            ticket = self._log.append(self._payload(resolved),
                                      frozenset((ns, key) for _, ns, key, _ in resolved))
            try:  # durable: served from memory until its segment is written back
                seq = next(self._seq)
                for _, ns, key, text in resolved:
                    pending = self._overlay.get(ns)
                    if pending is None:
                        pending = self._overlay.setdefault(ns, {})
                    pending[key] = (seq, text)
            finally:
                self._log.applied(ticket)
        if any(kind == "del" and ns in self.ERASING for kind, ns, *_ in resolved):
            self._log.flush()
        return True

    @staticmethod
    def _resolve(op: Op) -> _Resolved:
        _check_namespace(op.namespace)  # before logging: the file is named at write-back
        if isinstance(op, Put):
            return ("put", op.namespace, op.key, _dumps(dict(op.record)))
        return ("del", op.namespace, op.key, None)

    def _holds(self, op: Op) -> bool:
        """Whether a :class:`Put`'s expectation holds (the caller holds its lock)."""
        if not isinstance(op, Put) or op.expected is UNCONDITIONAL:
            return True
        if op.expected is None:
            pending = self._pending(op.namespace, op.key)
            if pending is not None:
                return pending[1] is None
            return not os.path.exists(self._file(op.namespace, op.key))  # no parsing
        return self.read(op.namespace, op.key) == op.expected

    def _write_back(self, keys: set[tuple[str, str]]) -> None:
        """Write the records a closed log segment touched to their files, each once and
        with its newest committed value, then make them durable (the segment is deleted
        after this returns). A record committed again since stays in the overlay: its
        newer commit is in a later segment, whose write-back writes it again."""
        paths = []
        for ns, key in keys:
            pending = self._overlay.get(ns)
            entry = pending.get(key) if pending is not None else None
            if pending is None or entry is None:
                continue  # an earlier segment's write-back wrote its newest value
            path = self._file(ns, key)
            self._apply(entry[1], path)
            self._file_changed(ns, key)
            paths.append(path)
            with self._lock(ns, key):
                if pending.get(key) is entry:
                    del pending[key]
        self._make_durable(paths)

    def sync_files(self) -> None:
        """Return once the record files hold every commit acknowledged so far, durably
        (for a backup, a reader that must see the last milliseconds, a test that opens
        the files)."""
        if self._log is not None:
            self._log.flush()

    @staticmethod
    def _payload(resolved: list[_Resolved]) -> bytes:
        parts = [f'["put",{_dumps(ns)},{_dumps(key)},{text}]' if kind == "put"
                 else f'["del",{_dumps(ns)},{_dumps(key)}]'
                 for kind, ns, key, text in resolved]
        return ("[" + ",".join(parts) + "]").encode()

    def _apply(self, text: str | None, path: str) -> None:
        """Write one record (``None``: delete it) to its file, not synced: the log
        holds it until the write-back syncs the files."""
        folder, name = os.path.split(path)
        if text is None:
            if self._has_kept(folder):
                for kept in self._kept_paths(Path(path)):
                    kept.unlink(missing_ok=True)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            return
        if folder not in self._made:
            make_private_dirs(Path(folder))
            self._made.add(folder)
        tmp = f"{self._tmp_dir}/{os.getpid()}-{threading.get_ident()}-{name}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away from the mode
            data = memoryview(f'{{"_default":{{"1":{text}}}}}'.encode())
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
        os.replace(tmp, path)

    def _has_kept(self, folder: str) -> bool:
        """Whether ``folder`` may hold a quarantined copy (listed once, then known)."""
        known = self._kept_in.get(folder)
        if known is None:
            try:
                with os.scandir(folder) as entries:
                    known = any(_KEPT in entry.name for entry in entries)
            except FileNotFoundError:
                known = False
            # setdefault: a quarantine that landed since the listing said True already
            known = self._kept_in.setdefault(folder, known)
        return known

    def _make_durable(self, paths: Collection[str]) -> None:
        """Make record files and the folders holding them (renames and deletions)
        durable: one ``syncfs`` where there is one, else an fsync each."""
        if not paths or sync_filesystem(self._base):
            return
        for path in sorted(paths):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # deleted since: its folder's fsync makes that durable
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for folder in sorted({os.path.dirname(path) for path in paths}):
            with contextlib.suppress(FileNotFoundError):
                fsync_dir(folder)

    def _check_writable(self) -> None:
        if self._read_only:
            raise StoreError("this store was opened read-only")

    # -- the log at open --------------------------------------------------------------

    def _replay(self) -> int:
        """Apply every commit left in the log to the record files, durably, then
        delete the log; the number of the last segment seen. Safe to interrupt: the
        log goes only after the files are synced, and applying it again is harmless."""
        segments = segment_paths(self._log_dir)
        touched: set[str] = set()
        replayed: list[Path] = []
        for position, segment in enumerate(segments):
            try:
                for ops in read_frames(segment):
                    touched |= self._apply_logged(ops)
            except SegmentDamage as damage:
                if position == len(segments) - 1:
                    log.warning("dropped an unacknowledged commit torn at the end of "
                                "the log (%s, byte %d)", segment.name, damage.offset)
                else:
                    kept = keep_aside(segment)
                    log.error("a commit log segment is damaged at byte %d; commits "
                              "before it were applied, the segment is kept at %s",
                              damage.offset, kept)
                    continue
            replayed.append(segment)
        self._make_durable(touched)
        for segment in replayed:  # oldest first: a rerun never applies old over new
            segment.unlink()
        if segments:
            fsync_dir(self._log_dir)
            log.info("replayed %d commit log segment(s)", len(segments))
        return segment_number(segments[-1]) if segments else 0

    def _apply_logged(self, ops: list[LogOp]) -> set[str]:
        paths = set()
        for kind, namespace, key, record in ops:
            path = self._file(namespace, key)
            self._apply(_dumps(record) if kind == "put" else None, path)
            paths.add(path)
        return paths

    def _log_overlay(self) -> dict[str, dict[str, _Pending]]:
        """What the log holds, for a read-only open: every commit up to the first
        damaged frame. A writer may be running: a segment gone since it was listed has
        been written back (its records are in the files), and a frame torn at the end
        of the last one is still being appended (not acknowledged yet)."""
        overlay: dict[str, dict[str, _Pending]] = {}
        for segment in segment_paths(self._log_dir):
            try:
                for ops in read_frames(segment):
                    for kind, namespace, key, record in ops:
                        overlay.setdefault(namespace, {})[key] = (
                            0, _dumps(record) if kind == "put" else None)
            except FileNotFoundError:
                continue
            except SegmentDamage:
                break
        return overlay

    def _move_to_time_layout(self) -> None:
        """Move the records of time-ordered namespaces out of hash shards (an older
        layout) into day and hour folders. Each move is a rename, so a kill leaves
        every file in one place or the other, and running it again finishes the job."""
        for namespace in self.TIME_ORDERED:
            for shard in self._legacy_shards(self._root / namespace):
                moved_to: set[Path] = set()
                for entry in list(os.scandir(shard)):
                    key = unquote(entry.name.split(_SUFFIX)[0])
                    target = self._path(namespace, key).parent
                    make_private_dirs(target)
                    os.rename(entry.path, target / entry.name)
                    moved_to.add(target)
                for folder in moved_to:
                    fsync_dir(folder)
                with contextlib.suppress(OSError):
                    shard.rmdir()
                fsync_dir(shard.parent)

    def close(self) -> None:
        with self._commits:
            self._closing = True
            while self._active:  # each is waiting for its log sync: milliseconds
                self._commits.wait()
        if self._log is not None:
            self._log.close()  # writes every segment back
            self._log = None
            with contextlib.suppress(OSError):
                self._log_dir.rmdir()  # empty when everything was written back
                fsync_dir(self._root)
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None
