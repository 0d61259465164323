"""Who gets the programme report from Slack: workspace admins by ``/notnow report`` (a
file in their DM), holders of the report token at ``GET /admin/report``; nobody else."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from adapters.slack import SlackService
from bot.conversation.engine import Coach
from bot.settings import Settings
from tests.standins.slack_api import Person, SlackSide, SlackStandIn, blocks_text

CONSENT_YES = "consent=yes"  # the consent button's value
REPORT_PATH = "/admin/report"
REPORT_TOKEN = "report-token-3f9c2a71d0b84e6c"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"report_token": REPORT_TOKEN})


async def test_a_member_who_is_not_an_admin_is_refused_and_nothing_is_built(
        person: Person, slack_api: SlackStandIn) -> None:
    await person.slash()
    replies = await person.slash("report")
    assert "only for the people who run this workspace" in blocks_text(replies[-1])
    assert not slack_api.calls_to("files.getUploadURLExternal")
    typed = await person.say("report")  # typed in the DM: the same answer
    assert "only for the people who run this workspace" in blocks_text(typed[-1])
    assert not slack_api.calls_to("files.getUploadURLExternal")


async def test_an_admin_gets_the_html_report_as_a_file_without_ids_or_names(
        slack: SlackSide, slack_api: SlackStandIn) -> None:
    people = [Person(slack, slack_api, user=f"U0MEMBER{i}") for i in range(5)]
    for member in people:
        await member.slash()
        await member.click(CONSENT_YES)  # counts may be reported
    admin = Person(slack, slack_api, user="U0ADMIN")
    slack_api.admins.add(admin.user)

    replies = await admin.slash("report")
    assert "anonymous report" in blocks_text(replies[0])
    done = await slack_api.wait_for("files.completeUploadExternal")
    assert done[0].params["channel_id"] == admin.channel
    requested = slack_api.calls_to("files.getUploadURLExternal")[0].params
    assert requested["filename"].endswith(".html")
    page = slack_api.uploads[done[0].params["files"][0]["id"]].decode()
    assert "<html" in page.lower()
    for secret in ("U0ADMIN", "U0MEMBER", "T0001", "Person U0", "u0member"):
        assert secret not in page


async def test_the_report_page_wants_the_token(service: SlackService) -> None:
    url = f"http://127.0.0.1:{service.port}{REPORT_PATH}"
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        async with session.get(url, headers=wrong) as response:
            assert response.status == 401
        right = {"Authorization": f"Bearer {REPORT_TOKEN}"}
        async with session.get(url, headers=right) as response:
            assert response.status == 200
            assert response.content_type == "text/html"
            assert "<html" in (await response.text()).lower()
        query = {"format": "json", "workspace": "slack:T0001", "since": "2026-01"}
        async with session.get(url, headers=right, params=query) as response:
            assert response.status == 200
            assert response.content_type == "application/json"
        async with session.get(url, headers=right, params={"since": "soon"}) as response:
            assert response.status == 400


async def test_without_a_configured_token_there_is_no_report_page(coach: Coach) -> None:
    from adapters.slack.server import build_web_app  # what serve builds, minus the token
    from adapters.slack.service import report_page

    runner = web.AppRunner(build_web_app(None, signing_secret=None, report=report_page(coach),
                                         report_token=None))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            headers = {"Authorization": "Bearer "}
            async with session.get(f"http://127.0.0.1:{port}{REPORT_PATH}",
                                   headers=headers) as response:
                assert response.status == 404
    finally:
        await runner.cleanup()
