"""Hostile or odd requests and a multi-workspace (OAuth) setup: undecodable charsets get a
400, install-page visits cannot pile up state files, tokens on disk are private under the
common umask, and check-ins go out with each team's installed token, also from cron."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import aiohttp
import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.file import FileInstallationStore

from adapters.slack import SlackService, start_slack
from adapters.slack.nudges import SlackNudgeSender
from adapters.slack.oauth import MAX_PENDING_STATES, STATE_TTL_SECONDS, oauth_dir
from bot.clock import ManualClock
from bot.conversation.engine import Coach
from bot.nudges.dispatcher import NudgeDispatcher
from bot.settings import Settings
from tests.conftest import REPO
from tests.slack.test_slack_nudges import NOW, TEAM, plan_due_reminder
from tests.standins.slack_api import Person, SlackSide, SlackStandIn, dm_channel_id, slash_command

CLIENT_ID = "1111111111.2222222222"
INSTALLED_TOKEN = f"xoxb-{TEAM.lower()}-installed"  # what the stand-in's oauth.v2.access issues
FORM, JSON = "application/x-www-form-urlencoded", "application/json"


# -- an unknown charset --------------------------------------------------------------


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("content_type", [FORM, JSON])
async def test_an_unknown_charset_is_a_400_and_the_app_keeps_serving(
    slack: SlackSide, slack_api: SlackStandIn, content_type: str, signed: bool
) -> None:
    fields = slash_command("T0001", "U0CHARSET")
    body = json.dumps(fields) if content_type == JSON else urlencode(fields)
    sent = await slack.post(body, content_type=f"{content_type}; charset=bogus-xyz",
                            signature="" if signed else None)
    assert sent.status == 400
    assert "Traceback" not in sent.text
    assert await Person(slack, slack_api, user="U0AFTER").slash()


# -- OAuth: state files and private token files ---------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The common umask, under which plain ``open()`` makes files 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def oauth_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={
        "slack_bot_token": None, "slack_client_id": CLIENT_ID, "slack_client_secret": "shh"})


@pytest.fixture
async def oauth_service(
    umask_022: None, oauth_settings: Settings, coach: Coach
) -> AsyncIterator[SlackService]:
    running = await start_slack(oauth_settings, coach, port=0, host="127.0.0.1")
    yield running
    await running.stop()


async def open_install_page(session: aiohttp.ClientSession, base: str) -> tuple[str, str]:
    """GET /slack/install as a browser would: the OAuth state and the cookie carrying it."""
    async with session.get(f"{base}/slack/install") as page:
        assert page.status == 200
        html = await page.text()
        cookie = "; ".join(f"{k}={m.value}" for k, m in page.cookies.items())
    found = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', html)
    assert found is not None
    query = parse_qs(urlparse(found.group(1).replace("&amp;", "&")).query)
    return query["state"][0], cookie


async def install(session: aiohttp.ClientSession, base: str, *, team: str = TEAM) -> int:
    """The whole install of ``team``: the page, then Slack's redirect back with a code."""
    state, cookie = await open_install_page(session, base)
    url = f"{base}/slack/oauth_redirect?code=code-for-{team}&state={state}"
    async with session.get(url, headers={"Cookie": cookie}) as done:
        return done.status


def state_files(settings: Settings) -> list[Path]:
    states = oauth_dir(settings) / "states"
    return [p for p in states.rglob("*") if p.is_file()] if states.exists() else []


async def test_an_unknown_charset_on_the_install_pages_is_a_400(
    oauth_service: SlackService
) -> None:
    base = f"http://127.0.0.1:{oauth_service.port}"
    bogus = {"Content-Type": "text/plain; charset=bogus-xyz"}  # with a body to decode
    async with aiohttp.ClientSession() as session:
        for path in ("/slack/install", "/slack/oauth_redirect?code=x&state=y"):
            async with session.get(base + path, data=b"x", headers=bogus) as answer:
                assert answer.status == 400, path
        assert await install(session, base) == 200


async def test_install_page_visits_cannot_pile_up_state_files(
    oauth_service: SlackService, oauth_settings: Settings
) -> None:
    base = f"http://127.0.0.1:{oauth_service.port}"
    async with aiohttp.ClientSession() as session:
        for visits in range(0, 3 * MAX_PENDING_STATES, 50):
            await asyncio.gather(*(open_install_page(session, base) for _ in range(50)))
            assert len(state_files(oauth_settings)) <= MAX_PENDING_STATES, visits
        # The newest visitor's install still goes through.
        assert await install(session, base) == 200


