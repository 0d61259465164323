"""The bot answers in time, syncs commands only when needed, and survives bad events."""

from __future__ import annotations

from collections.abc import Callable

import discord
import pytest

from adapters.discord import start_discord
from bot.app import build_coach
from bot.clock import ManualClock
from bot.conversation.commands import COMMANDS
from bot.settings import Settings
from tests.discord.conftest import ErrorLog, Person, RunningBot, settle
from tests.standins.discord_api import DiscordStandIn, RestCall


def is_callback_of(interaction: dict) -> Callable[[RestCall], bool]:
    return lambda c: c.path == f"/interactions/{interaction['id']}/{interaction['token']}/callback"


async def test_the_slash_command_is_acknowledged_before_any_work(
    bot: RunningBot, person, standin: DiscordStandIn
) -> None:
    kim: Person = person("kim")
    payload = standin.slash_command(kim.user, "start")
    mark = len(standin.calls)
    sent_at = await standin.dispatch("INTERACTION_CREATE", payload)

    callback = await standin.wait_for_call(is_callback_of(payload), after=mark)
    assert callback.at - sent_at < 1.0
    assert standin.calls[mark] is callback, "the callback must come before the DMs"
    await settle(standin)


async def test_commands_are_synced_only_when_they_changed(
    bot: RunningBot, standin: DiscordStandIn
) -> None:
    puts = lambda: [c for c in standin.calls if c.method == "PUT"]  # noqa: E731
    assert len(puts()) == 1
    (notnow,) = standin.commands
    assert [o["name"] for o in notnow["options"]] == [spec.name for spec in COMMANDS]  # fmt: skip
    assert notnow["contexts"] == [0, 1] and notnow["integration_types"] == [0]

    await bot.restart()
    assert len(puts()) == 1

    standin.commands[0]["description"] = "edited by hand in the portal"
    await bot.restart()
    assert len(puts()) == 2

    await bot.restart(sync=True)
    assert len(puts()) == 3


async def test_malformed_events_are_dropped_and_the_next_one_is_served(
    bot: RunningBot, person, standin: DiscordStandIn, bot_errors: ErrorLog
) -> None:
    bot_errors.expected = True
    lee: Person = person("lee")
    await lee.command("start")
    await lee.skip_introduction()
    buttons = next(m for m in lee.dm_messages if m["components"])

    no_token = standin.slash_command(lee.user, "status")
    del no_token["token"]
    no_author = standin.dm_message(lee.user, "hello")
    del no_author["author"]
    unknown_id = standin.component_click(lee.user, buttons, "someone-else:42")
    not_on_message = standin.component_click(lee.user, buttons, "notnow:compose.feeling=okay")
    not_on_message["message"]["components"] = []
    select_without_values = standin.component_click(lee.user, buttons, "notnow-menu", values=[])

    await standin.send_raw("{this is not json")
    await standin.dispatch("INTERACTION_CREATE", no_token)
    await standin.dispatch("INTERACTION_CREATE", {"type": 2})
    await standin.dispatch("MESSAGE_CREATE", no_author)
    await standin.dispatch("INTERACTION_CREATE", unknown_id)
    await standin.dispatch("INTERACTION_CREATE", not_on_message)
    await standin.dispatch("INTERACTION_CREATE", select_without_values)
    await standin.dispatch("SOMETHING_DISCORD_ADDS_LATER", {"x": 1})
    await standin.dispatch("INTERACTION_CREATE", None)
    await settle(standin)

    await lee.pick("Okay")
    assert "steady" in lee.text
    assert bot.alive and len(standin.identifies) == 1
    dropped = [m for m in bot_errors.messages() if m.startswith("Dropped a gateway frame")]
    assert len(dropped) == 4
    assert all("hello" not in m for m in bot_errors.messages())


async def test_a_bad_token_stops_start_with_a_clear_error(
    settings: Settings, standin: DiscordStandIn, clock: ManualClock
) -> None:
    coach = build_coach(settings, clock=clock)
    wrong = settings.model_copy(update={"discord_token": "not-the-token"})
    try:
        with pytest.raises(discord.LoginFailure):
            await start_discord(wrong, coach)
        with pytest.raises(ValueError, match="DISCORD_TOKEN"):
            await start_discord(settings.model_copy(update={"discord_token": None}), coach)
    finally:
        coach.store.close()
