"""Hostile and faulty input on Discord (issue 15): payloads naming another person's DM, and
a disk that fills up while the bot saves a newcomer's name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.discord import start_discord
from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.interfaces import Record, StoreError
from bot.settings import Settings
from bot.storage import MemoryStore
from tests.discord.conftest import Person, RunningBot, settle, wait_until
from tests.standins.discord_api import DiscordStandIn

Json = dict[str, Any]


def _button(person: Person, label_part: str) -> tuple[Json, str]:
    """The newest message in the person's DM with a button like ``label_part``."""
    for message in reversed(person.dm_messages):
        for row in message.get("components", []):
            for component in row.get("components", []):
                if component.get("type") == 2 and label_part in component.get("label", ""):
                    return message, component["custom_id"]
    raise AssertionError(f"no button like {label_part!r} in {person.labels()}")


async def _two_people(person: Callable[[str], Person]) -> tuple[Person, Person]:
    ann, ben = person("ann"), person("ben")
    await ann.command("start")
    await ann.skip_introduction()
    await ben.command("start")
    await ben.skip_introduction()
    return ann, ben


# -- item 12: replies go to the DM of whoever acted ----------------------------------------


async def test_a_click_in_someone_elses_dm_is_answered_in_the_clickers_dm(
    bot: RunningBot, person: Callable[[str], Person], standin: DiscordStandIn
) -> None:
    ann, ben = await _two_people(person)
    ann_before, ben_before = len(ann.dm_messages), len(ben.dm_messages)
    message, custom_id = _button(ben, "Okay")

    payload = standin.component_click(ben.user, message, custom_id, dm_of=ann.user)
    await standin.dispatch("INTERACTION_CREATE", payload)
    await settle(standin)

    assert len(ann.dm_messages) == ann_before
    assert len(ben.dm_messages) > ben_before


async def test_an_export_asked_for_from_someone_elses_dm_goes_to_the_askers_dm(
    bot: RunningBot, person: Callable[[str], Person], standin: DiscordStandIn
) -> None:
    ann, ben = await _two_people(person)
    ann_before = {m["id"] for m in ann.dm_messages}

    payload = standin.slash_command(ben.user, "export", dm_of=ann.user)
    await standin.dispatch("INTERACTION_CREATE", payload)
    await wait_until(lambda: any(m["attachments"] for m in ben.dm_messages))
    await settle(standin)

    arrived_at_ann = [m for m in ann.dm_messages if m["id"] not in ann_before]
    assert not any(m["attachments"] for m in arrived_at_ann)
    # At most the deferral's notice, which names nobody and holds nothing of Ben's.
    assert all("Check your DMs" in m["content"] for m in arrived_at_ann)


async def test_a_message_naming_someone_elses_dm_is_not_a_turn(
    bot: RunningBot, person: Callable[[str], Person], standin: DiscordStandIn
) -> None:
    """Like Slack: only what someone says in their own DM with the bot is said to it."""
    ann, ben = await _two_people(person)
    ann_before, ben_before = len(ann.dm_messages), len(ben.dm_messages)

    await standin.dispatch("MESSAGE_CREATE", standin.dm_message(ben.user, "help", dm_of=ann.user))
    await settle(standin)

    assert len(ann.dm_messages) == ann_before
    assert len(ben.dm_messages) == ben_before
    await ben.send("help")  # in his own DM he is answered as always
    assert "export" in ben.text


# -- item 10: a full disk while saving the name still gets an answer -----------------------


class FullDisk(MemoryStore):
    """A disk that filled up: person records can no longer be written; reads work."""

    def write(self, namespace: str, key: str, record: Record) -> None:
        if namespace == PEOPLE:
            raise StoreError("[Errno 28] No space left on device")
        super().write(namespace, key, record)


@pytest.fixture
async def full_disk_bot(
    settings: Settings, standin: DiscordStandIn, content: Content, clock: ManualClock
) -> AsyncIterator[Coach]:
    coach = Coach(store=FullDisk(), content=content, clock=clock)
    task = asyncio.create_task(start_discord(settings, coach))
    await standin.wait_until_connected()
    yield coach
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_full_disk_while_saving_the_name_still_answers_the_newcomer(
    full_disk_bot: Coach, person: Callable[[str], Person]
) -> None:
    newcomer = person("newcomer")
    await newcomer.send("start")
    await newcomer.skip_introduction()
    assert "Something went wrong saving that" in newcomer.text
