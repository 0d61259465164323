"""Discord's display name reaches the engine, so drafts are signed with it."""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.people import PEOPLE
from tests.discord.conftest import Person, RunningBot


async def test_display_name_is_passed_on(bot: RunningBot, person: Callable[[str], Person]) -> None:
    grace = person("grace")
    await grace.command("start")
    await grace.skip_introduction()
    assert bot.coach is not None
    record = bot.coach.store.read(PEOPLE, f"discord:discord:{grace.id}")
    assert record is not None and record["display_name"] == "grace"
