"""Copy every record from one store to another (TinyDB to PostgreSQL and back).

The copy goes namespace by namespace through the same narrow interface every store
has, so any pair of backends works. It refuses to write into a store that already
holds records (a second run cannot mix two histories), and it checks, per namespace,
that the target ends up with exactly the keys the source has.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.interfaces import Store, StoreError

__all__ = ["MigrationReport", "copy_store"]

BATCH = 500


@dataclass
class MigrationReport:
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # source, target

    @property
    def ok(self) -> bool:
        return all(source == target for source, target in self.counts.values())

    def table(self) -> str:
        lines = [f"{'namespace':<14} {'source':>8} {'target':>8}"]
        lines += [f"{name:<14} {source:>8} {target:>8}"
                  for name, (source, target) in sorted(self.counts.items())]
        return "\n".join(lines)


def copy_store(source: Store, target: Store, *, allow_non_empty: bool = False) -> MigrationReport:
    """:raises StoreError: the target is not empty (and ``allow_non_empty`` is off)."""
    if not allow_non_empty and target.namespaces():
        raise StoreError("the target store already holds records; migrate into an empty one")
    report = MigrationReport()
    for namespace in source.namespaces():
        keys = sorted(source.keys(namespace))
        for start in range(0, len(keys), BATCH):
            batch = keys[start:start + BATCH]
            for key, record in source.read_many(namespace, batch).items():
                target.write(namespace, key, record)
        copied = set(target.keys(namespace))
        report.counts[namespace] = (len(keys), len(copied & set(keys)))
    return report
