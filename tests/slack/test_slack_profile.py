"""What Slack knows about a person reaches the engine: time zone and name (users.info)."""

from __future__ import annotations

from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from tests.standins.slack_api import Person, SlackStandIn


async def test_time_zone_and_name_come_from_users_info(
        coach: Coach, person: Person, slack_api: SlackStandIn) -> None:
    slack_api.timezones[person.user] = "America/Chicago"
    await person.slash("start")
    record = coach.store.read(PEOPLE, f"slack:{person.team}:{person.user}")
    assert record is not None
    assert record["settings"]["timezone"] == "America/Chicago"
    assert record["display_name"] == f"Person {person.user}"
    assert len(slack_api.calls_to("users.info")) == 1  # asked once per process
