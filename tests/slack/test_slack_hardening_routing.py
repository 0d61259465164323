"""Hostile and faulty input through the real app: replays, a full disk, a curious visitor,
and payloads that name someone else's channel (issue 15, items 8, 10, 11 and 12)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack import SlackService, start_slack
from bot.clock import ManualClock
from bot.content.loader import Content
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.interfaces import Record, Store, StoreError
from bot.settings import Settings
from bot.storage import MemoryStore
from tests.standins.slack_api import (
    Person,
    SlackSide,
    SlackStandIn,
    block_actions,
    blocks_text,
    dm_channel_id,
    dm_message,
    option_values,
    slash_command,
)

PUBLIC_CHANNEL = "C0GENERAL"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def _cases(coach: Coach, person: Person) -> list[Record]:
    record = coach.store.read(PEOPLE, f"slack:{person.team}:{person.user}")
    return list(record["cases"]) if record else []


async def _send_signed(
    slack: SlackSide, slack_api: SlackStandIn, body: str, *, timestamp: int, repeats: int = 1
) -> None:
    """The same signed bytes ``repeats`` times; the last one as if Slack retried them."""
    for n in range(repeats):
        headers = RETRY if n and n == repeats - 1 else {}
        sent = await slack.post(body, timestamp=timestamp, headers=headers)
        assert sent.status == 200, sent.text
        await slack_api.settle(quiet=0.2)


# -- item 8: a replayed slash command or click acts once ---------------------------------


async def test_a_replayed_slash_command_makes_one_case(
    person: Person, slack: SlackSide, slack_api: SlackStandIn, coach: Coach
) -> None:
    await person.slash()
    await person.choose("okay")
    await person.choose("log")
    before = len(_cases(coach, person))
    body = urlencode(slash_command(person.team, person.user, "new", hooks_url=slack.hooks_url))
    timestamp = int(time.time())
    await _send_signed(slack, slack_api, body, timestamp=timestamp)
    assert len(_cases(coach, person)) == before + 1
    posts = len(slack_api.posted())

    await _send_signed(slack, slack_api, body, timestamp=timestamp, repeats=2)

    assert len(_cases(coach, person)) == before + 1
    assert len(slack_api.posted()) == posts
    again = urlencode(slash_command(person.team, person.user, "new", hooks_url=slack.hooks_url))
    await person._turn(slack.post(again))  # a fresh /notnow new still works
    assert len(_cases(coach, person)) == before + 2


async def test_a_replayed_click_is_one_answer(
    person: Person, slack: SlackSide, slack_api: SlackStandIn, coach: Coach
) -> None:
    await person.slash()
    question = person.question()
    value = next(v for v in option_values(question) if v.endswith("=okay"))
    payload = block_actions(person.team, person.user, question, value)
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = int(time.time())
    before = len(slack_api.posted())
    await _send_signed(slack, slack_api, body, timestamp=timestamp)
    posts = len(slack_api.posted())
    assert posts > before, "the first click is a turn"

    await _send_signed(slack, slack_api, body, timestamp=timestamp, repeats=2)

    assert len(slack_api.posted()) == posts
    assert len(slack_api.calls_to("chat.update")) == 1
    await person.choose("log")  # the conversation goes on from the one answer
    assert _cases(coach, person)


async def test_replayed_requests_are_spotted_across_processes_sharing_a_store(
    settings: Settings, coach: Coach, slack_api: SlackStandIn, slack: SlackSide
) -> None:
    """A second app on the same store (another process behind the load balancer)
    refuses what the first one handled."""
    second = await start_slack(settings, coach, port=0, host="127.0.0.1")
    try:
        async with aiohttp.ClientSession() as session:
            other = SlackSide(
                session,
                url=f"http://127.0.0.1:{second.port}/slack/events",
                signing_secret=slack.secret,
                hooks_url=slack.hooks_url,
            )
            body = urlencode(slash_command("T0001", "U0TWICE", "new", hooks_url=slack.hooks_url))
            timestamp = int(time.time())
            assert (await slack.post(body, timestamp=timestamp)).status == 200
            await slack_api.settle(quiet=0.2)
            assert (await other.post(body, timestamp=timestamp)).status == 200
            await slack_api.settle(quiet=0.2)
    finally:
        await second.stop()
    record = coach.store.read(PEOPLE, "slack:T0001:U0TWICE")
    assert record is not None and len(record["cases"]) == 1


# -- item 10: a full disk during profile sync still gets an answer -----------------------


class FullDisk(MemoryStore):
    """A disk that filled up: person records can no longer be written; reads work, and
    the small ledger writes elsewhere still fit."""

    def write(self, namespace: str, key: str, record: Record) -> None:
        if namespace == PEOPLE:
            raise StoreError("[Errno 28] No space left on device")
        super().write(namespace, key, record)


@pytest.fixture
async def full_disk_slack(
    settings: Settings, content: Content, clock: ManualClock, slack_api: SlackStandIn
) -> AsyncIterator[SlackSide]:
    store: Store = FullDisk()
    coach = Coach(store=store, content=content, clock=clock)
    service: SlackService = await start_slack(settings, coach, port=0, host="127.0.0.1")
    try:
        async with aiohttp.ClientSession() as session:
            yield SlackSide(
                session,
                url=f"http://127.0.0.1:{service.port}/slack/events",
                signing_secret="8f742231b10e8888abcd99yyyzzz85a5",
                hooks_url=slack_api.hooks_url,
            )
    finally:
        await service.stop()


async def test_a_full_disk_while_saving_the_profile_still_answers_the_newcomer(
    full_disk_slack: SlackSide, slack_api: SlackStandIn
) -> None:
    newcomer = Person(full_disk_slack, slack_api, user="U0NEWCOMER")
    replies = await newcomer.slash()
    assert slack_api.calls_to("users.info"), "the profile was asked for"
    assert "Something went wrong saving that" in blocks_text(replies[-1])


# -- item 11: looking at the App Home stores nothing ---------------------------------------


async def test_opening_the_app_home_stores_nothing_about_a_newcomer(
    slack: SlackSide, slack_api: SlackStandIn, coach: Coach
) -> None:
    user = "U0VISITOR"
    sent = await slack.home_opened("T0001", user)
    assert sent.status == 200
    [published] = await slack_api.wait_for("views.publish")
    await slack_api.settle(quiet=0.2)
    shown = json.dumps(published.params["view"])
    assert "You have no cases yet" in shown  # a welcome, not an error

    for namespace in coach.store.namespaces():
        keys = list(coach.store.keys(namespace))
        for key, record in coach.store.read_many(namespace, keys).items():
            stored = key + json.dumps(record)
            assert user not in stored, f"{namespace}/{key} names the visitor"
            assert f"Person {user}" not in stored
            assert "Europe/Berlin" not in stored


# -- item 12: replies go to the DM of whoever acted ----------------------------------------


async def test_a_message_claiming_a_dm_from_a_public_channel_gets_no_reply_there(
    person: Person, slack: SlackSide, slack_api: SlackStandIn
) -> None:
    event = dm_message(person.team, person.user, "start")
    event["channel"] = PUBLIC_CHANNEL  # still claims channel_type=im
    sent = await slack.event(person.team, event)
    assert sent.status == 200
    await slack_api.settle(quiet=0.3)
    assert slack_api.posted(PUBLIC_CHANNEL) == []
    assert slack_api.calls_to("chat.update") == []


async def test_a_click_naming_another_channel_is_answered_in_the_clickers_dm(
    person: Person, slack: SlackSide, slack_api: SlackStandIn
) -> None:
    await person.slash()
    question = person.question()
    value = next(v for v in option_values(question) if v.endswith("=okay"))
    payload = block_actions(person.team, person.user, question, value)
    other_dm = dm_channel_id(person.team, "U0SOMEONEELSE")
    payload["container"]["channel_id"] = other_dm
    payload["channel"]["id"] = other_dm

    replies = await person._turn(slack.post(urlencode({"payload": json.dumps(payload)})))

    assert replies and all(m["channel"] == person.channel for m in replies)
    assert slack_api.posted(other_dm) == []
    assert all(c.params.get("channel") != other_dm for c in slack_api.calls_to("chat.update"))


async def test_an_export_goes_to_the_dm_of_whoever_asked(
    person: Person, slack: SlackSide, slack_api: SlackStandIn
) -> None:
    """The slash command's ``channel_id`` is where it was typed; the data goes to the DM."""
    await person.slash()
    body = slash_command(person.team, person.user, "export", hooks_url=slack.hooks_url)
    body["channel_id"] = PUBLIC_CHANNEL
    await person._turn(slack.post(urlencode(body)))
    [done] = await slack_api.wait_for("files.completeUploadExternal")
    assert done.params.get("channel_id") == person.channel
    assert slack_api.posted(PUBLIC_CHANNEL) == []
