"""Deliver due nudges once, inside each person's window, whatever crashes in between.

The store is the truth (APScheduler only wakes us; see :mod:`bot.nudges.scheduler`). For each
due nudge: check the person (held, outside their hours, already nudged today), *claim*
it (state ``claimed``, with the person's day marked, in one commit), send it, then mark
it ``sent`` (one commit). A crash between claim and mark leaves a claimed nudge; the
next dispatcher asks the platform whether the message arrived (Slack metadata, Discord
nonce) and only resends when it did not, or, where the platform cannot tell, resends
that one nudge at most once more.

Due check-ins are read in time order, a batch at a time, and sending starts with the
first batch while the next is read (:meth:`NudgeBook.due_batches`); dispatchers sharing
a database lease disjoint batches instead of racing for every check-in.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.content.loader import Content
from bot.conversation.locks import PersonLocks
from bot.conversation.overview import is_held
from bot.conversation.people import PRIMARY_CONTACT, PersonRepo, case_by_id
from bot.interfaces import (
    Clock,
    CorruptRecordError,
    DeliveryError,
    NudgeSender,
    Op,
    copy_json,
)
from bot.messages import Reply, UserRef
from bot.nudges.book import NudgeBook
from bot.nudges.holidays_calendar import country_of_person, is_public_holiday
from bot.nudges.messages import nudge_reply
from bot.ops.metrics import NUDGES_FAILED, NUDGES_RETRYING, NUDGES_SENT
from bot.records import NudgeRecord, PersonRecord

__all__ = ["DispatchReport", "NudgeDispatcher"]

log = logging.getLogger(__name__)

RETRY_DELAYS = (timedelta(hours=1), timedelta(hours=4), timedelta(days=1), timedelta(days=3))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


@dataclass
class DispatchReport:
    """What one pass did, for logs, ``send-due`` output and metrics."""

    sent: int = 0
    recovered: int = 0
    held: int = 0
    waiting: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    no_sender: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{name}={value}" for name, value in vars(self).items()
                 if isinstance(value, int) and value]
        return ", ".join(parts) or "nothing due"


@dataclass(frozen=True)
class _Claimed:
    user: UserRef
    nudge: NudgeRecord
    replies: list[Reply]
    in_doubt: bool
    dm_channel: str | None = None  # the person's DM, as their platform last opened it


class Services(Protocol):
    """What dispatching needs from a running coach (``bot.conversation.engine.Coach``)."""

    @property
    def people(self) -> PersonRepo: ...
    @property
    def nudge_book(self) -> NudgeBook: ...
    @property
    def locks(self) -> PersonLocks: ...
    @property
    def content(self) -> Content: ...
    @property
    def clock(self) -> Clock: ...


class NudgeDispatcher:
    """One pass at a time per process (the scheduler makes sure). Within a pass, up to
    ``concurrency`` people are served at once (a store's durable write and a platform
    round trip are mostly waiting); each person's nudges go one after another.

    It takes the services it uses, not the coach: the people, the nudge book, the
    per-person locks that also order turns, the content and the clock."""

    def __init__(self, *, people: PersonRepo, nudge_book: NudgeBook, locks: PersonLocks,
                 content: Content, clock: Clock, senders: Mapping[str, NudgeSender],
                 claim_timeout: timedelta = timedelta(minutes=2), concurrency: int = 8,
                 batch_size: int = 100) -> None:
        self._people = people
        self._book = nudge_book
        self._locks = locks
        self._content = content
        self._clock = clock
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._senders = dict(senders)
        self._claim_timeout = claim_timeout
        self.instance = uuid.uuid4().hex[:12]

    @classmethod
    def using(cls, services: Services, *, senders: Mapping[str, NudgeSender],
              **options: Any) -> NudgeDispatcher:
        """A dispatcher on a coach's services (so turns and dispatch share one lock each
        person, one nudge book and one clock)."""
        return cls(people=services.people, nudge_book=services.nudge_book,
                   locks=services.locks, content=services.content, clock=services.clock,
                   senders=senders, **options)

    async def send_due(self, *, only_user: UserRef | None = None) -> DispatchReport:
        report = DispatchReport()
        now = self._clock.now()
        await asyncio.to_thread(self._recover_outboxes)
        batches = self._book.due_batches(now, size=self._batch_size, holder=self.instance,
                                         lease_for=self._claim_timeout)
        gate = asyncio.Semaphore(self._concurrency)
        # A person's check-ins go one after another, oldest first (so the oldest wins
        # their day): one lock per person for this pass, taken in the order read.
        people: dict[str, asyncio.Lock] = {}

        async def one(key: str, nudge_id: str, turn: asyncio.Lock) -> None:
            async with turn, gate:
                try:
                    await self._one(nudge_id, UserRef.from_key(key), report)
                except Exception as exc:  # one bad record must not stop the others
                    log.exception("nudge %s could not be dispatched", nudge_id)
                    report.errors.append(f"{nudge_id}: {exc!r}")

        # Read (and lease) ahead at most two batches of what is being sent: what this
        # dispatcher cannot send soon is left for another one to take.
        room = asyncio.Semaphore(2 * self._batch_size)
        running: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            running.discard(task)
            room.release()

        while (batch := await asyncio.to_thread(next, batches, None)) is not None:
            for nudge in batch:
                if only_user is None or nudge["user"] == only_user.key:
                    await room.acquire()
                    turn = people.setdefault(nudge["user"], asyncio.Lock())
                    task = asyncio.create_task(one(nudge["user"], nudge["id"], turn))
                    running.add(task)
                    task.add_done_callback(finished)
                    await asyncio.sleep(0)  # let it queue on its lock in order
        if running:
            await asyncio.wait(running)
        return report

    async def _one(self, nudge_id: str, user: UserRef, report: DispatchReport) -> None:
        sender = self._senders.get(user.platform)
        if sender is None:
            report.no_sender += 1
            return
        claimed = await asyncio.to_thread(self._claim, nudge_id, user, report)
        if claimed is None:
            return
        if claimed.in_doubt:
            delivered = await sender.was_delivered(user, nudge_id)
            if delivered:
                await asyncio.to_thread(self._finish, claimed, None)
                report.recovered += 1
                NUDGES_SENT.labels(user.platform).inc()
                return
        try:
            await sender.deliver(user, claimed.replies, nudge_id=nudge_id,
                                 dm_channel=claimed.dm_channel)
        except DeliveryError as exc:
            log.warning("nudge %s to %s not delivered: %s", nudge_id, user.workspace, exc.reason)
            outcome = await asyncio.to_thread(self._finish, claimed, exc)
            if outcome == "failed":
                report.failed += 1
                NUDGES_FAILED.labels(user.platform).inc()
            else:
                report.retrying += 1
                NUDGES_RETRYING.labels(user.platform).inc()
            return
        await asyncio.to_thread(self._finish, claimed, None)
        report.sent += 1
        NUDGES_SENT.labels(user.platform).inc()

    # -- the synchronous, locked parts ------------------------------------------------

    def _recover_outboxes(self) -> None:
        """Write the check-ins of turns that were saved but crashed before writing them
        (:mod:`bot.nudges.outbox`), so they are due in this very pass."""
        self._people.recover_outboxes(self._locks.of)

    def _claim(self, nudge_id: str, user: UserRef, report: DispatchReport) -> _Claimed | None:
        now = self._clock.now()
        with self._locks.of(user.key):
            nudge = self._book.get(nudge_id)
            if nudge is None or nudge["state"] not in ("planned", "claimed"):
                return None
            original = copy_json(nudge)
            in_doubt = nudge["state"] == "claimed"
            if in_doubt and not self._claim_expired(nudge, now):
                return None  # another dispatcher is sending it right now
            person = self._people.load(user)
            case = case_by_id(person, nudge["case"]) if person else None
            orphan = person is not None and nudge_id not in person.get("nudge_ids", [])
            stopped = case is not None and (
                case.get("nudges_stopped")
                or (nudge.get("contact") or PRIMARY_CONTACT) in case.get("stopped_contacts", []))
            if person is None or case is None or stopped or orphan:
                nudge["state"] = "cancelled"
                if self._book.claim(nudge, expected=original):
                    report.cancelled += 1
                return None
            if is_held(person, now):
                report.held += 1
                return None
            local = now.astimezone(ZoneInfo(person["settings"]["timezone"]))
            nudged_today = person.get("last_nudge_day") == local.date().isoformat()
            if not _inside_window(person, local) or (nudged_today and not in_doubt):
                report.waiting += 1
                return None
            nudge.update({"state": "claimed", "claimed_at": now.isoformat(),
                          "claimed_by": self.instance, "attempts": nudge.get("attempts", 0) + 1})
            reply = nudge_reply(person, nudge, content=self._content, clock=self._clock)
            # The check-in becomes what the person is looking at: a typed "done" or
            # "show me the draft" answers it. The claim and the person's day are one
            # commit, so nobody gets two check-ins in a day, and nothing is half-saved.
            marked = self._people.begin(person)
            marked.update({"last_nudge_day": local.date().isoformat(),
                           "menu": [[o.value, o.label] for o in reply.options],
                           "menu_beside_flow": False})
            if not self._people.save(user, marked, expected=person,
                                     also=NudgeBook.changes(nudge, expected=original)):
                return None  # another dispatcher claimed it first, or a turn just ran
        return _Claimed(user=user, nudge=nudge, replies=[reply], in_doubt=in_doubt,
                        dm_channel=person.get("dm_channel"))

    def _claim_expired(self, nudge: NudgeRecord, now: datetime) -> bool:
        if nudge.get("claimed_by") == self.instance:
            return False
        claimed_at = datetime.fromisoformat(nudge["claimed_at"])
        return now - claimed_at >= self._claim_timeout

    def _finish(self, claimed: _Claimed, error: DeliveryError | None) -> str:
        """Mark the nudge sent, to retry or failed: one commit, with the person's day
        given back when it did not arrive (a nudge that did not arrive should not use up
        their one check-in a day)."""
        now = self._clock.now()
        with self._locks.of(claimed.user.key):
            stored = self._book.get(claimed.nudge["id"])
            if stored is None or stored["state"] != "claimed" or (
                    stored.get("claimed_by") != self.instance):
                # the person acted on it (done...) meanwhile
                return str((stored or claimed.nudge)["state"])
            nudge = copy_json(stored)
            if error is None:
                nudge.update({"state": "sent", "sent_at": now.isoformat(), "last_error": None})
            elif error.retryable and nudge.get("attempts", 1) < MAX_ATTEMPTS:
                delay = RETRY_DELAYS[min(nudge.get("attempts", 1), MAX_ATTEMPTS - 1) - 1]
                nudge.update(
                    {
                        "state": "planned",
                        "retry_at": (now + delay).isoformat(),
                        "last_error": error.reason,
                        "claimed_by": None,
                    }
                )
            else:
                nudge.update(
                    {"state": "failed", "last_error": error.reason, "failed_at": now.isoformat()}
                )
            ops = NudgeBook.changes(nudge, expected=stored)
            committed = (error is not None and self._give_the_day_back(claimed.user, ops)
                         ) or self._book.commit(ops)
            if not committed:  # changed since it was read (by another process)
                return str((self._book.get(nudge["id"]) or nudge)["state"])
            return str(nudge["state"])

    def _give_the_day_back(self, user: UserRef, ops: list[Op]) -> bool:
        """Commit ``ops`` with the person's day cleared; ``False`` (nothing written) if
        the person is gone or unreadable, so the caller commits ``ops`` alone."""
        try:
            person = self._people.load(user)
        except CorruptRecordError:
            return False
        if person is None:
            return False
        freed = self._people.begin(person)
        freed["last_nudge_day"] = None
        return self._people.save(user, freed, expected=person, also=ops)


def _inside_window(person: PersonRecord, local: datetime) -> bool:
    """Within the person's hours and days, and not a public holiday where they live (a
    check-in planned before they named their country, or moved by a snooze, waits)."""
    if is_public_holiday(country_of_person(person["settings"]), local.date()):
        return False
    window = person["settings"]["window"]
    start = time.fromisoformat(window["start"])
    end = time.fromisoformat(window["end"])
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
    now = local.time().replace(tzinfo=None)
    until_midnight = end == time(23, 59)  # "9-24" is stored as 23:59 and means midnight
    return weekday in window["days"] and start <= now and (now < end or until_midnight)
