"""Nudges reach a Slack DM with working buttons, and a crashed dispatcher never repeats one.

The crash tests run ``notnow nudges send-due`` as a real process and kill it with
SIGKILL while Slack "holds" chat.postMessage: once before the message is stored (the
nudge was claimed, not sent) and once after (sent, not marked). The next run looks in
the DM's history for the nudge id in the message metadata and sends each nudge once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.slack.nudges import NUDGE_EVENT, SlackNudgeSender
from bot.clock import ManualClock
from bot.content.loader import load_content
from bot.conversation.actions import ACTIONS
from bot.conversation.engine import Coach
from bot.messages import UserRef
from bot.nudges.dispatcher import NudgeDispatcher
from bot.settings import DEFAULT_CONTENT_DIR, Settings
from bot.storage import TinyDBStore
from tests.conftest import REPO
from tests.conversation import Conversation, log_rejection
from tests.slack.conftest import BOT_TOKEN
from tests.standins.slack_api import Person, SlackStandIn, dm_channel_id, option_values

TEAM, USER = "T0001", "U0PERSON"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday, inside the default window


def plan_due_reminder(coach: Coach) -> str:
    """Through the engine: a person whose follow-up reminder is due now."""
    conv = Conversation(coach, UserRef("slack", TEAM, USER))
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("later")
    conv.pick("No reminders")
    [nudge] = coach.planner.of_person(conv.person)
    nudge["due_at"] = (coach.clock.now() - timedelta(hours=1)).isoformat()
    coach.nudge_book.save(nudge)
    return str(nudge["id"])


async def test_a_due_nudge_arrives_with_metadata_and_working_buttons(
        coach: Coach, slack_api: SlackStandIn, settings: Settings, person: Person,
        service: object) -> None:
    nudge_id = plan_due_reminder(coach)
    sender = SlackNudgeSender(service.app.client)  # type: ignore[attr-defined]
    report = await NudgeDispatcher.using(coach, senders={"slack": sender}).send_due()
    assert report.sent == 1
    message = slack_api.last_message(dm_channel_id(TEAM, USER))
    assert message["metadata"] == {"event_type": NUDGE_EVENT,
                                   "event_payload": {"nudge_id": nudge_id}}
    assert "Follow-up to Dana Reyes not sent yet" in message["text"]
    assert await sender.was_delivered(UserRef("slack", TEAM, USER), nudge_id) is True

    value = next(v for v in option_values(message) if v.endswith(":show_draft"))
    replies = await person._turn(person.slack.click(TEAM, USER, message, value))
    assert any("Hi Dana," in str(reply["blocks"]) for reply in replies)


async def test_a_check_in_goes_to_the_dm_stored_at_a_turn_without_opening_it_again(
        coach: Coach, slack_api: SlackStandIn, person: Person, service: object) -> None:
    """The DM ``conversations.open`` gave at the person's turn is kept in their record,
    so a dispatcher in a new process (nothing cached) posts straight to it: Slack allows
    about 50 ``conversations.open`` a minute, and a morning's check-ins are many more."""
    nudge_id = plan_due_reminder(coach)
    await person.say("status")  # a turn in their DM: the channel is kept with them
    who = UserRef("slack", TEAM, USER)
    person_record = coach.people.load(who)
    assert person_record is not None
    assert person_record.get("dm_channel") == dm_channel_id(TEAM, USER)
    opened = len(slack_api.calls_to("conversations.open"))
    sender = SlackNudgeSender(service.app.client)  # type: ignore[attr-defined]  # a new cache
    report = await NudgeDispatcher.using(coach, senders={"slack": sender}).send_due()
    assert report.sent == 1
    assert len(slack_api.calls_to("conversations.open")) == opened
    message = slack_api.last_message(dm_channel_id(TEAM, USER))
    assert message["metadata"]["event_payload"] == {"nudge_id": nudge_id}


async def test_a_check_in_to_a_stored_dm_slack_no_longer_knows_opens_it_afresh(
        coach: Coach, slack_api: SlackStandIn, service: object) -> None:
    """A stored channel Slack answers ``channel_not_found`` for (nothing was posted) is
    not the end: the DM is opened again and the check-in arrives, once."""
    nudge_id = plan_due_reminder(coach)
    who = UserRef("slack", TEAM, USER)
    coach.people.update(who, lambda person: person.update({"dm_channel": "D0GONE"}))
    slack_api.fail("chat.postMessage", "channel_not_found")
    sender = SlackNudgeSender(service.app.client)  # type: ignore[attr-defined]
    report = await NudgeDispatcher.using(coach, senders={"slack": sender}).send_due()
    assert report.sent == 1 and report.retrying == 0
    [refused, posted] = slack_api.calls_to("chat.postMessage")
    assert refused.params["channel"] == "D0GONE" and not refused.response.get("ok")
    assert posted.params["channel"] == dm_channel_id(TEAM, USER)
    assert len(slack_api.calls_to("conversations.open")) == 1
    message = slack_api.last_message(dm_channel_id(TEAM, USER))
    assert message["metadata"]["event_payload"] == {"nudge_id": nudge_id}


def _env(slack_api: SlackStandIn, db: Path) -> dict[str, str]:
    return {**os.environ, "NOTNOW_DB": str(db), "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "unused-here", "SLACK_API_URL": slack_api.api_url,
            "PYTHONPATH": str(REPO)}


async def _send_due(env: dict[str, str], now: datetime) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "nudges", "send-due", "--now", now.isoformat(),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


@pytest.mark.parametrize("after_storing", [False, True], ids=["claim-send", "send-mark"])
async def test_a_killed_dispatcher_delivers_each_nudge_exactly_once(
        slack_api: SlackStandIn, tmp_path: Path, after_storing: bool) -> None:
    db = tmp_path / "db"
    store = TinyDBStore(db)
    coach = Coach(store=store, clock=ManualClock(NOW),
                  content=load_content(DEFAULT_CONTENT_DIR, known_actions=ACTIONS))
    nudge_id = plan_due_reminder(coach)
    store.close()
    env = _env(slack_api, db)

    slack_api.hang("chat.postMessage", after_storing=after_storing)
    first = await _send_due(env, NOW)
    await asyncio.wait_for(slack_api.hung.wait(), timeout=60)
    first.send_signal(signal.SIGKILL)
    await first.wait()

    second = await _send_due(env, NOW + timedelta(minutes=10))
    out, err = await asyncio.wait_for(second.communicate(), timeout=60)
    assert second.returncode == 0, err.decode()
    assert out.decode().strip() == ("recovered=1" if after_storing else "sent=1")

    delivered = [m for m in slack_api.messages.get(dm_channel_id(TEAM, USER), [])
                 if (m.get("metadata") or {}).get("event_payload", {}).get("nudge_id") == nudge_id]
    assert len(delivered) == 1
    reader = TinyDBStore(db, read_only=True)
    assert reader.read("nudges", nudge_id)["state"] == "sent"  # type: ignore[index]
