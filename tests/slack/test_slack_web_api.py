"""What the app sends to Slack's Web API: escaping, retries, errors, App Home, workspaces."""

from __future__ import annotations

import json
import time

import pytest

from adapters.slack import SlackService
from adapters.slack.nudges import SlackNudgeSender
from bot.conversation.engine import Coach
from bot.messages import Option, Reply, UserRef
from tests.standins.slack_api import Person, SlackSide, SlackStandIn, blocks_text


async def _to_company_question(person: Person) -> None:
    await person.slash()
    await person.choose("okay")
    await person.choose("log")


async def test_mentions_typed_by_the_person_are_shown_not_acted_on(
    person: Person, slack_api: SlackStandIn
) -> None:
    await _to_company_question(person)
    # Slack delivers a typed @channel as <!channel> and a typed "<" as &lt;.
    replies = await person.say("ACME <!channel> <@U123> &lt;b&gt; &amp; Co")
    text = blocks_text(replies[-1])
    assert "ACME &lt;!channel&gt; &lt;@U123&gt; &lt;b&gt; &amp; Co" in text
    for call in slack_api.calls_to("chat.postMessage"):
        rendered = call.params["text"] + blocks_text(call.params)
        assert "<!channel>" not in rendered
        assert "<@U123>" not in rendered


async def test_a_rate_limited_call_is_retried_after_retry_after(
    person: Person, slack_api: SlackStandIn
) -> None:
    slack_api.rate_limit("chat.postMessage", retry_after=1)
    started = time.perf_counter()
    replies = await person.slash()
    assert replies
    posts = slack_api.calls_to("chat.postMessage")
    assert posts[0].status == 429
    assert posts[1].status == 200
    assert posts[1].params["text"] == posts[0].params["text"]
    assert posts[1].at - posts[0].at >= 0.9
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("conversations.open", "cannot_dm_bot"),
        ("conversations.open", "user_not_found"),
        ("chat.postMessage", "channel_not_found"),
        ("chat.postMessage", "not_in_channel"),
        ("chat.postMessage", "account_inactive"),
        ("chat.postMessage", "token_revoked"),
        ("chat.postMessage", "invalid_auth"),
        ("users.info", "user_not_found"),
    ],
)
async def test_web_api_errors_are_logged_with_team_and_user_and_never_crash(
    person: Person,
    slack_api: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
    method: str,
    error: str,
) -> None:
    slack_api.fail(method, error)
    sent = await person.slack.slash(person.team, person.user)
    assert sent.status == 200
    await slack_api.wait_for(method)
    await slack_api.settle(quiet=0.3)
    assert any(
        error in r.getMessage()
        and f"team={person.team}" in r.getMessage()
        and person.user in r.getMessage()
        for r in caplog.records
    )
    # The next turn works again.
    assert await person.slash("help")


async def test_channel_not_found_mid_conversation_leaves_the_next_turn_working(
    person: Person, slack_api: SlackStandIn
) -> None:
    await person.slash()
    slack_api.fail("chat.postMessage", "channel_not_found")
    sent = await person.slack.dm(person.team, person.user, "help")
    assert sent.status == 200
    await slack_api.wait_for(
        "chat.postMessage", where=lambda c: c.status == 200 and not c.response["ok"]
    )
    await slack_api.settle(quiet=0.2)
    replies = await person.slash("help")
    assert replies
    # The failed post made the adapter forget the DM id and open the DM again.
    assert len(slack_api.calls_to("conversations.open")) == 2


async def test_app_home_shows_the_overview(
    person: Person, slack: SlackSide, slack_api: SlackStandIn
) -> None:
    await _to_company_question(person)
    await person.say("Globex <!here>")
    sent = await slack.home_opened(person.team, person.user)
    assert sent.status == 200
    published = (await slack_api.wait_for("views.publish"))[0].params
    assert published["user_id"] == person.user
    assert published["view"]["type"] == "home"
    text = "\n".join(
        b["text"]["text"] for b in published["view"]["blocks"] if b["type"] == "section"
    )
    assert "Globex &lt;!here&gt;" in text
    assert all(b["type"] != "actions" for b in published["view"]["blocks"])


