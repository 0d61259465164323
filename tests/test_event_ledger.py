"""The ledger of handled platform events: once per id, and old entries do not pile up."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.interfaces import Store
from bot.storage.event_ledger import NAMESPACE, EventLedger


def test_once_per_event_id_and_purged_after_the_ttl(store: Store, clock: ManualClock) -> None:
    ledger = EventLedger(store=store, clock=clock, ttl=timedelta(hours=2))
    assert ledger.first_time("slack", "Ev1") is True
    assert ledger.first_time("slack", "Ev1") is False
    assert ledger.first_time("discord", "Ev1") is True  # ids are per platform
    clock.advance(hours=1)
    ledger.first_time("slack", "Ev2")
    clock.advance(hours=1, minutes=30)  # Ev1s are 2.5 h old, Ev2 1.5 h: one purge runs
    ledger.first_time("slack", "Ev3")
    assert sorted(store.keys(NAMESPACE)) == ["slack:Ev2", "slack:Ev3"]
