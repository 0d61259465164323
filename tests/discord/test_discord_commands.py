"""Discord's /notnow offers every command of the one command table, with content's words."""

from __future__ import annotations

from collections.abc import Callable

from bot.content.loader import Content
from bot.conversation.commands import COMMANDS
from tests.discord.conftest import Person, RunningBot, _followup_of
from tests.standins.discord_api import DiscordStandIn


async def test_every_command_is_a_subcommand_described_by_content(
        bot: RunningBot, standin: DiscordStandIn, content: Content) -> None:
    [group] = [c for c in standin.commands if c["name"] == "notnow"]
    offered = {o["name"]: o for o in group["options"]}
    assert list(offered) == [spec.name for spec in COMMANDS]
    for spec in COMMANDS:
        assert offered[spec.name]["description"] == content.coach.commands[spec.name]
    [duration] = offered["pause"]["options"]
    assert duration["name"] == "duration" and duration["type"] == 3
    assert not duration.get("required")


async def test_pause_takes_its_duration_as_an_option(bot: RunningBot, standin: DiscordStandIn,
                                                 person: Callable[[str], Person]) -> None:
    cy = person("cy")
    await cy.command("start")
    await cy.skip_introduction()
    payload = standin.slash_command(cy.user, "pause", options={"duration": "2 weeks"})
    await cy._turn(payload, until=_followup_of(payload))
    assert bot.coach is not None
    paused = bot.coach.store.read("people", f"discord:discord:{cy.id}")
    assert paused is not None and paused["paused_until"].startswith("2026-12-11")
