"""The operator's log never carries what people typed, nor a raw Slack id, at any level.

The real app runs with ``notnow -v``'s logging (``configure_logging`` at DEBUG, the one
stderr handler) and every library logger turned up to DEBUG as well. Then the log is
searched for a secret planted in what a person typed, and for their raw team and user ids:
after a DM refused for its stale signature, a flood of unsigned 1 MB bodies, normal turns,
and a person record that had to be moved aside (its file name percent-encodes the ids).
"""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from adapters.slack import SlackService, start_slack
from bot.conversation.engine import Coach
from bot.ops.logs import configure_logging, hash_id
from bot.settings import Settings
from bot.storage.tinydb_store import TinyDBStore
from tests.standins.slack_api import (
    Person,
    SlackSide,
    SlackStandIn,
    dm_message,
    event_callback,
    slash_command,
)

TEAM, USER = "T024BE7LH", "U024BE7LH"  # ids shaped like Slack's own
SECRET = "Quixotic-Marmalade-7781"
SALT = "log-test-salt"
LIBRARIES = ("slack_bolt", "slack_sdk", "discord", "aiohttp", "asyncio")
FLOOD, BODY_CHARS = 100, 1_000_000  # under aiohttp's 1 MiB limit, so Bolt sees each one


@pytest.fixture
def operator_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """What ``notnow -v`` writes to stderr, with every library logger at DEBUG too."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    configure_logging(level=logging.DEBUG, json_lines=False, salt=SALT)
    loggers = [logging.getLogger(name) for name in LIBRARIES]
    saved_levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield buffer
    for logger, level in zip(loggers, saved_levels, strict=True):
        logger.setLevel(level)
    root.handlers[:], root.level = saved_handlers, saved_level


@pytest.fixture
async def service(
    operator_log: io.StringIO, settings: Settings, coach: Coach
) -> AsyncIterator[SlackService]:
    """The app started after logging is configured, as ``notnow -v slack`` does it."""
    running = await start_slack(settings, coach, port=0, host="127.0.0.1")
    yield running
    await running.stop()


def assert_clean(log: str) -> None:
    assert SECRET not in log
    for raw in (TEAM, USER):
        assert raw not in log, f"raw id {raw} in the log"


async def test_a_stale_signed_dm_leaves_no_text_or_id_in_the_log(
    slack: SlackSide, slack_api: SlackStandIn, operator_log: io.StringIO
) -> None:
    body = json.dumps(event_callback(TEAM, dm_message(TEAM, USER, f"my boss is {SECRET}")))
    sent = await slack.post(body, content_type="application/json",
                            timestamp=int(time.time()) - 6 * 60)
    assert sent.status == 401
    await slack_api.settle(quiet=0.2)
    log = operator_log.getvalue()
    assert "Invalid request signature detected" in log  # the line is there, its body is not
    assert_clean(log)


async def test_a_flood_of_unsigned_megabyte_bodies_adds_little_to_the_log(
    slack: SlackSide, operator_log: io.StringIO
) -> None:
    body = urlencode(slash_command(TEAM, USER, SECRET + "x" * BODY_CHARS))
    before = len(operator_log.getvalue())
    for _ in range(FLOOD):
        sent = await slack.post(body, signature=None)
        assert sent.status == 401
    log = operator_log.getvalue()
    assert len(log) - before < FLOOD * 1024  # a line each, not a megabyte each
    assert_clean(log)


async def test_normal_turns_and_a_quarantined_record_log_only_hashed_ids(
    slack: SlackSide, slack_api: SlackStandIn, settings: Settings, operator_log: io.StringIO,
    coach: Coach,
) -> None:
    slack_api.default_team = TEAM
    person = Person(slack, slack_api, team=TEAM, user=USER)
    assert await person.slash()
    await person.choose("okay")
    await person.choose("log")
    replies = await person.say(SECRET)  # the company: the next question names it
    assert SECRET in json.dumps(replies)
    assert SECRET not in operator_log.getvalue()  # slack_sdk's DEBUG lines carry replies
    assert isinstance(coach.store, TinyDBStore)
    coach.store.sync_files()  # the record is written back to its file, then torn
    [record] = Path(settings.db).rglob(f"slack%3A{TEAM}%3A{USER}.json")
    record.write_text("{ this is not json")
    assert await person.say(f"it was {SECRET} again")
    log = operator_log.getvalue()
    assert "moved aside" in log
    assert hash_id(TEAM, salt=SALT) in log and hash_id(USER, salt=SALT) in log
    assert_clean(log)
