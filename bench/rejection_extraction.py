"""Rejection-email extraction: per-field precision and recall on the corpus, and its cost.

Runs ``read_rejection`` on every rejection email of tests/corpus/rejections (scored as
in tests/test_rejection_email.py: precision is right / filled, recall right / expected),
then times it per email. The baseline, measured in the same run and alternating with it
email by email, is ``email.message_from_string`` parsing the same text alone: the least
any reading of a pasted email costs.

    .venv/bin/python bench/rejection_extraction.py [--rounds 20] [--quick]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import fmt_ms, fmt_ratio, machine, print_table
from bot.conversation.rejection_email import read_rejection
from tests.rejection_corpus import FIELDS, TODAY, cases, score


def figures() -> None:
    result = score()
    rows = [(name, result.expected[name], result.filled[name], result.right[name],
             f"{result.precision(name):.2f}", f"{result.recall(name):.2f}")
            for name in FIELDS]
    print_table(f"Per field, {result.emails} rejection emails",
                ("field", "expected", "filled", "right", "precision", "recall"), rows)
    for line in result.wrong:
        print(f"- wrong: {line}")
    for line in result.missed:
        print(f"- missed: {line}")


def timings(rounds: int) -> None:
    emails = [(name, text) for name, text, _ in cases()]
    read_rejection(emails[0][1], today=TODAY)  # warm dateparser's caches once
    ours: list[float] = []
    baseline: list[float] = []
    clock = time.perf_counter
    for _ in range(rounds):
        for name, text in emails:
            start = clock()
            email.message_from_string(text, policy=email.policy.default)
            baseline.append(clock() - start)
            start = clock()
            read_rejection(text, today=TODAY, filename=name)
            ours.append(clock() - start)
    ours_median, base_median = statistics.median(ours), statistics.median(baseline)
    print_table(f"Time per email, {len(emails)} emails x {rounds} rounds, medians",
                ("what", "samples", "median ms", "ratio"),
                [("message_from_string alone (baseline)", len(baseline), fmt_ms(base_median),
                  fmt_ratio(1.0)),
                 ("read_rejection", len(ours), fmt_ms(ours_median),
                  fmt_ratio(ours_median / base_median))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"# rejection extraction, {machine()}")
    figures()
    timings(3 if args.quick else args.rounds)
    print(f"\ntotal {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
