"""A running Discord bot, a local Discord, and people who talk to the bot through it.

The bot is the real thing: ``start_discord`` with the real coach (``build_coach`` on a
temporary database) and the real discord.py client, connected over loopback sockets to
:class:`DiscordStandIn`. A test acts as a person (slash command, DM text, a click) and
then reads what reached the stand-in, the way the person would see it in Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord import start_discord
from bot.app import build_coach
from bot.clock import ManualClock
from bot.conversation.engine import Coach
from bot.interfaces import Clock
from bot.settings import Settings
from tests.standins.discord_api import DiscordStandIn, RestCall

Json = dict[str, Any]
QUIET = 0.25  # seconds without new requests after which a turn counts as answered


class RunningBot:
    """``start_discord`` in a task on the test's loop; stop and start it like a process."""

    def __init__(self, settings: Settings, standin: DiscordStandIn, clock: Clock) -> None:
        self.settings = settings
        self.standin = standin
        self.clock = clock  # the test's, so nothing depends on when it runs
        self.coach: Coach | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self, *, sync: bool = False) -> None:
        seen = len(self.standin.identifies)
        self.coach = build_coach(self.settings, clock=self.clock)
        self.task = asyncio.create_task(start_discord(self.settings, self.coach, sync=sync))
        connected = asyncio.create_task(self.standin.wait_until_connected(identifies=seen + 1))
        await asyncio.wait({self.task, connected}, return_when=asyncio.FIRST_COMPLETED)
        if self.task.done():
            connected.cancel()
            self.task.result()
            raise AssertionError("the bot stopped before connecting")
        await connected

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.coach is not None:
            self.coach.store.close()
        self.task = self.coach = None

    async def restart(self, *, sync: bool = False) -> None:
        await self.stop()
        await self.start(sync=sync)

    @property
    def alive(self) -> bool:
        return self.task is not None and not self.task.done()


class Person:
    """Someone on Discord: runs ``/notnow``, types in their DM with the bot, clicks."""

    def __init__(self, standin: DiscordStandIn, username: str) -> None:
        self.standin = standin
        self.user = standin.add_user(username)
        self.last: list[Json] = []

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def dm(self) -> str:
        return self.standin.dm_channel_of(self.user)

    @property
    def dm_messages(self) -> list[Json]:
        return self.standin.messages_in(self.dm)

    @property
    def text(self) -> str:
        """What the bot said in the DM during the last turn."""
        return "\n\n".join(m["content"] for m in self.last)

    async def command(self, subcommand: str, *, in_dm: bool = False) -> Json:
        """``/notnow <subcommand>``; in a server the turn ends with the ephemeral followup."""
        payload = self.standin.slash_command(self.user, subcommand, in_dm=in_dm)
        await self._turn(payload, until=None if in_dm else _followup_of(payload))
        return payload

    async def send(self, text: str) -> None:
        await self._turn(self.standin.dm_message(self.user, text), event="MESSAGE_CREATE")

    async def skip_introduction(self) -> None:
        """Skip first contact's questions (first name, place) that were asked."""
        for asked in ("first name?", "Where are you based?"):
            if asked in self.text:
                await self.send("skip")

    async def pick(self, label_part: str) -> Json:
        """Click the newest button (or menu entry) whose label contains ``label_part``."""
        for message in reversed(self.dm_messages):
            for row in message.get("components", []):
                for component in row.get("components", []):
                    found = _match(component, label_part)
                    if found is not None:
                        custom_id, values = found
                        payload = self.standin.component_click(
                            self.user, message, custom_id, values=values
                        )
                        await self._turn(payload)
                        return payload
        raise AssertionError(f"no button like {label_part!r} in {self.labels()}")

    def labels(self) -> list[str]:
        return [
            c.get("label", "")
            for m in self.dm_messages
            for row in m.get("components", [])
            for c in row.get("components", [])
        ]

    async def _turn(
        self,
        payload: Json,
        *,
        event: str = "INTERACTION_CREATE",
        until: Callable[[RestCall], bool] | None = None,
    ) -> None:
        """Dispatch, then wait for the bot's last request of the turn (or for it to go quiet)."""
        before = set(self.standin.messages)
        mark = len(self.standin.calls)
        await self.standin.dispatch(event, payload)
        if until is not None:
            await self.standin.wait_for_call(until, after=mark)
        else:
            await wait_until(lambda: any(m not in before for m in self._dm_ids()))
        await settle(self.standin)
        self.last = [self.standin.messages[i] for i in self._dm_ids() if i not in before]

    def _dm_ids(self) -> list[str]:
        return [m["id"] for m in self.dm_messages]


def _match(component: Json, label_part: str) -> tuple[str, list[str] | None] | None:
    wanted = label_part.lower()
    if component.get("type") == 2 and wanted in component.get("label", "").lower():
        return component["custom_id"], None
    if component.get("type") == 3:
        for option in component.get("options", []):
            if wanted in option["label"].lower():
                return component["custom_id"], [option["value"]]
    return None


def _followup_of(interaction: Json) -> Callable[[RestCall], bool]:
    return lambda c: c.method == "POST" and c.path.endswith("/" + interaction["token"])


async def wait_until(condition: Callable[[], bool], *, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the bot")
        await asyncio.sleep(0.01)


async def settle(standin: DiscordStandIn) -> None:
    """Wait until the bot has made no request for ``QUIET`` seconds."""
    while True:
        count = len(standin.calls)
        await asyncio.sleep(QUIET)
        if len(standin.calls) == count:
            return


class ErrorLog(logging.Handler):
    """ERROR records from the adapter and discord.py; a test fails on any it did not expect."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.expected = False

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [record.getMessage() for record in self.records]


@pytest.fixture(autouse=True)
def bot_errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    loggers = [logging.getLogger(name) for name in ("adapters", "discord")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)
    if not handler.expected:
        assert not handler.records, f"the bot logged errors: {handler.messages()}"


@pytest.fixture(autouse=True)
def _restore_discord_endpoints() -> Iterator[None]:
    """``start_discord`` points discord.py at the stand-in process-wide; undo that."""
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    server = DiscordStandIn()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def settings(tmp_path: Path, standin: DiscordStandIn) -> Settings:
    return Settings(
        db=str(tmp_path / "db"),
        discord_token=standin.token,
        discord_api_url=standin.base_url,
        discord_gateway_url=standin.gateway_url,
    )


@pytest.fixture
async def bot(settings: Settings, standin: DiscordStandIn,
              clock: ManualClock) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings, standin, clock)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
def person(standin: DiscordStandIn) -> Callable[[str], Person]:
    return lambda username: Person(standin, username)
