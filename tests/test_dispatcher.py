"""Nudge delivery with an injected clock: time moves, nobody sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.conversation.engine import Coach
from bot.interfaces import DeliveryError
from bot.messages import Choice, Reply, UserRef
from bot.nudges.dispatcher import DispatchReport, NudgeDispatcher
from bot.nudges.scheduler import NudgeScheduler
from tests.conversation import Conversation, log_rejection


class RecordingSender:
    """A platform boundary that records what it was asked to deliver."""

    platform = "test"

    def __init__(self) -> None:
        self.sent: list[tuple[datetime, UserRef, str, list[Reply]]] = []
        self.fail_with: DeliveryError | None = None
        self.can_check = True
        self.clock: ManualClock | None = None

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        assert self.clock is not None
        self.sent.append((self.clock.now(), user, nudge_id, list(replies)))

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        if not self.can_check:
            return None
        return any(sent_id == nudge_id for _, _, sent_id, _ in self.sent)

    def kinds(self, coach: Coach) -> list[str]:
        return [coach.nudge_book.get(n)["kind"] for _, _, n, _ in self.sent]  # type: ignore[index]


@pytest.fixture
def sender(clock: ManualClock) -> RecordingSender:
    recorder = RecordingSender()
    recorder.clock = clock
    return recorder


@pytest.fixture
def dispatcher(coach: Coach, sender: RecordingSender) -> NudgeDispatcher:
    return NudgeDispatcher.using(coach, senders={"test": sender})


def run_until(dispatcher: NudgeDispatcher, clock: ManualClock, until: datetime,
              step: timedelta = timedelta(minutes=30)) -> None:
    """Move the clock in steps, dispatching at each, like the scheduler would."""
    while clock.now() <= until:
        asyncio.run(dispatcher.send_due())
        clock.advance(step)


def network_plan(conv: Conversation, cadence: str = "Light", zone: str = "UTC") -> None:
    if zone != "UTC":
        conv.coach.set_timezone(conv.user, zone)
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick(cadence)


def test_due_in_days_fires_on_that_day_at_nine_local_and_not_before(
        conv: Conversation, dispatcher: NudgeDispatcher, sender: RecordingSender,
        clock: ManualClock) -> None:
    network_plan(conv, zone="America/Chicago")  # light: connect after 7 days
    # Friday 27 Nov 04:00 in Chicago; + 7 days = Friday 4 Dec. heard_back (5 business
    # days) also falls on Friday 4 Dec: one nudge a day, so connect waits until Monday.
    run_until(dispatcher, clock, datetime(2026, 12, 4, 14, 59, tzinfo=UTC))
    assert sender.sent == []
    run_until(dispatcher, clock, datetime(2026, 12, 4, 15, 30, tzinfo=UTC))
    [(when, user, _, replies)] = sender.sent
    assert when == datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 09:00 CST
    assert user == conv.user
    assert "Did you hear back from Dana Reyes?" in replies[0].text
    run_until(dispatcher, clock, datetime(2026, 12, 7, 16, 0, tzinfo=UTC))
    assert sender.kinds(conv.coach) == ["heard_back", "connect"]
    assert sender.sent[1][0] == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday 09:00


def test_a_nudge_due_at_night_waits_for_the_morning(
        conv: Conversation, dispatcher: NudgeDispatcher, sender: RecordingSender,
        clock: ManualClock) -> None:
    network_plan(conv)
    nudge = conv.coach.nudge_book.get(conv.person["nudge_ids"][0])
    assert nudge is not None
    nudge["due_at"] = datetime(2026, 11, 30, 23, 0, tzinfo=UTC).isoformat()  # Monday 23:00
    conv.coach.nudge_book.save(nudge)
    clock.set(datetime(2026, 11, 30, 22, 0, tzinfo=UTC))
    run_until(dispatcher, clock, datetime(2026, 12, 1, 8, 59, tzinfo=UTC), timedelta(minutes=15))
    assert sender.sent == []
    run_until(dispatcher, clock, datetime(2026, 12, 1, 9, 15, tzinfo=UTC), timedelta(minutes=15))
    assert [when for when, *_ in sender.sent] == [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]


def test_across_a_dst_change_it_fires_once_at_the_local_hour(
        coach: Coach, dispatcher: NudgeDispatcher, sender: RecordingSender,
        clock: ManualClock) -> None:
    clock.set(datetime(2027, 3, 24, 12, 0, tzinfo=UTC))  # Wednesday; DST starts Sun 28 Mar
    conv = Conversation(coach, UserRef("test", "T1", "berlin"))
    network_plan(conv, cadence="Regular", zone="Europe/Berlin")  # connect after 3 days
    run_until(dispatcher, clock, datetime(2027, 3, 30, 12, 0, tzinfo=UTC), timedelta(minutes=20))
    connects = [when for when, *rest in sender.sent
                if coach.nudge_book.get(rest[1])["kind"] == "connect"]  # type: ignore[index]
    # due Saturday 27 Mar -> Monday 29 Mar is Easter Monday in Germany -> Tuesday 30 Mar
    # 09:00 CEST = 07:00 UTC, once
    assert connects == [datetime(2027, 3, 30, 7, 0, tzinfo=UTC)]


def test_buttons_done_snooze_skip_and_stop(
        conv: Conversation, dispatcher: NudgeDispatcher, sender: RecordingSender,
        clock: ManualClock) -> None:
    network_plan(conv, cadence="Regular")
    run_until(dispatcher, clock, datetime(2026, 11, 30, 9, 30, tzinfo=UTC))
    [(_, _, nudge_id, replies)] = sender.sent  # connect, Monday 30 Nov 09:00
    labels = [o.label for o in replies[0].options]
    assert labels == ["Something happened!", "Done", "Tomorrow", "Next week", "Skip this one",
                      "Stop for this contact", "Stop all check-ins"]
    assert replies[0].draft and "Hi Dana" in replies[0].draft

    conv.last = replies
    conv.pick("Tomorrow")
    assert "bring this back Tue 01 Dec, 09:00" in conv.text
    run_until(dispatcher, clock, datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    assert [n for _, _, n, _ in sender.sent] == [nudge_id, nudge_id]

    conv.last = sender.sent[-1][3]
    conv.pick("Done")
    assert "logged it on your timeline" in conv.text
    assert conv.person["cases"][0]["touches"][-1]["what"] == "Connect with Dana Reyes"
    conv.last = sender.sent[-1][3]
    conv.pick("Done")
    assert "already handled" in conv.text

    conv.last = sender.sent[-1][3]
    conv.pick("Something happened")
    conv.pick("An offer")
    assert "now a \"yes\"" in conv.text
    assert conv.person["cases"][0]["outcomes"][0]["outcome"] == "offer"

    conv.last = sender.sent[-1][3]
    conv.send(Choice(conv.last[0].options[-2].value))  # stop for this contact
    planned = [n for n in conv.coach.planner.of_person(conv.person) if n["state"] == "planned"]
    assert planned == []
    run_until(dispatcher, clock, datetime(2027, 6, 1, tzinfo=UTC), timedelta(hours=6))
    assert len(sender.sent) == 2


def test_done_on_the_last_check_in_plans_the_next_one(
        conv: Conversation, dispatcher: NudgeDispatcher, sender: RecordingSender,
        clock: ManualClock) -> None:
    network_plan(conv, cadence="Light")
    run_until(dispatcher, clock, datetime(2027, 4, 1, tzinfo=UTC), timedelta(hours=3))
    assert sender.kinds(conv.coach) == ["heard_back", "connect", "chase", "check_back",
                                        "share", "openings"]
    conv.last = sender.sent[-1][3]
    conv.pick("Done")
    assert "Next check-in:" in conv.text
    upcoming = [n for n in conv.coach.planner.of_person(conv.person) if n["state"] == "planned"]
    assert [n["kind"] for n in upcoming] == ["openings"]  # light repeats every 90 days


def test_paused_and_safety_held_people_get_nothing_until_they_resume(
        conv: Conversation, dispatcher: NudgeDispatcher, sender: RecordingSender,
        clock: ManualClock) -> None:
    network_plan(conv)
    conv.command("pause", "30")
    run_until(dispatcher, clock, datetime(2026, 12, 26, 8, 0, tzinfo=UTC), timedelta(hours=1))
    assert sender.sent == []
    conv.command("resume")
    conv.send("honestly I don't see the point of anything any more")
    run_until(dispatcher, clock, datetime(2026, 12, 30, 8, 0, tzinfo=UTC), timedelta(hours=1))
    assert sender.sent == []
    conv.command("resume")
    conv.pick("Yes, I'm safe")
    run_until(dispatcher, clock, datetime(2026, 12, 30, 10, 0, tzinfo=UTC), timedelta(hours=1))
    assert len(sender.sent) == 1  # overdue, delivered once, and only one on this day


def test_restart_with_overdue_nudges_delivers_each_exactly_once(
        coach: Coach, sender: RecordingSender, clock: ManualClock) -> None:
    people = [Conversation(coach, UserRef("test", "T1", f"U{i}")) for i in range(5)]
    for conv in people:
        network_plan(conv, cadence="Regular")
    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))  # down since Friday
    for _ in range(3):  # three "restarts"
        asyncio.run(NudgeDispatcher.using(coach, senders={"test": sender}).send_due())
    assert sorted(user.user for _, user, _, _ in sender.sent) == [f"U{i}" for i in range(5)]


def test_two_cases_never_give_two_nudges_on_one_day(
        conv: Conversation, dispatcher: NudgeDispatcher, sender: RecordingSender,
        clock: ManualClock) -> None:
    network_plan(conv, cadence="Regular")
    conv.command("new")
    conv.pick("Okay")
    conv.pick("write down")
    for answer in ("Globex", "Designer"):
        conv.send(answer)
    conv.pick("Phone screen")
    for answer in ("today", "Sam Hill"):
        conv.send(answer)
    conv.pick("Recruiter")
    conv.pick("that's everyone")
    conv.send("skip")
    conv.pick("that's right")
    conv.pick("Email")
    conv.pick("sent it")
    conv.pick("Not yet")
    conv.pick("Regular")
    run_until(dispatcher, clock, datetime(2026, 12, 20, tzinfo=UTC), timedelta(hours=2))
    days = [when.date() for when, *_ in sender.sent]
    assert len(days) >= 4 and len(days) == len(set(days))


def test_failures_retry_with_backoff_then_fail_with_a_reason(
        conv: Conversation, dispatcher: NudgeDispatcher, sender: RecordingSender,
        clock: ManualClock) -> None:
    network_plan(conv)  # heard_back and connect both fall due on Friday 4 Dec
    sender.fail_with = DeliveryError("dm_closed", retryable=True)
    clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    report = asyncio.run(dispatcher.send_due())
    assert report.retrying == 2  # a failed nudge does not use up the person's day
    nudge = conv.coach.nudge_book.get(conv.person["nudge_ids"][0])
    assert nudge["state"] == "planned" and nudge["last_error"] == "dm_closed"  # type: ignore[index]
    assert nudge["retry_at"] == "2026-12-04T10:00:00+00:00"  # type: ignore[index]
    clock.set(datetime(2026, 12, 4, 10, 0, tzinfo=UTC))
    sender.fail_with = DeliveryError("user_not_found", retryable=False)
    report = asyncio.run(dispatcher.send_due())
    assert report.failed == 2
    assert conv.coach.nudge_book.get(nudge["id"])["state"] == "failed"  # type: ignore[index]


def test_a_crash_between_claim_and_mark_is_recovered_once(
        conv: Conversation, sender: RecordingSender, clock: ManualClock, coach: Coach) -> None:
    network_plan(conv)
    clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    crashed = NudgeDispatcher.using(coach, senders={"test": sender})
    due = next(iter(coach.nudge_book.due(clock.now())))
    claimed = crashed._claim(due["id"], conv.user, DispatchReport())
    assert claimed is not None  # claimed, then the process "died" before sending
    clock.advance(minutes=1)
    restarted = NudgeDispatcher.using(coach, senders={"test": sender})
    asyncio.run(restarted.send_due())
    assert sender.sent == []  # too fresh: another dispatcher might still be sending it
    clock.advance(minutes=5)
    asyncio.run(restarted.send_due())
    asyncio.run(restarted.send_due())
    assert [n for _, _, n, _ in sender.sent] == [due["id"]]
    # sent but not marked: the platform says it arrived, so it is not sent again
    nudge = coach.nudge_book.get(due["id"])
    nudge.update(state="claimed", claimed_by="dead")  # type: ignore[union-attr]
    coach.nudge_book.save(nudge)  # type: ignore[arg-type]
    clock.advance(minutes=5)
    report = asyncio.run(restarted.send_due())
    assert report.recovered == 1 and len(sender.sent) == 1


async def test_the_scheduler_wakes_the_dispatcher(
        conv: Conversation, sender: RecordingSender, clock: ManualClock, coach: Coach) -> None:
    network_plan(conv)
    clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    scheduler = NudgeScheduler(NudgeDispatcher.using(coach, senders={"test": sender}),
                               every_seconds=3600)
    scheduler.start()
    try:
        report = await asyncio.wait_for(scheduler.wait_for_pass(after=0), timeout=30)
        assert report is not None and report.sent == 1
        clock.advance(days=3)
        scheduler.wake()
        await asyncio.wait_for(scheduler.wait_for_pass(after=1), timeout=30)
    finally:
        await scheduler.stop()
    assert len(sender.sent) == 2


def test_a_check_in_due_in_14_days_fires_that_morning_and_not_before(
        conv: Conversation, dispatcher: NudgeDispatcher, sender: RecordingSender,
        clock: ManualClock) -> None:
    conv.coach.set_timezone(conv.user, "Asia/Tokyo")
    log_rejection(conv)
    person = conv.person
    nudge = conv.coach.planner.plan_after(person, person["cases"][0], "openings", days=14)
    conv.coach.people.save(conv.user, person)
    # Friday 27 Nov 19:00 in Tokyo + 14 days = Friday 11 Dec, 09:00 JST = 00:00 UTC
    run_until(dispatcher, clock, datetime(2026, 12, 10, 23, 59, tzinfo=UTC), timedelta(hours=2))
    assert sender.sent == []
    run_until(dispatcher, clock, datetime(2026, 12, 11, 0, 30, tzinfo=UTC), timedelta(minutes=10))
    assert [(when, n) for when, _, n, _ in sender.sent] == [
        (datetime(2026, 12, 11, 0, 0, tzinfo=UTC), nudge["id"])]


def test_nudges_list_shows_state_attempts_and_the_last_error(tmp_path, content) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    from bot.storage import TinyDBStore

    store = TinyDBStore(tmp_path / "db")
    clock = ManualClock(datetime(2026, 11, 27, 10, tzinfo=UTC))
    coach = Coach(store=store, content=content, clock=clock)
    conv = Conversation(coach, UserRef("test", "T1", "U1"))
    network_plan(conv)
    clock.set(datetime(2026, 12, 4, 9, tzinfo=UTC))
    sender = RecordingSender()
    sender.clock = coach.clock  # type: ignore[assignment]
    sender.fail_with = DeliveryError("dm_closed", retryable=True)
    asyncio.run(NudgeDispatcher.using(coach, senders={"test": sender}).send_due())
    store.close()
    out = subprocess.run([sys.executable, "-m", "adapters.cli", "nudges", "list", "--user",
                          "test:T1:U1"], env={**os.environ, "NOTNOW_DB": str(tmp_path / "db")},
                         capture_output=True, text=True, timeout=60, check=True).stdout
    rows = out.splitlines()
    assert rows[0].split()[:4] == ["due", "(UTC)", "state", "kind"]
    assert any("planned" in r and "heard_back" in r and "dm_closed" in r and " 1 " in r
               for r in rows)
    assert sum("planned" in r for r in rows) >= 4
