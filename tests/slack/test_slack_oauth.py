"""Several workspaces: Bolt's OAuth install flow, and each team answered with its own token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.file import FileInstallationStore

from adapters.slack import SlackService, start_slack
from adapters.slack.oauth import oauth_dir
from bot.conversation.engine import Coach
from bot.settings import Settings
from tests.standins.slack_api import Person, SlackSide, SlackStandIn

CLIENT_ID = "1111111111.2222222222"


@pytest.fixture
def oauth_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"slack_bot_token": None, "slack_client_id": CLIENT_ID, "slack_client_secret": "shh"}
    )


@pytest.fixture
async def oauth_service(oauth_settings: Settings, coach: Coach) -> AsyncIterator[SlackService]:
    store = FileInstallationStore(base_dir=str(oauth_dir(oauth_settings) / "installations"))
    for team in ("T0ONE", "T0TWO"):
        store.save(
            Installation(
                app_id="ANOTNOW01",
                team_id=team,
                user_id="U0ADMIN",
                bot_token=f"xoxb-{team.lower()}-token",
                bot_id="BNOTNOWBOT",
                bot_user_id="UNOTNOWBOT",
                bot_scopes="chat:write,commands",
            )
        )
    running = await start_slack(oauth_settings, coach, port=0, host="127.0.0.1")
    yield running
    await running.stop()


async def test_each_workspace_is_answered_with_its_own_token(
    oauth_service: SlackService, slack_api: SlackStandIn, signing_secret: str
) -> None:
    slack_api.tokens.update({"xoxb-t0one-token": "T0ONE", "xoxb-t0two-token": "T0TWO"})
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{oauth_service.port}/slack/events"
        slack = SlackSide(
            session, url=url, signing_secret=signing_secret, hooks_url=slack_api.hooks_url
        )
        one = Person(slack, slack_api, team="T0ONE", user="U0SAME")
        two = Person(slack, slack_api, team="T0TWO", user="U0SAME")
        await one.slash()
        await two.slash()
    tokens = {
        c.params["channel"]: c.token for c in slack_api.calls_to("chat.postMessage", ok_only=True)
    }
    assert tokens == {one.channel: "xoxb-t0one-token", two.channel: "xoxb-t0two-token"}


async def test_a_new_workspace_installs_through_the_oauth_flow(
    oauth_service: SlackService, slack_api: SlackStandIn, signing_secret: str
) -> None:
    base = f"http://127.0.0.1:{oauth_service.port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/slack/install") as page:
            assert page.status == 200
            html = await page.text()
            # Bolt marks its state cookie Secure; over plain loopback HTTP we carry it by hand,
            # as the person's browser would over HTTPS.
            cookie = "; ".join(f"{k}={m.value}" for k, m in page.cookies.items())
        authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', html)
        assert authorize is not None
        query = parse_qs(urlparse(authorize.group(1).replace("&amp;", "&")).query)
        assert query["client_id"] == [CLIENT_ID]
        assert "files:write" in query["scope"][0]
        redirect = f"{base}/slack/oauth_redirect?code=code-for-T0NEW&state={query['state'][0]}"
        async with session.get(redirect, headers={"Cookie": cookie}) as done:
            assert done.status == 200, await done.text()

        slack = SlackSide(
            session,
            url=f"{base}/slack/events",
            signing_secret=signing_secret,
            hooks_url=slack_api.hooks_url,
        )
        newcomer = Person(slack, slack_api, team="T0NEW", user="U0NEW")
        await newcomer.slash()
    posts = [
        c for c in slack_api.calls_to("chat.postMessage") if c.params["channel"] == newcomer.channel
    ]
    assert {c.token for c in posts} == {"xoxb-t0new-installed"}


async def test_an_unknown_workspace_is_not_answered(
    oauth_service: SlackService, slack_api: SlackStandIn, signing_secret: str
) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{oauth_service.port}/slack/events"
        slack = SlackSide(
            session, url=url, signing_secret=signing_secret, hooks_url=slack_api.hooks_url
        )
        sent = await slack.slash("T0STRANGER", "U0X")
    assert sent.status == 200
    await slack_api.settle(quiet=0.3)
    assert slack_api.calls_to("chat.postMessage") == []
    # Bolt tells the person (through the command's response_url) that the app is not installed.
    [told] = slack_api.calls_to("response_url")
    assert "install" in told.params["text"]