async def test_the_messages_tab_does_not_publish_a_home_view(
    slack: SlackSide, slack_api: SlackStandIn
) -> None:
    event = {
        "type": "app_home_opened",
        "user": "U0TAB",
        "channel": "D0TAB",
        "tab": "messages",
        "event_ts": "1.1",
    }
    await slack.event("T0001", event)
    await slack_api.settle(quiet=0.3)
    assert slack_api.calls_to("views.publish") == []


async def test_the_same_user_id_in_two_workspaces_has_two_separate_conversations(
    slack: SlackSide, slack_api: SlackStandIn, coach: Coach
) -> None:
    in_one = Person(slack, slack_api, team="T0ONE", user="U0SAME")
    in_two = Person(slack, slack_api, team="T0TWO", user="U0SAME")
    await _to_company_question(in_one)
    await in_one.say("Initech")

    replies = await in_two.slash()
    assert in_one.channel != in_two.channel
    assert "Initech" not in "".join(blocks_text(m) for m in replies)
    assert all(m["channel"] == in_two.channel for m in replies)

    one = coach.overview(UserRef("slack", "T0ONE", "U0SAME"))[0].text
    two = coach.overview(UserRef("slack", "T0TWO", "U0SAME"))[0].text
    assert "Initech" not in two
    assert one != two


async def test_time_zone_from_slack_reaches_the_engine(
    person: Person, slack_api: SlackStandIn
) -> None:
    slack_api.timezones[person.user] = "America/Los_Angeles"
    await person.slash()
    await person.slash("export")
    [done] = await slack_api.wait_for("files.completeUploadExternal")
    exported = json.loads(slack_api.uploads[done.params["files"][0]["id"]])
    assert exported["person"]["settings"]["timezone"] == "America/Los_Angeles"
    assert len(slack_api.calls_to("users.info")) == 1


async def test_nudges_carry_their_id_and_are_found_again_in_the_dm(
    service: SlackService, slack_api: SlackStandIn
) -> None:
    """The dispatcher's sender (adapters/slack/nudges.py) against the same stand-in."""
    sender = SlackNudgeSender.for_app(service.app)
    who = UserRef("slack", "T0001", "U0NUDGE")
    reply = Reply(
        "Time to check in with Dana.",
        options=(Option("n=done", "Done", "primary"),),
        nudge_id="n-42",
    )
    assert await sender.was_delivered(who, "n-42") is False
    await sender.deliver(who, [reply], nudge_id="n-42")
    posted = slack_api.posted()[-1]
    assert posted["metadata"] == {
        "event_type": "notnow_nudge",
        "event_payload": {"nudge_id": "n-42"},
    }
    assert await sender.was_delivered(who, "n-42") is True


def test_the_web_clients_debug_guard_follows_the_level_it_logs_at() -> None:
    """slack_sdk builds its debug lines (every call's parameters and response) when
    ``logger.level <= DEBUG``; its own logger's level is NOTSET, 0, so they were built
    for every call and thrown away. The client's logger answers with the level it logs
    at, read afresh, so turning slack_sdk up later still brings the lines back."""
    import logging

    from adapters.slack.client import make_web_client
    from bot.settings import Settings

    client = make_web_client(Settings(_env_file=None), token="xoxb-1")
    sdk = logging.getLogger("slack_sdk")
    before = sdk.level
    try:
        sdk.setLevel(logging.INFO)
        assert not client.logger.level <= logging.DEBUG  # the guard skips the lines
        sdk.setLevel(logging.DEBUG)
        assert client.logger.level <= logging.DEBUG  # and builds them when wanted
        assert client.logger.isEnabledFor(logging.DEBUG)
    finally:
        sdk.setLevel(before)
