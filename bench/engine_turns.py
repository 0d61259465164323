"""Engine turns per second, in process: the scripted three-step run on each store.

Each run is a new person going through all three steps with the answers of
tests/conversation.py ``log_rejection``, then Email, marked sent, feedback, two
improvements and the regular cadence (19 turns; the last one plans six check-ins, twelve
records). ``Coach.handle`` is timed per turn, with no platform around it. The baseline is
the in-memory store, measured in the same run: stores take turns in rounds, so a noisy
neighbour slows all of them alike instead of one.

    .venv/bin/python bench/engine_turns.py [--runs 100] [--rounds 5]
        [--stores memory,tinydb,postgres] [--dir /tmp] [--pg-url URL] [--pg-fast] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    FULL_RUN,
    PLAN_STEP,
    BenchPostgres,
    add_store_options,
    check_finished,
    fmt_ms,
    fmt_ratio,
    machine,
    new_coach,
    open_backend,
    play,
    print_table,
    summarise,
)
from bot.conversation.engine import Coach
from bot.messages import UserRef
from tests.conversation import Conversation

NUDGES_PER_RUN = 9  # did you hear back, the chase, and the regular cadence's seven


class Series:
    """One store's coach and every turn time measured on it."""

    def __init__(self, name: str, coach: Coach) -> None:
        self.name = name
        self.coach = coach
        self.turns: list[float] = []
        self.plans: list[float] = []
        self.people = 0

    def run(self, *, record: bool = True) -> None:
        self.people += 1
        user = UserRef("bench", "T0BENCH", f"U{self.people:06d}")
        conv = Conversation(self.coach, user)
        clock = time.perf_counter
        for index, step in enumerate(FULL_RUN):
            started = clock()
            play(conv, step)
            took = clock() - started
            if record:
                self.turns.append(took)
                if index == PLAN_STEP:
                    self.plans.append(took)
        check_finished(self.coach.store, user, nudges=NUDGES_PER_RUN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="full runs per store (default 100)")
    parser.add_argument("--rounds", type=int, default=5, help="stores alternate this often")
    parser.add_argument("--stores", default="memory,tinydb,postgres")
    add_store_options(parser,
                      dir_help="where the TinyDB folder goes (its disk is what is measured)")
    parser.add_argument("--quick", action="store_true", help="10 runs per store, 2 rounds")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.rounds = 10, 2
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if stores[0] != "memory":
        stores.insert(0, "memory")  # the baseline is always measured
    rounds = max(1, min(args.rounds, args.runs))

    print(f"engine_turns: {machine()}")
    print(f"{args.runs} full runs x {len(FULL_RUN)} turns per store, in {rounds} rounds; "
          f"TinyDB under {args.dir}")
    started = time.perf_counter()
    pg = BenchPostgres(url=args.pg_url, fast=args.pg_fast) if "postgres" in stores else None
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp, contextlib.ExitStack() as stack:
        if pg is not None:
            stack.enter_context(pg)
            print(f"PostgreSQL: {pg.settings}")
        series = []
        for kind in stores:
            store = stack.enter_context(
                open_backend(kind, tmp_root=Path(tmp), pg=pg, name=f"bench_engine_{kind}"))
            one = Series(kind, new_coach(store))
            for _ in range(2):
                one.run(record=False)  # warm up: imports, template caches, connections
            series.append(one)
        for round_index in range(rounds):
            share = args.runs // rounds + (1 if round_index < args.runs % rounds else 0)
            for one in series:
                for _ in range(share):
                    one.run()
    elapsed = time.perf_counter() - started

    base = summarise(series[0].turns)
    rows = []
    for one in series:
        turns, plans = summarise(one.turns), summarise(one.plans)
        rows.append([one.name, turns.n, f"{turns.n / sum(one.turns):,.0f}", fmt_ms(turns.mean),
                     fmt_ms(turns.median), fmt_ms(turns.p99), fmt_ms(plans.median),
                     fmt_ratio(turns.mean / base.mean),
                     fmt_ratio(turns.median / base.median)])
    print_table(
        "Engine turns, in process (ms per turn; ratios: time per turn / memory store's)",
        ["store", "turns", "turns/s", "mean", "median", "p99", "plan turn median",
         "mean vs memory", "median vs memory"],
        rows,
    )
    print(f"\ntotal {elapsed:.1f}s")


if __name__ == "__main__":
    main()
