"""Typed answers in a Discord DM mean the same as clicks, at every menu."""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.people import PEOPLE
from tests.discord.conftest import Person, RunningBot


async def test_yes_typed_after_forget_deletes(bot: RunningBot,
                                              person: Callable[[str], Person]) -> None:
    ada = person("ada")
    await ada.command("start")
    await ada.command("forget")
    await ada.send("yes")
    assert "deleted all your data" in ada.text
    assert bot.coach is not None
    assert bot.coach.store.read(PEOPLE, f"discord:discord:{ada.id}") is None


async def test_a_misspelt_button_is_understood(bot: RunningBot,
                                               person: Callable[[str], Person]) -> None:
    bea = person("bea")
    await bea.command("start")
    await bea.send("Gutted, honesty")
    assert "Of course you are" in bea.text
    await bea.send("calmng exercise")
    assert "slow things down" in bea.text
