"""The tone check on its labelled set: precision and recall per fault, time per draft.

    .venv/bin/python bench/tone_check.py [--repeat 20]

Reads tests/corpus/tone/drafts.yaml and the content folder's tone.yaml, runs the check
on every draft, and prints Markdown tables. Nothing leaves the process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.tone_file import ToneFile, load_tone  # noqa: E402
from bot.conversation.tone import FAULTS, check_draft, word_count  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "tone" / "drafts.yaml"
#: written blind, without sight of the patterns or the set above (see its header)
BLIND = ROOT / "tests" / "corpus" / "tone" / "held_out.yaml"


def _found(spec: ToneFile, draft: dict[str, Any]) -> set[str]:
    return {f.fault for f in check_draft(draft["text"], company=draft["company"],
                                         contact=draft["contact"], spec=spec)}


def _scores(spec: ToneFile, drafts: list[dict[str, Any]]) -> None:
    results = [(set(d["faults"]), _found(spec, d)) for d in drafts]
    print("| fault | drafts with it | found | false alarms | precision | recall |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for fault in FAULTS:
        hits = sum(fault in want and fault in got for want, got in results)
        wanted = sum(fault in want for want, _ in results)
        reported = sum(fault in got for _, got in results)
        precision = hits / reported if reported else 1.0
        recall = hits / wanted if wanted else 1.0
        print(f"| {fault} | {wanted} | {hits} | {reported - hits} | {precision:.2f} "
              f"| {recall:.2f} |")
    good = [got for want, got in results if not want]
    clean = sum(not got for got in good)
    print(f"\nGood drafts passing clean: {clean} of {len(good)}; "
          f"drafts with exactly the expected faults: "
          f"{sum(want == got for want, got in results)} of {len(results)}.")


def _timing(spec: ToneFile, drafts: list[dict[str, Any]], repeat: int) -> None:
    per_draft: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        for draft in drafts:
            _found(spec, draft)
        per_draft.append((time.perf_counter() - started) / len(drafts))
    words = [word_count(d["text"]) for d in drafts]
    print("\n| drafts | words (median, max) | runs | time per draft (median) | slowest run |")
    print("| ---: | --- | ---: | ---: | ---: |")
    print(f"| {len(drafts)} | {statistics.median(words):.0f}, {max(words)} | {repeat} "
          f"| {statistics.median(per_draft) * 1000:.3f} ms "
          f"| {max(per_draft) * 1000:.3f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed passes over the set")
    args = parser.parse_args()
    spec, errors = load_tone(ROOT / "content")
    if spec is None:
        sys.exit("\n".join(errors))
    drafts: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["drafts"]
    print(f"## Tone check: {len(drafts)} labelled drafts\n")
    _scores(spec, drafts)
    blind: list[dict[str, Any]] = yaml.safe_load(BLIND.read_text(encoding="utf-8"))
    print(f"\n## The blind set: {len(blind)} drafts written without sight of the patterns\n")
    _scores(spec, blind)
    _timing(spec, drafts, max(1, args.repeat))


if __name__ == "__main__":
    main()
