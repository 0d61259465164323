"""Fixtures for the Slack adapter: the real app on a real port, talking to a local Slack.

Each test gets a fresh stand-in Web API, a real :class:`~bot.conversation.engine.Coach` on a
temporary database, and the adapter in HTTP mode on ``127.0.0.1:<random port>``. :class:`Person`
then talks to it the way a Slack user's clicks and messages would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from adapters.slack import SlackService, start_slack
from bot.app import build_coach
from bot.clock import ManualClock
from bot.conversation.engine import Coach
from bot.settings import Settings
from tests.standins.slack_api import Person, SlackSide, SlackStandIn

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-notnowtests"


@pytest.fixture(autouse=True)
def _no_slack_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test passes its own settings; a developer's SLACK_* must not leak in.
    (The root conftest already keeps every test on loopback.)"""
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "SLACK_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def signing_secret() -> str:
    return SIGNING_SECRET


@pytest.fixture
async def slack_api() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def settings(tmp_path: Path, slack_api: SlackStandIn) -> Settings:
    return Settings(
        _env_file=None,
        db=str(tmp_path / "db"),
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.api_url.rstrip("/"),  # the adapter must add the slash
        slack_app_token=None,
        slack_client_id=None,
        slack_client_secret=None,
    )


@pytest.fixture
def coach(settings: Settings, clock: ManualClock) -> Iterator[Coach]:
    """The real coach on the test's clock (a weekday inside the check-in window), so
    nothing a Slack test checks depends on when it runs."""
    built = build_coach(settings, clock=clock)
    yield built
    built.store.close()


@pytest.fixture
async def service(settings: Settings, coach: Coach) -> AsyncIterator[SlackService]:
    running = await start_slack(settings, coach, port=0, host="127.0.0.1")
    yield running
    await running.stop()


@pytest.fixture
async def slack(service: SlackService, slack_api: SlackStandIn) -> AsyncIterator[SlackSide]:
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{service.port}/slack/events"
        yield SlackSide(
            session, url=url, signing_secret=SIGNING_SECRET, hooks_url=slack_api.hooks_url
        )


@pytest.fixture
def person(slack: SlackSide, slack_api: SlackStandIn) -> Person:
    return Person(slack, slack_api)