async def test_expired_states_are_removed(
    oauth_service: SlackService, oauth_settings: Settings
) -> None:
    base = f"http://127.0.0.1:{oauth_service.port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            await open_install_page(session, base)
        abandoned = state_files(oauth_settings)
        assert len(abandoned) == 5
        for path in abandoned:  # issued a quarter of an hour before their time ran out
            issued = float(path.read_text()) - STATE_TTL_SECONDS - 15 * 60
            path.write_text(str(issued))
        await open_install_page(session, base)
    assert not set(abandoned) & set(state_files(oauth_settings))
    assert len(state_files(oauth_settings)) == 1


async def test_tokens_and_states_on_disk_are_private_under_umask_022(
    oauth_service: SlackService, oauth_settings: Settings
) -> None:
    base = f"http://127.0.0.1:{oauth_service.port}"
    async with aiohttp.ClientSession() as session:
        await open_install_page(session, base)  # a pending state stays on disk
        assert await install(session, base) == 200
    root = oauth_dir(oauth_settings)
    [token_file] = root.glob(f"installations/*{TEAM}/bot-latest")
    assert INSTALLED_TOKEN in token_file.read_text()
    assert state_files(oauth_settings)
    readable_to_others = {
        str(path.relative_to(root.parent)): oct(mode)
        for path in [root, *root.rglob("*")]
        if (mode := stat.S_IMODE(path.stat().st_mode)) != (0o700 if path.is_dir() else 0o600)
    }
    assert readable_to_others == {}


# -- OAuth: check-ins with each team's installed token ----------------------------------


def save_installation(settings: Settings) -> None:
    """What Bolt's OAuth flow leaves on disk after ``TEAM`` installed the app."""
    FileInstallationStore(base_dir=str(oauth_dir(settings) / "installations")).save(
        Installation(app_id="ANOTNOW01", team_id=TEAM, user_id="U0ADMIN",
                     bot_token=INSTALLED_TOKEN, bot_id="BNOTNOWBOT", bot_user_id="UNOTNOWBOT",
                     bot_scopes="chat:write,commands,im:write"))


def nudge_posts(slack_api: SlackStandIn) -> list[str | None]:
    channel = dm_channel_id(TEAM, "U0PERSON")
    return [c.token for c in slack_api.calls_to("chat.postMessage", ok_only=True)
            if c.params["channel"] == channel and c.params.get("metadata")]


async def test_send_due_with_only_oauth_credentials_uses_the_installed_token(
    slack_api: SlackStandIn, oauth_settings: Settings
) -> None:
    """``notnow nudges send-due`` from cron, with SLACK_CLIENT_ID/SECRET and no bot token."""
    from bot.app import build_coach

    coach = build_coach(oauth_settings, clock=ManualClock(NOW))
    plan_due_reminder(coach)
    coach.store.close()
    save_installation(oauth_settings)
    slack_api.tokens[INSTALLED_TOKEN] = TEAM
    env = {**os.environ, "NOTNOW_DB": oauth_settings.db, "SLACK_CLIENT_ID": CLIENT_ID,
           "SLACK_CLIENT_SECRET": "shh", "SLACK_API_URL": slack_api.api_url,
           "PYTHONPATH": str(REPO)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", "nudges", "send-due", "--now", NOW.isoformat(),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "sent=1"
    assert nudge_posts(slack_api) == [INSTALLED_TOKEN]


async def test_the_serving_dispatcher_uses_each_teams_installed_token(
    slack_api: SlackStandIn, oauth_settings: Settings, coach: Coach, clock: ManualClock
) -> None:
    """``notnow serve``'s dispatcher: the sender of the running OAuth app."""
    save_installation(oauth_settings)
    slack_api.tokens[INSTALLED_TOKEN] = TEAM
    clock.set(NOW)
    plan_due_reminder(coach)
    service = await start_slack(oauth_settings, coach, port=0, host="127.0.0.1")
    try:
        sender = SlackNudgeSender.for_app(service.app)
        report = await NudgeDispatcher.using(coach, senders={"slack": sender}).send_due()
    finally:
        await service.stop()
    assert report.sent == 1
    assert nudge_posts(slack_api) == [INSTALLED_TOKEN]
