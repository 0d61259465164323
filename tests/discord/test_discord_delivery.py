"""What reaches people: nothing pings, closed DMs get help, nudges carry their nonce."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord import DMClosedError, NotnowClient, send_replies_to_user
from adapters.discord.runner import apply_endpoints
from bot.app import build_coach
from bot.clock import ManualClock
from bot.messages import Option, Reply
from bot.settings import Settings
from tests.discord.conftest import Person, RunningBot, settle
from tests.standins.discord_api import EPHEMERAL, DiscordStandIn


@pytest.fixture
async def rest_client(settings: Settings, clock: ManualClock) -> AsyncIterator[NotnowClient]:
    """A second client logged in over REST only, as a nudge dispatcher would use it."""
    apply_endpoints(settings)
    coach = build_coach(settings.model_copy(update={"db": settings.db + "-rest"}), clock=clock)
    client = NotnowClient(coach)
    await client.login(settings.discord_token or "")
    yield client
    await client.close()
    coach.store.close()


async def test_closed_dms_get_ephemeral_help_and_the_bot_carries_on(
    bot: RunningBot, person, standin: DiscordStandIn
) -> None:
    fay: Person = person("fay")
    standin.dms_closed.add(fay.id)

    await fay.command("start")

    await fay.skip_introduction()

    (whisper,) = standin.messages_in(standin.guild_channel_id)
    assert whisper["flags"] & EPHEMERAL
    assert "Privacy Settings" in whisper["content"] and "Direct Messages" in whisper["content"]
    refused = [c for c in standin.calls if c.status == 403]
    assert refused and refused[0].response == {
        "code": 50007,
        "message": "Cannot send messages to this user",
    }

    gus: Person = person("gus")
    await gus.command("start")
    await gus.skip_introduction()
    assert "how are you feeling" in gus.text
    assert bot.alive


async def test_mentions_never_ping_and_show_as_typed(
    bot: RunningBot, person, standin: DiscordStandIn
) -> None:
    hal: Person = person("hal")
    await hal.command("start")
    await hal.skip_introduction()
    await hal.pick("Okay")
    await hal.pick("write down")
    await hal.send("@everyone <@123456789012345678> **Acme** @here")

    assert (
        "role at @\u200beveryone <@\u200b123456789012345678> \\*\\*Acme\\*\\* @\u200bhere"
        in hal.text
    )
    sent = [c for c in standin.sends() if c.json and "content" in (c.json.get("data") or c.json)]
    assert len(sent) > 5
    for call in sent:
        body = call.json.get("data") or call.json
        assert body["allowed_mentions"] == {"parse": []}, call.path
        assert "@everyone" not in body["content"] and "@here" not in body["content"]


async def test_send_replies_to_user_for_nudges(
    bot: RunningBot, rest_client: NotnowClient, person, standin: DiscordStandIn
) -> None:
    ivy: Person = person("ivy")
    await send_replies_to_user(rest_client, ivy.id, [Reply("Time to check in", nudge_id="n-42")])

    (call,) = [c for c in standin.calls if c.path == f"/channels/{ivy.dm}/messages"]
    assert call.json["nonce"] == "n-42" and call.json["enforce_nonce"] is True
    assert call.json["allowed_mentions"] == {"parse": []}

    standin.dms_closed.add(ivy.id)
    with pytest.raises(DMClosedError) as raised:
        await send_replies_to_user(rest_client, ivy.id, [Reply("Still there?", nudge_id="n-43")])
    assert raised.value.user_id == ivy.id


async def test_many_options_become_a_menu_that_works(
    bot: RunningBot, rest_client: NotnowClient, person, standin: DiscordStandIn
) -> None:
    jo: Person = person("jo")
    await jo.command("start")
    await jo.skip_introduction()
    asked = [o for m in jo.last for row in m["components"] for o in row["components"]]
    options = [Option(b["custom_id"].removeprefix("notnow:"), b["label"]) for b in asked]
    options += [Option(f"extra={n}", f"Extra {n}") for n in range(7)]

    await send_replies_to_user(
        rest_client, jo.id, [Reply("Or pick from the list:", options=tuple(options))]
    )
    await settle(standin)
    menu = jo.dm_messages[-1]["components"][0]["components"][0]
    assert menu["type"] == 3 and menu["custom_id"] == "notnow-menu"
    assert len(options) > 10 and len(menu["options"]) == len(options)

    await jo.pick("Okay")
    assert "steady" in jo.text
    clicked = next(m for m in jo.dm_messages if m["content"].startswith("Or pick"))
    assert clicked["components"] == []
    assert clicked["content"].endswith("You chose: **Okay, ready to move on**")
