"""A nudge reaches a Discord DM with working buttons, through the real client and REST."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from adapters.discord.render import nonce_for
from adapters.discord.sender import DiscordNudgeSender, rest_client
from bot.conversation.engine import Coach
from bot.messages import UserRef
from bot.nudges.dispatcher import NudgeDispatcher
from bot.settings import Settings
from tests.conversation import Conversation, log_rejection
from tests.discord.conftest import Person, RunningBot
from tests.standins.discord_api import DiscordStandIn


def plan_a_due_reminder(coach: Coach, user_id: str) -> str:
    """Set a person up, through the engine, with a follow-up reminder that is due now."""
    conv = Conversation(coach, UserRef("discord", "discord", user_id))
    conv.command("settings")
    conv.pick("Check-in hours")
    conv.send("0-24 every day")
    conv.pick("Nothing")
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("later")
    conv.pick("No reminders")
    [nudge] = conv.coach.planner.of_person(conv.person)
    nudge["due_at"] = (coach.clock.now() - timedelta(hours=1)).isoformat()
    coach.nudge_book.save(nudge)
    return str(nudge["id"])


async def test_a_due_nudge_arrives_as_a_dm_with_working_buttons(
        bot: RunningBot, standin: DiscordStandIn, settings: Settings,
        person: Callable[[str], Person]) -> None:
    ada = person("ada")
    assert bot.coach is not None
    nudge_id = plan_a_due_reminder(bot.coach, ada.id)

    async with rest_client(settings) as client:
        senders = {"discord": DiscordNudgeSender(client)}
        dispatcher = NudgeDispatcher.using(bot.coach, senders=senders)
        report = await dispatcher.send_due()
        assert report.sent == 1
        # A dispatcher that crashed after sending resends; Discord's nonce makes it one message.
        nudge = bot.coach.nudge_book.get(nudge_id)
        assert nudge is not None
        nudge.update(state="claimed", claimed_by="a-dead-process",
                     claimed_at=(bot.coach.clock.now() - timedelta(minutes=10)).isoformat())
        bot.coach.nudge_book.save(nudge)
        await dispatcher.send_due()

    [message] = ada.dm_messages
    assert message["nonce"] == nonce_for(nudge_id)
    assert "Follow-up to Dana Reyes not sent yet" in message["content"]
    assert "Show me the draft" in ada.labels() and "Stop all check-ins" in ada.labels()

    await ada.pick("Show me the draft")
    assert "Hi Dana," in ada.text


async def test_closed_dms_keep_the_nudge_waiting_with_a_reason(
        bot: RunningBot, standin: DiscordStandIn, settings: Settings,
        person: Callable[[str], Person]) -> None:
    bob = person("bob")
    assert bot.coach is not None
    nudge_id = plan_a_due_reminder(bot.coach, bob.id)
    standin.dms_closed.add(bob.id)
    async with rest_client(settings) as client:
        report = await NudgeDispatcher.using(
            bot.coach, senders={"discord": DiscordNudgeSender(client)}).send_due()
    assert report.retrying == 1
    nudge = bot.coach.nudge_book.get(nudge_id)
    assert nudge is not None and nudge["state"] == "planned"
    assert nudge["last_error"] == "dm_closed" and nudge["retry_at"] is not None
