"""The default store: TinyDB, one small database file per record.

Why one file per record: TinyDB keeps a whole database in one JSON document and rewrites
it on every write, so one shared file makes every turn cost more as the community grows.
With a file per person (and per nudge), a turn rewrites a few kilobytes whatever the
number of people stored. Files fan out into 256 sub-folders by a hash of the key, so no
folder grows huge.

Access is serialised: one process owns the database (an exclusive ``flock`` on
``.lock``, released by the kernel if the process dies). Within it, writes to one record
are ordered by a lock chosen by the record's key (64 of them), so turns of different
people write, and wait for their fsyncs, in parallel; reads take no lock, since a
rename replaces a file whole. Other processes may open it read-only (``nudges list``).

Everything it creates is private to the owner (files 0600, folders 0700) whatever the
umask, and opening a folder made by an older version closes its root to others.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

from tinydb import TinyDB
from tinydb.table import Document

from bot.interfaces import CorruptRecordError, JsonObject, Record, Store, StoreError
from bot.storage.atomic_json import (
    DIR_MODE,
    FILE_MODE,
    AtomicJSONStorage,
    UnreadableFileError,
    make_private_dirs,
)

__all__ = ["StoreInUseError", "TinyDBStore"]

log = logging.getLogger(__name__)

_SUFFIX = ".json"
_KEPT = ".corrupt-"  # quarantined copies are named <record file><_KEPT><UTC stamp>
LOCK_STRIPES = 64


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


class TinyDBStore(Store):
    """A folder of TinyDB files. ``read_only=True`` takes no lock and refuses writes."""

    def __init__(
        self, root: str | Path, *, read_only: bool = False, lock_timeout: float = 10.0
    ) -> None:
        self._root = Path(root).expanduser()
        self._read_only = read_only
        self._stripes = [threading.RLock() for _ in range(LOCK_STRIPES)]
        self._lock_file: int | None = None
        self._tmp_dir = self._root / ".tmp"
        if read_only:
            return
        make_private_dirs(self._root)
        os.chmod(self._root, DIR_MODE)  # a folder an older version made 0755
        self._lock_file = self._acquire_process_lock(lock_timeout)
        # Leftovers of a process killed mid-write: never renamed, so never part of the data.
        shutil.rmtree(self._tmp_dir, ignore_errors=True)
        make_private_dirs(self._tmp_dir)

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

    def _path(self, namespace: str, key: str) -> Path:
        if not namespace.isidentifier():
            raise ValueError(f"namespace must be an identifier, got {namespace!r}")
        shard = hashlib.sha256(key.encode()).hexdigest()[:2]
        return self._root / namespace / shard / (quote(key, safe="") + _SUFFIX)

    def _lock(self, namespace: str, key: str) -> threading.RLock:
        return self._stripes[hash((namespace, key)) % LOCK_STRIPES]

    def _open(self, path: Path) -> TinyDB:
        return TinyDB(path, storage=AtomicJSONStorage, tmp_dir=self._tmp_dir)

    def read(self, namespace: str, key: str) -> Record | None:
        path = self._path(namespace, key)
        if not path.exists():
            return None
        try:
            with self._open(path) as db:
                doc = db.table("_default").get(doc_id=1)
        except UnreadableFileError:
            with self._lock(namespace, key):
                raise CorruptRecordError(namespace, key, self._quarantine(path)) from None
        return dict(doc) if isinstance(doc, Document) else None

    def _quarantine(self, path: Path) -> str | None:
        """Move an unreadable file aside so the person can go on, and an admin can look."""
        if self._read_only:
            return str(path)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        kept = path.with_name(f"{path.name}{_KEPT}{stamp}")
        with contextlib.suppress(OSError):
            path.rename(kept)
            os.chmod(kept, FILE_MODE)  # it may predate private files
            log.error("unreadable record moved aside: %s", kept)
            return str(kept)
        return None

    def write(self, namespace: str, key: str, record: JsonObject) -> None:
        self._check_writable()
        path = self._path(namespace, key)
        with self._lock(namespace, key):
            try:
                # A fresh database each time: the record replaces whatever was there,
                # including a file that no longer parses.
                storage = AtomicJSONStorage(path, tmp_dir=self._tmp_dir)
                storage.write({"_default": {"1": record}})
            except OSError as exc:
                raise StoreError(f"could not write {namespace}/{key}: {exc}") from exc

    def replace(self, namespace: str, key: str, record: JsonObject, *,
                expected: JsonObject | None) -> bool:
        with self._lock(namespace, key):
            if expected is None and self._path(namespace, key).exists():
                return False  # cheaper than parsing it
            return super().replace(namespace, key, record, expected=expected)

    def delete(self, namespace: str, key: str) -> None:
        self._check_writable()
        path = self._path(namespace, key)
        with self._lock(namespace, key):
            for kept in self._kept_paths(path):
                kept.unlink(missing_ok=True)
            path.unlink(missing_ok=True)

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
        base = self._root / namespace
        if not base.is_dir():
            return iter(())
        found: list[str] = []
        with os.scandir(base) as shards:
            for shard in shards:
                if not shard.is_dir():
                    continue
                with os.scandir(shard.path) as entries:
                    found.extend(
                        unquote(e.name[: -len(_SUFFIX)]) for e in entries
                        if e.name.endswith(_SUFFIX)
                    )
        return iter(found)

    def namespaces(self) -> list[str]:
        if not self._root.is_dir():
            return []
        return sorted(entry.name for entry in self._root.iterdir()
                      if entry.is_dir() and entry.name.isidentifier()
                      and next(self.keys(entry.name), None) is not None)

    def _check_writable(self) -> None:
        if self._read_only:
            raise StoreError("this store was opened read-only")

    def close(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None
