"""A TinyDB storage that never leaves a half-written file behind.

TinyDB's own ``JSONStorage`` truncates and rewrites its file in place, so a process killed
mid-write leaves JSON that no longer parses. This storage writes a temporary file in the
same filesystem, flushes and fsyncs it, then renames it over the old one: readers see the
old version or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

__all__ = ["AtomicJSONStorage", "UnreadableFileError"]


class UnreadableFileError(Exception):
    """The file exists but is not valid JSON (edited by hand, disk damage)."""


def fsync_dir(path: Path) -> None:
    """Make a rename durable: the directory entry must reach the disk too."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicJSONStorage(Storage):
    """``TinyDB(path, storage=AtomicJSONStorage, tmp_dir=...)``.

    ``tmp_dir`` must be on the same filesystem as ``path`` (``os.replace`` is only atomic
    there); the store keeps one per database and empties it at start.
    """

    def __init__(self, path: str | Path, *, tmp_dir: str | Path) -> None:
        self._path = Path(path)
        self._tmp_dir = Path(tmp_dir)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UnreadableFileError(str(self._path)) from exc
        if not isinstance(data, dict):
            raise UnreadableFileError(str(self._path))
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp_dir / f"{os.getpid()}-{threading.get_ident()}-{self._path.name}"
        # json.dumps, not json.dump: dump streams through the pure-Python encoder.
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)
        fsync_dir(self._path.parent)

    def close(self) -> None:
        pass
