"""One-op commits per second on the TinyDB store's group-commit log, against floors run
in the same process, and a due-index pass with nothing due (issue 13).

    .venv/bin/python -m bench.tinydb_commit [--seconds 2] [--due 100000] [--dir DIR]

Rows, for 1, 8 and 50 threads:
- ``store``: ``TinyDBStore.write`` (one commit each, acknowledged once durable);
- ``floor``: each thread ``os.write`` + ``os.fdatasync`` on a file of its own (the
  physical floor of a durable write with no sharing at all);
- ``atomic``: the old per-write cost, one ``AtomicJSONStorage`` write (temporary file,
  fsync, rename, folder fsync) per record.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.interfaces import Put
from bot.storage import TinyDBStore
from bot.storage.atomic_json import AtomicJSONStorage, make_private_dirs

RECORD = {"flow": {"step": "ask_company"}, "cases": [{"company": "Acme", "pad": "x" * 400}]}


def rate(threads: int, seconds: float, make_worker: Callable[[int], Callable[[int], None]]
         ) -> float:
    """Operations per second with ``threads`` threads each calling its worker in a loop."""
    done = [0] * threads
    stop = time.monotonic() + seconds
    start = threading.Barrier(threads + 1)

    def loop(n: int) -> None:
        work = make_worker(n)
        start.wait()
        i = 0
        while time.monotonic() < stop:
            work(i)
            i += 1
        done[n] = i

    pool = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in pool:
        thread.join()
    return sum(done) / (time.monotonic() - began)


def store_rate(folder: Path, threads: int, seconds: float) -> float:
    store = TinyDBStore(folder)
    try:
        return rate(threads, seconds, lambda n: lambda i: store.write(
            "people", f"p{n}-{i % 50}", RECORD))
    finally:
        store.close()


def floor_rate(folder: Path, threads: int, seconds: float) -> float:
    folder.mkdir(parents=True)
    payload = repr(RECORD).encode()

    def worker(n: int) -> Callable[[int], None]:
        fd = os.open(folder / f"{n}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

        def work(_: int) -> None:
            os.write(fd, payload)
            os.fdatasync(fd)
        return work

    return rate(threads, seconds, worker)


def atomic_rate(folder: Path, threads: int, seconds: float) -> float:
    tmp = folder / ".tmp"
    make_private_dirs(tmp)

    def worker(n: int) -> Callable[[int], None]:
        def work(i: int) -> None:
            AtomicJSONStorage(folder / f"{n % 16:02x}" / f"p{n}-{i % 50}.json",
                              tmp_dir=tmp).write({"_default": {"1": RECORD}})
        return work

    return rate(threads, seconds, worker)


def due_pass(folder: Path, entries: int) -> tuple[float, float]:
    """Median and worst time of ``keys_through`` with nothing due, over ``entries`` due
    keys spread over a year from now."""
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    store = TinyDBStore(folder)
    step = timedelta(days=365) / entries
    batch: list[Put] = []
    for n in range(entries):
        at = now + timedelta(minutes=1) + step * n
        batch.append(Put("nudge_due", f"{at.isoformat()}|n{n}", {}))
        if len(batch) == 1000:
            store.commit(batch)
            batch = []
    if batch:
        store.commit(batch)
    times = []
    for _ in range(50):
        began = time.perf_counter()
        found = list(store.keys_through("nudge_due", now.isoformat()))
        times.append(time.perf_counter() - began)
        assert found == []
    store.close()
    times.sort()
    return times[len(times) // 2], times[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--dir", default=None, help="where to write (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        base = Path(scratch)
        print(f"{'threads':>7} {'store/s':>9} {'floor/s':>9} {'atomic/s':>9} "
              f"{'store/floor':>11} {'store/atomic':>12}")
        for threads in (1, 8, 50):
            store = store_rate(base / f"store{threads}", threads, args.seconds)
            floor = floor_rate(base / f"floor{threads}", threads, args.seconds)
            atomic = atomic_rate(base / f"atomic{threads}", threads, args.seconds)
            print(f"{threads:>7} {store:>9.0f} {floor:>9.0f} {atomic:>9.0f} "
                  f"{store / floor:>11.2f} {store / atomic:>12.2f}")
        median, worst = due_pass(base / "due", args.due)
        print(f"due pass, {args.due} entries over a year, nothing due: "
              f"median {median * 1000:.2f} ms, worst {worst * 1000:.2f} ms")


if __name__ == "__main__":
    main()
