"""Issue 12: the calendar over Slack. ``calendar`` uploads the ``.ics`` file into the DM;
``calendar feed`` gives a private address that the running HTTP app serves at
``GET /calendar/<token>.ics`` (200 text/calendar) until it is reset or the person is
forgotten (404, the same as a token nobody was ever given)."""

from __future__ import annotations

import re

import aiohttp
import pytest
from icalendar import Calendar

from adapters.slack import SlackService
from bot.conversation.engine import Coach
from bot.messages import UserRef
from bot.settings import Settings
from tests.conversation import Conversation, log_rejection
from tests.standins.slack_api import Person, SlackStandIn, blocks_text

PUBLIC_URL = "https://notnow.example.org"
FEED_URL = re.compile(re.escape(PUBLIC_URL) + r"/calendar/([A-Za-z0-9_-]{43,})\.ics")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_url": PUBLIC_URL})


def with_check_ins(coach: Coach, person: Person) -> None:
    """The person's case and check-ins, logged through the engine (the Slack turns for
    logging are covered elsewhere)."""
    conv = Conversation(coach, UserRef("slack", person.team, person.user))
    log_rejection(conv, company="Northwind Health")
    for answer in ("Email", "sent it", "Not yet", "Regular"):
        conv.pick(answer)


def posted_text(replies: list[dict]) -> str:  # type: ignore[type-arg]
    return "\n".join(blocks_text(message) + str(message.get("text", "")) for message in replies)


async def feed_token(person: Person, text: str) -> str:
    found = FEED_URL.search(posted_text(await person.say(text)))
    assert found is not None
    return found.group(1)


async def get(service: SlackService, token: str) -> tuple[int, str, str]:
    url = f"http://127.0.0.1:{service.port}/calendar/{token}.ics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.content_type, await response.text()


async def test_calendar_uploads_the_file_into_the_dm(
        coach: Coach, person: Person, slack_api: SlackStandIn) -> None:
    with_check_ins(coach, person)
    replies = await person.say("calendar")
    assert "calendar file" in posted_text(replies)
    done = await slack_api.wait_for("files.completeUploadExternal")
    assert done[0].params["channel_id"] == person.channel
    requested = slack_api.calls_to("files.getUploadURLExternal")[0].params
    assert requested["filename"] == "notnow-check-ins.ics"
    uploaded = slack_api.uploads[done[0].params["files"][0]["id"]].decode()
    assert Calendar.from_ical(uploaded).walk("VEVENT")


async def test_the_feed_is_served_until_reset_and_unknown_tokens_are_404(
        coach: Coach, person: Person, service: SlackService) -> None:
    with_check_ins(coach, person)
    token = await feed_token(person, "calendar feed")
    status, kind, body = await get(service, token)
    assert (status, kind) == (200, "text/calendar")
    events = Calendar.from_ical(body).walk("VEVENT")
    assert events and any("Northwind Health" in str(e.get("DESCRIPTION")) for e in events)

    assert (await get(service, "x" * 43))[0] == 404  # never issued
    new = await feed_token(person, "calendar reset")
    assert (await get(service, token))[0] == 404  # revoked
    assert (await get(service, new))[0] == 200


async def test_forget_revokes_the_feed(
        coach: Coach, person: Person, service: SlackService) -> None:
    with_check_ins(coach, person)
    token = await feed_token(person, "calendar feed")
    assert (await get(service, token))[0] == 200
    await person.say("forget")
    await person.click("forget=yes")
    assert (await get(service, token))[0] == 404
