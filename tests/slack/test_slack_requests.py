"""What reaches the app over HTTP: signatures, retries, malformed bodies, health checks."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack import SlackService
from tests.standins.slack_api import Person, SlackSide, SlackStandIn, sign


@pytest.mark.parametrize(
    "how",
    [
        "wrong signature",
        "missing signature",
        "timestamp six minutes old",
        "signed with another secret",
    ],
)
async def test_unsigned_or_stale_requests_are_refused_without_any_web_api_call(
    slack: SlackSide, slack_api: SlackStandIn, how: str
) -> None:
    body = urlencode({"team_id": "T0001", "user_id": "U1", "command": "/notnow", "text": ""})
    if how == "wrong signature":
        sent = await slack.post(body, signature="v0=" + "0" * 64)
    elif how == "missing signature":
        sent = await slack.post(body, signature=None)
    elif how == "timestamp six minutes old":
        sent = await slack.post(body, timestamp=int(time.time()) - 6 * 60)
    else:
        now = int(time.time())
        sent = await slack.post(body, timestamp=now, signature=sign("not-the-secret", now, body))
    assert sent.status == 401
    await slack_api.settle(quiet=0.2)
    assert slack_api.calls == []


async def test_a_retried_event_is_answered_once(
    person: Person, slack: SlackSide, slack_api: SlackStandIn
) -> None:
    first = await person.say("hello", event_id="EvSAME0001")
    assert first
    for retry_num in (1, 2):
        retry = await slack.dm(
            person.team, person.user, "hello", event_id="EvSAME0001", retry_num=retry_num
        )
        assert retry.status == 200
    await slack_api.settle(quiet=0.3)
    assert len(slack_api.posted(person.channel)) == len(first)


async def test_a_retry_racing_the_first_delivery_is_still_one_turn(
    slack: SlackSide, slack_api: SlackStandIn
) -> None:
    alone = Person(slack, slack_api, user="U0ALONE")
    baseline = len(await alone.say("hello"))
    racer = Person(slack, slack_api, user="U0RACER")
    sent = await asyncio.gather(
        slack.dm(racer.team, racer.user, "hello", event_id="EvRACE0001"),
        slack.dm(racer.team, racer.user, "hello", event_id="EvRACE0001", retry_num=1),
    )
    assert [s.status for s in sent] == [200, 200]
    await slack_api.wait_for("chat.postMessage", baseline, where=racer._mine)
    await slack_api.settle(quiet=0.3)
    assert len(slack_api.posted(racer.channel)) == baseline


FORM, JSON = "application/x-www-form-urlencoded", "application/json"
CLICK_WITHOUT_USER = {"type": "block_actions", "actions": [{"action_id": "notnow_choice_0"}]}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        # Bolt cannot even route these: refused before Bolt sees them.
        pytest.param("payload=%7Bnot+json", FORM, 400, id="payload not json"),
        pytest.param("payload=%5B1%2C2%5D", FORM, 400, id="payload a list"),
        pytest.param(
            '{"type": "event_callback", "event_id": "Ev1"', JSON, 400, id="truncated json"
        ),
        pytest.param('{"type": "event_callback", "event_id": "Ev2"}', JSON, 400, id="no event"),
        pytest.param('{"type": "block_actions", "actions": []}', JSON, 400, id="no actions"),
        # Routable but incomplete: acknowledged (so Slack does not retry) and ignored.
        pytest.param(
            '{"type": "event_callback", "team_id": "T0001", "event": {"type": "message"}}',
            JSON,
            200,
            id="message without user",
        ),
        pytest.param(
            "payload=" + json.dumps(CLICK_WITHOUT_USER), FORM, 200, id="click without user or value"
        ),
        pytest.param("command=%2Fnotnow&text=", FORM, 200, id="command without team or user"),
        # Nothing Bolt listens for.
        pytest.param("\x00\x01garbage", "application/octet-stream", 404, id="binary garbage"),
    ],
)
async def test_malformed_signed_requests_get_a_4xx_or_are_ignored_and_the_app_keeps_serving(
    slack: SlackSide, slack_api: SlackStandIn, body: str, content_type: str, status: int
) -> None:
    sent = await slack.post(body, content_type=content_type)
    assert sent.status == status
    await slack_api.settle(quiet=0.2)
    assert slack_api.calls_to("chat.postMessage") == []
    # The next, well-formed request is served as usual.
    person = Person(slack, slack_api, user="U0AFTER")
    replies = await person.slash()
    assert replies


async def test_unsigned_malformed_request_is_401_not_400(slack: SlackSide) -> None:
    sent = await slack.post("payload=%7Bnot+json", signature=None)
    assert sent.status == 401


async def test_url_verification_challenge_is_echoed(slack: SlackSide) -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    sent = await slack.post(body, content_type="application/json")
    assert sent.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in sent.text


async def test_healthz(service: SlackService) -> None:
    url = f"http://127.0.0.1:{service.port}/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 200
        assert await resp.text() == "ok"


async def test_bot_messages_and_edits_are_not_turns(
    slack: SlackSide, slack_api: SlackStandIn
) -> None:
    team, user = "T0001", "U0QUIET"
    base = {
        "type": "message",
        "channel": "D0QUIET",
        "channel_type": "im",
        "ts": "1.2",
        "team": team,
    }
    await slack.event(team, dict(base, user=user, text="hi", bot_id="B0OTHER"))
    await slack.event(team, dict(base, user=user, text="hi", subtype="message_changed"))
    await slack.event(team, dict(base, user="UNOTNOWBOT", text="our own echo"))
    await slack.event(team, dict(base, user=user, text="hi", channel_type="channel"))
    await slack_api.settle(quiet=0.3)
    assert slack_api.calls_to("chat.postMessage") == []


async def test_unknown_actions_are_acknowledged_and_ignored(
    slack: SlackSide, slack_api: SlackStandIn
) -> None:
    person = Person(slack, slack_api, user="U0CLICK")
    await person.slash()
    message = dict(person.question())
    message["blocks"] = [
        {
            "type": "actions",
            "block_id": "other",
            "elements": [
                {
                    "type": "button",
                    "action_id": "someone_elses",
                    "value": "x",
                    "text": {"type": "plain_text", "text": "X"},
                }
            ],
        }
    ]
    before = len(slack_api.calls)
    sent = await slack.click(person.team, person.user, message, "x")
    assert sent.status == 200
    await slack_api.settle(quiet=0.3)
    assert slack_api.calls[before:] == []


async def test_huge_text_reaches_the_engine_which_answers_it(person: Person) -> None:
    await person.slash()
    replies = await person.say("x" * 40_000)
    assert replies
    assert all(len(b["text"]["text"]) <= 3000 for m in replies for b in m["blocks"] if "text" in b)
