"""A person coached through Discord: slash command in a server, then their DMs."""

from __future__ import annotations

import json

from bot.conversation.people import PEOPLE
from tests.discord.conftest import Person, RunningBot
from tests.standins.discord_api import EPHEMERAL, DiscordStandIn


def callbacks(standin: DiscordStandIn, interaction: dict) -> list[dict]:
    path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    return [c.json for c in standin.calls if c.path == path]


async def test_all_three_steps_from_a_server_command(
    bot: RunningBot, person, standin: DiscordStandIn
) -> None:
    ada: Person = person("ada")

    slash = await ada.command("start")
    assert callbacks(standin, slash) == [{"type": 5, "data": {"flags": EPHEMERAL}}]
    whisper = standin.messages_in(standin.guild_channel_id)
    assert [m["content"] for m in whisper] == [
        "Check your DMs: I've continued there, just between us."
    ]
    assert whisper[0]["flags"] & EPHEMERAL
    # Discord gives a display name but no time zone: only the place is asked
    assert "I'm notnow" in ada.text and "Where are you based?" in ada.text
    assert "first name" not in ada.text
    await ada.send("Berlin")
    assert "Europe/Berlin time" in ada.text and "how are you feeling" in ada.text

    await ada.pick("Okay")
    clicked = next(m for m in ada.dm_messages if "how are you feeling" in m["content"])
    assert clicked["components"] == []
    assert clicked["content"].endswith("You chose: **Okay, ready to move on**")

    await ada.pick("write down")
    await ada.send("Acme Corp")
    assert "What was the role at Acme Corp?" in ada.text
    await ada.send("Data Analyst")
    await ada.pick("Final round")
    await ada.send("yesterday")
    await ada.send("Dana Reyes")
    await ada.pick("Hiring manager")
    await ada.pick("that's everyone")
    await ada.send("They wanted more SQL")
    assert "Company: Acme Corp" in ada.text
    await ada.pick("that's right")

    await ada.pick("Email")
    draft = next(m["content"] for m in ada.last if "```" in m["content"])
    assert "**Email draft**\n```\n" in draft and draft.endswith("```") and "Dana" in draft
    await ada.pick("sent it")
    await ada.pick("Not yet")
    assert "Step 3" in ada.text
    await ada.pick("Light")
    assert "coming up" in ada.text

    assert bot.coach is not None
    record = bot.coach.store.read(PEOPLE, f"discord:discord:{ada.id}")
    assert record is not None and record["cases"][0]["company"] == "Acme Corp"
    assert bot.alive


async def test_a_button_sent_before_a_restart_still_works(
    bot: RunningBot, person, standin: DiscordStandIn
) -> None:
    ben: Person = person("ben")
    await ben.command("start")
    await ben.skip_introduction()

    await bot.restart()

    await ben.pick("Okay")
    assert "steady" in ben.text
    assert len(standin.identifies) == 2


async def test_the_slash_command_in_a_dm_answers_in_place(
    bot: RunningBot, person, standin: DiscordStandIn
) -> None:
    cy: Person = person("cy")
    slash = await cy.command("help", in_dm=True)
    assert callbacks(standin, slash) == [{"type": 5}]
    assert "Here's what I can do" in cy.text
    assert not any(m["flags"] & EPHEMERAL for m in cy.last)


async def test_export_arrives_as_a_json_file(
    bot: RunningBot, person, standin: DiscordStandIn
) -> None:
    dee: Person = person("dee")
    await dee.command("start")
    await dee.skip_introduction()
    await dee.pick("Okay")
    await dee.command("export")

    upload = next(c for c in standin.calls if c.files and c.path == f"/channels/{dee.dm}/messages")
    ((filename, data),) = upload.files.values()
    assert filename.endswith(".json")
    assert json.loads(data)
    assert upload.json["allowed_mentions"] == {"parse": []}
    assert any(m["attachments"] for m in dee.last)


async def test_forget_asks_first_then_forgets(
    bot: RunningBot, person, standin: DiscordStandIn
) -> None:
    eve: Person = person("eve")
    await eve.command("start")
    await eve.skip_introduction()
    await eve.command("forget")
    (confirm,) = [m for m in eve.last if m["components"]]
    buttons = confirm["components"][0]["components"]
    assert [(b["custom_id"], b["style"]) for b in buttons] == [
        ("notnow:forget=yes", 4),  # danger
        ("notnow:forget=no", 2),
    ]

    await eve.pick("Yes, delete")
    assert "deleted all your data" in eve.text
    assert bot.coach is not None
    assert bot.coach.store.read(PEOPLE, f"discord:discord:{eve.id}") is None
