"""Who gets the programme report from Discord: members with Manage Server, asking in the
server, as an attachment in their DM; everyone else, and anyone asking from a DM (where
there is no server to check), is refused and nothing is built."""

from __future__ import annotations

from collections.abc import Callable

from tests.discord.conftest import Person, RunningBot
from tests.standins.discord_api import DiscordStandIn

REFUSED = "only for the people who run this workspace"


def report_uploads(standin: DiscordStandIn, person: Person) -> list[tuple[str, bytes]]:
    return [file for call in standin.calls
            if call.files and call.path == f"/channels/{person.dm}/messages"
            for file in call.files.values()]


async def test_a_member_without_manage_server_is_refused(
        bot: RunningBot, standin: DiscordStandIn, person: Callable[[str], Person]) -> None:
    eve = person("eve")
    await eve.command("report")
    assert REFUSED in eve.text
    assert report_uploads(standin, eve) == []


async def test_a_manager_asking_from_a_dm_is_refused(
        bot: RunningBot, standin: DiscordStandIn, person: Callable[[str], Person]) -> None:
    max_ = person("max")
    standin.managers.add(max_.id)
    await max_.command("report", in_dm=True)
    assert REFUSED in max_.text
    assert report_uploads(standin, max_) == []


async def test_a_manager_gets_the_html_report_without_ids_or_names(
        bot: RunningBot, standin: DiscordStandIn, person: Callable[[str], Person]) -> None:
    members = [person(f"member{i}") for i in range(5)]
    for member in members:
        await member.command("start")
        await member.skip_introduction()
        await member.pick("Yes, count my answers")
    boss = person("boss")
    standin.managers.add(boss.id)

    await boss.command("report")
    assert "anonymous report" in boss.text
    ((filename, data),) = report_uploads(standin, boss)
    assert filename.endswith(".html")
    page = data.decode()
    assert "<html" in page.lower()
    for member in [*members, boss]:
        assert member.id not in page
        assert str(member.user["username"]) not in page


async def test_a_slash_command_in_a_server_records_that_server(
        bot: RunningBot, standin: DiscordStandIn, person: Callable[[str], Person]) -> None:
    """So the report can count the person in that server's figures; DMs record none."""
    ida = person("ida")
    await ida.command("start")
    await ida.skip_introduction()
    assert bot.coach is not None
    record = bot.coach.store.read("people", f"discord:discord:{ida.id}")
    assert record is not None and record["servers"] == [str(standin.guild_id)]
    await ida.command("status", in_dm=True)
    record = bot.coach.store.read("people", f"discord:discord:{ida.id}")
    assert record is not None and record["servers"] == [str(standin.guild_id)]
