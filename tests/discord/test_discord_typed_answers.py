"""Typed answers in a Discord DM mean the same as clicks, at every menu."""

from __future__ import annotations

from collections.abc import Callable

from adapters.discord.sender import DiscordNudgeSender, rest_client
from bot.conversation.people import PEOPLE
from bot.nudges.dispatcher import NudgeDispatcher
from bot.settings import Settings
from tests.discord.conftest import Person, RunningBot
from tests.discord.test_discord_nudges import plan_a_due_reminder


async def test_yes_typed_after_forget_deletes(bot: RunningBot,
                                              person: Callable[[str], Person]) -> None:
    ada = person("ada")
    await ada.command("start")
    await ada.skip_introduction()
    await ada.command("forget")
    await ada.send("yes")
    assert "deleted all your data" in ada.text
    assert bot.coach is not None
    assert bot.coach.store.read(PEOPLE, f"discord:discord:{ada.id}") is None


async def test_a_misspelt_button_is_understood(bot: RunningBot,
                                               person: Callable[[str], Person]) -> None:
    bea = person("bea")
    await bea.command("start")
    await bea.skip_introduction()
    await bea.send("Gutted, honesty")
    assert "Of course you are" in bea.text
    await bea.send("calmng exercise")
    assert "slow things down" in bea.text


async def test_a_check_in_answered_in_words(bot: RunningBot, settings: Settings,
                                            person: Callable[[str], Person]) -> None:
    """A check-in's buttons, typed: 'show me the draft' shows it, and the check-in
    stays sent (it used to fall through to the home menu)."""
    dee = person("dee")
    assert bot.coach is not None
    nudge_id = plan_a_due_reminder(bot.coach, dee.id)
    async with rest_client(settings) as client:
        report = await NudgeDispatcher.using(
            bot.coach, senders={"discord": DiscordNudgeSender(client)}).send_due()
    assert report.sent == 1
    await dee.send("show me the draft")
    assert "Hi Dana," in dee.text
    nudge = bot.coach.nudge_book.get(nudge_id)
    assert nudge is not None and nudge["state"] == "sent"
